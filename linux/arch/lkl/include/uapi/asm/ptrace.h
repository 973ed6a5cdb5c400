/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * There is no user mode to trace: the register set is an empty placeholder
 * that generic code can point at.
 */
#ifndef _ASM_UAPI_LKL_PTRACE_H
#define _ASM_UAPI_LKL_PTRACE_H

#ifndef __ASSEMBLY__
struct user_pt_regs {
	unsigned long unused;
};
#endif

#endif /* _ASM_UAPI_LKL_PTRACE_H */
