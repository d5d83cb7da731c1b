import XCTest
import Foundation

/// API calls from inside coroutines use the coroutine's own stack (they once read arguments from
/// and pushed results to the main thread's, corrupting memory). In a child process: a regression
/// here can kill the host.
final class CoroutineTests: XCTestCase {
    let cli = CLI()

    func testTensorsAndOptimizersInsideCoroutines() throws {
        let path = try cli.script("""
            local t = coroutine.wrap(function() return tensor.zeros{2, 2} end)()
            assert(t:numel() == 4, "a tensor comes back from a coroutine")
            local y, z = tensor.zeros{2}, tensor.zeros{3}
            coroutine.wrap(function() y:fill_(5) end)()
            assert(y:sum() == 10 and z:sum() == 0, "fill_ inside a coroutine fills its own tensor")
            coroutine.wrap(function() for _ = 1, 200000 do local _ = tensor.zeros{1} end end)()
            local co = coroutine.create(function(a) local b = coroutine.yield(a + tensor.ones{2}) return b * 2 end)
            local _, first = coroutine.resume(co, tensor.ones{2})
            local _, second = coroutine.resume(co, tensor.full({2}, 3))
            assert(first:sum() == 4 and second:sum() == 12, "tensors cross yields")
            local opt = optim.new("lion")
            assert(coroutine.resume(coroutine.create(function() opt:step(tensor.ones{2}, tensor.ones{2}) end)))
            local yielding = optim.new("yields")
            local ok, err = coroutine.resume(coroutine.create(function() yielding:step(tensor.ones{2}, tensor.ones{2}) end))
            print(ok, tostring(err):match("attempt to yield across a C%-call boundary"))
            """)
        let plugins = NSTemporaryDirectory() + "descent-co-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: plugins, withIntermediateDirectories: true)
        try "return { kind = 'optimizer', name = 'yields', update = function() coroutine.yield() end }"
            .write(toFile: plugins + "/yields.lua", atomically: true, encoding: .utf8)
        let r = try cli.descent(["run", path, "--plugins", plugins])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.out, "false\tattempt to yield across a C-call boundary\n")
    }
}
