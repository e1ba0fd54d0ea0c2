/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * collector/v8_layout.c: the layout from V8's v8dbg_ symbols. This test
 * binary carries a partial set of its own (one needed value left out, one
 * in .bss), and node's binaries (node 20's /usr/bin/node; Debian's
 * libnode.so.108 where tests/install-node18.sh unpacked it) the real ones,
 * checked against the values ../shared/v8-notes.md records.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "../harness.h"
#include "collector/v8_layout.h"

/* A V8 10.2 of our own, without Script::source. */
#define V8SYM(name, value) __attribute__((used)) int name = value;
V8SYM(_ZN2v88internal7Version6major_E, 10)
V8SYM(_ZN2v88internal7Version6minor_E, 2)
V8SYM(_ZN2v88internal7Version6build_E, 154)
V8SYM(_ZN2v88internal7Version6patch_E, 26)
V8SYM(v8dbg_off_fp_context, -8)
V8SYM(v8dbg_off_fp_function, -16)
V8SYM(v8dbg_off_fp_bytecode_array, -32)
V8SYM(v8dbg_off_fp_bytecode_offset, -40)
V8SYM(v8dbg_class_HeapObject__map__Map, 0)	/* zero: in .bss */
V8SYM(v8dbg_class_Map__instance_type__uint16_t, 12)
V8SYM(v8dbg_class_JSFunction__shared__SharedFunctionInfo, 24)
V8SYM(v8dbg_class_SharedFunctionInfo__name_or_scope_info__Object, 16)
V8SYM(v8dbg_class_SharedFunctionInfo__function_data__Object, 8)
V8SYM(v8dbg_class_Script__name__Object, 16)

static int open_self(void)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);

	ASSERT(fd >= 0);
	return fd;
}

TEST(v8_layout_refusal_names_the_missing_value)
{
	struct v8_layout l;
	const char *missing = NULL;
	int fd = open_self();

	ASSERT_EQ(v8_layout__read(fd, &l, &missing), -ENOTSUP);
	ASSERT(missing);
	ASSERT_STR_EQ(missing, "class_Script__source__Object");
	close(fd);
}

TEST(v8_layout_no_metadata_is_not_v8)
{
	struct v8_layout l;
	const char *missing = NULL;
	int fd = open("/bin/sh", O_RDONLY | O_CLOEXEC);

	ASSERT(fd >= 0);
	ASSERT_EQ(v8_layout__read(fd, &l, &missing), -ENOENT);
	close(fd);
	fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);	/* not ELF at all */
	ASSERT(fd >= 0);
	ASSERT_EQ(v8_layout__read(fd, &l, &missing), -ENOENT);
	close(fd);
}

/* What both node builds share (../shared/v8-notes.md). */
static void check_common(const struct v8_layout *l)
{
	ASSERT_EQ(l->fp_context, -8);
	ASSERT_EQ(l->fp_function, -16);
	ASSERT_EQ(l->fp_bytecode_array, -32);
	ASSERT_EQ(l->fp_bytecode_offset, -40);
	ASSERT_EQ(l->map, 0);
	ASSERT_EQ(l->map_instance_type, 12);
	ASSERT_EQ(l->jsf_shared, 24);
	ASSERT_EQ(l->jsf_code, 48);
	ASSERT_EQ(l->sfi_name_or_scope_info, 16);
	ASSERT_EQ(l->sfi_script_or_debug_info, 32);
	ASSERT_EQ(l->sfi_function_data, 8);
	ASSERT_EQ(l->script_source, 8);
	ASSERT_EQ(l->script_name, 16);
	ASSERT_EQ(l->str_length, 12);
	ASSERT_EQ(l->seq_one_chars, 16);
	ASSERT_EQ(l->cons_first, 16);
	ASSERT_EQ(l->cons_second, 24);
	ASSERT_EQ(l->scope_first_vars, 3);
	ASSERT_EQ(l->scope_ncontextlocals, 2);
	ASSERT_EQ(l->t_jsf_last, l->t_jsf_first + 14);
}

TEST(v8_layout_of_node20)
{
	struct v8_layout l;
	const char *missing = NULL;
	int fd = open("/usr/bin/node", O_RDONLY | O_CLOEXEC);

	ASSERT(fd >= 0);	/* the test machine's node: a test that cannot run fails */
	ASSERT_EQ(v8_layout__read(fd, &l, &missing), 0);
	close(fd);
	if (l.major != 11)
		LS_FAIL("/usr/bin/node has V8 %u.%u: this test knows node 20's V8 11.3", l.major, l.minor);
	check_common(&l);
	ASSERT_EQ(l.t_jsf_first, 2066);
	ASSERT_EQ(l.code_kind, V8_CODE_POINTER);	/* V8 11 lost Code's instruction_start */
}

TEST(v8_layout_of_debian_libnode18)
{
	const char *path = "/opt/loopscope-node18/usr/lib/x86_64-linux-gnu/libnode.so.108";
	struct v8_layout l;
	const char *missing = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (getenv("CI"))
			LS_FAIL("%s: not unpacked (tests/install-node18.sh)", path);
		printf("# %s: not unpacked (tests/install-node18.sh); test_v8.sh requires it\n", path);
		return;
	}
	ASSERT_EQ(v8_layout__read(fd, &l, &missing), 0);
	close(fd);
	ASSERT_EQ(l.major, 10);
	ASSERT_EQ(l.minor, 2);
	check_common(&l);
	ASSERT_EQ(l.t_jsf_first, 2065);
	ASSERT_EQ(l.code_kind, V8_CODE_INLINE);
}
