// swift-tools-version:6.2
import PackageDescription

/// One set of settings for every target: Swift 6 language mode, strict concurrency,
/// explicit existentials.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "switchboard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "switchboard", targets: ["switchboard"]),
        .library(name: "RealtimeProtocol", targets: ["RealtimeProtocol"]),
        .library(name: "OpenAIRealtime", targets: ["OpenAIRealtime"]),
        .library(name: "SwitchboardCore", targets: ["SwitchboardCore"]),
        .library(name: "SwitchboardServer", targets: ["SwitchboardServer"]),
        .library(name: "SwitchboardTesting", targets: ["SwitchboardTesting"]),
        // For the fuzz targets (Fuzz/Package.swift).
        .library(name: "SwitchboardAgents", targets: ["SwitchboardAgents"]),
        .library(name: "SwitchboardAudio", targets: ["SwitchboardAudio"]),
        .library(name: "SwitchboardSIP", targets: ["SwitchboardSIP"]),
        .library(name: "SwitchboardTelephony", targets: ["SwitchboardTelephony"]),
        .library(name: "SwitchboardData", targets: ["SwitchboardData"]),
        .library(name: "SwitchboardWyoming", targets: ["SwitchboardWyoming"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // Pure protocol model: OpenAI Realtime events in both dialects, JSON values, the `type` peek.
        .target(
            name: "RealtimeProtocol",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: swiftSettings
        ),
        // The centre: conversation state machine, session store, the model seam. No I/O.
        .target(
            name: "SwitchboardCore",
            dependencies: [
                "RealtimeProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Personas (YAML) and, later, the router and tools.
        .target(
            name: "SwitchboardAgents",
            dependencies: [
                "RealtimeProtocol", "SwitchboardCore",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // SQLite from Debian (libsqlite3-dev), through pkg-config.
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // Business data behind typed, parameterised queries: SQLite embedded, PostgreSQL later.
        .target(
            name: "SwitchboardData",
            dependencies: [
                "CSQLite", "SwitchboardCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The tools agents call: a registry with JSON-schema validation; a pack's sql, knowledge
        // and http tools (async-http-client for the requests to a business's own systems).
        .target(
            name: "SwitchboardTools",
            dependencies: [
                "RealtimeProtocol", "SwitchboardCore", "SwitchboardAgents", "SwitchboardData",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Business data on PostgreSQL (postgres-nio), for replicas sharing one database.
        .target(
            name: "SwitchboardPostgres",
            dependencies: [
                "SwitchboardData", "SwitchboardCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // hiredis from Debian (libhiredis-dev), through pkg-config.
        .systemLibrary(
            name: "CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        // The Redis session store: state, leases and takeover notices shared by replicas.
        .target(
            name: "SwitchboardRedis",
            dependencies: [
                "CHiredis", "SwitchboardCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // speexdsp from Debian (libspeexdsp-dev), through pkg-config.
        .systemLibrary(
            name: "CSpeexDSP",
            pkgConfig: "speexdsp",
            providers: [.apt(["libspeexdsp-dev"])]
        ),
        // Audio for the embedded model and the phone bridges: PCM16, G.711, resampling, VAD.
        .target(
            name: "SwitchboardAudio",
            dependencies: ["CSpeexDSP"],
            swiftSettings: swiftSettings
        ),
        // PocketSphinx 5prealpha from Debian (libpocketsphinx-dev): its headers, reachable without
        // sphinxbase's directory on the search path, and a shim for the variadic cmd_ln_init.
        .target(
            name: "CPocketSphinx",
            linkerSettings: [.linkedLibrary("pocketsphinx"), .linkedLibrary("sphinxbase")]
        ),
        // flite from Debian (flite1-dev, no pkg-config file): a shim that registers the US English
        // voices and synthesizes text to samples.
        .target(
            name: "CFlite",
            linkerSettings: [
                .linkedLibrary("flite_cmu_us_kal16"), .linkedLibrary("flite_cmu_us_kal"),
                .linkedLibrary("flite_cmu_us_slt"), .linkedLibrary("flite_cmu_us_rms"),
                .linkedLibrary("flite_cmu_us_awb"), .linkedLibrary("flite_usenglish"),
                .linkedLibrary("flite_cmulex"), .linkedLibrary("flite"), .linkedLibrary("m"),
            ]
        ),
        // eSpeak NG from Debian (libespeak-ng-dev), through pkg-config.
        .systemLibrary(
            name: "CEspeakNG",
            pkgConfig: "espeak-ng",
            providers: [.apt(["libespeak-ng-dev"])]
        ),
        // Speech for the embedded model: PocketSphinx recognition on a grammar and language model
        // generated from the domain, flite and eSpeak NG synthesis.
        .target(
            name: "SwitchboardSpeech",
            dependencies: ["CPocketSphinx", "CFlite", "CEspeakNG"],
            swiftSettings: swiftSettings
        ),
        // The Wyoming protocol of local speech servers (wyoming-faster-whisper, wyoming-piper).
        .target(
            name: "SwitchboardWyoming",
            dependencies: [
                "RealtimeProtocol",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The embedded model: a deterministic realtime model that needs no network.
        .target(
            name: "LocalModel",
            dependencies: [
                "RealtimeProtocol", "SwitchboardCore", "SwitchboardAgents", "SwitchboardAudio", "SwitchboardSpeech",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // WebSocket model adapter: OpenAI, Azure OpenAI, any realtime-protocol URL.
        .target(
            name: "OpenAIRealtime",
            dependencies: [
                "RealtimeProtocol", "SwitchboardCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // SIP signalling (RFC 3261 user agent over UDP: transactions, dialogs, SDP offer/answer)
        // and RTP (packets, jitter buffer, RFC 4733 DTMF) as deterministic state machines, no I/O.
        .target(
            name: "SwitchboardSIP",
            // MD5, SHA-256 and HMAC for SIP digest authentication (RFC 7616) and signed nonces.
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // The phone bridges: the Twilio Media Streams wire format, SIP signalling and RTP media
        // as NIO channel handlers, and the call bridge that turns a call into a realtime client.
        .target(
            name: "SwitchboardTelephony",
            dependencies: [
                "RealtimeProtocol", "SwitchboardCore", "SwitchboardAudio", "SwitchboardSIP",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The platform: tenants, their numbers, keys, tool settings and sealed secrets, in the
        // business database (SQLite or PostgreSQL) or in memory.
        .target(
            name: "SwitchboardPlatform",
            dependencies: [
                "RealtimeProtocol", "SwitchboardCore", "SwitchboardData", "SwitchboardPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Calls as records: the call record, its store in the business database (SQLite or
        // PostgreSQL), the webhook outbox and its signed, retried delivery.
        .target(
            name: "SwitchboardCalls",
            dependencies: [
                "RealtimeProtocol", "SwitchboardCore", "SwitchboardData", "SwitchboardPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Hummingbird wiring, the /realtime fast path, operations endpoints.
        .target(
            name: "SwitchboardServer",
            dependencies: [
                "RealtimeProtocol", "SwitchboardCore", "SwitchboardAgents", "SwitchboardData", "SwitchboardTools", "LocalModel",
                "OpenAIRealtime", "SwitchboardRedis", "SwitchboardPostgres", "SwitchboardSIP", "SwitchboardAudio", "SwitchboardWyoming",
                "SwitchboardTelephony", "SwitchboardCalls", "SwitchboardSpeech", "SwitchboardPlatform",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Test support shipped as a library: WebSocket test client, scripted fake model.
        .target(
            name: "SwitchboardTesting",
            dependencies: [
                "RealtimeProtocol", "SwitchboardCore", "OpenAIRealtime", "SwitchboardRedis", "SwitchboardPlatform",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "switchboard",
            dependencies: [
                "SwitchboardServer", "SwitchboardAgents", "SwitchboardTools",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RealtimeProtocolTests",
            dependencies: ["RealtimeProtocol"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwitchboardCoreTests",
            dependencies: ["SwitchboardCore", "SwitchboardAgents", "LocalModel", "SwitchboardTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwitchboardAgentsTests",
            dependencies: ["SwitchboardAgents", "SwitchboardCore", "SwitchboardTesting"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwitchboardToolsTests",
            dependencies: [
                "SwitchboardTools", "SwitchboardData", "SwitchboardAgents", "SwitchboardCore", "RealtimeProtocol",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwitchboardRedisTests",
            dependencies: ["SwitchboardRedis", "SwitchboardCore", "SwitchboardTesting", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwitchboardPostgresTests",
            dependencies: [
                "SwitchboardPostgres", "SwitchboardData", "SwitchboardCore", "SwitchboardTools", "SwitchboardAgents", "RealtimeProtocol",
                "SwitchboardCalls", "SwitchboardPlatform", "SwitchboardTesting",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwitchboardAudioTests",
            dependencies: ["SwitchboardAudio"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwitchboardSpeechTests",
            dependencies: ["SwitchboardSpeech", "SwitchboardAgents"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LocalModelTests",
            dependencies: [
                "LocalModel", "SwitchboardAgents", "SwitchboardCore", "RealtimeProtocol", "SwitchboardAudio", "SwitchboardSpeech",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwitchboardServerTests",
            dependencies: [
                "SwitchboardServer", "SwitchboardTelephony", "SwitchboardTesting", "SwitchboardCore", "SwitchboardData", "RealtimeProtocol",
                "SwitchboardAudio", "SwitchboardSpeech", "SwitchboardSIP", "OpenAIRealtime", "SwitchboardAgents", "SwitchboardTools",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The phone bridges' channel handlers on embedded channels, with metrics counted in memory.
        .testTarget(
            name: "SwitchboardTelephonyTests",
            dependencies: [
                "SwitchboardTelephony", "SwitchboardSIP", "SwitchboardCore", "RealtimeProtocol", "SwitchboardAudio", "SwitchboardTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwitchboardWyomingTests",
            dependencies: [
                "SwitchboardWyoming", "RealtimeProtocol", "SwitchboardTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwitchboardPlatformTests",
            dependencies: ["SwitchboardPlatform", "SwitchboardData", "SwitchboardPostgres", "SwitchboardTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwitchboardCallsTests",
            dependencies: [
                "SwitchboardCalls", "SwitchboardData", "SwitchboardPostgres", "RealtimeProtocol",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SwitchboardSIPTests",
            dependencies: ["SwitchboardSIP", "SwitchboardTesting"],
            swiftSettings: swiftSettings
        ),
    ]
)
