/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Replays the fuzzers' committed inputs without libFuzzer: every file of
 * tests/fuzz/corpus/NAME/ and tests/fuzz/regressions/NAME/ goes through the
 * harness's own entry point (the harness sources are included here), so a
 * crash found once stays fixed, under ASan and UBSan with SAN=1. Each input
 * runs in a child of its own: a failure names it.
 * Paths are relative to the repository root, where `make test` runs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../harness.h"

#define LS_FUZZ_NO_ENTRY
#include "../fuzz/fuzz_summary_json.c"
#include "../fuzz/fuzz_perfmap.c"
#include "../fuzz/fuzz_elf.c"
#include "../fuzz/fuzz_correlator.c"

#define FUZZ_DIR	"tests/fuzz"
#define FUZZ_MAX_INPUT	(4u << 20)

typedef void (*fuzz_fn)(const uint8_t *data, size_t size);

static void fuzz_replay_file(const char *path, fuzz_fn fn)
{
	uint8_t *buf;
	struct stat st;
	size_t have = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st))
		LS_FAIL("%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || (size_t)st.st_size > FUZZ_MAX_INPUT)
		LS_FAIL("%s: not a regular file of at most %u bytes", path, FUZZ_MAX_INPUT);
	/* exactly its size, so ASan sees a read past the end of the input */
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf)
		LS_FAIL("%s: out of memory", path);
	while (have < (size_t)st.st_size && (n = read(fd, buf + have, (size_t)st.st_size - have)) > 0)
		have += (size_t)n;
	close(fd);
	if (have != (size_t)st.st_size)
		LS_FAIL("%s: short read", path);
	fn(buf, have);
	free(buf);
}

/* Each input in a child of its own, so a crash names the input that caused it. */
static void fuzz_replay_one(const char *path, fuzz_fn fn)
{
	int status;
	pid_t pid;

	fflush(stderr);
	pid = fork();
	if (pid < 0)
		LS_FAIL("fork: %s", strerror(errno));
	if (pid == 0) {
		fuzz_replay_file(path, fn);
		exit(0);
	}
	if (waitpid(pid, &status, 0) < 0)
		LS_FAIL("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		LS_FAIL("%s: %s %d", path, WIFEXITED(status) ? "exit" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

#define FUZZ_MAX_FILES	256

/*
 * Replays every file of FUZZ_DIR/kind/name; returns how many. The names are
 * read first and the directory closed, so the children that replay them
 * leak nothing of ours.
 */
static unsigned fuzz_replay_dir(const char *kind, const char *name, fuzz_fn fn)
{
	static char paths[FUZZ_MAX_FILES][512];
	char dir[256];
	struct dirent *de;
	unsigned n = 0, i;
	DIR *d;

	snprintf(dir, sizeof(dir), FUZZ_DIR "/%s/%s", kind, name);
	d = opendir(dir);
	if (!d) {
		if (errno == ENOENT && !strcmp(kind, "regressions"))
			return 0;
		LS_FAIL("%s: %s (run from the repository root)", dir, strerror(errno));
	}
	while ((de = readdir(d)) && n < FUZZ_MAX_FILES) {
		if (de->d_name[0] != '.')
			snprintf(paths[n++], sizeof(paths[0]), "%s/%s", dir, de->d_name);
	}
	closedir(d);
	for (i = 0; i < n; i++)
		fuzz_replay_one(paths[i], fn);
	return n;
}

static void fuzz_replay(const char *name, fuzz_fn fn)
{
	if (!fuzz_replay_dir("corpus", name, fn))
		LS_FAIL(FUZZ_DIR "/corpus/%s: no seed inputs", name);
	fuzz_replay_dir("regressions", name, fn);
}

TEST(fuzz_replay_summary_json)
{
	fuzz_replay("summary_json", fuzz_summary_json);
}

TEST(fuzz_replay_perfmap)
{
	fuzz_replay("perfmap", fuzz_perfmap);
}

TEST(fuzz_replay_elf)
{
	fuzz_replay("elf", fuzz_elf);
}

TEST(fuzz_replay_correlator)
{
	fuzz_replay("correlator", fuzz_correlator);
}
