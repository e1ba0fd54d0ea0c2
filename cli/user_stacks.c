// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "bpf/loopscope.h"
#include "collector/stack_ids.h"
#include "collector/table.h"
#include "user_stacks.h"

/*
 * Copies waiting for their record, all threads together. A thread that
 * blocked briefly (no off-CPU record) leaves its copy until its next one:
 * a target of thousands of such threads must not make us hold a copy each.
 */
#define PENDING_MAX_BYTES	(16u << 20)

struct pending_dump {
	uint32_t tid;
	struct ls_rec_ustack *dump;	/* owned: the header, then its bytes */
};

struct user_stacks {
	struct unwinder *uw;
	struct ls_table pending;	/* of struct pending_dump, by tid */
	struct stack_ids ids;
	size_t pending_bytes;
	struct user_stacks_stats st;
};

static bool pending_eq(const void *entry, const void *key)
{
	return ((const struct pending_dump *)entry)->tid == *(const uint32_t *)key;
}

struct user_stacks *user_stacks__new(pid_t pid)
{
	struct user_stacks *us = calloc(1, sizeof(*us));

	if (!us) {
		errno = ENOMEM;
		return NULL;
	}
	us->uw = unwinder__new(pid);
	if (!us->uw) {
		free(us);
		return NULL;
	}
	ls_table_init(&us->pending, sizeof(struct pending_dump), 64, LS_MAX_THREADS, pending_eq);
	stack_ids__init(&us->ids);
	return us;
}

static void drop_pending(struct user_stacks *us, uint32_t tid)
{
	struct pending_dump *p = ls_table_find(&us->pending, ls_hash_u64(tid), &tid);

	if (p) {
		us->pending_bytes -= sizeof(*p->dump) + p->dump->size;
		free(p->dump);
		ls_table_remove(&us->pending, p);
	}
}

static int keep_dump(struct user_stacks *us, const struct ls_rec_ustack *d, size_t len)
{
	struct pending_dump *p;
	struct ls_rec_ustack *copy;
	bool created;

	if (len < sizeof(*d) || d->size > LS_MAX_STACK_COPY || len < sizeof(*d) + d->size)
		return 0;	/* not a record the programs write: nothing to keep */
	drop_pending(us, d->tid);	/* a thread's new copy replaces its old one */
	if (us->pending_bytes + sizeof(*d) + d->size > PENDING_MAX_BYTES)
		return 0;	/* the record naming it will count it missing */
	copy = malloc(sizeof(*d) + d->size);
	if (!copy)
		return 0;	/* the record naming it will count it missing */
	memcpy(copy, d, sizeof(*d) + d->size);
	p = ls_table_insert(&us->pending, ls_hash_u64(d->tid), &d->tid, &created);
	if (!p) {
		free(copy);
		return 0;
	}
	p->tid = d->tid;
	p->dump = copy;
	us->pending_bytes += sizeof(*d) + d->size;
	return 0;
}

/* The id for tid's pending copy, its frames emitted first if new; -1 = none. */
static int32_t unwound_id(struct user_stacks *us, uint32_t tid, user_stacks_emit_fn emit,
			  void *ctx, int *err)
{
	struct pending_dump *p = ls_table_find(&us->pending, ls_hash_u64(tid), &tid);
	struct ls_rec_stack st = { .type = LS_REC_STACK };
	bool created;
	int32_t id;

	if (!p) {
		us->st.pending_missing++;
		return -1;
	}
	st.nframes = unwinder__unwind(us->uw, p->dump, (const uint8_t *)(p->dump + 1),
				      (uint64_t *)st.ips, LS_MAX_STACK_DEPTH);	/* __u64 and uint64_t: one size, two spellings */
	drop_pending(us, tid);
	if (!st.nframes) {
		us->st.empty++;
		return -1;
	}
	id = stack_ids__get(&us->ids, (const uint64_t *)st.ips, st.nframes, &created);
	if (id < 0) {
		us->st.ids_full += id == -ENOSPC;
		return -1;
	}
	if (created) {
		st.id = id;
		*err = emit(ctx, &st, sizeof(st));
	}
	return id;
}

/* Where a record keeps its user stack id, or NULL. */
static __s32 *user_stack_field(void *rec, size_t len)
{
	switch (*(__u32 *)rec) {
	case LS_REC_SAMPLE:
		return len >= sizeof(struct ls_rec_sample) ? &((struct ls_rec_sample *)rec)->user_stack : NULL;
	case LS_REC_OFFCPU:
		return len >= sizeof(struct ls_rec_offcpu) ? &((struct ls_rec_offcpu *)rec)->user_stack : NULL;
	case LS_REC_OVERFLOW:
		return len >= sizeof(struct ls_rec_overflow) ? &((struct ls_rec_overflow *)rec)->user_stack : NULL;
	}
	return NULL;
}

static uint32_t record_tid(const void *rec)
{
	switch (*(const __u32 *)rec) {
	case LS_REC_SAMPLE: return ((const struct ls_rec_sample *)rec)->tid;
	case LS_REC_OFFCPU: return ((const struct ls_rec_offcpu *)rec)->tid;
	case LS_REC_OVERFLOW: return ((const struct ls_rec_overflow *)rec)->tid;
	}
	return 0;
}

int user_stacks__on_record(struct user_stacks *us, void *data, size_t len,
			   user_stacks_emit_fn emit, void *ctx)
{
	union {
		struct ls_rec_sample s;
		struct ls_rec_offcpu o;
		struct ls_rec_overflow v;
	} copy;
	__s32 *field;
	int err = 0;

	if (len < sizeof(__u32))
		return emit(ctx, data, len);
	if (*(__u32 *)data == LS_REC_USTACK)
		return keep_dump(us, data, len);
	if (*(__u32 *)data == LS_REC_THREAD_EXIT && len >= sizeof(struct ls_rec_thread))
		drop_pending(us, ((struct ls_rec_thread *)data)->tid);
	field = user_stack_field(data, len);
	if (!field || *field != LS_STACK_DUMPED || len > sizeof(copy))
		return emit(ctx, data, len);
	/* the ring's pages are read-only to us: the id goes into a copy */
	memcpy(&copy, data, len);
	field = user_stack_field(&copy, len);
	*field = unwound_id(us, record_tid(&copy), emit, ctx, &err);
	return err ? err : emit(ctx, &copy, len);
}

void user_stacks__stats(const struct user_stacks *us, struct user_stacks_stats *st)
{
	*st = us->st;
	unwinder__stats(us->uw, &st->unwind);
}

void user_stacks__free(struct user_stacks *us)
{
	size_t i;

	if (!us)
		return;
	for (i = 0; i < ls_table_cap(&us->pending); i++) {
		struct pending_dump *p = ls_table_slot(&us->pending, i);

		if (p)
			free(p->dump);
	}
	ls_table_free(&us->pending);
	stack_ids__free(&us->ids);
	unwinder__free(us->uw);
	free(us);
}
