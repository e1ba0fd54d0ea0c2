// SPDX-License-Identifier: BSD-2-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "bpf/loopscope.h"
#include "collector/stack_ids.h"
#include "collector/table.h"
#include "js_frames.h"
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

struct proc_unwinder {
	uint32_t pid;
	struct unwinder *uw;
};

struct user_stacks {
	struct ls_table procs;		/* of struct proc_unwinder, by pid */
	struct unwinder_stats gone;	/* of the unwinders freed already */
	struct ls_table pending;	/* of struct pending_dump, by tid */
	struct stack_ids ids;
	struct js_frames *js;		/* NULL: JavaScript frames left as unwound */
	size_t pending_bytes;
	struct user_stacks_stats st;
};

static bool pending_eq(const void *entry, const void *key)
{
	return ((const struct pending_dump *)entry)->tid == *(const uint32_t *)key;
}

static bool proc_eq(const void *entry, const void *key)
{
	return ((const struct proc_unwinder *)entry)->pid == *(const uint32_t *)key;
}

struct user_stacks *user_stacks__new(bool js_names)
{
	struct user_stacks *us = calloc(1, sizeof(*us));

	if (!us) {
		errno = ENOMEM;
		return NULL;
	}
	ls_table_init(&us->procs, sizeof(struct proc_unwinder), 8, LS_MAX_UNWOUND_PROCS, proc_eq);
	ls_table_init(&us->pending, sizeof(struct pending_dump), 64, LS_MAX_THREADS, pending_eq);
	stack_ids__init(&us->ids);
	us->js = js_names ? js_frames__new() : NULL;	/* NULL (ENOMEM too): frames as unwound */
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

static void add_stats(struct unwinder_stats *to, const struct unwinder_stats *s)
{
	to->stacks += s->stacks;
	to->frames += s->frames;
	to->no_module += s->no_module;
	to->at_copy_end += s->at_copy_end;
	to->no_cfi += s->no_cfi;
	to->maps_reloads += s->maps_reloads;
	to->files += s->files;
	to->file_errors += s->file_errors;
	to->ns += s->ns;
	to->load_cpu_ns += s->load_cpu_ns;
}

/* pid's unwinder, made now if it has none (its maps are read while it lives); NULL past the cap. */
static struct unwinder *proc_unwinder(struct user_stacks *us, uint32_t pid)
{
	struct proc_unwinder *p = ls_table_find(&us->procs, ls_hash_u64(pid), &pid);
	struct unwinder *uw;
	bool created;

	if (p)
		return p->uw;
	if (ls_table_count(&us->procs) >= LS_MAX_UNWOUND_PROCS || !(uw = unwinder__new((pid_t)pid))) {
		us->st.unwinders_full++;
		return NULL;
	}
	p = ls_table_insert(&us->procs, ls_hash_u64(pid), &pid, &created);
	if (!p) {
		unwinder__free(uw);
		us->st.unwinders_full++;
		return NULL;
	}
	p->pid = pid;
	p->uw = uw;
	return uw;
}

/* pid exited or ran a new program: its modules are not those of its next stacks. */
static void drop_unwinder(struct user_stacks *us, uint32_t pid)
{
	struct proc_unwinder *p = ls_table_find(&us->procs, ls_hash_u64(pid), &pid);
	struct unwinder_stats s;

	if (!p)
		return;
	unwinder__stats(p->uw, &s);
	add_stats(&us->gone, &s);
	unwinder__free(p->uw);
	ls_table_remove(&us->procs, p);
}

static void forget_process(struct user_stacks *us, uint32_t pid)
{
	drop_unwinder(us, pid);
	if (us->js)
		js_frames__forget(us->js, pid);
}

/* The id for tid's pending copy, its frames emitted first if new; -1 = none. */
static int32_t unwound_id(struct user_stacks *us, uint32_t pid, uint32_t tid,
			  user_stacks_emit_fn emit, void *ctx, int *err)
{
	struct pending_dump *p = ls_table_find(&us->pending, ls_hash_u64(tid), &tid);
	struct ls_rec_stack st = { .type = LS_REC_STACK };
	struct unwound_frame frames[LS_MAX_STACK_DEPTH];
	struct unwinder *uw;
	bool created;
	int32_t id;

	if (!p) {
		us->st.pending_missing++;
		return -1;
	}
	if (!(uw = proc_unwinder(us, pid))) {
		drop_pending(us, tid);
		return -1;
	}
	st.nframes = unwinder__unwind(uw, p->dump, (const uint8_t *)(p->dump + 1),
				      (uint64_t *)st.ips, frames, LS_MAX_STACK_DEPTH);	/* __u64 and uint64_t: one size, two spellings */
	if (us->js && st.nframes)
		*err = js_frames__name_stack(us->js, pid, p->dump, (const uint8_t *)(p->dump + 1),
					     (uint64_t *)st.ips, frames, st.nframes, emit, ctx);
	drop_pending(us, tid);
	if (*err)
		return -1;
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
	case LS_REC_SYSCALL:
		return len >= sizeof(struct ls_rec_syscall) ? &((struct ls_rec_syscall *)rec)->user_stack : NULL;
	}
	return NULL;
}

