/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Ids for stacks unwound in user space, as the BPF stack map gives ids to
 * the stacks it walks: identical stacks share one, so records stay small
 * and the exporters intern each stack once. Ids run from LS_MAX_STACK_IDS
 * up, below LS_STACK_ID_LIMIT, apart from the stack map's.
 */
#ifndef LS_STACK_IDS_H
#define LS_STACK_IDS_H

#include <stdbool.h>
#include <stdint.h>
#include "table.h"

struct stack_ids {
	struct ls_table table;	/* of struct stack_id_entry */
	int32_t next;
};

void stack_ids__init(struct stack_ids *s);
/*
 * The id of ips[0..n) (leaf first); *created when it is new (the caller
 * then sends its frames). -ENOSPC when LS_MAX_UNWOUND_STACKS are taken,
 * -ENOMEM.
 */
int32_t stack_ids__get(struct stack_ids *s, const uint64_t *ips, unsigned n, bool *created);
void stack_ids__free(struct stack_ids *s);

#endif
