import Foundation
import Logging
import ServiceLifecycle
import SwitchboardAgents
import SwitchboardData
import SwitchboardPostgres
import SwitchboardTools

/// The packs a hub serves, each with its data open, and the one `/realtime` serves.
public struct HubPacks: Sendable {
    /// Every pack, by name order.
    public let all: [PackRuntime]
    /// The pack `/realtime` serves.
    public let main: PackRuntime

    public init(all: [PackRuntime], main: PackRuntime) {
        self.all = all
        self.main = main
    }

    /// Loads and checks every pack under `configuration.packsDirectory` (the hub refuses to
    /// start on any problem `switchboard packs check` reports), opens each one's data at the
    /// `--data` location and picks the default pack.
    public static func open(configuration: HubConfiguration, logger: Logger, today: Date = Date()) async throws -> HubPacks {
        let packs = try await check(directory: configuration.packsDirectory, today: today)
        let main = try pickDefault(packs, named: configuration.defaultPack)
        // Every secret an http tool sends must be configured: named (tool, file, secret), never shown.
        let missing = packs.flatMap { PackRuntime.missingSecrets($0, secrets: configuration.secrets) }
        guard missing.isEmpty else { throw PersonaCatalogError(problems: missing) }
        var runtimes: [PackRuntime] = []
        do {
            for var pack in packs {
                let database = try await openDatabase(pack, location: configuration.data, logger: logger, today: today)
                if let database, !pack.catalog.speech.vocabularies.isEmpty {
                    do {
                        pack.catalog.speech.words = try await PackVocabulary.load(pack, database: database, today: today)
                    } catch {
                        await database.shutdown()
                        throw ConfigurationError("pack \(pack.name): its speech vocabulary could not be read: \(error)")
                    }
                }
                runtimes.append(try PackRuntime(pack: pack, database: database, secrets: configuration.secrets))
            }
        } catch {
            for runtime in runtimes { await runtime.database?.shutdown() }
            throw error
        }
        guard let chosen = runtimes.first(where: { $0.pack.name == main.name }) else {
            throw ConfigurationError("the default pack \(main.name) did not open")
        }
        return HubPacks(all: runtimes, main: chosen)
    }

    /// Every problem of every pack under `directory` (loading and checking), or the packs.
    public static func check(directory: String, today: Date = Date()) async throws -> [Pack] {
        let packs = try Pack.loadAll(directory: directory)
        var problems: [PersonaProblem] = []
        for pack in packs { problems += await PackCheck.problems(pack, today: today) }
        guard problems.isEmpty else { throw PersonaCatalogError(problems: problems) }
        return packs
    }

    /// The recognizer prompt of the pack `name` (or the default pack) under `directory`
    /// (`switchboard packs prompt`): its vocabularies read from a scratch copy of its data.
    public static func recognizerPrompt(directory: String, pack name: String?, today: Date = Date()) async throws -> String {
        var pack = try pickDefault(try await check(directory: directory, today: today), named: name)
        if let data = pack.data, !pack.catalog.speech.vocabularies.isEmpty {
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-prompt-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: scratch) }
            let database = try await SQLitePackDatabase.open(path: scratch.appendingPathComponent("\(pack.name).sqlite").path,
                                                             schema: data.schema, seed: data.seed, today: today)
            do {
                pack.catalog.speech.words = try await PackVocabulary.load(pack, database: database, today: today)
            } catch {
                await database.shutdown()
                throw error
            }
            await database.shutdown()
        }
        return pack.catalog.speech.recognizerPrompt(title: pack.title)
    }

    /// `--default-pack`, else the pack marked `default: true`, else the only pack.
    static func pickDefault(_ packs: [Pack], named name: String?) throws -> Pack {
        if let name {
            guard let pack = packs.first(where: { $0.name == name }) else {
                throw ConfigurationError("--default-pack \(name): no such pack (the packs are \(packs.map(\.name).joined(separator: ", ")))")
            }
            return pack
        }
        let marked = packs.filter(\.isDefault)
        if marked.count == 1 { return marked[0] }
        if packs.count == 1 { return packs[0] }
        throw ConfigurationError("\(packs.count) packs (\(packs.map(\.name).joined(separator: ", "))) and \(marked.isEmpty ? "none" : "more than one") is marked default: true; choose one with --default-pack")
    }

    /// The pack's database at `location`: `sqlite:PATH` → PATH's folder, file `<name>.<pack>.<ext>`;
    /// `postgres://…` → the pack's own schema.
    static func openDatabase(_ pack: Pack, location: String, logger: Logger, today: Date) async throws -> (any PackDatabase)? {
        guard let data = pack.data else { return nil }
        do {
            switch try DataLocation(parsing: location) {
            case .sqlite(let path):
                return try await SQLitePackDatabase.open(path: sqlitePath(path, pack: pack.name), schema: data.schema, seed: data.seed, today: today)
            case .postgres(let url):
                return try await PostgresPackDatabase.connect(url: url, pack: pack.name, schema: data.schema, seed: data.seed, today: today, logger: logger)
            }
        } catch {
            throw ConfigurationError("--data \(DataLocation.redacted(location)) for pack \(pack.name): \(error)")
        }
    }

    /// `data/switchboard.sqlite` → `data/switchboard.travel.sqlite`.
    public static func sqlitePath(_ path: String, pack: String) -> String {
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension
        let stem = url.deletingPathExtension().lastPathComponent
        let name = ext.isEmpty ? "\(stem).\(pack)" : "\(stem).\(pack).\(ext)"
        return url.deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// Closes every pack's data.
    public func shutdown() async {
        for runtime in all { await runtime.database?.shutdown() }
    }
}

/// Closes the packs' data when the hub shuts down (after the sessions, which it outlives: the
/// service group stops services in reverse order).
struct PackDataService: Service {
    let packs: HubPacks

    func run() async throws {
        try? await gracefulShutdown()
        await packs.shutdown()
    }
}
