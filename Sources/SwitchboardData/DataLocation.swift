import SwitchboardCore

/// Where the business data lives, as given on the command line (`--data sqlite:PATH` or
/// `--data postgres://USER:PASSWORD@HOST:PORT/DATABASE`). Each pack keeps its data in its own
/// SQLite file beside PATH or its own PostgreSQL schema.
public enum DataLocation: Sendable, Hashable, CustomStringConvertible {
    /// SQLite files named after PATH, one per pack, created and seeded on first use.
    case sqlite(path: String)
    /// A PostgreSQL database shared by every replica, given as the URL it was written as
    /// (`postgres://` or `postgresql://`); the schema and the demo data are created on first use.
    case postgres(url: String)

    /// The forms `--data` accepts, for messages.
    static let acceptedForms = "use sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE"

    /// Parses `sqlite:PATH` (also `sqlite://PATH` and `sqlite:///absolute/path`) and
    /// `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (also `postgresql://`; user, password and
    /// port may be left out). Throws a `DataError.unavailable` naming the accepted forms for
    /// anything else.
    public init(parsing text: String) throws(DataError) {
        guard let colon = text.firstIndex(of: ":") else {
            throw DataError.unavailable("data location \"\(text)\" has no scheme; \(Self.acceptedForms)")
        }
        let scheme = text[..<colon].lowercased()
        var rest = Substring(text[text.index(after: colon)...])
        switch scheme {
        case "sqlite":
            if rest.hasPrefix("//") { rest = rest.dropFirst(2) }
            guard !rest.isEmpty else {
                throw DataError.unavailable("data location \"\(text)\" has no file path; \(Self.acceptedForms)")
            }
            self = .sqlite(path: String(rest))
        case "postgres", "postgresql":
            guard rest.hasPrefix("//") else {
                throw DataError.unavailable("data location \"\(Self.redacted(text))\" is not a URL; \(Self.acceptedForms)")
            }
            let authority = rest.dropFirst(2).prefix { $0 != "/" && $0 != "?" }
            let host = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
            guard !host.isEmpty, !host.hasPrefix(":") else {
                throw DataError.unavailable("data location \"\(Self.redacted(text))\" has no host; \(Self.acceptedForms)")
            }
            self = .postgres(url: text)
        default:
            throw DataError.unavailable("unknown data scheme \"\(scheme)\" in \"\(Self.redacted(text))\"; \(Self.acceptedForms)")
        }
    }

    /// The location as written, with a PostgreSQL password replaced by `***` so that it can be
    /// logged.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let url): Self.redacted(url)
        }
    }

    /// `url` with the password of its user information (`user:password@`) replaced by `***`.
    public static func redacted(_ url: String) -> String {
        Redacted.url(url)
    }
}
