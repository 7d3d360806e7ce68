// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The pin directory: ours alone, in a bpf filesystem, locked while we read it (pin_dir.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "common/log.h"
#include "kernel/pin_dir.h"

static bool in_bpffs(const char *path)
{
	struct statfs fs;

	return statfs(path, &fs) == 0 && fs.f_type == BPF_FS_MAGIC;
}

/* Whether the pin directory is ours alone: 0, else -PIN_E_OTHER_OWNER or -PIN_E_OTHERS_WRITE. */
static int owned_by_us(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (st.st_uid != geteuid())
		return -PIN_E_OTHER_OWNER;
	return st.st_mode & (S_IWGRP | S_IWOTH) ? -PIN_E_OTHERS_WRITE : 0;
}

int pin_dir_lock(const char *pin_path, bool create)
{
	char parent[PATH_MAX];
	char *slash;
	int fd, err;

	if (access(pin_path, F_OK) && errno == ENOENT) {
		if (!create)
			return -ENOENT;
		snprintf(parent, sizeof(parent), "%s", pin_path);
		slash = strrchr(parent, '/');
		if (slash)
			*(slash == parent ? slash + 1 : slash) = '\0';
		if (!in_bpffs(slash ? parent : "."))
			return -ENOTDIR;
		if (mkdir(pin_path, 0700) && errno != EEXIST)
			return -errno;
	}
	if (!in_bpffs(pin_path))
		return -ENOTDIR;
	fd = open(pin_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOTDIR || errno == ELOOP ? -ELOOP : -errno;
	err = owned_by_us(fd);
	if (err) {
		close(fd);
		return err;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(fd);
		return err;
	}
	return fd;
}

int pin_dir_lock_waiting(const char *pin_path, unsigned int wait_ms)
{
	const struct timespec step = {.tv_nsec = 100 * 1000000L};
	unsigned int waited = 0;
	int fd;

	while ((fd = pin_dir_lock(pin_path, true)) == -EBUSY && waited < wait_ms) {
		if (!waited)
			log_info(
			    "another ctrwatch is reading the programs pinned at %s: waiting up to "
			    "%u ms for it to exit",
			    pin_path, wait_ms);
		if (nanosleep(&step, NULL))
			return -errno;
		waited += 100;
	}
	if (fd >= 0 && waited)
		log_info("the ctrwatch before us exited after %u ms: carrying on", waited);
	return fd;
}

bool pin_dir_log_error(const char *pin_path, int err)
{
	switch (err) {
	case -EBUSY:
		log_error("another ctrwatch is reading the programs pinned at %s", pin_path);
		return true;
	case -ENOTDIR:
		log_error("%s is not in a bpf filesystem (mount -t bpf bpf /sys/fs/bpf)", pin_path);
		return true;
	case -PIN_E_OTHER_OWNER:
		log_error("refusing the pin path %s: another user owns it (its maps could be "
			  "theirs: chown it to this user, or remove it)",
			  pin_path);
		return true;
	case -PIN_E_OTHERS_WRITE:
		log_error("refusing the pin path %s: others may write it (its maps could be "
			  "anyone's: chmod 0700, or remove it)",
			  pin_path);
		return true;
	case -ELOOP:
		log_error("refusing the pin path %s: a symbolic link (give the directory itself)",
			  pin_path);
		return true;
	default: return false;
	}
}
