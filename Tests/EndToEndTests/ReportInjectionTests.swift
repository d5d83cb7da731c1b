import XCTest
import Foundation

/// A runs folder someone sent you is data: `descent report` on run directories and setting
/// values crafted as HTML and spreadsheet formulas gives a page on which no script of theirs
/// runs (checked in headless Chromium) and a results.csv that no spreadsheet evaluates.
final class ReportInjectionTests: XCTestCase {
    let cli = CLI()
    static let payload = #"<img src=x onerror="document.body.setAttribute('data-pwned','1')">"#

    func testHostileRunNamesAndSettingsStayText() throws {
        let root = NSTemporaryDirectory() + "descent-inject-\(UUID().uuidString)"
        let plugins = root + "/plugins"
        try FileManager.default.createDirectory(atPath: plugins, withIntermediateDirectories: true)
        // A plugin with a string hyperparameter, set to hostile values.
        try """
            return { kind = "optimizer", name = "tagged", doc = "sgd with a tag", defaults = { lr = 0.01, tag = "a" },
              update = function(p, g, s, h) p:add_(g, -h.lr) end }
            """.write(toFile: plugins + "/tagged.lua", atomically: true, encoding: .utf8)
        let script = try cli.script("""
            local e = experiment { name = "inj", model = "cnn", dataset = "shapes", dataset_args = { train = 8, val = 4 },
              size = 16, steps = 2, batch = 4, eval_every = 0, optimizer = "tagged" }
            e:run { name = "tagged_a", hyper = { tag = \(lua(Self.payload)) } }
            e:run { name = "tagged_b", hyper = { tag = "=cmd|' /C calc'!A0" } }
            e:run { name = "tagged_c", hyper = { tag = "@SUM(1+1)" } }
            """)
        let r = try cli.descent(["run", script, "--plugins", plugins, "--out", root + "/runs"])
        XCTAssertEqual(r.status, 0, r.err)
        // A run directory renamed to markup, and no study.json: the report takes every folder.
        let study = root + "/runs/inj"
        try FileManager.default.removeItem(atPath: study + "/study.json")
        let first = try FileManager.default.contentsOfDirectory(atPath: study).filter { $0.hasPrefix("tagged") }.sorted()[0]
        try FileManager.default.moveItem(atPath: study + "/" + first, toPath: study + "/" + Self.payload.replacingOccurrences(of: "/", with: "_"))
        let report = try cli.descent(["report", study])
        XCTAssertEqual(report.status, 0, report.err)

        let csv = try String(contentsOfFile: study + "/results.csv", encoding: .utf8)
        XCTAssertTrue(csv.contains("'=cmd|"), csv)
        XCTAssertTrue(csv.contains("'@SUM(1+1)"), csv)
        XCTAssertFalse(csv.contains(",=") || csv.contains(",@") || csv.contains(",\"="), csv)
        let html = try String(contentsOfFile: study + "/report.html", encoding: .utf8)
        XCTAssertFalse(html.contains("<img"), "markup from the data reached the page as markup")

        // Axis values a few ulps apart (steps near 2^60, learning rates one ulp apart): the tick
        // loops of loss.svg and report.js once never ended.
        let lr = 0.001, next = lr.nextUp
        try "step,loss,lr,wall_time,accuracy,val_loss\n1152921504606846976,0.5,\(lr),0.1,0.5,0.4\n1152921504606847232,0.5000001,\(next),0.2,0.5,0.4\n"
            .write(toFile: study + "/tagged_b/metrics.csv", atomically: true, encoding: .utf8)
        let again = try cli.descent(["report", study])
        XCTAssertEqual(again.status, 0, again.err)

        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("chromium is not installed (tools/setup test installs it)")
        }
        // Hovering the sweep chart puts the hostile category into the tooltip: run the self-test too.
        for page in ["", "#selftest"] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: chromium)
            p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", "file://" + study + "/report.html" + page]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = FileHandle.nullDevice
            try p.run()
            let watchdog = DispatchWorkItem { if p.isRunning { p.terminate() } }
            DispatchQueue.global().asyncAfter(deadline: .now() + 90, execute: watchdog)
            let dom = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            watchdog.cancel()
            XCTAssertTrue(dom.contains("data-rendered=\"") && !dom.contains("data-rendered=\"0\""), "the page did not render: \(dom.prefix(300))")
            XCTAssertFalse(dom.contains("data-pwned=\"1\""), "a script from the data ran")
            XCTAssertTrue(dom.contains("&lt;img src=x onerror="), "the hostile name is shown as text")
        }
    }

    private func lua(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
}
