#include "lua_interrupt.h"
#include <lauxlib.h>

static lua_State *volatile armed = NULL;
static unsigned long raised = 0;

static void interrupt_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    lua_sethook(L, NULL, 0, 0);
    raised++;
    luaL_error(L, "interrupted!");
}

lua_State *descent_interrupt_state(void) { return armed; }
void descent_arm_interrupt(lua_State *L) { armed = L; }
unsigned long descent_interrupt_count(void) { return raised; }

void descent_interrupt_notify(void) {
    lua_State *L = armed;
    if (L != NULL)
        lua_sethook(L, interrupt_hook, LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT, 1);
}
