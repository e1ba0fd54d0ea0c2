/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * collector/v8_frames.c on a synthetic V8 heap: a frame named with its
 * tier, file and line; stub frames, moved and reused objects, a function
 * that is not the frame's own, and unreadable memory never named; the
 * cache dropping a name whose object changed. Layout values as node 20's.
 */
#include <errno.h>
#include "../harness.h"
#include "collector/js_names.h"
#include "collector/v8_frames.h"

#define HEAP_BASE	0x100000ull
#define HEAP_SIZE	(64u << 10)

struct heap {
	uint8_t mem[HEAP_SIZE];
	uint64_t top;		/* next free address */
	uint64_t maps[4096];	/* a map per instance type, made at first use */
	bool unreadable;
};

static struct heap H;

enum { T_STRING = 8, T_BYTECODE = 160, T_CODE = 150, T_SCRIPT = 170, T_SFI = 180,
       T_SCOPE = 190, T_ODDBALL = 300, T_JSF = 2066 };

static const struct v8_layout L = {
	.major = 11, .minor = 3, .build = 244,
	.fp_context = -8, .fp_function = -16, .fp_bytecode_array = -32, .fp_bytecode_offset = -40,
	.map = 0, .map_instance_type = 12, .jsf_shared = 24, .jsf_code = 48,
	.sfi_name_or_scope_info = 16, .sfi_script_or_debug_info = 32, .sfi_function_data = 8,
	.script_name = 16, .script_source = 8, .str_length = 12, .seq_one_chars = 16,
	.seq_two_chars = 16, .cons_first = 16, .cons_second = 24, .thin_actual = 16,
	.sliced_parent = 16, .sliced_offset = 24, .code_istart = 64, .code_isize = 40,
	.code_kind = V8_CODE_INLINE, .scope_first_vars = 3, .scope_ncontextlocals = 2,
	.t_jsf_first = T_JSF, .t_jsf_last = T_JSF + 14, .t_sfi = T_SFI, .t_script = T_SCRIPT,
	.t_scope_info = T_SCOPE, .t_bytecode = T_BYTECODE, .t_code = T_CODE,
	.t_first_nonstring = 128, .str_repr_mask = 7, .str_enc_mask = 8, .str_cons = 1,
	.str_thin = 5, .str_sliced = 3, .str_seq = 0, .str_one_byte = 8,
};

static int heap_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	(void)ctx;
	if (H.unreadable || addr < HEAP_BASE || addr + len > HEAP_BASE + HEAP_SIZE)
		return -EFAULT;
	memcpy(buf, H.mem + (addr - HEAP_BASE), len);
	return 0;
}

static void put64(uint64_t addr, uint64_t v)
{
	memcpy(H.mem + (addr - HEAP_BASE), &v, 8);
}

static void put32(uint64_t addr, uint32_t v)
{
	memcpy(H.mem + (addr - HEAP_BASE), &v, 4);
}

static uint64_t smi(int64_t v)
{
	return (uint64_t)v << 32;
}

/* A tagged object of size bytes whose map says type. */
static uint64_t object(uint16_t type, size_t size)
{
	uint64_t at = H.top, map;

	H.top += (size + 15) & ~15ull;
	ASSERT(H.top <= HEAP_BASE + HEAP_SIZE);
	if (!H.maps[type]) {
		map = H.top;
		H.top += 16;
		memcpy(H.mem + (map - HEAP_BASE) + 12, &type, 2);
		H.maps[type] = map + 1;
	}
	put64(at, H.maps[type]);
	return at + 1;
}

static uint64_t one_byte(const char *s)
{
	uint64_t str = object(T_STRING, 16 + strlen(s));

	put32(str - 1 + 12, (uint32_t)strlen(s));
	memcpy(H.mem + (str - 1 - HEAP_BASE) + 16, s, strlen(s));
	return str;
}

struct fn {
	uint64_t jsf, sfi, scope, script, bytecode, code;
};

/* function NAME of a script whose source puts it on line 3; its code at [code+63, +0x100). */
static struct fn make_function(const char *name)
{
	static const char src[] = "// app\n\nfunction spin() { for (;;); }\n";
	struct fn f;

