/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * C++ demangling without a link-time dependency on libstdc++.
 *
 * loopscope is C and links no C++ runtime. __cxa_demangle is declared weak:
 * when the binary is linked with -lstdc++ (or a library pulls it in) that
 * definition is used; otherwise libstdc++.so.6 is dlopen()ed on the first
 * mangled name (glibc >= 2.34 has dlopen in libc, so no -ldl either). Without
 * libstdc++ on the machine, names simply stay mangled. Writing our own
 * Itanium demangler would be a large, bug-prone copy of well-tested code.
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include "symbolize.h"

typedef char *(*demangle_fn)(const char *mangled, char *buf, size_t *len, int *status);

extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status)
	__attribute__((weak));

/*
 * Resolved once per process. A race between two first callers stores the
 * same pointer twice, hence relaxed atomics and no lock. The library stays
 * loaded: names may be demangled until exit.
 */
static demangle_fn find_demangler(void)
{
	static demangle_fn fn;
	static int tried;
	demangle_fn f = __atomic_load_n(&fn, __ATOMIC_ACQUIRE);
	void *h;

	if (f || __atomic_load_n(&tried, __ATOMIC_ACQUIRE))
		return f;
	f = __cxa_demangle;
	if (!f) {
		h = dlopen("libstdc++.so.6", RTLD_LAZY | RTLD_LOCAL);
		if (h)
			f = (demangle_fn)dlsym(h, "__cxa_demangle");
	}
	__atomic_store_n(&fn, f, __ATOMIC_RELEASE);
	__atomic_store_n(&tried, 1, __ATOMIC_RELEASE);
	return f;
}

bool ls_demangle(const char *name, char *buf, size_t len)
{
	demangle_fn fn;
	char *out;
	int status = -1;
	size_t n;

	if (!name || strncmp(name, "_Z", 2) || !len)
		return false;
	fn = find_demangler();
	if (!fn)
		return false;
	out = fn(name, NULL, NULL, &status);
	if (!out || status) {
		free(out);
		return false;
	}
	n = strlen(out);
	if (n >= len) {		/* truncated names would merge distinct frames */
		free(out);
		return false;
	}
	memcpy(buf, out, n + 1);
	free(out);
	return true;
}

/* Drops a "(anonymous namespace)::" at s; how many bytes it spans, or 0. */
static size_t anon_ns(const char *s)
{
	static const char anon[] = "(anonymous namespace)::";

	return strncmp(s, anon, sizeof(anon) - 1) ? 0 : sizeof(anon) - 1;
}

bool ls_short_type_name(const char *demangled, char *buf, size_t len)
{
	size_t o = 0, start = 0, skip;
	const char *s = demangled;

	if (!len)
		return false;
	while (*s) {
		if ((skip = anon_ns(s))) {
			s += skip;
			continue;
		}
		if (s[0] == ':' && s[1] == ':') {	/* a qualifier ended: drop it */
			o = start;
			s += 2;
			continue;
		}
		if (o + 1 >= len)
			return false;
		buf[o++] = *s;
		if (strchr("<, (", *s))		/* a new name starts after these */
			start = o;
		s++;
	}
	buf[o] = 0;
	return o > 0;
}
