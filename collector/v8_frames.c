// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "table.h"
#include "v8_frames.h"

#define SFI_CACHE_MAX		16384
#define SCRIPT_CACHE_MAX	32
#define SOURCE_MAX		(4u << 20)	/* a script's source read for its lines, at most */
#define LINES_MAX_BYTES		(8u << 20)	/* the cached scripts' line tables, together */
#define STRING_MAX		(LS_V8_NAME_MAX - 1)
#define STRING_DEPTH		4		/* cons and thin strings followed this deep */
#define SCOPE_SLOTS		24		/* ScopeInfo slots looked at, from its first */
#define SCOPE_MAX_INLINE_LOCALS	75		/* more: the names are a hash table, not slots */
#define INTERPRETER_DATA_BYTECODE 8		/* InterpreterData::bytecode_array, V8 10-11 */

struct sfi_entry {
	uint64_t sfi;
	uint64_t name_or_scope_info, script;	/* as named: a change means another function */
	char text[LS_V8_NAME_MAX - 1];		/* "<name> <file>:<line>", without the tier */
};

struct script_lines {
	uint64_t script, source;
	uint32_t length;		/* the source's, when read */
	uint32_t nlines;
	uint32_t *line_starts;		/* offsets after each newline */
};

struct v8_reader {
	struct v8_layout l;
	v8_read_fn read;
	void *ctx;
	struct ls_table sfis;		/* of struct sfi_entry, by pointer */
	struct script_lines scripts[SCRIPT_CACHE_MAX];
	unsigned nscripts;
	size_t lines_bytes;		/* of the scripts' line tables */
	struct v8_reader_stats st;
};

static bool sfi_eq(const void *entry, const void *key)
{
	return ((const struct sfi_entry *)entry)->sfi == *(const uint64_t *)key;
}

struct v8_reader *v8_reader__new(const struct v8_layout *l, v8_read_fn read, void *ctx)
{
	struct v8_reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->l = *l;
	r->read = read;
	r->ctx = ctx;
	ls_table_init(&r->sfis, sizeof(struct sfi_entry), 64, SFI_CACHE_MAX, sfi_eq);
	return r;
}

static bool is_heap_object(uint64_t v)
{
	return (v & 3) == 1;
}

static bool is_smi(uint64_t v)
{
	return (v & 1) == 0;
}

/* A Smi's value: 64-bit V8 keeps it in the upper half. */
static int64_t smi_value(uint64_t v)
{
	return (int64_t)v >> 32;
}

static int rd(struct v8_reader *r, uint64_t addr, void *buf, size_t len)
{
	int err = r->read(r->ctx, addr, buf, len);

	r->st.read_errors += err != 0;
	return err;
}

/* Field off of the tagged object obj. */
static int field(struct v8_reader *r, uint64_t obj, uint32_t off, uint64_t *out)
{
	return rd(r, obj - 1 + off, out, sizeof(*out));
}

/* The instance type of tagged object obj, through its map. */
static int type_of(struct v8_reader *r, uint64_t obj, uint16_t *type)
{
	uint64_t map;

	if (!is_heap_object(obj) || field(r, obj, r->l.map, &map) || !is_heap_object(map))
		return -EINVAL;
	return rd(r, map - 1 + r->l.map_instance_type, type, sizeof(*type));
}

/*
 * An object's first words and its type, in two reads (its block, then its
 * map's type) where a field at a time would take one each: a frame reads a
 * JSFunction and a SharedFunctionInfo so.
 */
#define VIEW_WORDS	8

struct view {
	uint64_t obj;
	uint16_t type;
	uint64_t w[VIEW_WORDS];
};

static int load(struct v8_reader *r, uint64_t obj, uint32_t last_off, struct view *v)
{
	size_t n = last_off / 8 + 1;

	if (!is_heap_object(obj) || n > VIEW_WORDS || rd(r, obj - 1, v->w, n * 8))
		return -EINVAL;
	v->obj = obj;
	if (r->l.map / 8 >= n || !is_heap_object(v->w[r->l.map / 8]))
		return -EINVAL;
	return rd(r, v->w[r->l.map / 8] - 1 + r->l.map_instance_type, &v->type, sizeof(v->type));
}

static uint32_t max3(uint32_t a, uint32_t b, uint32_t c)
{
	return a > b ? (a > c ? a : c) : (b > c ? b : c);
}

static bool has_type(struct v8_reader *r, uint64_t obj, uint16_t want)
{
	uint16_t t;

	return !type_of(r, obj, &t) && t == want;
}

static void printable(char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			s[i] = '?';
}