	f.script = object(T_SCRIPT, 24);
	put64(f.script - 1 + 16, one_byte("/srv/app.js"));
	put64(f.script - 1 + 8, one_byte(src));
	f.scope = object(T_SCOPE, 8 + 8 * 24);
	put64(f.scope - 1 + 8 + 8 * 2, smi(0));			/* no context locals */
	put64(f.scope - 1 + 8 + 8 * 3, one_byte(name));		/* the function variable's name */
	put64(f.scope - 1 + 8 + 8 * 4, smi(0));			/* ... and its slot */
	put64(f.scope - 1 + 8 + 8 * 5, smi((int64_t)(strstr(src, "function") - src)));
	put64(f.scope - 1 + 8 + 8 * 6, smi((int64_t)sizeof(src) - 2));
	put64(f.scope - 1 + 8 + 8 * 7, object(T_SCOPE, 16));	/* the outer scope */
	f.bytecode = object(T_BYTECODE, 32);
	f.sfi = object(T_SFI, 48);
	put64(f.sfi - 1 + 8, f.bytecode);
	put64(f.sfi - 1 + 16, f.scope);
	put64(f.sfi - 1 + 32, f.script);
	f.code = object(T_CODE, 64 + 0x100);
	put32(f.code - 1 + 40, 0x100);
	f.jsf = object(T_JSF, 56);
	put64(f.jsf - 1 + 24, f.sfi);
	put64(f.jsf - 1 + 48, f.code);
	return f;
}

static struct v8_reader *new_reader(void)
{
	memset(&H, 0, sizeof(H));
	H.top = HEAP_BASE;
	return v8_reader__new(&L, heap_read, NULL);
}

/* An interpreted frame of f, as the stack copy had it. */
static struct v8_frame interpreted(const struct fn *f)
{
	struct v8_frame fr = { .pc = 0x5000, .context = f->script, .function = f->jsf,
			       .bytecode_array = f->bytecode, .bytecode_offset = smi(60),
			       .in_builtins = true };
	return fr;
}

TEST(v8_interpreted_frame_named_with_file_and_line)
{
	struct v8_reader *r = new_reader();
	struct fn f = make_function("spin");
	struct v8_frame fr = interpreted(&f);
	char name[LS_V8_NAME_MAX];
	struct v8_reader_stats st;

	ASSERT_EQ(v8_reader__name(r, &fr, name), 0);
	ASSERT_STR_EQ(name, "~spin /srv/app.js:3");
	ASSERT_EQ(v8_reader__name(r, &fr, name), 0);	/* from the cache, checked again */
	ASSERT_STR_EQ(name, "~spin /srv/app.js:3");
	v8_reader__stats(r, &st);
	ASSERT_EQ(st.named, 2);
	ASSERT_EQ(st.cache_hits, 1);
	v8_reader__free(r);
}

TEST(v8_optimized_frame_is_its_code)
{
	struct v8_reader *r = new_reader();
	struct fn f = make_function("hot");
	struct v8_frame fr = interpreted(&f);
	char name[LS_V8_NAME_MAX];

	fr.in_builtins = false;
	fr.bytecode_array = smi(7);		/* a spill slot, not the bytecode */
	fr.pc = f.code - 1 + 64 + 0x20;		/* inside its instructions */
	ASSERT_EQ(v8_reader__name(r, &fr, name), 0);
	ASSERT_STR_EQ(name, "*hot /srv/app.js:3");
	fr.pc = f.code - 1 + 64 + 0x100;	/* just past them: not its code */
	ASSERT_EQ(v8_reader__name(r, &fr, name), -ESTALE);
	ASSERT_STR_EQ(name, "");
	v8_reader__free(r);
}

TEST(v8_stub_frame_is_not_javascript)
{
	struct v8_reader *r = new_reader();
	struct fn f = make_function("spin");
	struct v8_frame fr = interpreted(&f);
	char name[LS_V8_NAME_MAX];

	fr.context = smi(3);			/* a frame-type marker */
	ASSERT_EQ(v8_reader__name(r, &fr, name), -ENOENT);
	v8_reader__free(r);
}

TEST(v8_moved_function_is_never_named)
{
	struct v8_reader *r = new_reader();
	struct fn f = make_function("spin"), g;
	struct v8_frame fr = interpreted(&f);
	char name[LS_V8_NAME_MAX];

	/* the slot's JSFunction was moved: its memory holds a string now */
	put64(f.jsf - 1, H.maps[T_STRING] ? H.maps[T_STRING] : object(T_STRING, 16));
	ASSERT_EQ(v8_reader__name(r, &fr, name), -ESTALE);
	/* ... or another function of the same shape: its bytecode is not the frame's */
	g = make_function("other");
	fr.function = g.jsf;
	ASSERT_EQ(v8_reader__name(r, &fr, name), -ESTALE);
	ASSERT_STR_EQ(name, "");
	v8_reader__free(r);
}

