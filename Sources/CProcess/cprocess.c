#include "cprocess.h"
#include <pthread.h>
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

/*
 * Why a listener thread and an alternate stack: oneDNN's JIT GEMM kernels (Debian's 2.7; fixed
 * upstream in 3.11, oneDNN issue 4845) point rsp into a heap workspace while they run. A signal
 * handled on such a thread pushes its frame onto the heap there and corrupts it (glibc later
 * aborts in free: "corrupted size vs. prev_size"), which is what Ctrl-C did to `--jobs`
 * workers whose Lua optimizers multiply matrices. So no handler ever runs on a thread that may
 * be inside oneDNN: the stop signals are blocked in every thread (threads inherit the mask of
 * the thread that creates them, and this runs before any pool thread exists; pool threads also
 * block every other signal sent to the process), one listener
 * thread takes them with sigwait, records them, and wakes the main thread with WAKE, whose
 * handler runs on an alternate stack (SA_ONSTACK) to tell the Lua host.
 */
#define WAKE SIGUSR2

static volatile sig_atomic_t stop_signal = 0;
static volatile sig_atomic_t stop_count = 0;
static volatile sig_atomic_t persistent = 0;
static volatile sig_atomic_t quit_on_second = 0;
static volatile sig_atomic_t deferring = 0;
static volatile sig_atomic_t armed = 0;
static volatile sig_atomic_t prompting = 0;
static volatile sig_atomic_t prompt_interrupted = 0;
static void (*volatile notifier)(void) = NULL;
static pthread_t main_thread;
static sigset_t listened;   /* empty until start_listening (static storage: all zero) */

/* Tells the Lua host, on the main thread, when a stop was requested and no step is running. */
static void wake(void) {
    void (*notify)(void) = notifier;
    if (notify != NULL && stop_count > 0 && !deferring) notify();
}

static void on_wake(int sig) {
    /* Only the main thread runs Lua; a WAKE sent to the process from outside may land on
     * another thread, which passes it on. */
    if (!pthread_equal(pthread_self(), main_thread)) {
        pthread_kill(main_thread, sig);
        return;
    }
    wake();
}

static void record(int sig) {
    if (stop_count > 0 && quit_on_second) _exit(128 + sig);
    stop_count++;
    if (stop_signal == 0) stop_signal = sig;
}

/* SIGPIPE is sent to the thread that wrote to the closed pipe (the main thread, printing), so
 * it is handled there, on the alternate stack like WAKE. */
static void on_pipe(int sig) {
    record(sig);
    wake();
}

static void handle(int sig, void (*handler)(int)) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void add_terminations(void) {
    const int terminations[] = {SIGTERM, SIGHUP, SIGQUIT};
    sigset_t more;
    sigemptyset(&more);
    for (unsigned k = 0; k < sizeof terminations / sizeof terminations[0]; k++) {
        sigaddset(&more, terminations[k]);
        sigaddset(&listened, terminations[k]);
    }
    pthread_sigmask(SIG_BLOCK, &more, NULL);
}

static void *listen_loop(void *unused) {
    (void)unused;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);   /* it only waits; no handler runs here */
    for (;;) {
        int sig = 0;
        if (sigwait(&listened, &sig) != 0) continue;
        if (sig == SIGINT && prompting) {
            /* Ctrl-C at the REPL's prompt abandons the line; the WAKE ends its select. */
            prompt_interrupted = 1;
            pthread_kill(main_thread, WAKE);
            continue;
        }
        if (sig == SIGINT && !persistent && !armed) {
            /* Outside Lua code without `install`, Ctrl-C keeps its default action. */
            signal(SIGINT, SIG_DFL);
            sigset_t only;
            sigemptyset(&only);
            sigaddset(&only, SIGINT);
            pthread_sigmask(SIG_UNBLOCK, &only, NULL);
            raise(SIGINT);
            continue;
        }
        record(sig);
        pthread_kill(main_thread, WAKE);
    }
    return NULL;
}

/* An alternate signal stack for the calling thread (the main thread, once), unless it has one
 * (Swift's runtime may). Static: it lives as long as the process, and a malloc'd one only the
 * kernel points to is a leak to LeakSanitizer. */
static void ensure_alternate_stack(void) {
    static char alternate[256 * 1024] __attribute__((aligned(64)));
    stack_t old;
    if (sigaltstack(NULL, &old) == 0 && !(old.ss_flags & SS_DISABLE) && old.ss_size >= 64 * 1024) return;
    stack_t ss = {.ss_sp = alternate, .ss_size = sizeof alternate, .ss_flags = 0};
    sigaltstack(&ss, NULL);
}

/* Once: the main thread's alternate stack and WAKE handler, the listened signals blocked in
 * this thread (and so in every thread it creates from now on), and the listener. */
static void start_listening(int with_terminations) {
    static int started = 0, terminations = 0;
    if (with_terminations && !terminations) {
        /* Listened from now on; threads created earlier keep their mask (none in practice:
         * commands install before anything starts threads). */
        terminations = 1;
        add_terminations();
    }
    if (started) return;
    started = 1;
    main_thread = pthread_self();
    ensure_alternate_stack();
    handle(WAKE, on_wake);
    sigaddset(&listened, SIGINT);
    pthread_sigmask(SIG_BLOCK, &listened, NULL);
    pthread_t listener;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    pthread_create(&listener, &attr, listen_loop, NULL);
    pthread_attr_destroy(&attr);
}

void descent_stop_install(int quit_second) {
    persistent = 1;
    quit_on_second = quit_second;
    /* A closed terminal (SIGHUP), a closed pipe on stdout (`descent run s.lua | head -1`,
     * SIGPIPE) and SIGQUIT end a study the way SIGTERM does: checkpoint, summary, report. */
    start_listening(1);
    handle(SIGPIPE, on_pipe);
}

void descent_stop_arm(int on) {
    armed = on;
    if (on) start_listening(0);
}

void descent_stop_prompt(int on) {
    if (on) start_listening(0);
    prompt_interrupted = 0;
    prompting = on;
}

int descent_stop_prompt_interrupted(void) {
    int was = prompt_interrupted;
    prompt_interrupted = 0;
    return was;
}

void descent_stop_set_notifier(void (*notify)(void)) { notifier = notify; }
void descent_stop_defer(int on) { deferring = on; }
int descent_stop_signal(void) { return stop_signal; }
void descent_stop_clear(void) { stop_signal = 0; stop_count = 0; }
void descent_stop_request(int sig) {
    record(sig);
    wake();
}
