// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The lines that say a source stopped or started answering (source_health.h). */
#include <unistd.h>

#include "enrich/source_health.h"
#include "common/log.h"

void source_health_note(struct source_health *src, bool reachable, const char *error)
{
	enum source_state was = src->state;
	enum source_state now = reachable		       ? SOURCE_UP
				: access(src->path, F_OK) == 0 ? SOURCE_DOWN
							       : SOURCE_ABSENT;

	if (now == was)
		return;
	__atomic_store_n(&src->state, now, __ATOMIC_RELAXED); /* the heartbeat reads it */
	if (src->quiet)
		log_debug("%s at %s: %s%s%s", src->name, src->path,
			  now == SOURCE_UP     ? "answers"
			  : now == SOURCE_DOWN ? "not answering"
					       : "no such socket",
			  now == SOURCE_DOWN ? ": " : "", now == SOURCE_DOWN ? error : "");
	else if (now == SOURCE_UP)
		log_info("%s at %s answers%s", src->name, src->path,
			 was == SOURCE_DOWN ? " again" : "");
	else if (now == SOURCE_DOWN)
		log_warn("%s at %s is not answering (%s): its containers' events are partial until "
			 "it does",
			 src->name, src->path, error);
	else
		log_debug("%s at %s: no such socket (not installed, or not started yet)", src->name,
			  src->path);
}

void source_health_note_absent(struct source_health *src, const char *id)
{
	if (src->state != SOURCE_ABSENT || src->absent_said || src->quiet)
		return;
	log_warn("a %s container (%.12s) runs, but there is no %s socket at %s: its events are "
		 "partial until there is",
		 src->name, id, src->name, src->path);
	src->absent_said = true;
}
