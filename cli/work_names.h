/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Names the kinds of thread-pool items from the target's symbols: the
 * first submit carrying a work function or owner word makes an
 * LS_REC_WORK_NAME for each that names something (an owner word pointing
 * into a vtable: its class; a work function's start: its name), pushed
 * down the stream ahead of the submit, so the correlator, raw files and
 * replay all have it. Bounded: the (pid, address) pairs tried are kept up
 * to a cap; past it nothing new is named (counted).
 */
#ifndef LS_CLI_WORK_NAMES_H
#define LS_CLI_WORK_NAMES_H

#include <stddef.h>
#include <stdint.h>
#include "collector/record.h"
#include "proc_syms.h"

#define WORK_NAMES_PER_SUBMIT	3	/* work_fn, owner[0], owner[1] */

struct work_names;

struct work_names *work_names__new(void);
void work_names__free(struct work_names *wn);
/*
 * data is a record: for a submit, the names not yet sent for its
 * addresses, into out; how many (0 for anything else). An exec or exit
 * of a process forgets its addresses.
 */
unsigned work_names__name(struct work_names *wn, struct proc_syms *ps, const void *data,
			  size_t len, struct ls_rec_work_name out[WORK_NAMES_PER_SUBMIT]);
/* (pid, address) pairs not tried because the cache was full. */
uint64_t work_names__unkept(const struct work_names *wn);

#endif
