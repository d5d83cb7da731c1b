import CLua
import DescentCore

/// `m:save(path)` / `m:load(path)` and `opt:save(path)` / `opt:load(path)`: one object to or
/// from a `TensorArchive` file (`kind` names what it holds). Both return the object.
enum ArchiveBindings {
    static func save<T>(_ what: String, kind: String, _ store: @escaping (T, inout TensorArchive) -> Void) -> LuaFunction {
        { _, a in
            let object = try a.object(1, T.self, what)
            var archive = TensorArchive()
            archive["kind"] = .string(kind)
            store(object, &archive)
            try archive.save(to: try a.path(2))
            lua_settop(a.L, 1)
            return 1
        }
    }

    static func load<T>(_ what: String, _ restore: @escaping (T, TensorArchive, String) throws -> Void) -> LuaFunction {
        { _, a in
            let object = try a.object(1, T.self, what)
            let path = try a.path(2)
            try restore(object, try TensorArchive.load(path), path)
            lua_settop(a.L, 1)
            return 1
        }
    }
}
