/// Looking up the Lua files a module has compiled in (its `embeddedLua`, made by the EmbedLua
/// build plugin); Host's own are `Sources/Host/Lua`.
public enum EmbeddedLua {
    /// The source of `file` among `files`; a missing one is a build mistake, reported as such.
    public static func source(_ file: String, in files: [(path: String, source: String)]) throws -> String {
        guard let entry = files.first(where: { $0.path.hasSuffix("/" + file) }) else {
            throw LuaError(message: "\(file) is not among the Lua files built into Descent")
        }
        return entry.source
    }
}

/// Host's own Lua files.
enum HostLua {
    static func source(_ file: String) throws -> String { try EmbeddedLua.source(file, in: embeddedLua) }
}
