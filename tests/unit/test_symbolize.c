/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * symbolizer: addresses of this very test binary and of libc through
 * /proc/self/maps, synthetic perf maps and kallsyms files, and bad input
 * (non-ELF and truncated files, replaced binaries, garbage lines).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>
#include "../harness.h"
#include "collector/elf_syms.h"
#include "collector/symbolize.h"

/* noinline and address-taken: the symbol exists under exactly this name. */
__attribute__((noinline, used)) static int ls_sym_marker(volatile int x)
{
	return x * 3 + 1;
}

static char *write_tmp(const char *text, size_t len)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/ls-sym-XXXXXX");
	fd = mkstemp(path);
	ASSERT(fd >= 0);
	ASSERT_EQ(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

static void append(const char *path, const char *text)
{
	FILE *f = fopen(path, "a");

	ASSERT(f);
	fputs(text, f);
	ASSERT_EQ(fclose(f), 0);
}

TEST(symbolize_own_static_function)
{
	struct symbolizer *s = symbolizer__new(getpid(), NULL);
	uint64_t ip = (uint64_t)(uintptr_t)&ls_sym_marker + 3;
	char exe[PATH_MAX];
	struct ls_frame_info fi;
	struct symbolizer_stats st;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	ASSERT(s && n > 0);
	exe[n] = '\0';
	ASSERT_EQ(ls_sym_marker(1), 4);
	ASSERT_EQ(symbolizer__resolve(s, ip, false, &fi), 0);
	ASSERT_STR_EQ(fi.function, "ls_sym_marker");
	ASSERT_U64_EQ(fi.offset, 3);
	ASSERT_STR_EQ(fi.mapping, exe);
	ASSERT_EQ(fi.kind, LS_FRAME_NATIVE);
	ASSERT(fi.map_start <= ip && ip < fi.map_end);
	/* The ELF address plus the load address of the PIE is the runtime address. */
	ASSERT_U64_EQ(fi.rel_pc, ip - fi.map_start + fi.map_pgoff + fi.load_bias);
	ASSERT(fi.build_id_len == 20);	/* Debian's gcc always links with --build-id */
	/* Cached: a second lookup reads no file. */
	ASSERT_EQ(symbolizer__resolve(s, ip + 1, false, &fi), 0);
	symbolizer__stats(s, &st);
	ASSERT_U64_EQ(st.files, 1);
	ASSERT_U64_EQ(st.named, 2);
	ASSERT(symbolizer__hint(&st) == NULL);
	symbolizer__free(s);
}

static void check_libc_symbol(struct symbolizer *s, void *addr, const char *name)
{
	struct ls_frame_info fi;
	Dl_info dl;

	ASSERT(dladdr(addr, &dl) && dl.dli_fname);
	ASSERT_EQ(symbolizer__resolve(s, (uint64_t)(uintptr_t)addr + 1, false, &fi), 0);
	ASSERT_STR_EQ(fi.function, name);
	ASSERT_U64_EQ(fi.offset, 1);
	/* dladdr may name the link path, maps the real file: compare basenames. */
	ASSERT(strstr(fi.mapping, "libc") || strstr(fi.mapping, "asan"));
	ASSERT(fi.build_id_len > 0);
}

TEST(symbolize_shared_library_symbols)
{
	struct symbolizer *s = symbolizer__new(getpid(), NULL);

	ASSERT(s);
	check_libc_symbol(s, (void *)&printf, "printf");
#if !defined(__SANITIZE_ADDRESS__)	/* ASan interposes malloc */
	check_libc_symbol(s, (void *)&malloc, "malloc");
#endif
	symbolizer__free(s);
}

/* The vDSO is no file: its names come from our own image of it. */
TEST(symbolize_vdso_from_own_image)
{
	struct symbolizer *s = symbolizer__new(getpid(), NULL);
	uint64_t base = getauxval(AT_SYSINFO_EHDR), off;
	struct ls_frame_info fi;
	bool named = false;

	ASSERT(s);
	ASSERT(base);
	for (off = 0x400; off < 0x2000 && !named; off += 0x10)
		named = !symbolizer__resolve(s, base + off, false, &fi) && fi.function &&
			strstr(fi.function, "clock_gettime");
	ASSERT(named);
	ASSERT_STR_EQ(fi.mapping, "[vdso]");
	symbolizer__free(s);
}

TEST(symbolize_perf_map_garbage_and_appends)
{
	static const char text[] =
		"7f0000001000 10 jitA\n"
		"garbage line\n"
		"zz 10 bad\n"
		"7f0000002000 0 zero_size\n"
		"0x7f0000003000 20 JS:*hashPasswordsSync /srv/x.js:1:1\n"
		"\n"
		"7f0000004000 10 _ZN2v88internal7Isolate13StackOverflowEv\n"
		"7f0000005000 10 partial";
	char *path = write_tmp(text, sizeof(text) - 1), big[70001];
	struct symbolizer_opts o = { .sz = sizeof(o), .perf_map_path = path };
	struct symbolizer *s = symbolizer__new(getpid(), &o);
	struct symbolizer_stats st;
	struct ls_frame_info fi;

	ASSERT(s);
	ASSERT_EQ(symbolizer__resolve(s, 0x7f0000001005, false, &fi), 0);
	ASSERT_STR_EQ(fi.function, "jitA");
	ASSERT_U64_EQ(fi.offset, 5);
	ASSERT_EQ(fi.kind, LS_FRAME_JIT);
	ASSERT_STR_EQ(fi.mapping, path);
	ASSERT_EQ(symbolizer__resolve(s, 0x7f0000002000, false, &fi), -ENOENT);
	ASSERT_EQ(symbolizer__resolve(s, 0x7f0000003010, false, &fi), 0);
	ASSERT_STR_EQ(fi.function, "JS:*hashPasswordsSync /srv/x.js:1:1");
	ASSERT_EQ(symbolizer__resolve(s, 0x7f0000004000, false, &fi), 0);
	ASSERT_STR_EQ(fi.function, "v8::internal::Isolate::StackOverflow()");
	/* The unfinished last line is not read until its newline arrives. */
	ASSERT_EQ(symbolizer__resolve(s, 0x7f0000005001, false, &fi), -ENOENT);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	append(path, "\n7f0000001000 8 jitA2\n");
	append(path, big);
	append(path, "\n7f0000006000 10 after_long\n");
	ASSERT_EQ(symbolizer__refresh(s), 0);
	ASSERT_EQ(symbolizer__resolve(s, 0x7f0000005001, false, &fi), 0);
	ASSERT_STR_EQ(fi.function, "partial");
	ASSERT_EQ(symbolizer__resolve(s, 0x7f0000001001, false, &fi), 0);
	ASSERT_STR_EQ(fi.function, "jitA2");	/* newer entry at the same address wins */
	ASSERT_EQ(symbolizer__resolve(s, 0x7f0000006001, false, &fi), 0);
	ASSERT_STR_EQ(fi.function, "after_long");
	symbolizer__stats(s, &st);
	ASSERT(st.perf_map_found);
	ASSERT_U64_EQ(st.perf_map_bad_lines, 5);	/* garbage, zz, size 0, empty, over-long */
	ASSERT_U64_EQ(st.perf_map_entries, 6);
	ASSERT_U64_EQ(st.unmapped, 2);
	symbolizer__free(s);
	unlink(path);
}

TEST(symbolize_huge_perf_map_is_capped)
{
	struct symbolizer_opts o = { .sz = sizeof(o), .max_perf_map_entries = 50000 };
	char path[] = "/tmp/ls-sym-huge-XXXXXX";
	int fd = mkstemp(path), i;
	FILE *f = fdopen(fd, "w");
	struct symbolizer *s;
	struct symbolizer_stats st;
	struct ls_frame_info fi;

	ASSERT(f);
	for (i = 0; i < 200000; i++)
		fprintf(f, "%x %x fn_%d\n", 0x7e000000 + i * 0x40, 0x40, i);
	ASSERT_EQ(fclose(f), 0);
	o.perf_map_path = path;
	s = symbolizer__new(getpid(), &o);
	ASSERT(s);
	ASSERT_EQ(symbolizer__resolve(s, 0x7e000000 + 1234 * 0x40 + 7, false, &fi), 0);
	ASSERT_STR_EQ(fi.function, "fn_1234");
	symbolizer__stats(s, &st);
	ASSERT_U64_EQ(st.perf_map_dropped, 150000);
	ASSERT_U64_EQ(st.perf_map_bad_lines, 0);
	symbolizer__free(s);
	unlink(path);
}

TEST(symbolize_synthetic_kallsyms)
{
	static const char ks[] = "ffffffff81000000 T _stext\n"
				 "ffffffff81000100 t do_thing\n"
				 "ffffffff81000180 d some_data\n"
				 "ffffffff81000200 T mod_fn\t[mod]\n"
				 "ffffffff81000300 T _etext\n";
	static const char hidden[] = "0000000000000000 T _stext\n0000000000000000 t x\n";
	struct symbolizer_opts o = { .sz = sizeof(o) };
	struct symbolizer *s;
	struct symbolizer_stats st;
	struct ls_frame_info fi;

	o.kallsyms_path = write_tmp(ks, sizeof(ks) - 1);
	s = symbolizer__new(getpid(), &o);
	unlink(o.kallsyms_path);	/* copied at new(), read on first use */
	ASSERT(s);
	ASSERT_EQ(symbolizer__resolve(s, 0xffffffff81000190, true, &fi), -ENOENT);
	symbolizer__free(s);

	o.kallsyms_path = write_tmp(ks, sizeof(ks) - 1);
	s = symbolizer__new(getpid(), &o);
	ASSERT(s);
	ASSERT_EQ(symbolizer__resolve(s, 0xffffffff81000190, true, &fi), 0);
	ASSERT_STR_EQ(fi.function, "do_thing");	/* data symbols are skipped */
	ASSERT_U64_EQ(fi.offset, 0x90);
	ASSERT_EQ(fi.kind, LS_FRAME_KERNEL);
	ASSERT_U64_EQ(fi.rel_pc, 0xffffffff81000190);
	ASSERT_EQ(symbolizer__resolve(s, 0xffffffff81000204, true, &fi), 0);
	ASSERT_STR_EQ(fi.function, "mod_fn");
	symbolizer__free(s);
	unlink(o.kallsyms_path);

	o.kallsyms_path = write_tmp(hidden, sizeof(hidden) - 1);
	s = symbolizer__new(getpid(), &o);
	ASSERT(s);
	ASSERT_EQ(symbolizer__resolve(s, 0xffffffff81000190, true, &fi), -ENOENT);
	symbolizer__stats(s, &st);
	ASSERT(st.kernel_hidden);
	ASSERT_U64_EQ(st.unnamed_kernel, 1);
	ASSERT(strstr(symbolizer__hint(&st), "kptr_restrict"));
	symbolizer__free(s);
	unlink(o.kallsyms_path);
}

TEST(symbolize_non_elf_and_truncated_files)
{
	static const char junk[] = "this is not an ELF file at all, just text\n";
	struct ls_elf e = { 0 };
	char *path = write_tmp(junk, sizeof(junk) - 1), copy[64];
	int fd = open(path, O_RDONLY), exe = open("/proc/self/exe", O_RDONLY);
	uint8_t head[4096];
	struct symbolizer *s;
	struct symbolizer_stats st;
	struct ls_frame_info fi;
	void *m;
	size_t cut;

	ASSERT(fd >= 0 && exe >= 0);
	ASSERT_EQ(ls_elf__load(&e, fd), -ENOEXEC);
	ls_elf__free(&e);
	/* Mapped but not ELF: an unnamed frame and a counted file error. */
	m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	ASSERT(m != MAP_FAILED);
	s = symbolizer__new(getpid(), NULL);
	ASSERT(s);
	ASSERT_EQ(symbolizer__resolve(s, (uint64_t)(uintptr_t)m + 8, false, &fi), -ENOENT);
	ASSERT_STR_EQ(fi.mapping, path);
	symbolizer__stats(s, &st);
	ASSERT_U64_EQ(st.file_errors, 1);
	ASSERT_U64_EQ(st.unnamed_native, 1);
	symbolizer__free(s);
	munmap(m, 4096);
	close(fd);
	unlink(path);
	/* ELF headers cut at several points: errors or fewer symbols, never a crash. */
	ASSERT_EQ(pread(exe, head, sizeof(head), 0), (ssize_t)sizeof(head));
	for (cut = 0; cut <= sizeof(head); cut += 512) {
		snprintf(copy, sizeof(copy), "%s", write_tmp((char *)head, cut));
		fd = open(copy, O_RDONLY);
		memset(&e, 0, sizeof(e));
		ASSERT(ls_elf__load(&e, fd) <= 0);
		ASSERT(!e.syms.n || cut > 0);
		ls_elf__free(&e);
		close(fd);
		unlink(copy);
	}
	close(exe);
}

/* A binary replaced on disk after it was mapped is never read as the mapped one. */
TEST(symbolize_replaced_file_is_not_misread)
{
	static const char junk[] = "replaced";
	char path[] = "/tmp/ls-sym-elf-XXXXXX", buf[65536];
	int fd = mkstemp(path), exe = open("/proc/self/exe", O_RDONLY);
	struct symbolizer *s;
	struct symbolizer_stats st;
	struct ls_frame_info fi;
	ssize_t n;
	void *m;

	ASSERT(fd >= 0 && exe >= 0);
	while ((n = read(exe, buf, sizeof(buf))) > 0)
		ASSERT_EQ(write(fd, buf, (size_t)n), n);
	m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	ASSERT(m != MAP_FAILED);
	close(fd);
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);	/* same path, new inode */
	ASSERT(fd >= 0);
	ASSERT_EQ(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
	close(fd);
	s = symbolizer__new(getpid(), NULL);
	ASSERT(s);
	symbolizer__resolve(s, (uint64_t)(uintptr_t)m + 16, false, &fi);
	symbolizer__stats(s, &st);
	/* Root reads the original through map_files; others get a counted mismatch. */
	ASSERT_EQ(st.file_errors, 0);
	ASSERT_EQ(st.files + st.file_mismatch, 1);
	if (st.files)
		ASSERT_EQ(fi.build_id_len, 20);
	symbolizer__free(s);
	munmap(m, 4096);
	close(exe);
	unlink(path);
}

TEST(symbolize_bad_arguments)
{
	char buf[64];

	errno = 0;
	ASSERT(!symbolizer__new(999999999, NULL));
	ASSERT_EQ(errno, ESRCH);
	ASSERT(!symbolizer__new(0, NULL));
	ASSERT_EQ(symbolizer__resolve(NULL, 1, false, NULL), -EINVAL);
	symbolizer__free(NULL);
	ASSERT(!ls_demangle("printf", buf, sizeof(buf)));
	ASSERT(ls_demangle("_Z3fooi", buf, sizeof(buf)));
	ASSERT_STR_EQ(buf, "foo(int)");
	ASSERT(!ls_demangle("_Z3fooi", buf, 4));	/* never truncated */
}

/* Pool kinds are named by their owner's class: short, and never cut. */
TEST(short_type_names_drop_namespaces)
{
	char buf[64];

	ASSERT(ls_short_type_name("node::crypto::DeriveBitsJob<node::crypto::PBKDF2Traits>", buf,
				  sizeof(buf)));
	ASSERT_STR_EQ(buf, "DeriveBitsJob<PBKDF2Traits>");
	ASSERT(ls_short_type_name("node::(anonymous namespace)::CompressionStream<node::(anonymous "
				  "namespace)::ZlibContext>", buf, sizeof(buf)));
	ASSERT_STR_EQ(buf, "CompressionStream<ZlibContext>");
	ASSERT(ls_short_type_name("a::B<c::D, e::F<g::H> >", buf, sizeof(buf)));
	ASSERT_STR_EQ(buf, "B<D, F<H> >");
	ASSERT(ls_short_type_name("work", buf, sizeof(buf)));
	ASSERT_STR_EQ(buf, "work");
	ASSERT(!ls_short_type_name("node::crypto::DeriveBitsJob<node::crypto::PBKDF2Traits>", buf, 8));
	ASSERT(!ls_short_type_name("", buf, sizeof(buf)));
}
