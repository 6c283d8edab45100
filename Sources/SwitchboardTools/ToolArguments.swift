import RealtimeProtocol

/// An argument the schema should have guaranteed was missing or malformed: a tool whose schema
/// and code disagree.
struct ToolArgumentError: Error, CustomStringConvertible {
    var name: String
    var description: String { "argument \(name) is missing or malformed after validation" }
}

/// Typed reads of validated arguments.
extension JSONObject {
    func string(_ name: String) throws -> String {
        guard let value = self[name]?.stringValue else { throw ToolArgumentError(name: name) }
        return value
    }
}
