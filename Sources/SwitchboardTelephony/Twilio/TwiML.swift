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

    /// `<Response><Dial>` to a number, or to a SIP URI (`<Sip>`): a transfer. `callerID` is
    /// shown to the person called (Twilio requires one of the account's numbers or the
    /// caller's). `whisper`: a URL whose TwiML Twilio plays to the person once they answer,
    /// before the caller is connected (a warm transfer's announcement). `action`: where Twilio
    /// reports how the dial ended (`DialCallStatus`) and asks what the caller's call does next;
    /// `timeout`: seconds the person's phone may ring.
    package static func dial(_ to: String, callerID: String? = nil, timeout: Int? = nil, action: String? = nil, whisper: String? = nil) -> String {
        let noun = to.lowercased().hasPrefix("sip") ? "Sip" : "Number"
        let url = whisper.map { " url=\"\(escaped($0))\" method=\"POST\"" } ?? ""
        let target = "<\(noun)\(url)>\(escaped(to))</\(noun)>"
        var attributes = callerID.map { " callerId=\"\(escaped($0))\"" } ?? ""
        if let timeout { attributes += " timeout=\"\(timeout)\"" }
        if let action { attributes += " action=\"\(escaped(action))\" method=\"POST\"" }
        return #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n<Response><Dial\(attributes)>\(target)</Dial></Response>\n"
    }

    /// `<Response><Say>`: Twilio's voice speaks `text` (a warm transfer's announcement to the person).
    package static func say(_ text: String) -> String {
        #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n<Response><Say>\(escaped(text))</Say></Response>\n"
    }

    /// `<Response><Reject/>`: the call is refused before it is answered (the caller hears the
    /// network's rejection; nothing is billed).
    package static let reject = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n<Response><Reject reason=\"rejected\"/></Response>\n"

    /// `<Response><Hangup/>`.
    package static let hangUp = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n<Response><Hangup/></Response>\n"

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
