import SwitchboardData
@testable import SwitchboardPostgres
import Testing

@Suite("PostgreSQL locations")
struct LocationTests {
    @Test("postgres URLs parse to a data location; sqlite still parses")
    func dataLocation() throws {
        let url = "postgres://app:secret@db.example.com:5433/switchboard"
        #expect(try DataLocation(parsing: url) == .postgres(url: url))
        #expect(try DataLocation(parsing: "postgresql://db.example.com/switchboard") == .postgres(url: "postgresql://db.example.com/switchboard"))
        #expect(try DataLocation(parsing: "sqlite:data/business.sqlite") == .sqlite(path: "data/business.sqlite"))
        #expect(try DataLocation(parsing: "sqlite:///var/lib/switchboard.db") == .sqlite(path: "/var/lib/switchboard.db"))
    }

    @Test("a location's description hides the password")
    func redacted() throws {
        #expect(try DataLocation(parsing: "postgres://app:secret@db:5432/x").description == "postgres://app:***@db:5432/x")
        #expect(try DataLocation(parsing: "postgres://app@db/x").description == "postgres://app@db/x")
        #expect(DataLocation.sqlite(path: "a.db").description == "sqlite:a.db")
    }

    @Test("malformed locations are refused, naming both forms", arguments: [
        ("postgres:db", "not a URL"),
        ("postgres://", "no host"),
        ("postgres://app:secret@/x", "no host"),
        ("mysql://host/db", "unknown data scheme \"mysql\""),
        ("business.sqlite", "no scheme"),
        ("sqlite:", "no file path"),
    ])
    func refused(text: String, expected: String) {
        let error = #expect(throws: DataError.self) { try DataLocation(parsing: text) }
        #expect(error?.kind == .unavailable)
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("sqlite:PATH") == true)
        #expect(error?.message.contains("postgres://USER") == true)
        #expect(error?.message.contains("secret") == false)
    }

    @Test("a URL gives host, port, user, decoded password, database and TLS mode")
    func url() throws {
        let full = try PostgresURL(parsing: "postgresql://app%40corp:p%3As%40ss%2F@db.example.com:6543/business?sslmode=require")
        #expect(full.host == "db.example.com" && full.port == 6543)
        #expect(full.username == "app@corp" && full.password == "p:s@ss/")
        #expect(full.database == "business" && full.sslMode == .require)
        #expect(full.endpoint == "db.example.com:6543/business")

        let short = try PostgresURL(parsing: "postgres://app@localhost")
        #expect(short.port == 5432 && short.password == nil && short.database == nil && short.sslMode == .prefer)
        #expect(short.endpoint == "localhost:5432/app")

        let v6 = try PostgresURL(parsing: "postgres://app:pw@[::1]:5432/db?sslmode=disable")
        #expect(v6.host == "::1" && v6.sslMode == .disable)
        #expect(v6.endpoint == "[::1]:5432/db")
    }

    @Test("bad URLs are refused without showing the password", arguments: [
        ("postgres://:secret@db/x", "names no user"),
        ("postgres://app:secret@db/x?sslmode=maybe", "sslmode must be one of"),
        ("postgres://app:secret@db/x?search_path=y", "unknown parameter"),
        ("postgres://app:secret@db/x/y", "not a database name"),
        ("http://app:secret@db/x", "not a PostgreSQL URL"),
    ])
    func badURL(text: String, expected: String) {
        let error = #expect(throws: DataError.self) { try PostgresURL(parsing: text) }
        #expect(error?.kind == .unavailable)
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("secret") == false)
    }
}
