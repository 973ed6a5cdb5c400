/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _ASM_LKL_PROCESSOR_H
#define _ASM_LKL_PROCESSOR_H

#include <asm/ptrace.h>

#ifndef __ASSEMBLY__

struct task_struct;
struct lkl_task_host;

/*
 * The host side of a task (its host thread, its scheduling semaphore) lives
 * in a separate host allocation: the host thread may still need it after
 * the task_struct is gone (arch/lkl/kernel/threads.c).
 */
struct thread_struct {
	struct lkl_task_host *host;
	struct pt_regs regs;
};

#define INIT_THREAD { .host = NULL }

#define task_pt_regs(tsk)	(&(tsk)->thread.regs)

/* Busy-wait loops must let pending interrupts in. */
void cpu_relax(void);

/* No user address space: everything is reachable. */
#define TASK_SIZE		(~0UL)
#define TASK_UNMAPPED_BASE	0

#define KSTK_EIP(tsk)		(0)
#define KSTK_ESP(tsk)		(0)

unsigned long __get_wchan(struct task_struct *p);

#define current_text_addr()	({ __label__ _l; _l: &&_l; })

#endif /* __ASSEMBLY__ */

#endif /* _ASM_LKL_PROCESSOR_H */
