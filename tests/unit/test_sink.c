// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The sink under a full disk: a line is written whole or not at all, lines wait in order and go
 * out once there is room, the backlog is bounded and what it cannot keep is counted, and a gone
 * reader ends it. A file size limit (RLIMIT_FSIZE, EFBIG) stands in for a full disk; a
 * non-blocking pipe for a reader that cannot take more.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "output/sink.h"
#include "test.h"

static void set_size_limit(rlim_t bytes)
{
	struct rlimit r;

	getrlimit(RLIMIT_FSIZE, &r);
	r.rlim_cur = bytes;
	setrlimit(RLIMIT_FSIZE, &r);
}

static void file_content(const char *path, char *out, size_t size)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(out, 1, size - 1, f) : 0;

	out[n] = '\0';
	if (f)
		fclose(f);
}

static int write_str(struct sink *s, const char *line)
{
	return sink_write(s, line, strlen(line));
}

int main(void)
{
	char path[] = "/tmp/ctrwatch-test-sink.XXXXXX";
	char out[4096];

	signal(SIGXFSZ, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	close(mkstemp(path));

	SUBTEST ("--output: a link, another user's file and a file others may write are refused") {
		static const struct {
			const char *name;
			int make; /* 0: link to path; 1: owned by nobody; 2: mode 0666; 3: new; 4:
				     dev */
			int err;
			const char *words; /* of its one-line error: each reason its own */
		} cases[] = {
		    {"a symbolic link", 0, ELOOP, "a symbolic link"},
		    {"a file another user owns", 1, SINK_E_OTHER_OWNER, "another user owns it"},
		    {"a file others may write", 2, SINK_E_OTHERS_WRITE, "others may write it"},
		    {"a new file, made 0640", 3, 0, NULL},
		    {"a device", 4, 0, NULL},
		};
		char other[64];

		snprintf(other, sizeof(other), "/tmp/ctrwatch-test-sink-other.%d", (int)getpid());

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const char *target = cases[i].make == 4 ? "/dev/null" : other;
			struct sink *s;
			struct stat st;

			close(open(other, O_WRONLY | O_CREAT | O_TRUNC, 0600));
			if (cases[i].make == 0) {
				unlink(other);
				ASSERT_EQ(symlink(path, other), 0);
			}
			if (cases[i].make == 1)
				ASSERT_EQ(chown(other, 65534, 65534), 0);
			if (cases[i].make == 2)
				ASSERT_EQ(chmod(other, 0666), 0);
			if (cases[i].make == 3)
				unlink(other);
			errno = 0;
			s = sink_open(target);
			ASSERT_EQ(s ? 0 : errno, cases[i].err);
			if (cases[i].make == 3)
				ASSERT_TRUE(stat(other, &st) == 0 && (st.st_mode & 0777) == 0640);
			for (size_t j = 0; cases[i].err && j < sizeof(cases) / sizeof(cases[0]);
			     j++)
				if (cases[j].words) /* its own words, none of another reason's */
					ASSERT_EQ(strstr(sink_open_error(-cases[i].err),
							 cases[j].words) != NULL,
						  i == j);
			sink_close(s);
			unlink(other);
		}
	}
	SUBTEST ("a reopen (SIGHUP) that finds a link keeps writing to the old file") {
		char moved[sizeof(path) + 8];
		struct sink *s;

		truncate(path, 0);
		s = sink_open(path);
		snprintf(moved, sizeof(moved), "%s.1", path);
		ASSERT_EQ(rename(path, moved), 0);
		ASSERT_EQ(symlink("/etc/passwd-ctrwatch-test", path), 0);
		ASSERT_EQ(sink_reopen(s), -ELOOP);
		ASSERT_EQ(write_str(s, "{\"n\":1}\n"), 0);
		file_content(moved, out, sizeof(out));
		ASSERT_STREQ(out, "{\"n\":1}\n");
		sink_close(s);
		unlink(path);
		ASSERT_EQ(rename(moved, path), 0);
		truncate(path, 0);
	}
	SUBTEST ("a line cut short by a full disk is taken back; all go out in order later") {
		struct sink *s = sink_open(path);

		ASSERT_EQ(write_str(s, "{\"n\":1}\n"), 0);
		set_size_limit(12); /* room for 4 bytes of the next line */
		ASSERT_EQ(write_str(s, "{\"n\":2}\n"), 0);
		ASSERT_EQ(write_str(s, "{\"n\":3}\n"), 0);
		file_content(path, out, sizeof(out));
		ASSERT_STREQ(out, "{\"n\":1}\n"); /* never half a line */
		ASSERT_EQ(sink_backlog(s), 16);
		ASSERT_EQ(sink_flush(s, true), 0); /* still full: waits again */
		file_content(path, out, sizeof(out));
		ASSERT_STREQ(out, "{\"n\":1}\n");
		set_size_limit(RLIM_INFINITY);
		ASSERT_EQ(sink_flush(s, false), 0); /* within its backoff: not yet */
		ASSERT_EQ(sink_backlog(s), 16);
		ASSERT_EQ(sink_flush(s, true), 0);
		ASSERT_EQ(sink_backlog(s), 0);
		ASSERT_EQ(write_str(s, "{\"n\":4}\n"), 0);
		file_content(path, out, sizeof(out));
		ASSERT_STREQ(out, "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n{\"n\":4}\n");
		ASSERT_EQ(sink_unwritten(s), 0);
		sink_close(s);
	}
	SUBTEST ("the backlog is bounded: what it cannot keep is counted, the rest is kept") {
		static char line[1024];
		struct sink *s;
		struct stat st;
		unsigned int n = (SINK_BACKLOG_MAX / sizeof(line)) + 10;

		truncate(path, 0);
		s = sink_open(path);
		memset(line, 'x', sizeof(line) - 1);
		line[sizeof(line) - 1] = '\n';
		set_size_limit(0);
		for (unsigned int i = 0; i < n; i++)
			ASSERT_EQ(sink_write(s, line, sizeof(line)), 0);
		ASSERT_EQ(sink_backlog(s), SINK_BACKLOG_MAX);
		ASSERT_EQ(sink_unwritten(s), 10);
		set_size_limit(RLIM_INFINITY);
		ASSERT_EQ(sink_flush(s, true), 0);
		stat(path, &st);
		ASSERT_EQ(st.st_size, SINK_BACKLOG_MAX);
		sink_close(s);
	}
	SUBTEST ("on a pipe that is full, the remainder of a cut line goes out first") {
		int fds[2], saved = dup(STDOUT_FILENO), cap;
		static char big[65536 + 512];
		struct sink *s;
		ssize_t got = 0, n;
		char *all = malloc(2 * sizeof(big));

		ASSERT_EQ(pipe(fds), 0);
		cap = fcntl(fds[1], F_GETPIPE_SZ);
		fcntl(fds[1], F_SETFL, O_NONBLOCK);
		dup2(fds[1], STDOUT_FILENO);
		s = sink_open(NULL);
		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\n';
		ASSERT_TRUE((size_t)cap < sizeof(big));
		ASSERT_EQ(sink_write(s, big, sizeof(big)), 0); /* cut at the pipe's size */
		ASSERT_EQ(write_str(s, "b\n"), 0);
		ASSERT_EQ(sink_backlog(s), sizeof(big) - cap + 2);
		fcntl(fds[0], F_SETFL, O_NONBLOCK);
		while (sink_backlog(s)) {
			while ((n = read(fds[0], all + got, 2 * sizeof(big) - got)) > 0)
				got += n;
			ASSERT_EQ(sink_flush(s, true), 0);
		}
		while ((n = read(fds[0], all + got, 2 * sizeof(big) - got)) > 0)
			got += n;
		ASSERT_EQ(got, (ssize_t)sizeof(big) + 2);
		ASSERT_TRUE(memcmp(all, big, sizeof(big)) == 0 &&
			    memcmp(all + sizeof(big), "b\n", 2) == 0);
		dup2(saved, STDOUT_FILENO);
		close(saved);
		close(fds[0]);
		close(fds[1]);
		free(all);
		sink_close(s);
	}
	SUBTEST ("a reader that is gone ends the sink with EPIPE") {
		int fds[2], saved = dup(STDOUT_FILENO);
		struct sink *s;

		ASSERT_EQ(pipe(fds), 0);
		close(fds[0]);
		dup2(fds[1], STDOUT_FILENO);
		s = sink_open("-");
		ASSERT_EQ(write_str(s, "x\n"), -EPIPE);
		ASSERT_EQ(sink_backlog(s), 0);
		dup2(saved, STDOUT_FILENO);
		close(saved);
		close(fds[1]);
		sink_close(s);
	}
	unlink(path);
	return test_summary("test_sink");
}
