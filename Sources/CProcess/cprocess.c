#include "cprocess.h"
#include <signal.h>
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
