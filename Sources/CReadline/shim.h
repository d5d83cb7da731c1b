#ifndef DESCENT_READLINE_SHIM_H
#define DESCENT_READLINE_SHIM_H
/*
 * GNU readline for the REPL, through its callback interface so Ctrl-C at the prompt is ours:
 * readline's own signal handling is off; Descent's signal listener (CProcess) turns Ctrl-C
 * while waiting for input into an interrupted select, and `interrupted()` says it was Ctrl-C:
 * the line is abandoned and descent_readline reports it (1: the line had text, 2: it was empty). Tab completion asks a
 * Swift hook for candidates (descent_completion_hook), which adds them with
 * descent_add_candidate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <sys/select.h>
#include <readline/readline.h>
#include <readline/history.h>

static char *descent_rl_line = NULL;
static int descent_rl_done = 0;

static void descent_rl_linehandler(char *line) {
    descent_rl_line = line;
    descent_rl_done = 1;
    rl_callback_handler_remove();
}

/* Reads one line with `prompt`. Returns 0 with *out the line (malloc'd) or NULL at end of file;
 * 1 or 2 when Ctrl-C abandoned a non-empty or an empty line. */
static inline int descent_readline(const char *prompt, char **out, int (*interrupted)(void)) {
    descent_rl_done = 0;
    descent_rl_line = NULL;
    rl_catch_signals = 0;
    rl_catch_sigwinch = 1;
    rl_callback_handler_install(prompt, descent_rl_linehandler);
    int result = 0;
    int fd = fileno(rl_instream ? rl_instream : stdin);
    while (!descent_rl_done) {
        fd_set fds;
        FD_ZERO(&fds);
        FD_SET(fd, &fds);
        int r = select(fd + 1, &fds, NULL, NULL, NULL);
        if (r < 0 && errno == EINTR && interrupted()) {
            result = rl_end == 0 ? 2 : 1;
            rl_free_line_state();
            rl_callback_sigcleanup();
            rl_callback_handler_remove();
            fputs("^C\n", rl_outstream ? rl_outstream : stdout);
            break;
        }
        if (r < 0) {
            if (errno == EINTR) continue;
            rl_callback_handler_remove();
            break;
        }
        rl_callback_read_char();
    }
    *out = result == 0 ? descent_rl_line : NULL;
    if (result != 0 && descent_rl_line) free(descent_rl_line);
    return result;
}

/* Completion: the Swift hook gets the whole line and the cursor and adds candidates. */
static void (*descent_completion_hook)(const char *line, int cursor) = NULL;
static char **descent_candidates = NULL;
static int descent_candidate_count = 0, descent_candidate_next = 0;

static inline void descent_add_candidate(const char *c) {
    descent_candidates = (char **)realloc(descent_candidates, sizeof(char *) * (descent_candidate_count + 1));
    descent_candidates[descent_candidate_count++] = strdup(c);
}

static inline char *descent_candidate_generator(const char *text, int state) {
    (void)text;
    if (state == 0) descent_candidate_next = 0;
    if (descent_candidate_next < descent_candidate_count) return strdup(descent_candidates[descent_candidate_next++]);
    return NULL;
}

static inline char **descent_attempt_completion(const char *text, int start, int end) {
    (void)start;
    for (int i = 0; i < descent_candidate_count; i++) free(descent_candidates[i]);
    descent_candidate_count = 0;
    rl_attempted_completion_over = 1;
    if (descent_completion_hook) descent_completion_hook(rl_line_buffer, end);
    if (descent_candidate_count == 0) return NULL;
    rl_completion_append_character = '\0';
    return rl_completion_matches(text, descent_candidate_generator);
}

/* Word breaks leave `.` and `:` inside a word, so `t:si<TAB>` completes the whole path. */
static inline void descent_install_completion(void (*hook)(const char *, int)) {
    descent_completion_hook = hook;
    rl_attempted_completion_function = descent_attempt_completion;
    rl_completer_word_break_characters = " \t\n\"\\'`@$><=;|&{(+-*/,[]~#%^";
}
#endif
