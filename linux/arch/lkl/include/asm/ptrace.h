/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel code never runs on behalf of a user mode: no registers to save. */
#ifndef _ASM_LKL_PTRACE_H
#define _ASM_LKL_PTRACE_H

#include <uapi/asm/ptrace.h>

#ifndef __ASSEMBLY__

/*
 * An interrupt taken while no kernel code ran (the CPU was free) came from
 * "user mode": the application was running.
 */
struct pt_regs {
	unsigned long user;
};

#define user_mode(regs)			((regs)->user)
#define kernel_mode(regs)		(!(regs)->user)
#define profile_pc(regs)		0
#define instruction_pointer(regs)	0
#define user_stack_pointer(regs)	0
#define current_user_stack_pointer()	0

static inline long regs_return_value(struct pt_regs *regs)
{
	return 0;
}

#endif /* __ASSEMBLY__ */

#endif /* _ASM_LKL_PTRACE_H */
