// swift-tools-version:5.10
import PackageDescription

// Layout and dependency direction: see DESIGN.md. descent -> Plugins -> Host -> Core; Host -> CLua.
let package = Package(
    name: "Descent",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "descent", targets: ["descent"]),
        .library(name: "DescentCore", targets: ["DescentCore"]),
        .library(name: "DescentHost", targets: ["DescentHost"]),
        .library(name: "DescentPlugins", targets: ["DescentPlugins"]),
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
        .target(name: "CKernels", path: "Sources/CKernels"),
        .target(name: "DescentCore", dependencies: ["CDNNL", "CKernels"], path: "Sources/Core"),
        .target(name: "DescentHost", dependencies: ["DescentCore", "CLua", "CReadline"], path: "Sources/Host"),
        .target(name: "DescentPlugins", dependencies: ["DescentHost", "DescentCore", "CLua"], path: "Sources/Plugins"),
        .target(name: "DescentBench", dependencies: ["DescentPlugins", "DescentHost", "DescentCore"], path: "Sources/Bench"),
        .executableTarget(
            name: "descent",
            dependencies: [
                "DescentBench", "DescentPlugins", "DescentHost", "DescentCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/descent"),
        .testTarget(name: "DescentCoreTests", dependencies: ["DescentCore"], path: "Tests/CoreTests"),
        .testTarget(
            name: "DescentHostTests", dependencies: ["DescentHost", "DescentCore", "CLua"],
            path: "Tests/HostTests", resources: [.copy("Lua"), .copy("Fixtures")]),
        .testTarget(name: "DescentPluginsTests", dependencies: ["DescentPlugins", "DescentHost", "DescentCore"], path: "Tests/PluginsTests"),
        .testTarget(
            name: "DescentEndToEndTests", dependencies: ["descent"], path: "Tests/EndToEndTests"),
    ]
)