/* The characters [from, from + n) of a sequential string, as one byte each. */
static int seq_chars(struct v8_reader *r, uint64_t str, bool one_byte, uint32_t from, uint32_t n,
		     char *out)
{
	uint16_t two[STRING_MAX];
	uint32_t i;

	if (one_byte)
		return rd(r, str - 1 + r->l.seq_one_chars + from, out, n);
	if (rd(r, str - 1 + r->l.seq_two_chars + 2ull * from, two, 2ull * n))
		return -EIO;
	for (i = 0; i < n; i++)
		out[i] = two[i] < 0x80 ? (char)two[i] : '?';
	return 0;
}

/* Appends the string str (its first characters, up to cap) to out at *len. */
static int read_string(struct v8_reader *r, uint64_t str, char *out, size_t cap, size_t *len,
		       unsigned depth)
{
	const struct v8_layout *l = &r->l;
	uint64_t part;
	uint32_t slen, repr, n;
	uint16_t t;

	if (depth > STRING_DEPTH || type_of(r, str, &t) || t >= l->t_first_nonstring ||
	    rd(r, str - 1 + l->str_length, &slen, sizeof(slen)))
		return -EINVAL;
	repr = t & l->str_repr_mask;
	if (repr == l->str_thin)
		return field(r, str, l->thin_actual, &part) ? -EIO :
		       read_string(r, part, out, cap, len, depth + 1);
	if (repr == l->str_cons) {
		if (field(r, str, l->cons_first, &part) || read_string(r, part, out, cap, len, depth + 1) ||
		    field(r, str, l->cons_second, &part))
			return -EIO;
		return *len < cap ? read_string(r, part, out, cap, len, depth + 1) : 0;
	}
	if (repr != l->str_seq)
		return -ENOTSUP;	/* external and sliced names: unnamed rather than read wrong */
	n = slen < cap - *len ? slen : (uint32_t)(cap - *len);
	if (n && seq_chars(r, str, (t & l->str_enc_mask) == l->str_one_byte, 0, n, out + *len))
		return -EIO;
	printable(out + *len, n);
	*len += n;
	return 0;
}

/* str as a NUL-terminated string in out (cap bytes, cap > 1). */
static int string_of(struct v8_reader *r, uint64_t str, char *out, size_t cap)
{
	size_t len = 0;
	int err = read_string(r, str, out, cap - 1, &len, 0);

	out[err ? 0 : len] = '\0';
	return err;
}

/*
 * The function's name and start position from its ScopeInfo. Past the
 * context locals (a name and a flags slot each) come, each only when the
 * scope has it, a class variable index (a Smi), the function variable
 * (its name, a String, then a Smi), the inferred name (a String or
 * undefined) and the position (start, end: two Smis), then the outer
 * scope (a ScopeInfo). Which are there is in flag bits that move between
 * versions; what does not move is their order and kinds: the first heap
 * object is the name (a String, else the function is anonymous), and the
 * start and end are the last two Smis of the first run of two or more
 * after it.
 */
static int scope_name(struct v8_reader *r, uint64_t scope, char *name, size_t cap, int64_t *start)
{
	uint64_t slots[SCOPE_SLOTS];
	int64_t nlocals;
	unsigned i, run = 0;

	*start = -1;
	name[0] = '\0';
	if (rd(r, scope - 1 + r->l.map + 8, slots, sizeof(slots)))
		return -EIO;
	nlocals = is_smi(slots[r->l.scope_ncontextlocals]) ? smi_value(slots[r->l.scope_ncontextlocals]) : -1;
	if (nlocals < 0 || nlocals > SCOPE_MAX_INLINE_LOCALS)
		return -ENOTSUP;
	i = r->l.scope_first_vars + 2 * (unsigned)nlocals;
	while (i < SCOPE_SLOTS && is_smi(slots[i]))
		i++;
	if (i >= SCOPE_SLOTS)
		return -ENOTSUP;
	if (string_of(r, slots[i], name, cap))
		name[0] = '\0';		/* not a String: anonymous */
	for (i++; i < SCOPE_SLOTS; i++) {
		if (is_smi(slots[i])) {
			run++;
			continue;
		}
		if (run >= 2)
			break;
		run = 0;
	}
	if (run >= 2 && smi_value(slots[i - 2]) >= 0 && smi_value(slots[i - 2]) < smi_value(slots[i - 1]))
		*start = smi_value(slots[i - 2]);
	return 0;
}

