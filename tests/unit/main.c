/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Runs every registered TEST in a forked child with a timeout, so a crash
 * or hang fails that test alone. Usage: unit-tests [NAME-SUBSTRING]
 */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include "../harness.h"

#define LS_MAX_TESTS 512
#define LS_TEST_TIMEOUT_S 30

static struct {
	const char *name;
	ls_test_fn fn;
} tests[LS_MAX_TESTS];
static int ntests;

void ls_test_register(const char *name, ls_test_fn fn)
{
	if (ntests < LS_MAX_TESTS) {
		tests[ntests].name = name;
		tests[ntests].fn = fn;
		ntests++;
	}
}

static int run_one(int i)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return 0;
	if (pid == 0) {
		alarm(LS_TEST_TIMEOUT_S);
		tests[i].fn();
		exit(0);
	}
	if (waitpid(pid, &status, 0) < 0)
		return 0;
	if (WIFSIGNALED(status))
		fprintf(stderr, "# killed by signal %d%s\n", WTERMSIG(status),
			WTERMSIG(status) == SIGALRM ? " (timeout)" : "");
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(int argc, char **argv)
{
	int i, n = 0, passed = 0, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < ntests; i++)
		if (argc < 2 || strstr(tests[i].name, argv[1]))
			n++;
	printf("1..%d\n", n);
	n = 0;
	for (i = 0; i < ntests; i++) {
		if (argc >= 2 && !strstr(tests[i].name, argv[1]))
			continue;
		n++;
		if (run_one(i)) {
			passed++;
			printf("ok %d - %s\n", n, tests[i].name);
		} else {
			failed++;
			printf("not ok %d - %s\n", n, tests[i].name);
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
