/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * v8_layout: the heap-object layout a node binary (or libnode.so)
 * publishes as V8's postmortem metadata: 32-bit values at `v8dbg_*`
 * symbols (tags, field offsets, instance types, frame slots) and the V8
 * version at v8::internal::Version::major_ and the rest. Read from the
 * file, never from the target's memory: a value the file does not carry
 * is missing (named in the refusal), and a few with a known fallback per
 * version are filled in (JSFunction::code before V8 11.7, Code's
 * instruction start in V8 11.x, the JSFunction type range).
 */
#ifndef LS_V8_LAYOUT_H
#define LS_V8_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

/* How JIT code's instruction range is found from a JSFunction's code. */
enum v8_code_kind {
	V8_CODE_NONE = 0,	/* not known: optimized frames stay unnamed */
	V8_CODE_INLINE,		/* V8 < 11: instructions inside the Code object */
	V8_CODE_POINTER,	/* V8 11.x: Code holds the instruction start */
};

struct v8_layout {
	uint32_t major, minor, build, patch;
	/* frame slots, relative to the frame pointer */
	int32_t fp_context, fp_function, fp_bytecode_array, fp_bytecode_offset;
	/* field offsets (of the untagged object) */
	uint32_t map, map_instance_type;
	uint32_t jsf_shared, jsf_code;
	uint32_t sfi_name_or_scope_info, sfi_script_or_debug_info, sfi_function_data;
	uint32_t script_name, script_source;
	uint32_t str_length, seq_one_chars, seq_two_chars, cons_first, cons_second, thin_actual;
	uint32_t sliced_parent, sliced_offset;
	uint32_t code_bytecode_or_interpreter_data;	/* 0 = none (V8 < 11) */
	uint32_t code_istart, code_isize;		/* by code_kind */
	enum v8_code_kind code_kind;
	uint32_t scope_first_vars, scope_ncontextlocals;	/* slot indices */
	/* instance types */
	uint16_t t_jsf_first, t_jsf_last, t_sfi, t_script, t_scope_info, t_bytecode, t_code;
	uint16_t t_interpreter_data, t_first_nonstring;
	/* string type bits */
	uint32_t str_repr_mask, str_enc_mask, str_cons, str_thin, str_sliced, str_seq;
	uint32_t str_one_byte;
};

/*
 * Reads the layout from the ELF file fd (left open). 0; -ENOENT when the
 * file carries no V8 metadata at all; -ENOTSUP when it carries some but
 * not a value we need: *missing names it then (a symbol's name, without
 * the v8dbg_ prefix).
 */
int v8_layout__read(int fd, struct v8_layout *out, const char **missing);

#endif
