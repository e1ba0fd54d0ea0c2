/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * forkstorm: forks thousands of short-lived children, in waves that exit at
 * once. A fault target for following process trees (issue 15): every child
 * enters and leaves the traced set, a wave of them is alive at the same
 * moment, and the tracer must stay bounded in memory and not crash.
 *
 * Each wave forks WAVE children (fewer in the last). Every child blocks in
 * read(2) on a pipe; once the whole wave is forked the parent closes the
 * write end, so the wave's children all wake on EOF and exit together: each
 * -e'th child (0: none) execs /bin/true, the others _exit(0). The parent then
 * reaps the wave and starts the next, until CHILDREN have been made.
 *
 * USAGE: forkstorm [-n CHILDREN] [-w WAVE] [-e EXEC_EVERY] [-s START_FILE]
 *   -n CHILDREN   children in all (default 5000; 0 makes none)
 *   -w WAVE       children alive at once, at most (default 500)
 *   -e N          every Nth child execs /bin/true instead of exiting (default 10)
 *   -s FILE       wait until FILE exists before the first fork (10 s at most)
 * Prints "forkstorm: N children, N exec'd, N waves of at most W, N failed, elapsed_ms T"
 * and exits 0 when every child was made and exited 0, else 1.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static long arg_num(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 1000000) {
		fprintf(stderr, "forkstorm: bad %s: %s\n", what, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	long total = 5000, wave = 500, exec_every = 10, made = 0, execd = 0, failed = 0, waves = 0;
	const char *start_file = NULL;
	long t0;
	int opt;

	while ((opt = getopt(argc, argv, "n:w:e:s:")) != -1) {
		switch (opt) {
		case 'n': total = arg_num(optarg, "-n"); break;
		case 'w': wave = arg_num(optarg, "-w"); break;
		case 'e': exec_every = arg_num(optarg, "-e"); break;
		case 's': start_file = optarg; break;
		default:
			fprintf(stderr, "usage: forkstorm [-n CHILDREN] [-w WAVE] [-e EXEC_EVERY] [-s START_FILE]\n");
			return 2;
		}
	}
	if (wave < 1)
		wave = 1;
	if (start_file) {
		struct stat st;
		int i;

		for (i = 0; i < 1000 && stat(start_file, &st) != 0; i++)
			usleep(10000);
		if (i == 1000) {
			fprintf(stderr, "forkstorm: %s never appeared\n", start_file);
			return 1;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	t0 = now_ms();
	while (made < total) {
		long n = total - made < wave ? total - made : wave, i, forked = 0;
		int p[2];

		if (pipe(p)) {
			perror("forkstorm: pipe");
			return 1;
		}
		for (i = 0; i < n; i++) {
			long idx = made + i + 1;
			pid_t pid = fork();

			if (pid < 0) {
				perror("forkstorm: fork");
				failed += n - i;
				break;
			}
			if (pid == 0) {
				char c;
				ssize_t r;

				close(p[1]);
				/* the whole wave wakes at once, on EOF */
				do
					r = read(p[0], &c, 1);
				while (r < 0 && errno == EINTR);
				if (exec_every && idx % exec_every == 0) {
					execl("/bin/true", "true", (char *)NULL);
					_exit(127);
				}
				_exit(0);
			}
			forked++;
			if (exec_every && idx % exec_every == 0)
				execd++;
		}
		close(p[0]);
		close(p[1]);
		for (i = 0; i < forked; i++) {
			int st;

			if (wait(&st) < 0) {
				if (errno == EINTR) {
					i--;
					continue;
				}
				perror("forkstorm: wait");
				return 1;
			}
			if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
				failed++;
		}
		made += forked;
		waves++;
		if (forked < n)
			break;
	}
	printf("forkstorm: %ld children, %ld exec'd, %ld waves of at most %ld, %ld failed, elapsed_ms %ld\n",
	       made, execd, waves, wave, failed, now_ms() - t0);
	return made == total && failed == 0 ? 0 : 1;
}
