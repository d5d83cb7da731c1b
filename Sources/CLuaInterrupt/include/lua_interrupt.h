#ifndef DESCENT_LUA_INTERRUPT_H
#define DESCENT_LUA_INTERRUPT_H
/*
 * Ctrl-C for Lua code, the lua.c way: the signal handler (CProcess) calls the notifier, which
 * only sets a count hook on the armed state (lua_sethook is async-signal-safe), and the hook
 * raises "interrupted!" inside Lua code, never inside Swift.
 *
 * The state lives in interrupt.c, not in a header: a `static` variable in an imported header
 * is one copy per Swift object file that uses it, so the notifier read a NULL copy while the
 * VM had armed another (release builds; Ctrl-C did not stop a REPL chunk).
 */
#include <lua.h>

/* The state Ctrl-C is armed for (NULL: none), so nested calls can restore it. */
lua_State *descent_interrupt_state(void);
/* Arms Ctrl-C for L (NULL disarms). */
void descent_arm_interrupt(lua_State *L);
/* Makes the armed state raise "interrupted!" at its next instruction (signal-safe). */
void descent_interrupt_notify(void);
/* How many interruptions the hook has raised: a pcall that fails while it grows was stopped by
 * Ctrl-C, whatever its message (so the host need not parse "interrupted!"). */
unsigned long descent_interrupt_count(void);
#endif