TEST(v8_cached_name_dropped_when_its_object_changes)
{
	struct v8_reader *r = new_reader();
	struct fn f = make_function("before");
	struct v8_frame fr = interpreted(&f);
	char name[LS_V8_NAME_MAX];
	uint64_t renamed = object(T_SCOPE, 8 + 8 * 24);

	ASSERT_EQ(v8_reader__name(r, &fr, name), 0);
	ASSERT_STR_EQ(name, "~before /srv/app.js:3");
	/* the SharedFunctionInfo's address now holds another function's */
	memcpy(H.mem + (renamed - 1 - HEAP_BASE) + 8, H.mem + (f.scope - 1 - HEAP_BASE) + 8, 8 * 24);
	put64(renamed - 1 + 8 + 8 * 3, one_byte("after"));
	put64(f.sfi - 1 + 16, renamed);
	ASSERT_EQ(v8_reader__name(r, &fr, name), 0);
	ASSERT_STR_EQ(name, "~after /srv/app.js:3");
	v8_reader__free(r);
}

TEST(v8_unreadable_memory_names_nothing)
{
	struct v8_reader *r = new_reader();
	struct fn f = make_function("spin");
	struct v8_frame fr = interpreted(&f);
	char name[LS_V8_NAME_MAX];
	struct v8_reader_stats st;

	H.unreadable = true;
	ASSERT_EQ(v8_reader__name(r, &fr, name), -ESTALE);
	v8_reader__stats(r, &st);
	ASSERT(st.read_errors > 0);
	ASSERT_EQ(st.named, 0);
	v8_reader__free(r);
}

TEST(v8_cons_string_and_unprintable_bytes)
{
	struct v8_reader *r = new_reader();
	struct fn f = make_function("x");
	struct v8_frame fr = interpreted(&f);
	char name[LS_V8_NAME_MAX];
	uint64_t cons = object(1 | 8, 32);	/* a one-byte cons string */

	put32(cons - 1 + 12, 9);
	put64(cons - 1 + 16, one_byte("esc\033"));
	put64(cons - 1 + 24, one_byte("[2J"));
	put64(f.scope - 1 + 8 + 8 * 3, cons);
	ASSERT_EQ(v8_reader__name(r, &fr, name), 0);
	ASSERT_STR_EQ(name, "~esc?[2J /srv/app.js:3");
	v8_reader__free(r);
}

TEST(v8_anonymous_function_without_script)
{
	struct v8_reader *r = new_reader();
	struct fn f = make_function("x");
	struct v8_frame fr = interpreted(&f);
	char name[LS_V8_NAME_MAX];

	put64(f.scope - 1 + 8 + 8 * 3, object(T_ODDBALL, 16));	/* undefined: no name */
	put64(f.sfi - 1 + 32, object(T_ODDBALL, 16));		/* no script */
	ASSERT_EQ(v8_reader__name(r, &fr, name), 0);
	ASSERT_STR_EQ(name, "~(anonymous)");
	v8_reader__free(r);
}

TEST(js_names_by_process_and_address)
{
	struct js_names *n = js_names__new();
	struct ls_rec_js_frame r = { .type = LS_REC_JS_FRAME, .pid = 7, .addr = LS_JS_FRAME_TAG | 1,
				     .pc = 0x1234 };
	struct ls_frame_info fi = { 0 };

	ASSERT(n);
	memset(r.name, 'x', sizeof(r.name));	/* not NUL-terminated: cut at its size */
	ASSERT_EQ(js_names__add(n, &r), 0);
	ASSERT_EQ(js_names__frame(n, 7, LS_JS_FRAME_TAG | 1, &fi), 0);
	ASSERT_EQ(strlen(fi.function), 3 + LS_JS_NAME_MAX);
	ASSERT(!strncmp(fi.function, "JS:xxx", 6));
	ASSERT_EQ(fi.kind, LS_FRAME_JIT);
	ASSERT_EQ(js_names__find(n, 7, LS_JS_FRAME_TAG | 1)->pc, 0x1234);
	ASSERT(!js_names__find(n, 8, LS_JS_FRAME_TAG | 1));	/* another process's address */
	ASSERT_EQ(js_names__frame(n, 7, LS_JS_FRAME_TAG | 2, &fi), -ENOENT);
	r.addr = 0x7f0000001000;				/* a real code address */
	ASSERT_EQ(js_names__add(n, &r), -EINVAL);
	js_names__free(n);
}
