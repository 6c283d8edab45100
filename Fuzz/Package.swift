// swift-tools-version:6.2
// Fuzz targets for Switchboard's attacker-facing parsers (libFuzzer). Built on its own, never by the
// root package's `swift build`; see FUZZING.md and scripts/fuzz.sh:
//
//   swift build --package-path Fuzz --scratch-path Fuzz/.build --sanitize=fuzzer --sanitize=address
//
// Each executable is a libFuzzer binary: it exports `LLVMFuzzerTestOneInput` and has no `main` of
// its own (`-parse-as-library`), libFuzzer's runtime supplies it. Debug builds compile every module
// with `-enable-testing`, so targets reach internal parse entry points with `@testable import`.
import PackageDescription

/// The root package's identity is the name of its directory (a clone may be called anything).
let root = String(Context.packageDirectory.split(separator: "/").dropLast().last ?? "main")

let settings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .unsafeFlags(["-parse-as-library"]),
]

func product(_ name: String) -> Target.Dependency { .product(name: name, package: root) }

func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzSupport"] + dependencies, swiftSettings: settings)
}

let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
let nioHTTP1 = Target.Dependency.product(name: "NIOHTTP1", package: "swift-nio")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")

let package = Package(
    name: "switchboard-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .target(name: "FuzzSupport", swiftSettings: [.swiftLanguageMode(.v6)]),
        fuzzTarget("FuzzJSON", [product("RealtimeProtocol"), nioCore]),
        fuzzTarget("FuzzPeek", [product("RealtimeProtocol"), nioCore]),
        fuzzTarget("FuzzClientEvents", [product("RealtimeProtocol"), product("SwitchboardCore"), nioCore]),
        fuzzTarget("FuzzQuery", [product("SwitchboardServer"), product("SwitchboardCore"), product("RealtimeProtocol"), nioHTTP1]),
        fuzzTarget("FuzzBase64Audio", [product("SwitchboardAudio")]),
        fuzzTarget("FuzzSIP", [product("SwitchboardSIP"), product("SwitchboardServer"), product("SwitchboardTelephony"), product("SwitchboardCore"), logging]),
        fuzzTarget("FuzzSDP", [product("SwitchboardSIP"), product("SwitchboardServer"), product("SwitchboardTelephony"), logging]),
        fuzzTarget("FuzzRTP", [product("SwitchboardSIP")]),
        fuzzTarget("FuzzTwilio", [product("SwitchboardServer"), product("SwitchboardTelephony"), product("SwitchboardAudio"), product("RealtimeProtocol"), nioCore, logging]),
        fuzzTarget("FuzzPersona", [product("SwitchboardAgents"), product("SwitchboardCore")]),
        fuzzTarget("FuzzWireFrames", [product("OpenAIRealtime"), nioCore]),
        fuzzTarget("FuzzPack", [product("SwitchboardAgents"), product("SwitchboardData")]),
        fuzzTarget("FuzzWyoming", [product("SwitchboardWyoming"), nioCore]),
        fuzzTarget("FuzzAnsweringMachine", [product("SwitchboardAudio")]),
    ]
)
