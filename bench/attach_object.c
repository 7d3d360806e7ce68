// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Benchmark helper: loads a BPF object, attaches all its programs, prints "attached", waits for
 * SIGINT/SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OBJECT.bpf.o\n", argv[0]);
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "attach_object: cannot load %s\n", argv[1]);
		return 1;
	}
	bpf_object__for_each_program (prog, obj) {
		if (!bpf_program__attach(prog)) {
			fprintf(stderr, "attach_object: cannot attach %s\n",
				bpf_program__name(prog));
			return 1;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("attached\n");
	fflush(stdout);
	while (!stop)
		pause();
	bpf_object__close(obj);
	return 0;
}
