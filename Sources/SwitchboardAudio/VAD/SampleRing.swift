/// The most recent samples of a stream, addressed by their position in the whole stream.
struct SampleRing: Sendable {
    private var storage: [Int16]
    /// Samples written since the start: the stream position after the newest sample.
    private(set) var written = 0
    /// The first stream position written since the last ``clear(restartingAt:)``.
    private var validFrom = 0

    init(capacity: Int) {
        storage = [Int16](repeating: 0, count: max(capacity, 1))
    }

    var capacity: Int { storage.count }
    /// The stream position of the oldest sample still held.
    var oldest: Int { max(validFrom, written - storage.count) }

    mutating func append(_ samples: UnsafeBufferPointer<Int16>) {
        let capacity = storage.count
        var position = written % capacity
        storage.withUnsafeMutableBufferPointer { storage in
            for sample in samples {
                storage[position] = sample
                position += 1
                if position == capacity { position = 0 }
            }
        }
        written += samples.count
    }

    /// Appends the samples at stream positions `range` (clamped to what is held) to `output`.
    func copy(_ range: Range<Int>, appendingTo output: inout [Int16]) {
        let lower = max(range.lowerBound, oldest), upper = min(range.upperBound, written)
        guard lower < upper else { return }
        let capacity = storage.count
        storage.withUnsafeBufferPointer { storage in
            var position = lower % capacity
            for _ in lower..<upper {
                output.append(storage[position])
                position += 1
                if position == capacity { position = 0 }
            }
        }
    }

    /// Forgets every sample; the next one written is at stream position `position`.
    mutating func clear(restartingAt position: Int) {
        written = position
        validFrom = position
    }
}
