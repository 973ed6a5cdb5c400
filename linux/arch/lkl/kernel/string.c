// SPDX-License-Identifier: GPL-2.0
/* memcpy and friends: the host's versions (see asm/string.h). */
#include <linux/string.h>
#include <asm/host_ops.h>

void *memcpy(void *dst, const void *src, size_t count)
{
	return lkl_ops->memcpy(dst, src, count);
}

void *memset(void *dst, int c, size_t count)
{
	return lkl_ops->memset(dst, c, count);
}

void *memmove(void *dst, const void *src, size_t count)
{
	return lkl_ops->memmove(dst, src, count);
}
