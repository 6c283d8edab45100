import Foundation

/// The SQLite files that sit beside the packs' own (`--data sqlite:data/switchboard.sqlite`):
/// the call records' `switchboard.calls.sqlite`, the platform's `switchboard.platform.sqlite`.
package enum SQLiteSidecar {
    /// `data/switchboard.sqlite` → `data/switchboard.<kind>.sqlite` (named like the packs' files).
    package static func path(forDataPath path: String, kind: String) -> String {
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension
        let stem = url.deletingPathExtension().lastPathComponent
        let name = ext.isEmpty ? "\(stem).\(kind)" : "\(stem).\(kind).\(ext)"
        return url.deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// A connection to the file at `path`, creating it and its directory when missing.
    package static func connect(path: String) throws(DataError) -> SQLiteConnection {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw DataError.unavailable("cannot create the directory \(directory): \(error.localizedDescription)")
        }
        return try SQLiteConnection(path: path)
    }
}
