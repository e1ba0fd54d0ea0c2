/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Same workload or refuse: a node summary compared with a redis summary
 * would read "improved". Runs are of one workload when no two of them carry
 * different labels (record --label) and, on each side, some run's loops
 * are in a process of a name that some run on the other side has.
 */
#include <stdio.h>
#include <string.h>
#include "viewer-export/text_escape.h"
#include "check.h"

static bool side_has_comm(const struct runs *s, const char *comm)
{
	unsigned i, k;

	for (i = 0; i < s->n; i++)
		for (k = 0; k < s->m[i].ncomms; k++)
			if (!strncmp(s->m[i].comms[k], comm, LS_COMM_LEN))
				return true;
	return false;
}

static bool sides_share_a_comm(const struct runs *b, const struct runs *c)
{
	unsigned i, k;

	for (i = 0; i < b->n; i++)
		for (k = 0; k < b->m[i].ncomms; k++)
			if (side_has_comm(c, b->m[i].comms[k]))
				return true;
	return false;
}

/* The first comm of a side's runs, escaped (the target named it); NULL when no run has a loop. */
static const char *first_comm(const struct runs *s, char *buf, size_t sz)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		if (s->m[i].ncomms)
			return ls_esc_str(LS_ESC_TEXT, buf, sz, s->m[i].comms[0], LS_COMM_LEN);
	return NULL;
}

static const char *first_label(const struct runs *s)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		if (s->m[i].label[0])
			return s->m[i].label;
	return NULL;
}

int check_same_workload(const struct runs *b, const struct runs *c, char *why, size_t sz)
{
	const struct runs *sides[2] = { b, c };
	const char *label = first_label(b) ? first_label(b) : first_label(c);
	char e1[LS_ESC_SIZE(CHECK_LABEL_LEN)], e2[LS_ESC_SIZE(CHECK_LABEL_LEN)];
	unsigned s, i;
	bool any_b, any_c;

	for (s = 0; label && s < 2; s++)
		for (i = 0; i < sides[s]->n; i++) {
			const char *other = sides[s]->m[i].label;

			if (other[0] && strcmp(other, label)) {	/* a file's label may hold anything */
				snprintf(why, sz, "one run is labelled %s, another %s",
					 ls_esc_str(LS_ESC_TEXT, e1, sizeof(e1), label, CHECK_LABEL_LEN),
					 ls_esc_str(LS_ESC_TEXT, e2, sizeof(e2), other, CHECK_LABEL_LEN));
				return 1;
			}
		}
	any_b = first_comm(b, e1, sizeof(e1)) != NULL;
	any_c = first_comm(c, e2, sizeof(e2)) != NULL;
	if (any_b && any_c && !sides_share_a_comm(b, c)) {
		snprintf(why, sz, "the baseline's loops run in %s, the current run's in %s", e1, e2);
		return 1;
	}
	return 0;
}
