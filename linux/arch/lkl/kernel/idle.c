// SPDX-License-Identifier: GPL-2.0
/*
 * The idle task and the idle host task.
 *
 * When nothing is runnable, the idle task wakes the idle host task, a
 * parkable kernel thread whose only job is to let the CPU go and wait. So,
 * while the CPU is free, current is always a parkable task, and whichever
 * thread takes the CPU next (a system call, an interrupt) can park it and
 * run what it needs right away, with no hand-off to the idle thread.
 */
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/kthread.h>
#include <linux/init.h>
#include <linux/cpu.h>
#include <asm/host_ops.h>

#include "internal.h"

/* Called with interrupts disabled; returns with them disabled. */
void arch_cpu_idle(void)
{
	if (lkl_halting)
		lkl_idle_shutdown();

	if (lkl_idle_host_task &&
	    wake_up_state(lkl_idle_host_task, TASK_PARKED))
		return;

	/* Early boot: sleep until an interrupt brings work. */
	lkl_cpu_wait_idle_poke();
}

static int idle_host_task_loop(void *unused)
{
	struct lkl_task_host *host = task_host(current);

	lkl_idle_host_task = current;
	for (;;) {
		lkl_cpu_put();
		lkl_task_sleep(host);
		schedule_tail(host->prev_sched);
	}
	return 0;
}

static int __init lkl_idle_host_task_init(void)
{
	struct task_struct *task;

	task = kthread_run(idle_host_task_loop, NULL, "lkl_idle");
	if (IS_ERR(task))
		return PTR_ERR(task);
	return 0;
}
early_initcall(lkl_idle_host_task_init);
