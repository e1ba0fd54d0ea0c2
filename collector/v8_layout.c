// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stddef.h>
#include <string.h>
#include "safe_open.h"
#include "v8_layout.h"

#define LAYOUT_REQUIRED	1
#define LAYOUT_OPTIONAL	0

/* Each value we read: its symbol (without v8dbg_), where it goes, whether a layout needs it. */
#define V8_LAYOUT_MAP(X)							\
	X("off_fp_context", fp_context, 1)					\
	X("off_fp_function", fp_function, 1)					\
	X("off_fp_bytecode_array", fp_bytecode_array, 1)			\
	X("off_fp_bytecode_offset", fp_bytecode_offset, 1)			\
	X("class_HeapObject__map__Map", map, 1)					\
	X("class_Map__instance_type__uint16_t", map_instance_type, 1)		\
	X("class_JSFunction__shared__SharedFunctionInfo", jsf_shared, 1)	\
	X("class_JSFunction__code__CodeT", jsf_code, 0)				\
	X("class_JSFunction__code__Code", jsf_code, 0)				\
	X("class_SharedFunctionInfo__name_or_scope_info__Object", sfi_name_or_scope_info, 1) \
	X("class_SharedFunctionInfo__script_or_debug_info__HeapObject", sfi_script_or_debug_info, 0) \
	X("class_SharedFunctionInfo__script_or_debug_info__Object", sfi_script_or_debug_info, 0) \
	X("class_SharedFunctionInfo__function_data__Object", sfi_function_data, 1) \
	X("class_Script__name__Object", script_name, 1)				\
	X("class_Script__source__Object", script_source, 1)			\
	X("class_String__length__int32_t", str_length, 1)			\
	X("class_SeqOneByteString__chars__char", seq_one_chars, 1)		\
	X("class_SeqTwoByteString__chars__char", seq_two_chars, 1)		\
	X("class_ConsString__first__String", cons_first, 1)			\
	X("class_ConsString__second__String", cons_second, 1)			\
	X("class_ThinString__actual__String", thin_actual, 1)			\
	X("class_SlicedString__parent__String", sliced_parent, 1)		\
	X("class_SlicedString__offset__SMI", sliced_offset, 1)			\
	X("class_Code__bytecode_or_interpreter_data__HeapObject", code_bytecode_or_interpreter_data, 0) \
	X("class_Code__instruction_start__uintptr_t", code_istart, 0)		\
	X("class_Code__instruction_size__int", code_isize, 0)			\
	X("scopeinfo_idx_first_vars", scope_first_vars, 1)			\
	X("scopeinfo_idx_ncontextlocals", scope_ncontextlocals, 1)		\
	X("type_JSFunction__JS_FUNCTION_TYPE", t_jsf_first, 1)			\
	X("type_SharedFunctionInfo__SHARED_FUNCTION_INFO_TYPE", t_sfi, 1)	\
	X("type_Script__SCRIPT_TYPE", t_script, 1)				\
	X("type_ScopeInfo__SCOPE_INFO_TYPE", t_scope_info, 1)			\
	X("type_BytecodeArray__BYTECODE_ARRAY_TYPE", t_bytecode, 1)		\
	X("type_Code__CODE_TYPE", t_code, 1)					\
	X("type_InterpreterData__INTERPRETER_DATA_TYPE", t_interpreter_data, 0) \
	X("FirstNonstringType", t_first_nonstring, 1)				\
	X("StringRepresentationMask", str_repr_mask, 1)				\
	X("StringEncodingMask", str_enc_mask, 1)				\
	X("ConsStringTag", str_cons, 1)						\
	X("ThinStringTag", str_thin, 1)						\
	X("SlicedStringTag", str_sliced, 1)					\
	X("SeqStringTag", str_seq, 1)						\
	X("OneByteStringTag", str_one_byte, 1)					\
	X("class_Code__source_position_table__ByteArray", code_istart, 0)

struct layout_value {
	const char *name;
	size_t off, size;
	bool required;
};

#define LAYOUT_VALUE(sym, field, req) \
	{ sym, offsetof(struct v8_layout, field), sizeof(((struct v8_layout *)0)->field), req },
static const struct layout_value layout_values[] = { V8_LAYOUT_MAP(LAYOUT_VALUE) };
#define NVALUES (sizeof(layout_values) / sizeof(layout_values[0]))

/* The last row: V8 11.x's Code lost instruction_start; it follows source_position_table. */
#define SPT_ROW (NVALUES - 1)

static const char *const version_syms[4] = {
	"_ZN2v88internal7Version6major_E", "_ZN2v88internal7Version6minor_E",
	"_ZN2v88internal7Version6build_E", "_ZN2v88internal7Version6patch_E",
};

struct layout_read {
	int fd;
	bool found[NVALUES];
	uint32_t values[NVALUES];
	bool version_found[4];
	uint32_t version[4];
	unsigned nmeta;		/* v8dbg_ symbols seen */
};

