#ifndef DESCENT_CPROCESS_H
#define DESCENT_CPROCESS_H
/* Process control the command line needs and Swift cannot call directly (prctl is variadic). */

/* Asks the kernel to send SIGTERM to this process when its parent dies (Linux; a no-op
 * elsewhere), so `--jobs` workers never outlive the study that started them. Returns 0 on
 * success, -1 when the parent is already gone. */
int descent_die_with_parent(int expected_parent);
#endif
