import RealtimeProtocol

/// A function tool as a session declares it (`{type:"function", name, description, parameters}`),
/// read for what the local model needs: its parameters' JSON schemas.
public struct FunctionTool: Sendable, Hashable {
    /// One parameter: its name and its JSON schema.
    public struct Parameter: Sendable, Hashable {
        public var name: String
        /// The parameter's JSON schema (`{"type":"string","pattern":"^[A-Z]{2}[0-9]{3,4}$"}`).
        public var schema: JSONObject
        /// Whether the schema's `required` lists it.
        public var isRequired: Bool

        /// A parameter named `name` with this schema.
        public init(name: String, schema: JSONObject, isRequired: Bool) {
            self.name = name
            self.schema = schema
            self.isRequired = isRequired
        }

        /// `type` of the schema (`string`, `integer`, …), when given.
        public var type: String? { schema["type"]?.stringValue }
        /// `format` of the schema (`date`, …), when given.
        public var format: String? { schema["format"]?.stringValue }
        /// `pattern` of the schema, when given.
        public var pattern: String? { schema["pattern"]?.stringValue }
        /// Whether the parameter takes what the caller said, word for word.
        public var isFreeText: Bool {
            type == "string" && pattern == nil && format == nil && schema["enum"] == nil
                && ["query", "question", "text"].contains(name)
        }
    }

    public var name: String
    public var description: String
    /// The parameters, in the order the schema lists them.
    public var parameters: [Parameter]

    /// A tool with these parameters.
    public init(name: String, description: String = "", parameters: [Parameter] = []) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }

    /// Reads a function tool; `nil` for anything else (another tool type, no name).
    public init?(json: JSONValue) {
        guard let object = json.objectValue, object["type"]?.stringValue ?? "function" == "function",
              let name = object["name"]?.stringValue, !name.isEmpty else { return nil }
        let schema = object["parameters"]?.objectValue ?? JSONObject()
        let required = Set((schema["required"]?.arrayValue ?? []).compactMap(\.stringValue))
        let properties = schema["properties"]?.objectValue ?? JSONObject()
        self.init(
            name: name, description: object["description"]?.stringValue ?? "",
            parameters: properties.compactMap { key, value in
                value.objectValue.map { Parameter(name: key, schema: $0, isRequired: required.contains(key)) }
            }
        )
    }

    /// The function tools among a session's `tools`.
    public static func tools(in json: [JSONValue]) -> [FunctionTool] {
        json.compactMap(FunctionTool.init(json:))
    }

    /// The parameters a call needs.
    public var requiredParameters: [Parameter] { parameters.filter(\.isRequired) }
}
