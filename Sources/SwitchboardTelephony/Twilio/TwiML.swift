/// TwiML, the XML Twilio runs for a call: here, the answer that connects a call to the hub's
/// media stream.
package enum TwiML {
    /// `<Response><Connect><Stream url=…>` with `<Parameter>`s.
    package static func connectStream(url streamURL: String, parameters: [(String, String)]) -> String {
        var xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n<Response><Connect><Stream url=\"\(escaped(streamURL))\">"
        for (name, value) in parameters {
            xml += "<Parameter name=\"\(escaped(name))\" value=\"\(escaped(value))\"/>"
        }
        xml += "</Stream></Connect></Response>\n"
        return xml
    }

    /// `<Response><Dial>` to a number, or to a SIP URI (`<Sip>`): a cold transfer. `callerID`
    /// is shown to the person called (Twilio requires one of the account's numbers or the caller's).
    package static func dial(_ to: String, callerID: String? = nil) -> String {
        let target = to.lowercased().hasPrefix("sip") ? "<Sip>\(escaped(to))</Sip>" : "<Number>\(escaped(to))</Number>"
        let attribute = callerID.map { " callerId=\"\(escaped($0))\"" } ?? ""
        return #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n<Response><Dial\(attribute)>\(target)</Dial></Response>\n"
    }

    package static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }
}
