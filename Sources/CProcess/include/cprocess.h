#ifndef DESCENT_CPROCESS_H
#define DESCENT_CPROCESS_H
/* Process control Swift cannot do directly: prctl (variadic) and signal handlers (which must
 * be async-signal-safe C). */

/* Asks the kernel to send SIGTERM to this process when its parent dies (Linux; a no-op
 * elsewhere), so `--jobs` workers never outlive the study that started them. Returns 0 on
 * success, -1 when the parent is already gone. */
int descent_die_with_parent(int expected_parent);

/* Stop requests (cprocess.c says why a listener thread receives them: no handler may run on a
 * thread inside oneDNN's JIT code). A SIGINT, SIGTERM, SIGHUP, SIGPIPE or SIGQUIT records the signal (the first one wins) and calls
 * the notifier (the Lua host's: it makes running Lua code raise "interrupted!"); training loops
 * poll descent_stop_signal() between steps.
 *
 * descent_stop_install: those signals stay handled for the life of the process; with
 * quit_second, a second signal ends it at once with status 128 + signal (`descent run`; not
 * workers, which the kernel may signal more than once when their parent dies).
 * descent_stop_arm(1) / (0): without that, SIGINT is handled only while Lua code runs (armed)
 * and has its default action otherwise, so Ctrl-C still ends a native benchmark. */
void descent_stop_install(int quit_second);
void descent_stop_arm(int armed);
void descent_stop_set_notifier(void (*notify)(void));
/* While deferring, a stop request is only recorded: Lua code keeps running (a training step
 * finishes whole, and the loop stops after it). */
void descent_stop_defer(int on);
/* While a prompt reads a line (on), Ctrl-C is not a stop request: it interrupts the read (the
 * reader's select returns EINTR) and descent_stop_prompt_interrupted() then returns 1, once. */
void descent_stop_prompt(int on);
int descent_stop_prompt_interrupted(void);
/* The signal that requested a stop, 0 if none. */
int descent_stop_signal(void);
/* Forgets a stop request that was handled (Ctrl-C interrupting a REPL statement). */
void descent_stop_clear(void);
/* Raises `sig` as a request (tests, and a parent asking itself to wind down). */
void descent_stop_request(int sig);
#endif
