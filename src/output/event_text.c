// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* --format text (event_text.h): the line a person reads. */
#define _GNU_SOURCE /* sigabbrev_np */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "enrich/enrichment.h"
#include "lifecycle/posture.h"
#include "output/event_fields.h"
#include "output/event_text.h"
#include "output/text_line.h"

/* The columns, in this order; the details take what the line has left. */
#define WORD_COLS 8
#define SHORT_ID  12
/* Not a terminal: a line's details are still bounded. */
#define DETAILS_COLS_PIPED 160

/*
 * The identity's columns, by the terminal's width: a narrow one shows no image and no pod, so
 * that what happened keeps room. The image shows its end: the name and tag a person knows.
 */
struct columns {
	size_t name, image, pod;
};

static const struct columns wide = {16, 24, 18}, medium = {14, 16, 12}, narrow = {14, 0, 0};

/* Set once by main.c before the first line (event_text_configure). */
static bool colour;
static size_t line_width;
static const struct columns *cols = &wide;

void event_text_configure(bool use_colour, size_t width)
{
	colour = use_colour;
	line_width = width;
	cols = !width || width >= 120 ? &wide : width >= 100 ? &medium : &narrow;
}

struct look {
	const char *word;
	const char *sgr; /* SGR parameters: the word's colour */
};

static struct look look_of(const struct event *ev)
{
	bool failed = event_exit_code(ev->exit_status) || event_exit_signal(ev->exit_status);

	switch (ev->kind) {
	case EVENT_CONTAINER_EXISTING: return (struct look){"running", "32"};
	case EVENT_CONTAINER_CREATE: return (struct look){"create", "34"};
	case EVENT_CONTAINER_START: return (struct look){"start", "1;32"};
	case EVENT_PROCESS_EXEC: return (struct look){"exec", "36"};
	case EVENT_CONTAINER_EXEC_SESSION: return (struct look){"session", "1;36"};
	case EVENT_CONTAINER_EXIT: return (struct look){"exit", failed ? "1;31" : "33"};
	case EVENT_CONTAINER_REMOVE: return (struct look){"remove", "2"};
	case EVENT_CONTAINER_PAUSED: return (struct look){"pause", "35"};
	case EVENT_CONTAINER_RESUMED: return (struct look){"resume", "35"};
	case EVENT_CGROUP_IMPOSTOR: return (struct look){"IMPOSTOR", "1;7;31"};
	}
	return (struct look){"?", "0"};
}

/* Local time of day with milliseconds, and the word in its colour. */
static void begin(struct text_line *l, struct json_writer *w, uint64_t boot_ns, struct look look)
{
	uint64_t ns = clock_boot_to_realtime_ns(boot_ns);
	time_t s = (time_t)(ns / 1000000000ull);
	char stamp[32] = "??:??:??.???";
	struct tm tm;

	if (localtime_r(&s, &tm))
		snprintf(stamp, sizeof(stamp), "%02d:%02d:%02d.%03u", tm.tm_hour, tm.tm_min,
			 tm.tm_sec, (unsigned int)(ns / 1000000ull % 1000));
	text_line_begin(l, w, line_width);
	text_line_str(l, stamp, 0, false);
	text_line_str(l, " ", 0, false);
	if (colour)
		text_line_sgr(l, look.sgr);
	text_line_str(l, look.word, WORD_COLS, true);
	if (colour)
		text_line_sgr(l, "");
	text_line_str(l, " ", 0, false);
}

/* Between fields; and what the details may take when the line has no width. */
static void gap(struct text_line *l)
{
	text_line_str(l, " ", 0, false);
}

static size_t details_cols(void)
{
	return line_width ? 0 : DETAILS_COLS_PIPED;
}

/* The name the engine gives, else the id's first 12 characters; the image; the pod. */
static void identity(struct text_line *l, const struct event *ev)
{
	const struct container_meta *m = event_meta(ev);
	const char *id = ev->container->ident.id;
	char pod[256] = "";

	if (m && m->name && *m->name)
		text_line_str(l, m->name, cols->name, true);
	else
		text_line_put(l, id, strnlen(id, SHORT_ID), cols->name, true);
	gap(l);
	if (cols->image && m && m->image && *m->image)
		text_line_put_tail(l, m->image, strlen(m->image), cols->image, true);
	else if (cols->image)
		text_line_str(l, NULL, cols->image, true);
	if (cols->image)
		gap(l);
	if (!cols->pod)
		return;
	if (m && m->pod_name)
		snprintf(pod, sizeof(pod), "%s/%s", m->pod_namespace ? m->pod_namespace : "",
			 m->pod_name);
	text_line_str(l, pod, cols->pod, true);
	gap(l);
}

/* The program's arguments as a shell would show them, each escaped; the program if none. */
static void command(struct text_line *l, const struct record_process *p)
{
	size_t len = p->args_len < ARGS_MAX ? p->args_len : ARGS_MAX, shown = 0;

	for (size_t i = 0; i < len;) {
		size_t n = strnlen(p->args + i, len - i);

		if (shown++)
			text_line_str(l, " ", 0, false);
		text_line_put(l, p->args + i, n, details_cols(), false);
		i += n + 1;
	}
	if (!shown)
		text_line_put(l, p->comm, event_comm_len(p), details_cols(), false);
	if (p->hdr.flags & RECORD_F_TRUNCATED)
		text_line_str(l, " …", 0, false);
}

