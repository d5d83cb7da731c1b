/// The Lua files compiled into Host (`Sources/Host/Lua`, embedded by the EmbedLua build plugin).
enum HostLua {
    static func source(_ file: String) throws -> String {
        guard let entry = embeddedLua.first(where: { $0.path.hasSuffix("/" + file) }) else {
            throw LuaError(message: "\(file) is not among the Lua files built into Descent")
        }
        return entry.source
    }
}
