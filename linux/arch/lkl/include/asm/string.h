/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host's memcpy and friends are much faster than the kernel's generic
 * byte loops (arch/lkl/kernel/string.c forwards to them).
 */
#ifndef _ASM_LKL_STRING_H
#define _ASM_LKL_STRING_H

#define __HAVE_ARCH_MEMCPY
extern void *memcpy(void *dst, const void *src, __kernel_size_t count);

#define __HAVE_ARCH_MEMSET
extern void *memset(void *dst, int c, __kernel_size_t count);

#define __HAVE_ARCH_MEMMOVE
extern void *memmove(void *dst, const void *src, __kernel_size_t count);

#endif /* _ASM_LKL_STRING_H */
