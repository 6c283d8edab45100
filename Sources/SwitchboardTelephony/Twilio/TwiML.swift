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
