import RealtimeProtocol

/// Builders for the JSON schemas of tool parameters.
public enum JSONSchema {
    /// An object with these properties, in this order, and no others.
    public static func object(_ properties: [(String, JSONValue)] = [], required: [String] = []) -> JSONValue {
        var schema: JSONObject = ["type": .string("object"), "properties": .object(JSONObject(properties))]
        if !required.isEmpty { schema["required"] = .array(required.map(JSONValue.string)) }
        schema["additionalProperties"] = .bool(false)
        return .object(schema)
    }

    /// A string, optionally matching `pattern` and of a bounded length.
    public static func string(_ description: String, pattern: String? = nil, minLength: Int? = nil, maxLength: Int? = nil) -> JSONValue {
        var schema: JSONObject = ["type": .string("string"), "description": .string(description)]
        if let pattern { schema["pattern"] = .string(pattern) }
        if let minLength { schema["minLength"] = .int(minLength) }
        if let maxLength { schema["maxLength"] = .int(maxLength) }
        return .object(schema)
    }

    /// A calendar day written `yyyy-MM-dd`.
    public static func date(_ description: String) -> JSONValue {
        .object(["type": .string("string"), "format": .string("date"), "description": .string(description)])
    }

    /// An integer, optionally bounded.
    public static func integer(_ description: String, minimum: Int? = nil, maximum: Int? = nil) -> JSONValue {
        var schema: JSONObject = ["type": .string("integer"), "description": .string(description)]
        if let minimum { schema["minimum"] = .int(minimum) }
        if let maximum { schema["maximum"] = .int(maximum) }
        return .object(schema)
    }
}