static void tag(struct text_line *l, const char *word, const char *sgr)
{
	text_line_str(l, " ", 0, false);
	if (colour)
		text_line_sgr(l, sgr);
	text_line_str(l, word, 0, false);
	if (colour)
		text_line_sgr(l, "");
}

static void exit_details(struct text_line *l, const struct event *ev)
{
	uint32_t sig = event_exit_signal(ev->exit_status);
	char what[64];

	if (sig) {
		const char *name = sigabbrev_np((int)sig);

		snprintf(what, sizeof(what), "signal %u (SIG%s)", sig, name ? name : "?");
	} else {
		snprintf(what, sizeof(what), "code %u", event_exit_code(ev->exit_status));
	}
	text_line_str(l, what, 0, false);
	if (ev->exit_flags & RECORD_F_OOM_KILLED)
		tag(l, "oom-killed", "1;31");
	if (ev->exit_flags & RECORD_F_CORE_DUMPED)
		tag(l, "core", "31");
	if (ev->exit_flags & RECORD_F_NEVER_STARTED)
		tag(l, "never started", "2");
}

static void impostor(struct text_line *l, const struct event *ev)
{
	const struct enrichment_claim *claim = ev->enrichment ? ev->enrichment->claim : NULL;
	char head[64];

	text_line_put_tail(l, ev->container->cgroup_path, strlen(ev->container->cgroup_path),
			   cols->name + cols->image, true);
	gap(l);
	snprintf(head, sizeof(head), "claims %.12s", ev->container->ident.id);
	text_line_str(l, head, 0, false);
	if (claim) {
		text_line_str(l, ", which ", 0, false);
		text_line_str(l, claim->engine, 0, false);
		text_line_str(l, " has at ", 0, false);
		text_line_str(l, claim->cgroups_path, details_cols(), false);
	}
}

void event_text_encode(struct json_writer *w, const struct event *ev, const char *hostname)
{
	const struct enrichment *e = ev->enrichment;
	struct text_line l;

	(void)hostname; /* the person knows which host they are on */
	begin(&l, w, ev->boot_ns, look_of(ev));
	if (ev->kind == EVENT_CGROUP_IMPOSTOR) {
		impostor(&l, ev);
		text_line_end(&l);
		return;
	}
	identity(&l, ev);
	if (ev->kind == EVENT_CONTAINER_EXIT)
		exit_details(&l, ev);
	if (ev->process) {
		command(&l, ev->process);
		if ((ev->process->hdr.flags & RECORD_F_POSTURE) &&
		    posture_privileged(&ev->process->posture))
			tag(&l, "privileged", "1;31");
	}
	if (e && e->state == ENRICHMENT_PARTIAL)
		tag(&l, "(partial)", "2");
	text_line_end(&l);
}

/* A line of ctrwatch's own: its word, then "name n" for each counter that is not 0. */
static void counters_line(struct json_writer *w, uint64_t boot_ns, struct look look,
			  const char *head, const struct event_counter *c, size_t n)
{
	struct text_line l;
	char item[96];

	begin(&l, w, boot_ns, look);
	text_line_str(&l, head, 0, false);
	for (size_t i = 0; i < n; i++) {
		if (!c[i].n)
			continue;
		snprintf(item, sizeof(item), " %s %" PRIu64, c[i].name, c[i].n);
		text_line_str(&l, item, 0, false);
	}
	text_line_end(&l);
}

void event_text_encode_lost(struct json_writer *w, uint64_t boot_ns, const struct loss_counts *lost,
			    const char *hostname)
{
	struct event_counter c[EVENT_LOST_COUNTERS];
	uint64_t total;
	size_t n = event_lost_counters(lost, c, &total);
	char head[64];

	(void)hostname;
	snprintf(head, sizeof(head), "%" PRIu64 " events lost since the last line:", total);
	counters_line(w, boot_ns, (struct look){"LOST", "1;7;31"}, head, c, n);
}

void event_text_encode_pressure(struct json_writer *w, uint64_t boot_ns,
				const struct pressure_counts *pressure, const char *hostname)
{
	struct event_counter c[EVENT_LOST_COUNTERS];
	size_t n = event_pressure_counters(pressure, c);

	(void)hostname;
	counters_line(w, boot_ns, (struct look){"pressure", "1;33"},
		      "work shed for a flood of cgroups:", c, n);
}

void event_text_encode_heartbeat(struct json_writer *w, uint64_t boot_ns,
				 const struct heartbeat *hb, const char *hostname)
{
	struct text_line l;
	char text[256];
	int len;

	(void)hostname;
	begin(&l, w, boot_ns, (struct look){"alive", "2"});
	len = snprintf(text, sizeof(text),
		       "%u containers followed, %" PRIu64 " lines and %" PRIu64 " lost in %" PRIu64
		       " s, reader %" PRIu64 " ms behind",
		       hb->containers, hb->written, hb->lost, hb->interval_s, hb->reader_lag_ms);
	for (int i = 0; i < HEARTBEAT_ENGINES && len > 0 && (size_t)len < sizeof(text); i++)
		len += snprintf(text + len, sizeof(text) - (size_t)len, ", %s %s",
				heartbeat_engine_name(i), hb->engines[i] ? hb->engines[i] : "off");
	text_line_str(&l, text, 0, false);
	text_line_end(&l);
}
