#include "cprocess.h"
#include <signal.h>
#include <string.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

int descent_die_with_parent(int expected_parent) {
#if defined(__linux__)
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) return -1;
#endif
    /* The parent may have died before the request took effect. */
    return getppid() == expected_parent ? 0 : -1;
}

static volatile sig_atomic_t stop_signal = 0;
static volatile sig_atomic_t stop_count = 0;
static volatile sig_atomic_t persistent = 0;
static volatile sig_atomic_t quit_on_second = 0;
static volatile sig_atomic_t deferring = 0;
static void (*volatile notifier)(void) = NULL;

static void on_stop(int sig) {
    if (stop_count > 0 && quit_on_second) _exit(128 + sig);
    stop_count++;
    if (stop_signal == 0) stop_signal = sig;
    void (*notify)(void) = notifier;
    if (notify != NULL && !deferring) notify();
}

static void handle(int sig, void (*handler)(int)) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

void descent_stop_install(int quit_second) {
    persistent = 1;
    quit_on_second = quit_second;
    /* A closed terminal (SIGHUP), a closed pipe on stdout (`descent run s.lua | head -1`,
     * SIGPIPE) and SIGQUIT end a study the way SIGTERM does: checkpoint, summary, report. */
    const int signals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT};
    for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) handle(signals[i], on_stop);
}

void descent_stop_arm(int armed) {
    if (!persistent) handle(SIGINT, armed ? on_stop : SIG_DFL);
}

void descent_stop_set_notifier(void (*notify)(void)) { notifier = notify; }
void descent_stop_defer(int on) { deferring = on; }
int descent_stop_signal(void) { return stop_signal; }
void descent_stop_clear(void) { stop_signal = 0; stop_count = 0; }
void descent_stop_request(int sig) { on_stop(sig); }
