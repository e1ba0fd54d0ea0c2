// SPDX-License-Identifier: BSD-2-Clause
/*
 * bench/floor: loads floor.bpf.c for one process and keeps it attached until
 * SIGINT or SIGTERM, then prints how many syscall entries and exits it
 * counted. Only `make bench` uses it, as the floor configuration.
 *
 * USAGE: floor -p PID
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include "floor.skel.h"

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	exiting = 1;
	signal(sig, SIG_DFL);	/* a second signal ends us the default way */
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

/* The per-CPU counter summed over CPUs. */
static int read_hits(struct floor_bpf *skel, unsigned long long *total)
{
	int ncpu = libbpf_num_possible_cpus(), i, err;
	unsigned long long *v;
	__u32 key = 0;

	if (ncpu < 0)
		return ncpu;
	v = calloc((size_t)ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	err = bpf_map_lookup_elem(bpf_map__fd(skel->maps.hits), &key, v);
	if (err)
		err = -errno;
	*total = 0;
	for (i = 0; !err && i < ncpu; i++)
		*total += v[i];
	free(v);
	return err;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, old;
	struct floor_bpf *skel;
	unsigned long long hits = 0;
	long pid = 0;
	char *end;
	int opt, err;

	while ((opt = getopt(argc, argv, "p:")) != -1) {
		if (opt != 'p')
			goto usage;
		errno = 0;
		pid = strtol(optarg, &end, 10);
		if (errno || *end || pid <= 0 || pid > 0x7fffffff)
			goto usage;
	}
	if (!pid || optind != argc)
		goto usage;
	libbpf_set_print(libbpf_quiet);
	sigemptyset(&sa.sa_mask);
	/* Blocked until sigsuspend, so a signal cannot slip in before the wait. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &block, &old) ||
	    sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL)) {
		fprintf(stderr, "floor: sigaction: %s\n", strerror(errno));
		return 1;
	}
	skel = floor_bpf__open();
	if (!skel) {
		fprintf(stderr, "floor: open: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->targ_tgid = (__u32)pid;
	err = floor_bpf__load(skel);
	if (!err)
		err = floor_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "floor: load and attach: %s (needs root and a kernel with BTF)\n",
			strerror(-err));
		floor_bpf__destroy(skel);
		return 5;
	}
	fprintf(stderr, "floor: tracing PID %ld\n", pid);
	while (!exiting)
		sigsuspend(&old);
	err = read_hits(skel, &hits);
	if (err)
		fprintf(stderr, "floor: reading the counter: %s\n", strerror(-err));
	else
		fprintf(stderr, "floor: %llu syscall entries and exits\n", hits);
	floor_bpf__destroy(skel);
	return err ? 1 : 0;
usage:
	fprintf(stderr, "usage: floor -p PID\n");
	return 2;
}
