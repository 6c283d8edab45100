/// Where the business data lives, as given on the command line (`--data sqlite:PATH`).
public enum DataLocation: Sendable, Hashable, CustomStringConvertible {
    /// An SQLite file, created and seeded with the demo data on first use.
    case sqlite(path: String)

    /// Parses `sqlite:PATH` (also `sqlite://PATH` and `sqlite:///absolute/path`).
    /// Throws a `DataError.unavailable` naming the accepted form for anything else.
    public init(parsing text: String) throws(DataError) {
        guard let colon = text.firstIndex(of: ":") else {
            throw DataError.unavailable("data location \"\(text)\" has no scheme; use sqlite:PATH")
        }
        let scheme = text[..<colon].lowercased()
        var rest = Substring(text[text.index(after: colon)...])
        switch scheme {
        case "sqlite":
            if rest.hasPrefix("//") { rest = rest.dropFirst(2) }
            guard !rest.isEmpty else {
                throw DataError.unavailable("data location \"\(text)\" has no file path; use sqlite:PATH")
            }
            self = .sqlite(path: String(rest))
        case "postgres", "postgresql":
            throw DataError.unavailable("PostgreSQL business data is not supported yet; use sqlite:PATH")
        default:
            throw DataError.unavailable("unknown data scheme \"\(scheme)\" in \"\(text)\"; use sqlite:PATH")
        }
    }

    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        }
    }
}
