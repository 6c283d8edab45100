import RealtimeProtocol
import SwitchboardCore
import SwitchboardTools
import Testing

@Suite("JSON schema validator")
struct JSONSchemaValidatorTests {
    private func problems(_ json: String, _ schema: JSONValue) throws -> [String] {
        JSONSchemaValidator.validate(try JSONParser.parse(json), against: schema).map(\.description)
    }

    private func schema(_ json: String) throws -> JSONValue { try JSONParser.parse(json) }

    @Test("a conforming value has no problems")
    func conforming() throws {
        let schema = try schema(#"""
            {"type":"object","properties":{"name":{"type":"string","minLength":1},"age":{"type":"integer","minimum":0},
            "tags":{"type":"array","items":{"type":"string"}},"vip":{"type":"boolean"}},"required":["name"],"additionalProperties":false}
            """#)
        #expect(try problems(#"{"name":"Alex","age":41,"tags":["a","b"],"vip":true}"#, schema).isEmpty)
        #expect(try problems(#"{"name":"Alex"}"#, schema).isEmpty)
    }

    @Test("types", arguments: [
        (#"{"type":"string"}"#, "1", "arguments: must be a string"),
        (#"{"type":"integer"}"#, "1.5", "arguments: must be an integer"),
        (#"{"type":"integer"}"#, #""1""#, "arguments: must be an integer"),
        (#"{"type":"number"}"#, "true", "arguments: must be a number"),
        (#"{"type":"boolean"}"#, "0", "arguments: must be true or false"),
        (#"{"type":"object"}"#, "[]", "arguments: must be an object"),
        (#"{"type":"array"}"#, "{}", "arguments: must be an array"),
        (#"{"type":["string","null"]}"#, "3", "arguments: must be a string or null"),
    ])
    func types(schema: String, value: String, expected: String) throws {
        #expect(try problems(value, self.schema(schema)) == [expected])
    }

    @Test("integers may be written with a zero fraction; a list of types accepts any")
    func integerForms() throws {
        #expect(try problems("3.0", schema(#"{"type":"integer"}"#)).isEmpty)
        #expect(try problems("1e2", schema(#"{"type":"integer"}"#)).isEmpty)
        #expect(try problems("null", schema(#"{"type":["string","null"]}"#)).isEmpty)
        #expect(try problems("7", schema(#"{"type":"number"}"#)).isEmpty)
    }

    @Test("nested paths name members and indexes")
    func paths() throws {
        let schema = try schema(#"""
            {"type":"object","properties":{"trip":{"type":"object","properties":{"legs":{"type":"array",
            "items":{"type":"object","properties":{"date":{"type":"string","format":"date"}},"required":["date"]}}}}}}
            """#)
        #expect(try problems(#"{"trip":{"legs":[{"date":"2025-01-01"},{"date":"01/02/2025"},{}]}}"#, schema) == [
            "trip.legs[1].date: must be a date in yyyy-MM-dd form",
            "trip.legs[2].date: is required",
        ])
    }

    @Test("enum, pattern and lengths")
    func strings() throws {
        #expect(try problems(#""maybe""#, schema(#"{"enum":["yes","no"]}"#)) == [#"arguments: must be one of "yes", "no""#])
        #expect(try problems(#""no""#, schema(#"{"enum":["yes","no"]}"#)).isEmpty)
        // Patterns search, as in JSON Schema, unless anchored.
        #expect(try problems(#""xxabcxx""#, schema(#"{"type":"string","pattern":"abc"}"#)).isEmpty)
        #expect(try problems(#""SB2045""#, schema(#"{"type":"string","pattern":"^[A-Z]{2}[0-9]{3}$"}"#)) == ["arguments: must match the pattern ^[A-Z]{2}[0-9]{3}$"])
        #expect(try problems(#""ab""#, schema(#"{"type":"string","minLength":3}"#)) == ["arguments: must be at least 3 characters long"])
        #expect(try problems(#""abcd""#, schema(#"{"type":"string","maxLength":3}"#)) == ["arguments: must be at most 3 characters long"])
        #expect(try problems(#""héé""#, schema(#"{"type":"string","maxLength":3}"#)).isEmpty)
        #expect(try problems(#""x""#, schema(#"{"type":"string","pattern":"("}"#)).first?.contains("not a valid regular expression") == true)
    }

    @Test("format date accepts only real days written yyyy-MM-dd", arguments: [
        ("2024-02-29", true), ("2025-12-31", true), ("2025-02-29", false), ("2025-11-31", false),
        ("2025-1-5", false), ("20251105", false), ("2025-11-05 ", false), ("tomorrow", false),
    ])
    func dates(text: String, valid: Bool) throws {
        let found = try problems("\"\(text)\"", schema(#"{"type":"string","format":"date"}"#))
        #expect(found.isEmpty == valid, "\(text): \(found)")
    }

    @Test("minimum and maximum")
    func bounds() throws {
        let schema = try schema(#"{"type":"number","minimum":1,"maximum":30}"#)
        #expect(try problems("0", schema) == ["arguments: must be at least 1"])
        #expect(try problems("30.5", schema) == ["arguments: must be at most 30"])
        #expect(try problems("1", schema).isEmpty)
        #expect(try problems("30", schema).isEmpty)
    }

    @Test("additional properties: false refuses them, a schema checks them")
    func additionalProperties() throws {
        let closed = try schema(#"{"type":"object","properties":{"a":{"type":"string"}},"additionalProperties":false}"#)
        #expect(try problems(#"{"a":"x","b":1}"#, closed) == ["b: is not an accepted property (accepted: a)"])
        let typed = try schema(#"{"type":"object","additionalProperties":{"type":"integer"}}"#)
        #expect(try problems(#"{"a":1,"b":"x"}"#, typed) == ["b: must be an integer"])
        let open = try schema(#"{"type":"object","properties":{"a":{"type":"string"}}}"#)
        #expect(try problems(#"{"a":"x","b":1}"#, open).isEmpty)
        #expect(try problems("1", .bool(false)) == ["arguments: is not allowed"])
        #expect(try problems("1", .bool(true)).isEmpty)
    }
}

@Suite("tool arguments with extreme numbers")
struct ExtremeArgumentTests {
    @Test("numbers a tool cannot use are problems, never traps", arguments: ["1e999", "-1e999", "1e19", "-9223372036854775809", "18446744073709551616"])
    func extremes(_ number: String) throws {
        let schema = try JSONParser.parse(#"{"type":"object","properties":{"n":{"type":"integer","minimum":1,"maximum":30},"x":{"type":"number","maximum":10}}}"#)
        let integer = JSONSchemaValidator.validate(try JSONParser.parse(#"{"n":\#(number)}"#), against: schema)
        #expect(!integer.isEmpty)
        let real = JSONSchemaValidator.validate(try JSONParser.parse(#"{"x":\#(number)}"#), against: schema)
        #expect(number.hasPrefix("-") && !number.hasSuffix("999") ? real.isEmpty : !real.isEmpty)
    }
}
