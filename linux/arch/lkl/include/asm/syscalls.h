/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_LKL_SYSCALLS_H
#define _ASM_LKL_SYSCALLS_H

#include <asm-generic/syscalls.h>

/* Indexed by the numbers of the generic table; entries are sys_* functions. */
extern const void *lkl_sys_call_table[];

#endif /* _ASM_LKL_SYSCALLS_H */
