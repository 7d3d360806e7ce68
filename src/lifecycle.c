// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle.h"
#include "log.h"

void lifecycle_init(struct lifecycle *lc, const struct lifecycle_ops *ops)
{
	container_table_init(&lc->table);
	lc->ops = *ops;
	lc->malformed_records = 0;
}

void lifecycle_free(struct lifecycle *lc)
{
	container_table_clear(&lc->table);
}

static void emit(struct lifecycle *lc, enum event_kind kind, uint64_t boot_ns, struct container *c)
{
	struct event ev = {.kind = kind, .boot_ns = boot_ns, .container = c};

	lc->ops.emit(lc->ops.ctx, &ev);
}

static int on_cgroup_mkdir(struct lifecycle *lc, const struct record_cgroup *r)
{
	size_t len = r->path_len < CGROUP_PATH_MAX ? r->path_len : CGROUP_PATH_MAX - 1;
	struct container_ident ident;
	struct container *c;
	char path[CGROUP_PATH_MAX];

	memcpy(path, r->path, len);
	path[len] = '\0';
	if (strlen(path) != len || !cgroup_classify(path, &ident)) {
		/* Not a container: stop paying for it in the kernel. */
		lc->ops.untrack(lc->ops.ctx, r->hdr.cgroup_id);
		return 0;
	}
	if (container_table_get(&lc->table, r->hdr.cgroup_id))
		return 0; /* already reported by the startup scan */
	c = container_table_add(&lc->table, r->hdr.cgroup_id, path,
				r->hdr.flags & RECORD_F_TRUNCATED, &ident);
	if (!c) {
		log_warn("cannot track container %s: %s", ident.id, strerror(errno));
		return 0;
	}
	c->created_ns = r->hdr.timestamp_ns;
	/*
	 * "/<namespace>/<id>" is also what any two-level directory looks like. Such a cgroup is
	 * confirmed by its start (a program that entered new namespaces, which only the kernel
	 * side reports) or by containerd; the pipeline holds its events until then.
	 */
	c->confirmed = !ident.ambiguous;
	emit(lc, EVENT_CONTAINER_CREATE, c->created_ns, c);
	return 0;
}

static int on_process(struct lifecycle *lc, const struct record_process *r)
{
	struct container *c = container_table_get(&lc->table, r->hdr.cgroup_id);
	struct event ev = {.boot_ns = r->hdr.timestamp_ns, .container = c, .process = r};

	if (!c)
		return 0; /* a cgroup found not to be a container after the kernel saw it */
	if (r->hdr.type == RECORD_CONTAINER_START) {
		if (c->started)
			return 0;
		c->started = true;
		c->confirmed = true;
		c->init_pid = r->pid;
		ev.kind = EVENT_CONTAINER_START;
	} else {
		ev.kind = EVENT_PROCESS_EXEC;
	}
	lc->ops.emit(lc->ops.ctx, &ev);
	return 0;
}

static int on_container_exit(struct lifecycle *lc, const struct record_exit *r)
{
	struct container *c = container_table_get(&lc->table, r->hdr.cgroup_id);
	struct event ev = {
	    .kind = EVENT_CONTAINER_EXIT,
	    .boot_ns = r->hdr.timestamp_ns,
	    .container = c,
	    .exit_status = r->exit_status,
	    .exit_flags = r->hdr.flags,
	};

	if (!c || c->exited)
		return 0;
	c->exited = true;
	lc->ops.emit(lc->ops.ctx, &ev);
	return 0;
}

static int on_cgroup_rmdir(struct lifecycle *lc, const struct record_cgroup *r)
{
	struct container *c = container_table_get(&lc->table, r->hdr.cgroup_id);

	if (!c || c->removed)
		return 0;
	emit(lc, EVENT_CONTAINER_REMOVE, r->hdr.timestamp_ns, c);
	container_table_release(&lc->table, c);
	return 0;
}

static size_t record_size(uint32_t type)
{
	switch (type) {
	case RECORD_CGROUP_MKDIR:
	case RECORD_CGROUP_RMDIR: return sizeof(struct record_cgroup);
	case RECORD_CONTAINER_START:
	case RECORD_PROCESS_EXEC: return sizeof(struct record_process);
	case RECORD_CONTAINER_EXIT: return sizeof(struct record_exit);
	}
	return 0;
}

int lifecycle_handle_record(struct lifecycle *lc, const void *data, size_t size)
{
	const struct record_header *hdr = data;
	size_t want;

	if (size < sizeof(*hdr) || !(want = record_size(hdr->type)) || size < want) {
		lc->malformed_records++;
		return -EINVAL;
	}
	switch (hdr->type) {
	case RECORD_CGROUP_MKDIR: return on_cgroup_mkdir(lc, data);
	case RECORD_CONTAINER_START:
	case RECORD_PROCESS_EXEC: return on_process(lc, data);
	case RECORD_CONTAINER_EXIT: return on_container_exit(lc, data);
	case RECORD_CGROUP_RMDIR: return on_cgroup_rmdir(lc, data);
	}
	return -EINVAL;
}

void lifecycle_add_existing(struct lifecycle *lc, const struct existing_container *ec,
			    uint64_t now_ns)
{
	struct tracked_cgroup value = {
	    .state = ec->init_pid ? TRACKED_STARTED : TRACKED_PENDING,
	    .init_tgid = ec->init_pid,
	};
	struct container *c;
	int err;

	err = lc->ops.track(lc->ops.ctx, ec->cgroup_id, &value);
	if (err == -EEXIST)
		return; /* born after attach: its records are in the ring buffer */
	if (err) {
		log_warn("cannot track existing container %s: %s", ec->ident.id, strerror(-err));
		return;
	}
	c = container_table_add(&lc->table, ec->cgroup_id, ec->cgroup_path, false, &ec->ident);
	if (!c) {
		lc->ops.untrack(lc->ops.ctx, ec->cgroup_id);
		return;
	}
	c->started = ec->init_pid != 0;
	c->init_pid = ec->init_pid;
	c->confirmed = ec->confirmed;
	c->existing = true;
	emit(lc, EVENT_CONTAINER_EXISTING, now_ns, c);
}
