/// The header fields of a SIP message, in order, with case-insensitive lookup.
///
/// Compact names (`i`, `f`, `t`, `v`, `m`, `l`, `c`, `k`, `s`, …) are expanded to their full names
/// when parsed. Headers that allow lists (Via, Contact, Route, Allow, …) are stored one value per
/// field, so `values("Via")` lists every hop in order.
public struct SIPHeaders: Sendable, Hashable, Sequence {
    /// One header field.
    public struct Field: Sendable, Hashable {
        /// The header name as written (compact forms expanded).
        public var name: String
        /// The value with surrounding white space removed.
        public var value: String

        /// Creates a header field.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The fields in message order.
    public private(set) var fields: [Field] = []

    /// Creates an empty header list.
    public init() {}

    /// Creates a header list from name/value pairs.
    public init(_ pairs: [(String, String)]) {
        for (name, value) in pairs { add(name, value) }
    }

    /// Iterates the fields in order.
    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }

    /// The first value of the named header.
    public subscript(_ name: String) -> String? {
        let key = Self.canonicalKey(name)
        return fields.first { Self.canonicalKey($0.name) == key }?.value
    }

    /// Every value of the named header, in order.
    public func values(_ name: String) -> [String] {
        let key = Self.canonicalKey(name)
        return fields.filter { Self.canonicalKey($0.name) == key }.map(\.value)
    }

    /// True when the named header is present.
    public func contains(_ name: String) -> Bool { self[name] != nil }

    /// Appends a field.
    public mutating func add(_ name: String, _ value: String) {
        fields.append(Field(name: Self.expandedName(name), value: value))
    }

    /// Replaces every field of that name with one field (added at the end when absent).
    public mutating func set(_ name: String, _ value: String) {
        let key = Self.canonicalKey(name)
        if let index = fields.firstIndex(where: { Self.canonicalKey($0.name) == key }) {
            fields[index].value = value
            var seen = false
            fields.removeAll { field in
                guard Self.canonicalKey(field.name) == key else { return false }
                defer { seen = true }
                return seen
            }
        } else {
            add(name, value)
        }
    }

    /// Replaces the values of the named header with `values`, keeping the position of the first.
    public mutating func replaceAll(_ name: String, with values: [String]) {
        let key = Self.canonicalKey(name)
        let position = fields.firstIndex { Self.canonicalKey($0.name) == key } ?? fields.endIndex
        fields.removeAll { Self.canonicalKey($0.name) == key }
        let inserted = values.map { Field(name: Self.expandedName(name), value: $0) }
        fields.insert(contentsOf: inserted, at: Swift.min(position, fields.endIndex))
    }

    /// Removes every field of that name.
    public mutating func remove(_ name: String) {
        let key = Self.canonicalKey(name)
        fields.removeAll { Self.canonicalKey($0.name) == key }
    }

    /// Headers whose values are comma-separated lists, split into one field per element.
    static let listHeaders: Set<String> = [
        "via", "contact", "route", "record-route", "allow", "supported", "require", "proxy-require",
        "unsupported", "accept", "accept-encoding", "accept-language", "content-encoding",
        "p-asserted-identity", "allow-events",
    ]

    /// The full name for a compact header name, or the name unchanged.
    static func expandedName(_ name: String) -> String {
        guard name.count == 1 else { return name }
        switch name.lowercased() {
        case "i": return "Call-ID"
        case "f": return "From"
        case "t": return "To"
        case "v": return "Via"
        case "m": return "Contact"
        case "l": return "Content-Length"
        case "c": return "Content-Type"
        case "k": return "Supported"
        case "s": return "Subject"
        case "e": return "Content-Encoding"
        case "o": return "Event"
        case "r": return "Refer-To"
        case "b": return "Referred-By"
        case "u": return "Allow-Events"
        case "x": return "Session-Expires"
        default: return name
        }
    }

    /// The lookup key: lowercased full name.
    static func canonicalKey(_ name: String) -> String { expandedName(name).lowercased() }
}
