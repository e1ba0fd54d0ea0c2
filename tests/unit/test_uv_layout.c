/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The libuv offsets the BPF side reads by (bpf/loopscope.h), against the
 * machine's uv.h (libuv1-dev): a new libuv that moved them fails here.
 */
#include <stddef.h>
#include <uv.h>
#include "../harness.h"
#include "collector/record.h"

_Static_assert(offsetof(uv_work_t, work_req) == LS_UV_WORK_REQ_OFFSET, "uv_work_t.work_req");
_Static_assert(offsetof(uv_fs_t, work_req) - offsetof(uv_fs_t, fs_type) == LS_UV_FS_TYPE_BACK,
	       "uv_fs_t.fs_type before work_req");

/* The names follow uv.h's numbering: uv_fs_type + 1 is the detail. */
TEST(uv_fs_type_names_follow_uv_h)
{
	ASSERT_STR_EQ(ls_fs_detail_name(UV_FS_OPEN + 1), "fs.open");
	ASSERT_STR_EQ(ls_fs_detail_name(UV_FS_READ + 1), "fs.read");
	ASSERT_STR_EQ(ls_fs_detail_name(UV_FS_FSTAT + 1), "fs.fstat");
	ASSERT_STR_EQ(ls_fs_detail_name(UV_FS_CLOSE + 1), "fs.close");
	ASSERT_STR_EQ(ls_fs_detail_name(UV_FS_LUTIME + 1), "fs.lutime");
	ASSERT(!ls_fs_detail_name(0));			/* unknown */
	ASSERT(!ls_fs_detail_name(UV_FS_LUTIME + 2));	/* past what this table knows */
	ASSERT(!ls_fs_detail_name(LS_UV_FS_TYPE_MAX + 1));
}
