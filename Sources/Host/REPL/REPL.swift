import CLua
import DescentCore
import Foundation

/// The Lua REPL: `descent repl`, `descent run SCRIPT --repl`, and `repl()` inside a script.
///
/// It reads like the standalone `lua`: a line that is an expression prints its values (`=expr`
/// too); an incomplete statement (Lua reports `<eof>`) continues on the next line; errors print
/// with a traceback and the session goes on. Like Torch7's `th`: results print without `=`, a
/// trailing `;` suppresses printing, `_` holds the last result. Commands start with `:`.
public final class REPL {
    let vm: LuaVM
    let reader: LineReader
    let write: (String) -> Void
    let color: Bool
    /// Registry references: the environment chunks run in, and the Lua support table.
    private let envRef: Int32, supportRef: Int32
    let scoped: Bool
    private let builtins: Set<String>

    /// A REPL over `vm`. With `scope` set, the table on top of the stack is the environment
    /// (popped); otherwise chunks run in the globals.
    public init(vm: LuaVM, scoped: Bool = false, reader: LineReader? = nil, write: @escaping (String) -> Void = { print($0); fflush(stdout) }) throws {
        self.vm = vm
        self.write = write
        self.scoped = scoped
        let terminal = isatty(STDIN_FILENO) != 0 && isatty(STDOUT_FILENO) != 0
        color = reader == nil && terminal && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        let L = vm.L
        if !scoped { lua_rawgeti(L, descent_registryindex(), lua_Integer(LUA_RIDX_GLOBALS)) }
        envRef = luaL_ref(L, descent_registryindex())
        builtins = vm.builtinGlobals ?? Self.globalNames(vm)
        if vm.builtinGlobals == nil { vm.builtinGlobals = builtins }
        try vm.load(try HostLua.source("repl.lua"), name: "=repl.lua")
        let style = Describe.Style(color: color)
        vm.pushFunction("describe") { vm, _ in
            let text = [try Userdata.tensor(vm, at: 1) as AnyObject?, Userdata.object(vm, at: 1, as: Module.self),
                        Userdata.object(vm, at: 1, as: Optimizer.self), Userdata.object(vm, at: 1, as: Schedule.self)]
                .compactMap { $0 }.first.flatMap { Describe.object($0, style: style) }
            vm.push(text.map { .string($0) } ?? .nil)
            return 1
        }
        lua_pushboolean(L, color ? 1 : 0)
        lua_rawgeti(L, descent_registryindex(), lua_Integer(envRef))
        try vm.pcall(arguments: 3, results: 1)
        supportRef = luaL_ref(L, descent_registryindex())
        if let reader {
            self.reader = reader
        } else if terminal {
            self.reader = TerminalReader(complete: { _, _ in [] })
        } else {
            self.reader = PipeReader()
        }
    }

    deinit {
        luaL_unref(vm.L, descent_registryindex(), envRef)
        luaL_unref(vm.L, descent_registryindex(), supportRef)
    }

    public static func globalNames(_ vm: LuaVM) -> Set<String> {
        let L = vm.L
        var out = Set<String>()
        lua_rawgeti(L, descent_registryindex(), lua_Integer(LUA_RIDX_GLOBALS))
        lua_pushnil(L)
        while lua_next(L, -2) != 0 {
            descent_pop(L, 1)
            if lua_type(L, -1) == LUA_TSTRING { out.insert(String(cString: lua_tolstring(L, -1, nil))) }
        }
        descent_pop(L, 1)
        return out
    }

    // MARK: The loop