/* The thread of a record user_stack_field() found a field in, and its process. */
static uint32_t record_tid(const void *rec, uint32_t *pid)
{
	switch (*(const __u32 *)rec) {
	case LS_REC_SAMPLE:
		*pid = ((const struct ls_rec_sample *)rec)->pid;
		return ((const struct ls_rec_sample *)rec)->tid;
	case LS_REC_OFFCPU:
		*pid = ((const struct ls_rec_offcpu *)rec)->pid;
		return ((const struct ls_rec_offcpu *)rec)->tid;
	case LS_REC_OVERFLOW:
		*pid = ((const struct ls_rec_overflow *)rec)->pid;
		return ((const struct ls_rec_overflow *)rec)->tid;
	case LS_REC_SYSCALL:
		*pid = ((const struct ls_rec_syscall *)rec)->pid;
		return ((const struct ls_rec_syscall *)rec)->tid;
	}
	return *pid = 0;
}

int user_stacks__on_record(struct user_stacks *us, void *data, size_t len,
			   user_stacks_emit_fn emit, void *ctx)
{
	union {
		struct ls_rec_sample s;
		struct ls_rec_offcpu o;
		struct ls_rec_overflow v;
		struct ls_rec_syscall c;
	} copy;
	uint32_t pid, tid;
	__s32 *field;
	int err = 0;

	if (len < sizeof(__u32))
		return emit(ctx, data, len);
	if (*(__u32 *)data == LS_REC_USTACK)
		return keep_dump(us, data, len);
	if (*(__u32 *)data == LS_REC_THREAD_EXIT && len >= sizeof(struct ls_rec_thread))
		drop_pending(us, ((struct ls_rec_thread *)data)->tid);
	if (*(__u32 *)data == LS_REC_PROC && len >= sizeof(struct ls_rec_proc) &&
	    (((struct ls_rec_proc *)data)->event == LS_PROC_EXIT ||
	     ((struct ls_rec_proc *)data)->event == LS_PROC_EXEC))
		forget_process(us, ((struct ls_rec_proc *)data)->pid);
	field = user_stack_field(data, len);
	if (!field || *field != LS_STACK_DUMPED || len > sizeof(copy))
		return emit(ctx, data, len);
	/* the ring's pages are read-only to us: the id goes into a copy */
	memcpy(&copy, data, len);
	field = user_stack_field(&copy, len);
	tid = record_tid(&copy, &pid);
	*field = unwound_id(us, pid, tid, emit, ctx, &err);
	return err ? err : emit(ctx, &copy, len);
}

void user_stacks__stats(const struct user_stacks *us, struct user_stacks_stats *st)
{
	struct unwinder_stats s;
	size_t i;

	*st = us->st;
	st->unwind = us->gone;
	if (us->js)
		js_frames__stats(us->js, &st->js);
	for (i = 0; i < ls_table_cap(&us->procs); i++) {
		const struct proc_unwinder *p = ls_table_slot(&us->procs, i);

		if (p) {
			unwinder__stats(p->uw, &s);
			add_stats(&st->unwind, &s);
		}
	}
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
	for (i = 0; i < ls_table_cap(&us->procs); i++) {
		struct proc_unwinder *p = ls_table_slot(&us->procs, i);

		if (p)
			unwinder__free(p->uw);
	}
	ls_table_free(&us->procs);
	js_frames__free(us->js);
	stack_ids__free(&us->ids);
	free(us);
}
