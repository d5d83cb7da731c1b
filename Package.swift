// swift-tools-version:6.0
import PackageDescription

// Layers and dependency direction (docs/ARCHITECTURE.md):
// descent -> Studies -> Plugins -> Host -> Core; only Host sees CLua.
let package = Package(
    name: "Descent",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "descent", targets: ["descent"]),
        .library(name: "DescentCore", targets: ["DescentCore"]),
        .library(name: "DescentHost", targets: ["DescentHost"]),
        .library(name: "DescentPlugins", targets: ["DescentPlugins"]),
        .library(name: "DescentStudies", targets: ["DescentStudies"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLua", path: "Sources/CLua", pkgConfig: "lua5.4",
            providers: [.apt(["liblua5.4-dev"])]),
        .systemLibrary(
            // No pkgConfig: readline.pc adds -D flags SwiftPM rejects; the headers are in /usr/include.
            name: "CReadline", path: "Sources/CReadline",
            providers: [.apt(["libreadline-dev"])]),
        .systemLibrary(
            // oneDNN: GEMM and the convolution primitives (no pkg-config file in Debian; headers in /usr/include).
            name: "CDNNL", path: "Sources/CDNNL",
            providers: [.apt(["libdnnl-dev"])]),
        .systemLibrary(
            // stb_image: JPEG/PNG decoding for the image datasets (libstb.so and stb.pc in Debian).
            name: "CStb", path: "Sources/CStb", pkgConfig: "stb",
            providers: [.apt(["libstb-dev"])]),
        .systemLibrary(
            // zlib: gzip-compressed IDX files and the deflated members of .npz archives.
            name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        .target(name: "CKernels", path: "Sources/CKernels", cSettings: [.unsafeFlags(["-O2"], .when(configuration: .debug))]),
        .target(name: "CProcess", path: "Sources/CProcess"),
        .target(name: "CLuaInterrupt", dependencies: ["CLua"], path: "Sources/CLuaInterrupt"),
        // The Lua shipped with Descent is compiled into the binary (BuildPlugins/EmbedLua: a build plugin, not a Descent plugin).
        .executableTarget(name: "embed-lua", path: "Sources/embed-lua"),
        .plugin(name: "EmbedLua", capability: .buildTool(), dependencies: ["embed-lua"], path: "BuildPlugins/EmbedLua"),
        // Optimised in debug builds too: the numeric core is what every test runs, and its SIMD
        // code is ~100x slower unoptimised.
        .target(name: "DescentCore", dependencies: ["CDNNL", "CKernels", "CProcess", "CStb", "CZlib"], path: "Sources/Core",
                swiftSettings: [.unsafeFlags(["-O"], .when(configuration: .debug))]),
        // Without run-time exclusivity checks: every call from Lua reads and swaps the VM's state
        // (LuaVM.call), and those checks were 10% of a `t:add_`.
        .target(name: "DescentHost", dependencies: ["DescentCore", "CLua", "CLuaInterrupt", "CReadline"], path: "Sources/Host",
                exclude: ["Lua"], swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])], plugins: ["EmbedLua"]),
        .target(name: "DescentPlugins", dependencies: ["DescentHost", "DescentCore"], path: "Sources/Plugins",
                plugins: ["EmbedLua"]),
        .target(name: "DescentStudies", dependencies: ["DescentPlugins", "DescentHost", "DescentCore"], path: "Sources/Studies",
                exclude: ["Lua", "Web"], plugins: ["EmbedLua"]),
        .target(name: "DescentBench", dependencies: ["DescentPlugins", "DescentHost", "DescentCore"], path: "Sources/Bench",
                exclude: ["Lua"], plugins: ["EmbedLua"]),
        .executableTarget(
            name: "descent",
            dependencies: [
                "DescentBench", "DescentStudies", "DescentPlugins", "DescentHost", "DescentCore", "CProcess",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/descent"),
        .testTarget(name: "DescentCoreTests", dependencies: ["DescentCore", "CKernels", "CZlib"], path: "Tests/CoreTests"),
        .testTarget(
            name: "DescentHostTests", dependencies: ["DescentHost", "DescentCore", "CLua"],
            path: "Tests/HostTests", resources: [.copy("Lua"), .copy("Fixtures")]),
        // Shared by the Plugins and Studies tests: a registry with the bundled plugins, plugin files on disk.
        .target(name: "DescentTestSupport", dependencies: ["DescentPlugins", "DescentHost"], path: "Tests/Support"),
        .testTarget(name: "DescentPluginsTests", dependencies: ["DescentPlugins", "DescentHost", "DescentCore", "DescentTestSupport"], path: "Tests/PluginsTests",
                    exclude: ["Fixtures/optax/make_fixtures.py"], resources: [.copy("Fixtures")]),
        .testTarget(name: "DescentStudiesTests", dependencies: ["DescentStudies", "DescentPlugins", "DescentHost", "DescentCore", "DescentTestSupport"], path: "Tests/StudiesTests"),
        .testTarget(
            name: "DescentEndToEndTests", dependencies: ["descent"], path: "Tests/EndToEndTests"),
    ],
    swiftLanguageModes: [.v5]
)
