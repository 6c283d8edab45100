/// A JSON value that keeps what it was given: object keys in their order and numbers as their
/// original text, so an event the hub re-encodes keeps every field it did not touch.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// A number kept as its JSON text (`24000`, `0.5`, `1e3`), never rounded through `Double`.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// A number from an integer.
    public static func int(_ value: Int) -> JSONValue { .number(String(value)) }
    /// A number from a floating point value.
    public static func double(_ value: Double) -> JSONValue {
        if abs(value) < 1e15, let integral = Int(exactly: value) { return .number(String(integral)) }
        // JSON has no NaN or infinity: they are written as null.
        return value.isFinite ? .number(String(value)) : .null
    }

    /// The string, when this is one.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }
    /// The object, when this is one.
    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }
    /// The array, when this is one.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }
    /// The boolean, when this is one.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }
    /// The number as a finite `Double`, when this is one (`1e999` overflows `Double`: `nil`).
    public var doubleValue: Double? {
        if case .number(let n) = self, let value = Double(n), value.isFinite { return value }
        return nil
    }
    /// The number as an `Int`, when this is an integral one that `Int` can hold exactly
    /// (`3`, `3.0`, `3e2`); `nil` for fractions and for numbers out of `Int`'s range (`1e19`).
    public var intValue: Int? {
        guard case .number(let n) = self else { return nil }
        if let exact = Int(n) { return exact }
        return Double(n).flatMap { Int(exactly: $0) }
    }
    /// Whether this is `null`.
    public var isNull: Bool { self == .null }

    /// Member lookup for objects; `nil` for anything else.
    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }
}

/// A JSON object whose members keep their order. Lookups in the small objects of realtime
/// events are linear, the fastest choice there; an object past `indexedCount` members (a
/// client can send one with 100 000) keeps an index by name, so building, merging and comparing
/// large objects stay linear instead of quadratic.
public struct JSONObject: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral {
    /// The members, in order.
    public private(set) var members: [(key: String, value: JSONValue)]
    /// Each name's position in `members` (its first), once there are more than `indexedCount`.
    private var positions: [String: Int]?
    /// The member count above which lookups go through an index.
    static let indexedCount = 16

    /// An empty object.
    public init() { self.members = [] }
    /// An object with these members, in this order.
    public init(_ members: [(String, JSONValue)]) {
        self.members = members.map { (key: $0.0, value: $0.1) }
        reindex()
    }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }

    private mutating func reindex() {
        guard members.count > Self.indexedCount else {
            positions = nil
            return
        }
        var index: [String: Int] = [:]
        index.reserveCapacity(members.count)
        for (position, member) in members.enumerated() where index[member.key] == nil { index[member.key] = position }
        positions = index
    }

    private func position(of key: String) -> Int? {
        if let positions { return positions[key] }
        return members.firstIndex(where: { $0.key == key })
    }

    /// The member named `key`; setting `nil` removes it, setting a new key appends it.
    public subscript(key: String) -> JSONValue? {
        get { position(of: key).map { members[$0].value } }
        set {
            if let index = position(of: key) {
                if let newValue {
                    members[index].value = newValue
                } else {
                    members.remove(at: index)
                    reindex()
                }
            } else if let newValue {
                members.append((key: key, value: newValue))
                if positions != nil {
                    positions?[key] = members.count - 1
                } else if members.count > Self.indexedCount {
                    reindex()
                }
            }
        }
    }

    /// The member names, in order.
    public var keys: [String] { members.map(\.key) }
    /// Whether there are no members.
    public var isEmpty: Bool { members.isEmpty }
    /// How many members there are.
    public var count: Int { members.count }

    /// Removes and returns the member named `key`.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let index = position(of: key) else { return nil }
        let value = members.remove(at: index).value
        reindex()
        return value
    }

    public func makeIterator() -> IndexingIterator<[(key: String, value: JSONValue)]> {
        members.makeIterator()
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        // Member order is not significant for equality.
        guard lhs.members.count == rhs.members.count else { return false }
        for (key, value) in lhs.members where rhs[key] != value { return false }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(members.count)
        for key in keys.sorted() { hasher.combine(key) }
    }
}
