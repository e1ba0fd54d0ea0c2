/* SPDX-License-Identifier: BSD-2-Clause */
/* Checks every tracing command makes before loading BPF: clear one-line errors. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include "cli_util.h"
#include "exitcodes.h"

/* Fails early, naming the capability, instead of a cryptic EPERM from bpf(). */
int cli_check_privileges(const char *cmd)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = {};
	uint64_t eff;
	bool bpf, perfmon, admin;

	if (syscall(SYS_capget, &hdr, data))
		return 0;	/* cannot tell: let the BPF load decide */
	eff = data[0].effective | (uint64_t)data[1].effective << 32;
	admin = eff & (1ull << CAP_SYS_ADMIN);
	bpf = admin || (eff & (1ull << 39 /* CAP_BPF */));
	perfmon = admin || (eff & (1ull << 38 /* CAP_PERFMON */));
	if (bpf && perfmon)
		return 0;
	fprintf(stderr, "loopscope %s: not permitted: needs %s%s%s (run as root)\n", cmd,
		bpf ? "" : "CAP_BPF", !bpf && !perfmon ? " and " : "", perfmon ? "" : "CAP_PERFMON");
	return LS_EXIT_PERM;
}

int cli_check_btf(const char *cmd)
{
	const char *path = getenv("LOOPSCOPE_BTF");
	char magic[2];
	FILE *f;
	int fd;

	if (!path)
		path = "/sys/kernel/btf/vmlinux";
	/* O_NONBLOCK: LOOPSCOPE_BTF naming a FIFO gives an error, not a hang */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	f = fd < 0 ? NULL : fdopen(fd, "r");
	if (!f && fd >= 0)
		close(fd);
	/* raw BTF starts with 0xeB9F; an ELF file carries it in a section */
	if (f && fread(magic, 1, 2, f) == 2 &&
	    (((unsigned char)magic[0] == 0x9f && (unsigned char)magic[1] == 0xeb) ||
	     ((unsigned char)magic[0] == 0x7f && magic[1] == 'E'))) {
		fclose(f);
		return 0;
	}
	if (f)
		fclose(f);
	fprintf(stderr, "loopscope %s: kernel BTF unavailable at %s: %s (needs CONFIG_DEBUG_INFO_BTF=y, "
		"or LOOPSCOPE_BTF=FILE)\n", cmd, path, f ? "not a BTF file" : strerror(errno));
	return LS_EXIT_KERNEL;
}