/* The 32-bit value at sym, read from the file through the section holding it (zero in .bss). */
static int sym_value(Elf *elf, int fd, const GElf_Sym *sym, uint32_t *out)
{
	Elf_Scn *scn = elf_getscn(elf, sym->st_shndx);
	GElf_Shdr sh;
	uint64_t off;

	if (!scn || !gelf_getshdr(scn, &sh))
		return -ENOENT;
	if (sym->st_value < sh.sh_addr || sym->st_value - sh.sh_addr + 4 > sh.sh_size)
		return -ENOENT;
	if (sh.sh_type == SHT_NOBITS) {
		*out = 0;	/* a value of 0 is put in .bss */
		return 0;
	}
	off = sh.sh_offset + (sym->st_value - sh.sh_addr);
	return ls_read_bounded(fd, out, 4, (off_t)off, NULL) == 4 ? 0 : -EIO;
}

static void take_symbol(struct layout_read *lr, Elf *elf, const char *name, const GElf_Sym *sym)
{
	size_t i;

	if (!strncmp(name, "v8dbg_", 6)) {
		lr->nmeta++;
		for (i = 0; i < NVALUES; i++)
			if (!lr->found[i] && !strcmp(name + 6, layout_values[i].name))
				lr->found[i] = !sym_value(elf, lr->fd, sym, &lr->values[i]);
		return;
	}
	for (i = 0; i < 4; i++)
		if (!lr->version_found[i] && !strcmp(name, version_syms[i]))
			lr->version_found[i] = !sym_value(elf, lr->fd, sym, &lr->version[i]);
}

/* Every symbol of the symbol tables (.dynsym: libnode.so is otherwise stripped). */
static int scan_symbols(struct layout_read *lr, Elf *elf)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		if (!sh.sh_entsize || !(data = elf_getdata(scn, NULL)))
			continue;
		n = sh.sh_size / sh.sh_entsize;
		for (i = 1; i < n; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(data, (int)i, &sym) || !sym.st_name)
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (name && (name[0] == 'v' || name[0] == '_'))
				take_symbol(lr, elf, name, &sym);
		}
	}
	return lr->nmeta ? 0 : -ENOENT;
}

static bool version_at_least(const struct v8_layout *l, uint32_t major, uint32_t minor, uint32_t build)
{
	if (l->major != major)
		return l->major > major;
	if (l->minor != minor)
		return l->minor > minor;
	return l->build >= build;
}

/*
 * Values with no symbol in some versions, from V8's layout of that
 * version (facts the OpenTelemetry profiler's per-version table also
 * records): JSFunction::code is three pointers past shared before 11.7;
 * from 9.6 JSFunction has 15 instance types from JS_FUNCTION_TYPE; in
 * 11.x Code keeps its instruction start two pointers past the source
 * position table, then flags, then (before 11.4.59) two 16-bit fields,
 * then the instruction size.
 */
static void fill_known(struct v8_layout *l, const struct layout_read *lr)
{
	l->t_jsf_last = l->t_jsf_first + (version_at_least(l, 9, 6, 138) ? 14 : 13);
	if (!l->jsf_code && !version_at_least(l, 11, 7, 368))
		l->jsf_code = l->jsf_shared + 24;
	if (l->code_isize && l->code_istart) {
		l->code_kind = V8_CODE_INLINE;
	} else if (l->major == 11 && lr->found[SPT_ROW] && !l->code_isize) {
		l->code_istart = lr->values[SPT_ROW] + 16;
		l->code_isize = l->code_istart + 8 + 4 + (version_at_least(l, 11, 4, 59) ? 0 : 4);
		l->code_kind = V8_CODE_POINTER;
	}
}

static int make_layout(const struct layout_read *lr, struct v8_layout *out, const char **missing)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < 4; i++)
		if (!lr->version_found[i]) {
			*missing = version_syms[i];
			return -ENOTSUP;
		}
	out->major = lr->version[0];
	out->minor = lr->version[1];
	out->build = lr->version[2];
	out->patch = lr->version[3];
	for (i = 0; i < SPT_ROW; i++) {
		const struct layout_value *v = &layout_values[i];
		char *at = (char *)out + v->off;

		if (!lr->found[i]) {
			if (v->required) {
				*missing = v->name;
				return -ENOTSUP;
			}
			continue;
		}
		if (v->size == 2)
			*(uint16_t *)at = (uint16_t)lr->values[i];
		else
			memcpy(at, &lr->values[i], 4);	/* int32 and uint32 alike */
	}
	fill_known(out, lr);
	return 0;
}

int v8_layout__read(int fd, struct v8_layout *out, const char **missing)
{
	struct layout_read lr = { .fd = fd };
	Elf *elf;
	int err;

	*missing = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EIO;
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf)
		return -ENOENT;
	err = elf_kind(elf) == ELF_K_ELF ? scan_symbols(&lr, elf) : -ENOENT;
	elf_end(elf);
	return err ? err : make_layout(&lr, out, missing);
}
