import NIOCore
import RealtimeProtocol
import Testing

@Suite("JSON values")
struct JSONTests {
    @Test("numbers keep their text, members their order")
    func roundTrip() throws {
        let text = #"{"type":"x","rate":24000,"t":0.50,"big":12345678901234567890,"list":[1,true,null,"a\"b"],"o":{"z":1,"a":2}}"#
        let value = try JSONParser.parse(text)
        #expect(value.jsonString == text)
        #expect(value["rate"]?.intValue == 24000)
        #expect(value["o"]?.objectValue?.keys == ["z", "a"])
    }

    @Test("escapes and unicode")
    func escapes() throws {
        let value = try JSONParser.parse(#"{"s":"\u00e9\ud83d\ude00\n\t\\"}"#)
        #expect(value["s"]?.stringValue == "é😀\n\t\\")
        #expect(try JSONParser.parse(value.jsonString) == value)
    }

    @Test("malformed input is refused with a position", arguments: [
        #"{"a":1"#, #"{"a":}"#, #"[1,]"#, #"{"a":1} x"#, #""\ud800""#, "01", #"{"a":tru}"#, "",
    ])
    func malformed(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test("deep nesting is refused, not a crash")
    func deepNesting() {
        let text = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }
}

@Suite("the type peek")
struct TypePeekTests {
    private func peek(_ text: String) -> String? {
        TypePeek.typeString(ByteBuffer(string: text))
    }

    @Test("type first, later, after nested objects, ignoring nested types")
    func finds() {
        #expect(peek(#"{"type":"input_audio_buffer.append","audio":"AAAA"}"#) == "input_audio_buffer.append")
        #expect(peek(#" { "audio" : "AA\"AA" , "type" : "x.y" }"#) == "x.y")
        #expect(peek(#"{"item":{"type":"message","content":[{"type":"input_text"}]},"type":"conversation.item.create"}"#) == "conversation.item.create")
        #expect(peek(#"{"n":[1,{"type":"no"}],"b":true,"x":null,"f":-1.5e3,"type":"ok"}"#) == "ok")
    }

    @Test("missing and malformed")
    func missing() {
        #expect(TypePeek.peek(ByteBuffer(string: #"{"item":{"type":"message"}}"#)) == .missing)
        #expect(TypePeek.peek(ByteBuffer(string: #"[1,2]"#)) == .malformed)
        #expect(TypePeek.peek(ByteBuffer(string: #"{"type":5}"#)) == .malformed)
        #expect(TypePeek.peek(ByteBuffer(string: #"{"audio":"unterminated"#)) == .malformed)
    }
}
