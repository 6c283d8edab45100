/// An ordered list of `;name=value` parameters (URI or header parameters).
///
/// Names compare case-insensitively; a parameter may have no value (`;lr`, `;rport`).
public struct SIPParameters: Sendable, Hashable {
    /// One parameter as written.
    public struct Parameter: Sendable, Hashable {
        /// The parameter name.
        public var name: String
        /// The value, or nil for a flag such as `lr`.
        public var value: String?
    }

    /// The parameters in their original order.
    public var items: [Parameter] = []

    /// Creates an empty parameter list.
    public init() {}

    /// Parses the text after the first `;` (for example `branch=z9hG4bK1;rport`).
    public init(parsing text: Substring) {
        for part in splitOutsideQuotes(text, separator: ";") {
            let trimmed = part.trimmedSIP
            guard !trimmed.isEmpty else { continue }
            if let equals = trimmed.firstIndex(of: "=") {
                let name = trimmed[..<equals].trimmedSIP
                let value = trimmed[trimmed.index(after: equals)...].trimmedSIP
                items.append(Parameter(name: String(name), value: unquoted(value)))
            } else {
                items.append(Parameter(name: String(trimmed), value: nil))
            }
        }
    }

    /// True when a parameter with this name is present (with or without a value).
    public func contains(_ name: String) -> Bool {
        items.contains { $0.name.equalsIgnoringCase(name) }
    }

    /// The value of the named parameter; nil when absent or valueless.
    public subscript(_ name: String) -> String? {
        items.first { $0.name.equalsIgnoringCase(name) }?.value
    }

    /// Sets (or adds) a parameter; a nil value writes a bare flag.
    public mutating func set(_ name: String, _ value: String?) {
        if let index = items.firstIndex(where: { $0.name.equalsIgnoringCase(name) }) {
            items[index].value = value
        } else {
            items.append(Parameter(name: name, value: value))
        }
    }

    /// Removes the named parameter.
    public mutating func remove(_ name: String) {
        items.removeAll { $0.name.equalsIgnoringCase(name) }
    }

    /// The parameters written as `;a=b;c`, or the empty string when there are none.
    public var serialized: String {
        items.map { item in
            guard let value = item.value else { return ";" + item.name }
            return ";" + item.name + "=" + (needsQuoting(value) ? "\"" + value + "\"" : value)
        }.joined()
    }

    private func needsQuoting(_ value: String) -> Bool {
        value.contains { $0 == " " || $0 == ";" || $0 == "," || $0 == "\"" }
    }
}