    /// Reads and evaluates until end of input, `:continue`/`:quit`, or Ctrl-C twice at an empty prompt.
    public func run(banner: String? = nil) {
        // A REPL opened from inside another (repl() typed at the prompt) completes in its own scope.
        let outer = TerminalReader.completer
        if reader is TerminalReader { TerminalReader.completer = { [unowned self] in completions($0, cursor: $1) } }
        defer { TerminalReader.completer = outer }
        if let banner { write(banner) }
        var buffer = ""
        var interrupted = false
        while true {
            switch reader.read(prompt: buffer.isEmpty ? "> " : ">> ") {
            case .end:
                return
            case .interrupt(let empty):
                if empty && buffer.isEmpty {
                    if interrupted { return }
                    write("(Ctrl-C again or Ctrl-D to leave)")
                    interrupted = true
                }
                buffer = ""
                continue
            case .line(let line):
                interrupted = false
                if buffer.isEmpty, line.trimmingCharacters(in: .whitespaces).hasPrefix(":") {
                    reader.remember(line)
                    if command(line.trimmingCharacters(in: .whitespaces)) { return }
                    continue
                }
                buffer += buffer.isEmpty ? line : "\n" + line
                if evaluate(buffer) {
                    reader.remember(buffer.replacingOccurrences(of: "\n", with: " "))
                    buffer = ""
                }
            }
        }
    }

    /// Compiles and runs `source`; false when it is an incomplete statement (read more).
    @discardableResult
    func evaluate(_ source: String, timed: Bool = false) -> Bool {
        let L = vm.L
        var code = source
        if code.hasPrefix("=") { code = "return " + code.dropFirst() }
        let quiet = code.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix(";")
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        if load("return " + code) != LUA_OK {
            // Incomplete when either reading stops at the end of input ("1 +", "for i = 1, 3 do").
            let asExpression = vm.popString()
            if load(code) != LUA_OK {
                let message = vm.popString()
                if message.hasSuffix("<eof>") || asExpression.hasSuffix("<eof>") { return false }
                write(message)
                return true
            }
        }
        let start = Date()
        do {
            try vm.pcall(arguments: 0)
        } catch {
            // Ctrl-C stopped this statement, not the study or script around the REPL.
            if (error as? LuaError)?.isInterrupt == true { StopRequest.clear() }
            write("\(error)")
            return true
        }
        let results = lua_gettop(L) - top
        if results > 0 {
            lua_rawgeti(L, descent_registryindex(), lua_Integer(envRef))
            lua_pushvalue(L, top + 1)
            lua_setfield(L, -2, "_")
            descent_pop(L, 1)
            if !quiet { write((0..<results).map { show(at: top + 1 + $0) }.joined(separator: "\t")) }
        }
        if timed { write(String(format: "time: %.3f ms", Date().timeIntervalSince(start) * 1e3)) }
        return true
    }

    /// Loads a chunk of REPL input with the REPL's environment as its _ENV.
    private func load(_ code: String) -> Int32 {
        let L = vm.L
        let status = code.withCString { descent_loadbuffer(L, $0, strlen($0), "=stdin") }
        if status == LUA_OK, scoped {
            lua_rawgeti(L, descent_registryindex(), lua_Integer(envRef))
            _ = lua_setupvalue(L, -2, 1)
        }
        return status
    }

    /// The printed form of the value at `index`.
    func show(at index: Int32) -> String {
        let L = vm.L
        lua_rawgeti(L, descent_registryindex(), lua_Integer(supportRef))
        lua_getfield(L, -1, "show")
        lua_pushvalue(L, index)
        defer { lua_settop(L, lua_gettop(L) - 1) }
        do {
            try vm.pcall(arguments: 1, results: 1)
            return vm.popString()
        } catch {
            return "(cannot print: \(error))"
        }
    }

    /// Candidates for tab completion of `line` with the cursor at `cursor` (bytes).
    public func completions(_ line: String, cursor: Int) -> [String] {
        let L = vm.L
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        lua_rawgeti(L, descent_registryindex(), lua_Integer(supportRef))
        lua_getfield(L, -1, "complete")
        vm.push(.string(line))
        lua_pushinteger(L, lua_Integer(cursor))
        guard (try? vm.pcall(arguments: 2, results: 1)) != nil, case .array(let list) = vm.value(at: -1) else { return [] }
        return list.compactMap { if case .string(let s) = $0 { return s } else { return nil } }
    }