/* Offsets after each newline of a one- or two-byte sequential source. */
static int count_lines(struct script_lines *s, const uint8_t *chars, uint32_t len, bool one_byte)
{
	uint32_t i, cap = 1024;

	s->line_starts = malloc(cap * sizeof(*s->line_starts));
	if (!s->line_starts)
		return -ENOMEM;
	s->nlines = 0;
	for (i = 0; i < len; i++) {
		bool nl = one_byte ? chars[i] == '\n' : chars[2 * i] == '\n' && chars[2 * i + 1] == 0;
		uint32_t *grown;

		if (!nl)
			continue;
		if (s->nlines == cap) {
			grown = realloc(s->line_starts, 2 * cap * sizeof(*grown));
			if (!grown)
				return -ENOMEM;
			s->line_starts = grown;
			cap *= 2;
		}
		s->line_starts[s->nlines++] = i + 1;
	}
	return 0;
}

static int read_lines(struct v8_reader *r, struct script_lines *s, uint64_t source)
{
	const struct v8_layout *l = &r->l;
	uint32_t len;
	uint16_t t;
	bool one;
	uint8_t *chars;
	int err;

	if (type_of(r, source, &t) || t >= l->t_first_nonstring || (t & l->str_repr_mask) != l->str_seq ||
	    rd(r, source - 1 + l->str_length, &len, sizeof(len)) || len > SOURCE_MAX)
		return -ENOTSUP;
	one = (t & l->str_enc_mask) == l->str_one_byte;
	chars = malloc(one ? len : 2ull * len);
	if (!chars)
		return -ENOMEM;
	err = rd(r, source - 1 + (one ? l->seq_one_chars : l->seq_two_chars), chars, one ? len : 2ull * len);
	if (!err)
		err = count_lines(s, chars, len, one);
	free(chars);
	s->length = len;
	return err;
}

static void drop_scripts(struct v8_reader *r)
{
	unsigned i;

	for (i = 0; i < r->nscripts; i++)
		free(r->scripts[i].line_starts);
	r->nscripts = 0;
	r->lines_bytes = 0;
}

/* The lines of script's source, read once; checked against the source's length at each use. */
static struct script_lines *script_lines(struct v8_reader *r, uint64_t script, uint64_t source)
{
	struct script_lines *s;
	uint32_t len;
	unsigned i;

	if (rd(r, source - 1 + r->l.str_length, &len, sizeof(len)))
		return NULL;
	for (i = 0; i < r->nscripts; i++) {
		s = &r->scripts[i];
		if (s->script == script && s->source == source)
			return s->length == len ? s : NULL;
	}
	if (r->nscripts == SCRIPT_CACHE_MAX || r->lines_bytes > LINES_MAX_BYTES)
		drop_scripts(r);
	s = &r->scripts[r->nscripts];
	memset(s, 0, sizeof(*s));
	s->script = script;
	s->source = source;
	if (read_lines(r, s, source)) {
		free(s->line_starts);
		return NULL;
	}
	r->nscripts++;
	r->lines_bytes += (size_t)s->nlines * sizeof(*s->line_starts);
	return s->length == len ? s : NULL;
}

