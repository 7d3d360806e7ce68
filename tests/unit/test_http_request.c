// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The metrics server's reading of a request: where the head ends, the request line. */
#include <errno.h>
#include <string.h>

#include "metrics/http_request.h"
#include "test.h"

struct head_case {
	const char *name, *in;
	size_t end;
};

static const struct head_case heads[] = {
    {"CRLF", "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n", 34},
    {"LF", "GET /healthz HTTP/1.0\n\n", 23},
    {"LF then CRLF (curl-like clients differ)", "GET /healthz HTTP/1.1\n\r\n", 24},
    {"CRLF then LF", "GET /healthz HTTP/1.1\r\n\n", 24},
    {"a header between", "GET / HTTP/1.1\nA: b\n\nrest", 21},
    {"one line, not whole", "GET /healthz HTTP/1.1\r\n", 0},
    {"a CR alone is no line end", "GET / HTTP/1.1\r\r\r\r", 0},
    {"LF CR, not whole yet", "GET / HTTP/1.1\n\r", 0},
    {"empty", "", 0},
};

struct line_case {
	const char *name, *in;
	int err;
	const char *method, *path;
};

static const struct line_case lines[] = {
    {"GET", "GET /healthz HTTP/1.1\r\n", 0, "GET", "/healthz"},
    {"HEAD with a query", "HEAD /metrics?a=b HTTP/1.1\r\n", 0, "HEAD", "/metrics"},
    {"no version", "GET /healthz\n", 0, "GET", "/healthz"},
    {"the path's end is the bytes' end", "GET /healthz", 0, "GET", "/healthz"},
    {"a method of 7 letters", "OPTIONS / HTTP/1.1\r\n", 0, "OPTIONS", "/"},
    {"a path longer than any served is no path",
     "GET /healthz0123456789012345678901234567890 HTTP/1.1\r\n", 0, "GET", ""},
    {"a path of 31 bytes", "GET /012345678901234567890123456789 HTTP/1.1\r\n", 0, "GET",
     "/012345678901234567890123456789"},
    {"a method of 8 letters", "PROPFIND / HTTP/1.1\r\n", -EINVAL, NULL, NULL},
    {"lower case", "get /healthz HTTP/1.1\r\n", -EINVAL, NULL, NULL},
    {"two spaces", "GET  /healthz HTTP/1.1\r\n", -EINVAL, NULL, NULL},
    {"no slash", "GET healthz HTTP/1.1\r\n", -EINVAL, NULL, NULL},
    {"absolute form is not served", "GET http://a/healthz HTTP/1.1\r\n", -EINVAL, NULL, NULL},
    {"no path", "GET ", -EINVAL, NULL, NULL},
    {"no method", " /healthz HTTP/1.1\r\n", -EINVAL, NULL, NULL},
    {"empty", "", -EINVAL, NULL, NULL},
};

int main(void)
{
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		SUBTEST (heads[i].name) {
			ASSERT_EQ(http_head_end(heads[i].in, strlen(heads[i].in)), heads[i].end);
		}
	}
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		SUBTEST (lines[i].name) {
			struct http_request req;
			int err = http_request_line_parse(lines[i].in, strlen(lines[i].in), &req);

			ASSERT_EQ(err, lines[i].err);
			if (!err) {
				ASSERT_STREQ(req.method, lines[i].method);
				ASSERT_STREQ(req.path, lines[i].path);
			}
		}
	}
	SUBTEST ("the bytes' length bounds the line, not a NUL") {
		struct http_request req;

		ASSERT_EQ(http_request_line_parse("GET /healthz", 6, &req), 0);
		ASSERT_STREQ(req.path, "/h");
	}
	return test_summary("http_request");
}
