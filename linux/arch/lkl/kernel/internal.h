/* SPDX-License-Identifier: GPL-2.0 */
/* Interfaces shared by the parts of the lkl port. */
#ifndef _LKL_KERNEL_INTERNAL_H
#define _LKL_KERNEL_INTERNAL_H

#include <linux/sched.h>
#include <asm/host_ops.h>

/*
 * The host side of a kernel task. It is owned by the host thread that runs
 * the task: a kernel thread frees it when it is told to end, an application
 * thread's task frees it when the task_struct goes.
 */
struct lkl_task_host {
	/* Upped by the switch that gives this task the CPU (and to kill it). */
	struct lkl_sem *sched_sem;
	/* Host thread running the task. */
	lkl_thread_t tid;
	/* The task this one was switched from, for schedule_tail(). */
	struct task_struct *prev_sched;
	/*
	 * When set, the next switch away from this task jumps here instead of
	 * putting the host thread to sleep: the thread that parked the task
	 * goes on with its own work.
	 */
	struct lkl_jmp_buf *park_jb;
	/* The task is run by an application thread (see syscalls.c). */
	bool host_task;
	/* The task is gone or the kernel halted: the host thread must leave. */
	bool dead;
	/* An application thread inside lkl_kernel_syscall(): where to leave. */
	struct lkl_jmp_buf *syscall_jb;
	/* ... and the call it is making (syscalls.c). */
	void *call;
	/* For kernel threads: what the host thread runs. */
	int (*fn)(void *arg);
	void *fn_arg;
	/* The task, while it exists. */
	struct task_struct *task;
};

static inline struct lkl_task_host *task_host(struct task_struct *task)
{
	return task->thread.host;
}

/* cpu.c: ownership of the single virtual CPU. */
void lkl_cpu_init(void);
int lkl_cpu_get(void);
void lkl_cpu_put(void);
#define LKL_CPU_WAS_FREE	1
#define LKL_CPU_NESTED		2
int lkl_cpu_try_get_for_irq(void);
void lkl_cpu_change_owner(lkl_thread_t owner);
void lkl_cpu_shutdown(void);
void lkl_cpu_wait_idle_poke(void);

/* threads.c: tasks on host threads. */
extern struct task_struct *lkl_idle_host_task;
struct lkl_task_host *lkl_task_host_alloc(void);
void lkl_task_host_free(struct lkl_task_host *host);
void lkl_task_sleep(struct lkl_task_host *host);
void lkl_park_current(void);
void lkl_switch_to_host_task(struct task_struct *task);
int lkl_host_task_stub(void *unused);
void lkl_threads_init_boot(void);
void lkl_threads_kill_all(void);

/* syscalls.c: application threads entering the kernel. */
int lkl_syscalls_init(void);
void lkl_syscalls_halted(void);
long lkl_call_as_task(long (*fn)(void *arg), void *arg);

/* setup.c: boot and halt. */
extern struct task_struct *lkl_host0;
extern bool lkl_halting;
void lkl_idle_shutdown(void);

/* irq.c */
void lkl_run_pending_irqs(void);
bool lkl_irqs_pending(void);

/* time.c */
void lkl_time_start(void);
void lkl_time_shutdown(void);

/* console.c */
void lkl_console_register(void);

/* mm/bootmem.c */
void lkl_bootmem_init(void);

#endif /* _LKL_KERNEL_INTERNAL_H */
