import Foundation
import SwitchboardData
@testable import SwitchboardPostgres
import Testing

extension PostgresTests {
    @Suite("Availability")
    struct Availability {
        @Test("no server at the address: connect fails unavailable within the connection timeout")
        func nobodyListening() async throws {
            let port = try PostgresTestServer.freePort()
            let started = ContinuousClock.now
            let error = await #expect(throws: DataError.self) {
                _ = try await connect("postgres://switchboard:x@127.0.0.1:\(port)/none?sslmode=disable")
            }
            #expect(error?.kind == .unavailable)
            #expect(error?.message.contains("127.0.0.1:\(port)") == true, "\(error?.message ?? "")")
            #expect(ContinuousClock.now - started < .seconds(20), "fails instead of waiting for the pool (60 s)")
        }

        @Test("a wrong password is unavailable, and the message does not show it")
        func wrongPassword() async throws {
            let server = try PostgresTestServer.current()
            let url = server.url(database: "postgres", password: "wrong-password")
            let error = await #expect(throws: DataError.self) { _ = try await connect(url) }
            #expect(error?.kind == .unavailable)
            #expect(error?.message.contains("wrong-password") == false)
        }

        @Test("a shut-down store answers unavailable")
        func shutDown() async throws {
            try await withDemoData { (data) async throws in
                await data.shutdown()
                let error = await #expect(throws: DataError.self) { _ = try await data.customer(id: "C-1001") }
                #expect(error?.kind == .unavailable)
            }
        }

        @Test("the database going down mid-life: queries fail unavailable quickly, then recover when it is back")
        func serverDown() async throws {
            // A server of its own: the suite's is shared by tests running meanwhile.
            let server = try await PostgresTestServer.start()
            do {
                let data = try await connect(try await server.createDatabase())
                #expect(try await data.customer(id: "C-1001")?.name == "Alex Morgan")

                try await server.stop()
                let started = ContinuousClock.now
                let error = await #expect(throws: DataError.self) { _ = try await data.customer(id: "C-1001") }
                #expect(error?.kind == .unavailable)
                #expect(ContinuousClock.now - started < .seconds(20))
                let change = await #expect(throws: DataError.self) {
                    _ = try await data.changeFlight(confirmation: "BKQ431", customerID: "C-1001", newDate: Fixture.day(6), today: Fixture.today)
                }
                #expect(change?.kind == .unavailable)

                try await server.startAgain()
                var recovered: CustomerRecord?
                let deadline = ContinuousClock.now + .seconds(30)
                while recovered == nil, ContinuousClock.now < deadline {
                    recovered = try? await data.customer(id: "C-1001")
                    if recovered == nil { try await Task.sleep(for: .milliseconds(200)) }
                }
                #expect(recovered?.name == "Alex Morgan")
                // The failed change left nothing behind.
                #expect(try await data.booking(confirmation: "BKQ431", customerID: "C-1001")?.status == .confirmed)
                await data.shutdown()
            } catch {
                await server.destroy()
                throw error
            }
            await server.destroy()
        }
    }
}