/* 1-based line of source position pos; 0 = unknown. */
static uint32_t line_of(const struct script_lines *s, int64_t pos)
{
	uint32_t lo = 0, hi = s->nlines;

	if (pos < 0 || pos > s->length)
		return 0;
	while (lo < hi) {	/* newlines before pos */
		uint32_t mid = lo + (hi - lo) / 2;

		if (s->line_starts[mid] <= pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo + 1;
}

/* " <file>:<line>" (or " <file>") of the function starting at start, appended to text. */
static void append_place(struct v8_reader *r, uint64_t script, int64_t start, char *text, size_t cap)
{
	char file[LS_V8_NAME_MAX];
	struct script_lines *s;
	uint64_t name, source;
	uint32_t line = 0;
	size_t len = strlen(text);

	if (!has_type(r, script, r->l.t_script) || field(r, script, r->l.script_name, &name) ||
	    string_of(r, name, file, sizeof(file)) || !file[0]) {
		r->st.no_line++;
		return;
	}
	if (start >= 0 && !field(r, script, r->l.script_source, &source) &&
	    (s = script_lines(r, script, source)))
		line = line_of(s, start);
	r->st.no_line += !line;
	if (line)
		snprintf(text + len, cap - len, " %s:%u", file, line);
	else
		snprintf(text + len, cap - len, " %s", file);
}

/* The text of a SharedFunctionInfo (type checked), made now or from the cache. */
static const char *sfi_text(struct v8_reader *r, const struct view *sv)
{
	uint64_t sfi = sv->obj, nos = sv->w[r->l.sfi_name_or_scope_info / 8];
	uint64_t script = sv->w[r->l.sfi_script_or_debug_info / 8];
	struct sfi_entry *e;
	int64_t start = -1;
	char name[LS_V8_NAME_MAX];
	bool created;

	e = ls_table_find(&r->sfis, ls_hash_u64(sfi), &sfi);
	if (e && e->name_or_scope_info == nos && e->script == script) {
		r->st.cache_hits++;
		return e->text;
	}
	if (has_type(r, nos, r->l.t_scope_info)) {
		if (scope_name(r, nos, name, sizeof(name), &start))
			return NULL;
	} else if (string_of(r, nos, name, sizeof(name))) {
		return NULL;	/* neither a ScopeInfo nor a name */
	}
	if (!e) {
		if (ls_table_count(&r->sfis) >= SFI_CACHE_MAX)
			ls_table_free(&r->sfis);	/* start again rather than grow */
		e = ls_table_insert(&r->sfis, ls_hash_u64(sfi), &sfi, &created);
		if (!e)
			return NULL;
	}
	e->sfi = sfi;
	e->name_or_scope_info = nos;
	e->script = script;
	snprintf(e->text, sizeof(e->text), "%s", name[0] ? name : "(anonymous)");
	append_place(r, script, start, e->text, sizeof(e->text));
	return e->text;
}

/* Whether pc is inside code's instructions (code a Code object, checked). */
static bool code_holds(struct v8_reader *r, uint64_t code, uint64_t pc)
{
	const struct v8_layout *l = &r->l;
	uint64_t start;
	int32_t size;

	if (l->code_kind == V8_CODE_NONE || !has_type(r, code, l->t_code) ||
	    rd(r, code - 1 + l->code_isize, &size, sizeof(size)) || size <= 0)
		return false;
	if (l->code_kind == V8_CODE_INLINE)
		start = code - 1 + l->code_istart;
	else if (field(r, code, l->code_istart, &start))
		return false;
	return pc >= start && pc - start < (uint64_t)size;
}

/*
 * The frame's tier if fn (its SharedFunctionInfo sfi, code code) is its
 * own, 0 if not: the bytecode the frame runs is the function's (directly,
 * through InterpreterData, or through its baseline code), or its pc is in
 * the function's code.
 */
static char own_tier(struct v8_reader *r, const struct v8_frame *f, const struct view *sv, uint64_t code)
{
	const struct v8_layout *l = &r->l;
	uint64_t data = sv->w[l->sfi_function_data / 8], bc = 0;
	uint16_t t;

	if (!f->in_builtins && code_holds(r, code, f->pc))
		return '*';	/* optimized (on-stack replacement keeps the interpreter's slots) */
	if (!is_heap_object(f->bytecode_array) || type_of(r, data, &t))
		return 0;
	if (t == l->t_bytecode)
		return data == f->bytecode_array ? '~' : 0;	/* its type just checked */
	if (t == l->t_interpreter_data && l->t_interpreter_data)
		field(r, data, INTERPRETER_DATA_BYTECODE, &bc);
	else if (t == l->t_code && l->code_bytecode_or_interpreter_data)
		field(r, data, l->code_bytecode_or_interpreter_data, &bc);
	if (bc && bc == f->bytecode_array && has_type(r, bc, l->t_bytecode))
		return f->in_builtins || t != l->t_code ? '~' : '^';
	return 0;
}

int v8_reader__name(struct v8_reader *r, const struct v8_frame *f, char *name)
{
	const struct v8_layout *l = &r->l;
	struct view fv, sv;
	const char *text;
	char tier;

	r->st.frames++;
	name[0] = '\0';
	if (is_smi(f->context) || !is_heap_object(f->function)) {
		r->st.not_js++;
		return -ENOENT;		/* a frame-type marker: a stub, an exit or entry frame */
	}
	if (load(r, f->function, l->jsf_shared > l->jsf_code ? l->jsf_shared : l->jsf_code, &fv) ||
	    fv.type < l->t_jsf_first || fv.type > l->t_jsf_last ||
	    load(r, fv.w[l->jsf_shared / 8],
		 max3(l->sfi_function_data, l->sfi_name_or_scope_info, l->sfi_script_or_debug_info), &sv) ||
	    sv.type != l->t_sfi) {
		r->st.bad_object++;
		return -ESTALE;
	}
	if (!(tier = own_tier(r, f, &sv, l->jsf_code ? fv.w[l->jsf_code / 8] : 0))) {
		r->st.not_its_own++;
		return -ESTALE;
	}
	if (!(text = sfi_text(r, &sv))) {
		r->st.bad_object++;
		return -ESTALE;
	}
	snprintf(name, LS_V8_NAME_MAX, "%c%s", tier, text);
	r->st.named++;
	return 0;
}

void v8_reader__stats(const struct v8_reader *r, struct v8_reader_stats *st)
{
	*st = r->st;
}

void v8_reader__free(struct v8_reader *r)
{
	if (!r)
		return;
	drop_scripts(r);
	ls_table_free(&r->sfis);
	free(r);
}