    // MARK: Commands

    static let help = """
        Lua 5.4 with the Descent API. Expressions print their values; end a line with ; to
        suppress printing; _ is the last result; an unfinished statement continues on the next line.
          :help          this text
          :who           your globals (not the API's)
          :time EXPR     evaluate EXPR and print how long it took
          :load FILE     run a Lua file here
          :plot EXPR     ASCII plot of a numeric array (a loss history)
          :continue      leave the REPL (a script that called repl() goes on); also Ctrl-D
          :quit          same as :continue
        Tab completes globals, fields and methods (after . and :). Ctrl-C stops a running chunk;
        Ctrl-C twice at an empty prompt leaves.
        """

    /// Runs a `:command`; true when the REPL should end.
    func command(_ line: String) -> Bool {
        let parts = line.dropFirst().split(separator: " ", maxSplits: 1).map(String.init)
        let name = parts.first ?? "", rest = parts.count > 1 ? parts[1] : ""
        switch name {
        case "help", "h", "?": write(Self.help)
        case "quit", "q", "continue", "c": return true
        case "who":
            let mine = Self.globalNames(vm).subtracting(builtins).subtracting(["_"]).sorted()
            if mine.isEmpty { write("(no user globals)") }
            for g in mine {
                lua_getglobal(vm.L, g)
                let text = show(at: lua_gettop(vm.L)).split(separator: "\n").first.map(String.init) ?? ""
                descent_pop(vm.L, 1)
                write("\(g)\t\(text)")
            }
        case "time":
            guard !rest.isEmpty else { write(":time EXPR"); break }
            evaluate(rest, timed: true)
        case "load":
            guard !rest.isEmpty else { write(":load FILE"); break }
            let L = vm.L
            let top = lua_gettop(L)
            defer { lua_settop(L, top) }
            guard luaL_loadfilex(L, rest, "t") == LUA_OK else { write(vm.popString()); break }
            if scoped {
                lua_rawgeti(L, descent_registryindex(), lua_Integer(envRef))
                _ = lua_setupvalue(L, -2, 1)
            }
            do { try vm.pcall(arguments: 0) } catch { write("\(error)") }
        case "plot":
            plot(rest)
        default:
            write("unknown command :\(name) (try :help)")
        }
        return false
    }

    /// `:plot EXPR`: a 10-line ASCII chart of a numeric array.
    func plot(_ expr: String) {
        let L = vm.L
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        guard load("return " + expr) == LUA_OK else { write(vm.popString()); return }
        do { try vm.pcall(arguments: 0, results: 1) } catch { write("\(error)"); return }
        guard case .array(let values) = vm.value(at: -1), !values.isEmpty, values.allSatisfy({ $0.number != nil }) else {
            write(":plot needs a non-empty array of numbers")
            return
        }
        write(ASCIIPlot.render(values.compactMap(\.number)))
    }
}

/// `repl([vars])` for scripts: opens a REPL whose scope is the caller's local variables plus
/// `vars`, falling back to the globals; assignments to those names change the REPL's copies,
/// other assignments go to the globals. The script continues after `:continue` or Ctrl-D.
enum REPLFunction {
    static func install(_ vm: LuaVM) throws {
        let L = vm.L
        try vm.load(try HostLua.source("repl_prelude.lua"), name: "=repl_prelude.lua")
        vm.pushFunction("repl") { vm, a in
            guard lua_type(vm.L, 1) == LUA_TTABLE else { throw a.fail(1, "environment table expected") }
            lua_pushvalue(vm.L, 1)
            let repl = try REPL(vm: vm, scoped: true)
            repl.run(banner: "descent repl (from a script): :help for commands, :continue or Ctrl-D to go on")
            return 0
        }
        try vm.pcall(arguments: 1, results: 1)
        lua_setglobal(L, "repl")
    }
}
