import Dispatch
import Foundation
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A stereo 16-bit WAV file written on a serial queue of its own, never on the caller's thread
/// (an event loop): created with mode 0600 (its folder 0700 when missing), frames appended as
/// they come, the header patched with the sizes at the end, or the file deleted.
///
/// A disk error stops the writing: what follows is dropped and `finish` deletes the partial
/// file and reports the error. Frames queued but not written are bounded (`maxPendingBytes`):
/// a disk too slow to keep up is an error too.
package final class RecordingFile: Sendable {
    package let path: String
    private let queue = DispatchQueue(label: "switchboard.recording")
    private let maxPendingBytes: Int
    /// Used on `queue` only.
    private struct Disk {
        var descriptor: Int32 = -1
        var dataBytes = 0
        var failure: String?
    }
    private let disk = NIOLockedValueBox(Disk())
    /// Bytes handed to `append` not yet written; set to `nil` once the file failed or finished.
    private let pending = NIOLockedValueBox<Int?>(0)
    private let onFailure: @Sendable (String) -> Void

    /// Creates the file (on the queue). `onFailure` is called once, on the queue, with the first disk error.
    package init(path: String, maxPendingBytes: Int = 16 << 20, onFailure: @escaping @Sendable (String) -> Void = { _ in }) {
        self.path = path
        self.maxPendingBytes = maxPendingBytes
        self.onFailure = onFailure
        queue.async { [self] in open() }
    }

    /// Queues interleaved 16-bit frames for the file; `false` when the file has failed or the
    /// disk is too far behind (which fails it).
    @discardableResult
    package func append(_ samples: [Int16]) -> Bool {
        guard !samples.isEmpty else { return true }
        let bytes = samples.count * 2
        let accepted = pending.withLockedValue { pending -> Bool? in
            guard let queued = pending else { return false }
            guard queued + bytes <= maxPendingBytes else { return nil }
            pending = queued + bytes
            return true
        }
        guard let accepted else {
            queue.async { [self] in fail("the disk is too slow for the recording (\(maxPendingBytes >> 20) MB waiting)") }
            return false
        }
        guard accepted else { return false }
        queue.async { [self] in
            write(samples)
            pending.withLockedValue { if let queued = $0 { $0 = queued - bytes } }
        }
        return true
    }

    /// Finishes the file after what is queued: with its header patched when `keep`, deleted
    /// otherwise or when writing failed. Returns the audio bytes kept (0 when deleted) or the error.
    package func finish(keep: Bool) async -> Result<Int, RecordingFileError> {
        pending.withLockedValue { $0 = nil }
        return await withCheckedContinuation { continuation in
            queue.async { [self] in continuation.resume(returning: close(keep: keep)) }
        }
    }

    // MARK: On the queue

    private func open() {
        let directory = (path as NSString).deletingLastPathComponent
        do {
            if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            }
        } catch {
            fail("cannot create the recordings folder \(directory): \(error)")
            return
        }
        let descriptor = systemOpen(path)
        guard descriptor >= 0 else {
            fail("cannot create \(path): \(String(cString: strerror(errno)))")
            return
        }
        // The umask may have narrowed it; nothing widens it.
        _ = fchmod(descriptor, 0o600)
        disk.withLockedValue { $0.descriptor = descriptor }
        if let error = writeAll(descriptor, WAVHeader().bytes) { fail("cannot write \(path): \(error)") }
    }

    private func write(_ samples: [Int16]) {
        let descriptor = disk.withLockedValue { $0.failure == nil ? $0.descriptor : -1 }
        guard descriptor >= 0 else { return }
        var bytes = [UInt8](repeating: 0, count: samples.count * 2)
        for (index, sample) in samples.enumerated() {
            let value = UInt16(bitPattern: sample)
            bytes[index * 2] = UInt8(value & 0xFF)
            bytes[index * 2 + 1] = UInt8(value >> 8)
        }
        if let error = writeAll(descriptor, bytes) {
            fail("cannot write \(path): \(error)")
            return
        }
        disk.withLockedValue { $0.dataBytes += bytes.count }
    }

    private func close(keep: Bool) -> Result<Int, RecordingFileError> {
        let state = disk.withLockedValue { state -> Disk in
            let copy = state
            state.descriptor = -1
            return copy
        }
        var failure = state.failure
        if state.descriptor >= 0 {
            if keep, failure == nil {
                let header = WAVHeader(dataBytes: state.dataBytes).bytes
                let written = header.withUnsafeBytes { pwrite(state.descriptor, $0.baseAddress, $0.count, 0) }
                if written != header.count { failure = "cannot finish \(path): \(String(cString: strerror(errno)))" }
                else if fsync(state.descriptor) != 0 { failure = "cannot finish \(path): \(String(cString: strerror(errno)))" }
            }
            _ = systemClose(state.descriptor)
        }
        if keep, failure == nil { return .success(state.dataBytes) }
        if state.descriptor >= 0 || failure != nil { _ = unlink(path) }
        if let failure { return .failure(RecordingFileError(message: failure)) }
        return .success(0)
    }

    private func fail(_ message: String) {
        let first = disk.withLockedValue { state -> Bool in
            guard state.failure == nil else { return false }
            state.failure = message
            return true
        }
        pending.withLockedValue { $0 = nil }
        if first { onFailure(message) }
    }

    private func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBytes { raw -> String? in
            var offset = 0
            while offset < raw.count {
                let count = systemWrite(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                if count == 0 { return "nothing written" }
                offset += count
            }
            return nil
        }
    }
}

/// Why a recording's file could not be kept.
package struct RecordingFileError: Error, Sendable, Equatable, CustomStringConvertible {
    package var message: String
    package var description: String { message }
}

private func systemOpen(_ path: String) -> Int32 {
    open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
}

private func systemClose(_ descriptor: Int32) -> Int32 { close(descriptor) }

private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}
