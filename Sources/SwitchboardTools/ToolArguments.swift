import RealtimeProtocol
import SwitchboardData

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

    func date(_ name: String) throws -> CalendarDate {
        guard let date = try optionalDate(name) else { throw ToolArgumentError(name: name) }
        return date
    }

    func optionalDate(_ name: String) throws -> CalendarDate? {
        guard let value = self[name], !value.isNull else { return nil }
        guard let text = value.stringValue, let date = CalendarDate(iso: text) else { throw ToolArgumentError(name: name) }
        return date
    }

    func optionalInteger(_ name: String) throws -> Int? {
        guard let value = self[name], !value.isNull else { return nil }
        guard let number = value.intValue else { throw ToolArgumentError(name: name) }
        return number
    }
}
