import Foundation
import NIOCore
import RealtimeProtocol
import Testing

/// Numbers and shapes a client controls: none may trap, each out-of-range one is an error
/// naming its field.
@Suite("untrusted numbers and shapes")
struct UntrustedNumberTests {
    static let extremes = ["1e19", "-1e19", "1e308", "-1e308", "1e999", "-0", "9223372036854775807", "9223372036854775808",
                           "-9223372036854775809", "18446744073709551616", "1.5", "0.000001", "123456789012345678901234567890"]

    @Test("intValue is exact or nil, never a trap", arguments: extremes)
    func intValue(_ text: String) throws {
        let value = try JSONParser.parse(text)
        let int = value.intValue
        if let int { #expect(Double(int) == Double(text)) }
        if let double = value.doubleValue { #expect(double.isFinite) }
    }

    @Test("intValue keeps integral numbers written as decimals")
    func integralForms() throws {
        #expect(try JSONParser.parse("3.0").intValue == 3)
        #expect(try JSONParser.parse("3e2").intValue == 300)
        #expect(try JSONParser.parse("1e19").intValue == nil)
        #expect(try JSONParser.parse("1e999").doubleValue == nil)
        #expect(JSONValue.double(.infinity) == .null)
        #expect(JSONValue.double(1e300).jsonString == "1e+300")
    }

    @Test("every numeric session field in both dialects: out of range is invalid_value naming it", arguments: extremes)
    func sessionFields(_ number: String) throws {
        let ga: [(String, String)] = [
            ("session.audio.input.format.rate", #"{"type":"realtime","audio":{"input":{"format":{"type":"audio/pcm","rate":N}}}}"#),
            ("session.audio.output.format.rate", #"{"type":"realtime","audio":{"output":{"format":{"type":"audio/pcm","rate":N}}}}"#),
            ("session.audio.input.turn_detection.threshold", #"{"type":"realtime","audio":{"input":{"turn_detection":{"type":"server_vad","threshold":N}}}}"#),
            ("session.audio.input.turn_detection.prefix_padding_ms", #"{"type":"realtime","audio":{"input":{"turn_detection":{"type":"server_vad","prefix_padding_ms":N}}}}"#),
            ("session.audio.input.turn_detection.silence_duration_ms", #"{"type":"realtime","audio":{"input":{"turn_detection":{"type":"server_vad","silence_duration_ms":N}}}}"#),
            ("session.audio.input.turn_detection.idle_timeout_ms", #"{"type":"realtime","audio":{"input":{"turn_detection":{"type":"server_vad","idle_timeout_ms":N}}}}"#),
            ("session.audio.output.speed", #"{"type":"realtime","audio":{"output":{"speed":N}}}"#),
            ("session.max_output_tokens", #"{"type":"realtime","max_output_tokens":N}"#),
            ("session.temperature", #"{"type":"realtime","temperature":N}"#),
            ("session.truncation.retention_ratio", #"{"type":"realtime","truncation":{"type":"retention_ratio","retention_ratio":N}}"#),
        ]
        let beta: [(String, String)] = [
            ("session.turn_detection.prefix_padding_ms", #"{"turn_detection":{"type":"server_vad","prefix_padding_ms":N}}"#),
            ("session.turn_detection.silence_duration_ms", #"{"turn_detection":{"type":"server_vad","silence_duration_ms":N}}"#),
            ("session.turn_detection.threshold", #"{"turn_detection":{"type":"server_vad","threshold":N}}"#),
            ("session.max_response_output_tokens", #"{"max_response_output_tokens":N}"#),
            ("session.temperature", #"{"temperature":N}"#),
            ("session.speed", #"{"speed":N}"#),
        ]
        for (dialect, cases) in [(Dialect.ga, ga), (.beta, beta)] {
            for (param, template) in cases {
                let object = try #require(try JSONParser.parse(template.replacingOccurrences(of: "N", with: number)).objectValue)
                do throws(SessionConfig.Invalid) {
                    _ = try SessionConfig(json: object, dialect: dialect)
                    // Accepted: then it is a small number inside the field's range.
                    #expect(["0.000001", "1.5", "-0"].contains(number) && !param.hasSuffix(".rate"), "\(param) accepted \(number)")
                } catch {
                    #expect(error.param == param, "\(param) with \(number): \(error.message)")
                    #expect(error.message.contains(param))
                }
            }
        }
    }

    @Test("numbers inside the ranges are accepted")
    func withinRange() throws {
        let object = try #require(try JSONParser.parse(#"{"type":"realtime","temperature":0.8,"max_output_tokens":"inf","audio":{"input":{"format":{"type":"audio/pcm","rate":24000},"turn_detection":{"type":"server_vad","threshold":0.5,"prefix_padding_ms":300,"silence_duration_ms":500}},"output":{"speed":1.0}}}"#).objectValue)
        let config = try SessionConfig(json: object, dialect: .ga)
        #expect(config.inputFormat == .pcm16)
    }

    @Test("a string where a number belongs is refused")
    func wrongKind() throws {
        let object = try #require(try JSONParser.parse(#"{"type":"realtime","temperature":"hot"}"#).objectValue)
        #expect(throws: SessionConfig.Invalid.self) { try SessionConfig(json: object, dialect: .ga) }
    }

    @Test("response settings are checked", arguments: [
        #"{"temperature":1e19}"#, #"{"max_output_tokens":-1}"#, #"{"max_output_tokens":1e19}"#, #"{"audio":{"output":{"speed":1e308}}}"#,
    ])
    func responseSettings(_ text: String) throws {
        let object = try #require(try JSONParser.parse(text).objectValue)
        #expect(throws: SessionConfig.Invalid.self) { try SessionLimits.response(object) }
    }
}

@Suite("duplicate members")
struct DuplicateMemberTests {
    @Test("the parser refuses an object that repeats a name, at any depth and size")
    func parserRefuses() throws {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(#"{"type":"a","type":"b"}"#) }
        #expect(throws: JSONParseError.self) { try JSONParser.parse(#"{"response":{"instructions":"a","instructions":"b"}}"#) }
        let many = (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        #expect(throws: JSONParseError.self) { try JSONParser.parse("{\(many),\"k39\":1}") }
        #expect(try JSONParser.parse("{\(many)}")["k39"]?.intValue == 39)
    }

    @Test("the client peek reads every member: a second type is malformed, an escaped name too")
    func peekUnique() {
        func peek(_ text: String) -> TypePeek.Result {
            ByteBuffer(string: text).withUnsafeReadableBytes { TypePeek.peekUnique($0) }
        }
        guard case .type = peek(#"{"type":"input_audio_buffer.append","audio":"AAAA"}"#) else { Issue.record("plain"); return }
        #expect(peek(#"{"type":"input_audio_buffer.append","audio":"AAAA","type":"session.update"}"#) == .malformed)
        #expect(peek(#"{"type":"input_audio_buffer.append","typ\u0065":"session.update"}"#) == .malformed)
        #expect(peek(#"{"audio":"a\"b\\","type":"x"}"#) != .malformed)
        #expect(peek(#"{"audio":"a\\"}"#) == .missing)
        #expect(peek(#"{"audio":"a\\\"}"#) == .malformed)
        // The trusted peek still stops at the first.
        let first = ByteBuffer(string: #"{"type":"a","type":"b"}"#).withUnsafeReadableBytes { TypePeek.peek($0) }
        guard case .type = first else { Issue.record("first"); return }
    }

    @Test("decoding names the duplicate")
    func decoding() {
        #expect(throws: EventDecodingError.self) { try RealtimeEvent.decode(#"{"type":"a","type":"b"}"#) }
    }
}

@Suite("large objects")
struct LargeObjectTests {
    @Test("building, merging, looking up and comparing 100 000 members stays linear")
    func manyMembers() throws {
        let text = "{" + (0..<100_000).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + "}"
        let object = try #require(try JSONParser.parse(text).objectValue)
        #expect(object["k99999"]?.intValue == 99_999)
        var merged = JSONObject()
        for (key, value) in object { merged[key] = value }
        #expect(merged == object)
        #expect(merged.count == 100_000)
        merged["k5"] = nil
        #expect(merged["k5"] == nil && merged["k6"]?.intValue == 6 && merged.count == 99_999)
        var config = SessionConfig()
        config.merge(try SessionConfig(json: object, dialect: .ga))
        #expect(config.extra.count == 100_000)
    }

    @Test("an index and a scan agree: order, first of duplicates, removal")
    func indexAgrees() {
        var small = JSONObject([("a", .int(1)), ("b", .int(2))])
        var large = JSONObject((0..<40).map { ("m\($0)", JSONValue.int($0)) })
        small["a"] = .int(3)
        large["m0"] = .int(-1)
        #expect(small.keys == ["a", "b"] && small["a"] == .int(3))
        #expect(large.keys.first == "m0" && large["m0"] == .int(-1))
        large.removeValue(forKey: "m20")
        large["m20"] = .int(20)
        #expect(large.keys.last == "m20" && large["m21"] == .int(21))
    }

    @Test("session.type and modalities must be what the protocol has")
    func shapes() throws {
        for text in [#"{"type":5}"#, #"{"type":"realtime","output_modalities":[1]}"#, #"{"type":"realtime","output_modalities":["video"]}"#] {
            let object = try #require(try JSONParser.parse(text).objectValue)
            #expect(throws: SessionConfig.Invalid.self) { try SessionConfig(json: object, dialect: .ga) }
        }
        let response = try #require(try JSONParser.parse(#"{"audio":{"output":{"format":{"type":"audio/pcm","rate":1e19}}}}"#).objectValue)
        #expect(throws: SessionConfig.Invalid.self) { try SessionLimits.response(response) }
    }
}
