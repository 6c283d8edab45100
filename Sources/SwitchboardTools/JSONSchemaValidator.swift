import RealtimeProtocol
import SwitchboardData

/// One way a value breaks its schema: where, and what is wrong, in words a model can act on.
public struct SchemaProblem: Sendable, Hashable, CustomStringConvertible {
    /// Where: `new_date`, `guests[1].name`; empty for the value itself.
    public var path: String
    /// What is wrong: `must be a date in yyyy-MM-dd form`.
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// `new_date: must be a date in yyyy-MM-dd form` (`arguments: …` for the value itself).
    public var description: String { "\(path.isEmpty ? "arguments" : path): \(message)" }
}

/// Checks JSON values against the subset of JSON Schema the tools use: `type` (one or a list of
/// `object`, `string`, `integer`, `number`, `boolean`, `array`, `null`), `properties`,
/// `required`, `additionalProperties` (`false` or a schema), `items`, `enum`, `pattern`,
/// `format: date` (a real calendar day written `yyyy-MM-dd`), `minimum`, `maximum`,
/// `minLength`, `maxLength`, and the schemas `true` and `false`. Other keywords (descriptions,
/// examples) are ignored.
public enum JSONSchemaValidator {
    /// Every problem of `value` against `schema`, in document order; empty when it conforms.
    public static func validate(_ value: JSONValue, against schema: JSONValue) -> [SchemaProblem] {
        var problems: [SchemaProblem] = []
        check(value, schema, path: "", into: &problems)
        return problems
    }

    private static func check(_ value: JSONValue, _ schema: JSONValue, path: String, into problems: inout [SchemaProblem]) {
        if case .bool(let allowed) = schema {
            if !allowed { problems.append(SchemaProblem(path: path, message: "is not allowed")) }
            return
        }
        guard let schema = schema.objectValue else { return }
        if let types = expectedTypes(schema), !types.contains(where: { matches(value, type: $0) }) {
            problems.append(SchemaProblem(path: path, message: "must be \(describe(types))"))
            return
        }
        if let options = schema["enum"]?.arrayValue, !options.contains(value) {
            let listed = options.map(\.jsonString).joined(separator: ", ")
            problems.append(SchemaProblem(path: path, message: "must be one of \(listed)"))
        }
        switch value {
        case .string(let text): checkString(text, schema, path: path, into: &problems)
        case .number: checkNumber(value, schema, path: path, into: &problems)
        case .object(let object): checkObject(object, schema, path: path, into: &problems)
        case .array(let items):
            if let itemSchema = schema["items"] {
                for (index, item) in items.enumerated() {
                    check(item, itemSchema, path: "\(path)[\(index)]", into: &problems)
                }
            }
        case .bool, .null: break
        }
    }

    private static func expectedTypes(_ schema: JSONObject) -> [String]? {
        switch schema["type"] {
        case .string(let type): [type]
        case .array(let types): types.compactMap(\.stringValue)
        default: nil
        }
    }

    private static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("string", .string), ("number", .number), ("boolean", .bool), ("array", .array), ("null", .null):
            true
        case ("integer", .number): value.intValue != nil
        default: false
        }
    }

    private static func describe(_ types: [String]) -> String {
        let names = types.map { type in
            switch type {
            case "object": "an object"
            case "array": "an array"
            case "integer": "an integer"
            case "boolean": "true or false"
            case "null": "null"
            default: "a \(type)"
            }
        }
        return names.count <= 1 ? (names.first ?? "nothing") : names.dropLast().joined(separator: ", ") + " or " + names.last!
    }

    private static func checkString(_ text: String, _ schema: JSONObject, path: String, into problems: inout [SchemaProblem]) {
        let length = text.unicodeScalars.count
        if let minimum = schema["minLength"]?.intValue, length < minimum {
            problems.append(SchemaProblem(path: path, message: minimum == 1 ? "must not be empty" : "must be at least \(minimum) characters long"))
        }
        if let maximum = schema["maxLength"]?.intValue, length > maximum {
            problems.append(SchemaProblem(path: path, message: "must be at most \(maximum) characters long"))
        }
        if let pattern = schema["pattern"]?.stringValue {
            if let regex = try? Regex(pattern) {
                if (try? regex.firstMatch(in: text)) == nil {
                    problems.append(SchemaProblem(path: path, message: "must match the pattern \(pattern)"))
                }
            } else {
                problems.append(SchemaProblem(path: path, message: "cannot be checked: the schema's pattern \(pattern) is not a valid regular expression"))
            }
        }
        if schema["format"]?.stringValue == "date", CalendarDate(iso: text) == nil {
            problems.append(SchemaProblem(path: path, message: "must be a date in yyyy-MM-dd form"))
        }
    }

    private static func checkNumber(_ value: JSONValue, _ schema: JSONObject, path: String, into problems: inout [SchemaProblem]) {
        guard let number = value.doubleValue else {
            // `1e999` is valid JSON but no number a tool can use.
            problems.append(SchemaProblem(path: path, message: "must be a number within ±1.8e308"))
            return
        }
        if let minimum = schema["minimum"], let bound = minimum.doubleValue, number < bound {
            problems.append(SchemaProblem(path: path, message: "must be at least \(minimum.jsonString)"))
        }
        if let maximum = schema["maximum"], let bound = maximum.doubleValue, number > bound {
            problems.append(SchemaProblem(path: path, message: "must be at most \(maximum.jsonString)"))
        }
    }

    private static func checkObject(_ object: JSONObject, _ schema: JSONObject, path: String, into problems: inout [SchemaProblem]) {
        let properties = schema["properties"]?.objectValue ?? JSONObject()
        for name in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[name] == nil {
            problems.append(SchemaProblem(path: member(path, name), message: "is required"))
        }
        for (name, value) in object {
            if let propertySchema = properties[name] {
                check(value, propertySchema, path: member(path, name), into: &problems)
            } else if let additional = schema["additionalProperties"] {
                if additional == .bool(false) {
                    let known = properties.keys.isEmpty ? "none" : properties.keys.joined(separator: ", ")
                    problems.append(SchemaProblem(path: member(path, name), message: "is not an accepted property (accepted: \(known))"))
                } else {
                    check(value, additional, path: member(path, name), into: &problems)
                }
            }
        }
    }

    private static func member(_ path: String, _ name: String) -> String {
        path.isEmpty ? name : "\(path).\(name)"
    }
}
