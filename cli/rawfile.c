/* SPDX-License-Identifier: BSD-2-Clause */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "rawfile.h"

/*
 * A short fwrite() leaves the reason of the write(2) under it in errno
 * (ENOSPC, EDQUOT, EFBIG...): that is the error to report, not EIO.
 */
static int write_err(void)
{
	return errno ? -errno : -EIO;
}

int rawfile__write_header(FILE *f)
{
	errno = 0;
	return fwrite(LS_RAW_MAGIC, 1, 8, f) == 8 ? 0 : write_err();
}

int rawfile__write(FILE *f, const void *rec, size_t len)
{
	uint8_t hdr[4] = { (uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16), (uint8_t)(len >> 24) };

	errno = 0;
	if (fwrite(hdr, 1, 4, f) != 4 || fwrite(rec, 1, len, f) != len)
		return write_err();
	return 0;
}

int rawfile__check_header(FILE *f)
{
	char magic[8];

	return fread(magic, 1, 8, f) == 8 && !memcmp(magic, LS_RAW_MAGIC, 8) ? 0 : -EINVAL;
}

int rawfile__read(FILE *f, void *buf, size_t cap, size_t *len)
{
	uint8_t hdr[4];
	size_t n = fread(hdr, 1, 4, f);

	if (n == 0 && feof(f))
		return 1;
	if (n != 4)
		return -EINVAL;
	*len = (size_t)hdr[0] | (size_t)hdr[1] << 8 | (size_t)hdr[2] << 16 | (size_t)hdr[3] << 24;
	if (!*len || *len > cap || fread(buf, 1, *len, f) != *len)
		return -EINVAL;
	return 0;
}
