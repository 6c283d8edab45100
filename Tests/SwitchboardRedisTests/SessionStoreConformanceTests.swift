import Foundation
import SwitchboardCore
import SwitchboardRedis
import SwitchboardTesting
import Testing

/// What every `SessionStore` must do, run against the memory store and against Redis.
@Suite("SessionStore conformance", .timeLimit(.minutes(1)))
struct SessionStoreConformanceTests {
    @Test("a missing key loads as nil", arguments: StoreKind.allCases)
    func loadMissing(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let missing = try await store.load(freshKey())
            #expect(missing == nil)
        }
    }

    @Test("a saved state loads back the same", arguments: StoreKind.allCases)
    func roundTrip(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let state = sampleState(key: freshKey(), version: 1)
            try await store.save(state)
            let loaded = try await store.load(state.key)
            #expect(sameState(loaded, state), "loaded \(String(describing: loaded))")
        }
    }

    @Test("a save with a version not newer than the stored one is refused", arguments: StoreKind.allCases)
    func staleVersion(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let key = freshKey()
            try await store.save(sampleState(key: key, version: 2, agent: "hotels"))
            await #expect(throws: SessionStoreError.versionConflict(stored: 2, attempted: 1)) {
                try await store.save(sampleState(key: key, version: 1, agent: "stale"))
            }
            await #expect(throws: SessionStoreError.versionConflict(stored: 2, attempted: 2)) {
                try await store.save(sampleState(key: key, version: 2, agent: "stale"))
            }
            #expect(try await store.load(key)?.activeAgent == "hotels")
            try await store.save(sampleState(key: key, version: 3, agent: "flights"))
            #expect(try await store.load(key)?.activeAgent == "flights")
        }
    }

    @Test("delete forgets the state", arguments: StoreKind.allCases)
    func delete(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let state = sampleState(key: freshKey(), version: 1)
            try await store.save(state)
            try await store.delete(state.key)
            #expect(try await store.load(state.key) == nil)
            try await store.save(sampleState(key: state.key, version: 1))  // version 1 is new again
        }
    }

    @Test("state expires after its time to live, counted from the last save", arguments: StoreKind.allCases)
    func timeToLive(kind: StoreKind) async throws {
        // Wide margins: the machine may be busy with other tests.
        try await withStore(kind, timeToLive: .seconds(8)) { store in
            let key = freshKey()
            try await store.save(sampleState(key: key, version: 1))
            try await Task.sleep(for: .seconds(5))
            try await store.save(sampleState(key: key, version: 2))  // refreshes the time to live
            try await Task.sleep(for: .seconds(4))
            #expect(try await store.load(key)?.version == 2, "9 s after the first save, 4 s after the second")
            try await Task.sleep(for: .seconds(9))
            #expect(try await store.load(key) == nil, "13 s after the last save")
        }
    }

    @Test("a lease is acquired, renewed and released", arguments: StoreKind.allCases)
    func leaseLifecycle(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let key = freshKey()
            let first = try await store.acquireLease(key: key, owner: "replica-a/1", ttl: .seconds(30))
            #expect(first.key == key && first.owner == "replica-a/1" && first.previousOwner == nil)
            #expect(first.token >= 1)
            try await store.renewLease(first)
            #expect(try await store.releaseLease(first))
            #expect(try await store.releaseLease(first) == false, "already released")
            let second = try await store.acquireLease(key: key, owner: "replica-b/2", ttl: .seconds(30))
            #expect(second.token > first.token)
            #expect(second.previousOwner == nil, "the first lease was released")
        }
    }

    @Test("a taken-over lease can be neither renewed nor released", arguments: StoreKind.allCases)
    func takenOver(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let key = freshKey()
            let old = try await store.acquireLease(key: key, owner: "old", ttl: .seconds(30))
            let new = try await store.acquireLease(key: key, owner: "new", ttl: .seconds(30))
            #expect(new.previousOwner == "old")
            #expect(new.token > old.token)
            await #expect(throws: SessionStoreError.leaseLost(holder: "new")) { try await store.renewLease(old) }
            #expect(try await store.releaseLease(old) == false)
            try await store.renewLease(new)
        }
    }

    @Test("a lapsed lease is renewed if nobody took it, and gives no notice when taken", arguments: StoreKind.allCases)
    func lapsedLease(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let key = freshKey()
            let lease = try await store.acquireLease(key: key, owner: "a", ttl: .milliseconds(200))
            try await Task.sleep(for: .milliseconds(400))
            try await store.renewLease(lease)  // nobody acquired meanwhile

            let notices = Collector(await store.takeovers(owner: "a"))
            try await Task.sleep(for: .milliseconds(400))  // lapses again
            let taker = try await store.acquireLease(key: key, owner: "b", ttl: .seconds(30))
            #expect(taker.previousOwner == nil)
            await #expect(throws: SessionStoreError.leaseLost(holder: "b")) { try await store.renewLease(lease) }
            try await Task.sleep(for: .milliseconds(300))
            #expect(notices.values.isEmpty, "no live lease was taken over")
            notices.cancel()
        }
    }

    @Test("the old owner is told when its session is taken over", arguments: StoreKind.allCases)
    func takeoverNotice(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let key = freshKey()
            let oldNotices = Collector(await store.takeovers(owner: "replica-a/conn-1"))
            let newNotices = Collector(await store.takeovers(owner: "replica-b/conn-2"))
            let unrelated = Collector(await store.takeovers(owner: "replica-c/conn-3"))
            _ = try await store.acquireLease(key: key, owner: "replica-a/conn-1", ttl: .seconds(30))
            let lease = try await store.acquireLease(key: key, owner: "replica-b/conn-2", ttl: .seconds(30))
            #expect(lease.previousOwner == "replica-a/conn-1")
            #expect(await eventually { oldNotices.values == [key] }, "got \(oldNotices.values)")
            try await Task.sleep(for: .milliseconds(200))
            #expect(newNotices.values.isEmpty && unrelated.values.isEmpty)
            #expect(oldNotices.values == [key], "exactly one notice")
            for collector in [oldNotices, newNotices, unrelated] { collector.cancel() }
        }
    }

    @Test("the same owner acquiring again is not told about itself", arguments: StoreKind.allCases)
    func reacquireBySameOwner(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let key = freshKey()
            let notices = Collector(await store.takeovers(owner: "a"))
            let first = try await store.acquireLease(key: key, owner: "a", ttl: .seconds(30))
            let second = try await store.acquireLease(key: key, owner: "a", ttl: .seconds(30))
            #expect(second.previousOwner == "a" && second.token > first.token)
            await #expect(throws: SessionStoreError.leaseLost(holder: "a")) { try await store.renewLease(first) }
            try await Task.sleep(for: .milliseconds(200))
            #expect(notices.values.isEmpty)
            notices.cancel()
        }
    }

    @Test("of two concurrent acquisitions, the later token is the one current owner", arguments: StoreKind.allCases)
    func concurrentAcquires(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            for round in 0..<10 {
                let key = freshKey("race-\(round)")
                async let x = store.acquireLease(key: key, owner: "x", ttl: .seconds(30))
                async let y = store.acquireLease(key: key, owner: "y", ttl: .seconds(30))
                let (a, b) = try await (x, y)
                #expect(a.token != b.token)
                let (earlier, later) = a.token < b.token ? (a, b) : (b, a)
                #expect(earlier.previousOwner == nil)
                #expect(later.previousOwner == earlier.owner)
                try await store.renewLease(later)
                await #expect(throws: SessionStoreError.leaseLost(holder: later.owner)) { try await store.renewLease(earlier) }
                try await store.save(sampleState(key: key, version: 1), fence: later)
                await #expect(throws: SessionStoreError.staleFence(current: later.token, attempted: earlier.token)) {
                    try await store.save(sampleState(key: key, version: 2), fence: earlier)
                }
            }
        }
    }

    @Test("a stale owner's fenced write is refused even when its version is newer", arguments: StoreKind.allCases)
    func staleFencedWrite(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let key = freshKey()
            let old = try await store.acquireLease(key: key, owner: "old", ttl: .seconds(30))
            try await store.save(sampleState(key: key, version: 1, agent: "router"), fence: old)
            let new = try await store.acquireLease(key: key, owner: "new", ttl: .seconds(30))
            try await store.save(sampleState(key: key, version: 2, agent: "hotels"), fence: new)
            // The old owner still believes it is at version 1 and would win on version alone.
            await #expect(throws: SessionStoreError.staleFence(current: new.token, attempted: old.token)) {
                try await store.save(sampleState(key: key, version: 5, agent: "stale"), fence: old)
            }
            #expect(try await store.load(key)?.activeAgent == "hotels")
            // Released: the old token is still not the newest, so the fence still holds.
            #expect(try await store.releaseLease(new))
            await #expect(throws: SessionStoreError.staleFence(current: new.token, attempted: old.token)) {
                try await store.save(sampleState(key: key, version: 6, agent: "stale"), fence: old)
            }
            try await store.save(sampleState(key: key, version: 3, agent: "flights"), fence: new)
            #expect(try await store.load(key)?.activeAgent == "flights")
        }
    }

    @Test("a fenced save still needs a newer version", arguments: StoreKind.allCases)
    func fencedSaveChecksVersion(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            let key = freshKey()
            let lease = try await store.acquireLease(key: key, owner: "a", ttl: .seconds(30))
            try await store.save(sampleState(key: key, version: 4), fence: lease)
            await #expect(throws: SessionStoreError.versionConflict(stored: 4, attempted: 4)) {
                try await store.save(sampleState(key: key, version: 4), fence: lease)
            }
        }
    }
}
