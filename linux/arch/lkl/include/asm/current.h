/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Only the owner of the virtual CPU runs kernel code, so "current" is a
 * plain global, switched in __switch_to.
 */
#ifndef _ASM_LKL_CURRENT_H
#define _ASM_LKL_CURRENT_H

#ifndef __ASSEMBLY__

struct task_struct;

extern struct task_struct *lkl_current;

static __always_inline struct task_struct *get_current(void)
{
	return lkl_current;
}

#define current get_current()

#endif /* __ASSEMBLY__ */

#endif /* _ASM_LKL_CURRENT_H */
