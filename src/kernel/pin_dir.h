/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CTRWATCH_PIN_DIR_H
#define CTRWATCH_PIN_DIR_H

#include <stdbool.h>

/*
 * The pin directory (--pin-path): made if missing, in a bpf filesystem, ours alone, and locked
 * (flock) while one ctrwatch reads the pinned set. Whoever else could write it could put maps
 * of their own there (a ring buffer of forged records, a tracking map that hides containers)
 * for us to adopt.
 */

/* A pin directory not ours alone, as -errno values past every errno (no open(2) error). */
#define PIN_E_OTHER_OWNER  4096 /* another user owns it */
#define PIN_E_OTHERS_WRITE 4097 /* its group or others may write it */

/*
 * The pin directory locked for us: its fd. -ENOENT (missing, create false), -ENOTDIR (not in a
 * bpf filesystem), -PIN_E_OTHER_OWNER, -PIN_E_OTHERS_WRITE, -ELOOP (a symbolic link), -EBUSY
 * (another ctrwatch holds it), or another -errno.
 */
int pin_dir_lock(const char *pin_path, bool create);

/*
 * The same, waiting up to wait_ms for the ctrwatch that holds it to exit (its lock goes with
 * it, however it ends). A signal ends the wait: -EINTR.
 */
int pin_dir_lock_waiting(const char *pin_path, unsigned int wait_ms);

/* Logs pin_dir_lock()'s own refusals (each its own words); false for any other err. */
bool pin_dir_log_error(const char *pin_path, int err);

#endif
