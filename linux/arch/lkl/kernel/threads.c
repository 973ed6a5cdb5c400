// SPDX-License-Identifier: GPL-2.0
/*
 * Tasks on host threads.
 *
 * Every kernel task runs on a host thread of its own, whose stack is the
 * task's stack. A task that does not own the CPU sleeps on its scheduling
 * semaphore; a context switch hands the CPU to the next task's host thread,
 * ups that task's semaphore, and puts the previous one to sleep.
 *
 * Kernel threads get a host thread created for them here. The tasks of
 * application threads ("host tasks", see syscalls.c) run on the
 * application thread that makes system calls; when they are not in a
 * system call they are either current (with the CPU free) or parked in
 * TASK_PARKED, which nothing but their own thread wakes.
 */
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/sched/debug.h>
#include <linux/list.h>
#include <asm/switch_to.h>
#include <asm/host_ops.h>

#include "internal.h"

struct task_struct *lkl_current = &init_task;
struct task_struct *lkl_idle_host_task;

/*
 * Host contexts of tasks that still have a host thread to stop at halt.
 * Changed only by the CPU owner.
 */
struct lkl_host_entry {
	struct lkl_task_host host;
	struct list_head node;
};

static LIST_HEAD(live_hosts);

static struct lkl_host_entry *entry_of(struct lkl_task_host *host)
{
	return container_of(host, struct lkl_host_entry, host);
}

struct lkl_task_host *lkl_task_host_alloc(void)
{
	struct lkl_host_entry *entry = lkl_ops->mem_alloc(sizeof(*entry));

	if (!entry)
		return NULL;
	memset(entry, 0, sizeof(*entry));
	INIT_LIST_HEAD(&entry->node);
	entry->host.sched_sem = lkl_ops->sem_alloc(0);
	if (!entry->host.sched_sem) {
		lkl_ops->mem_free(entry);
		return NULL;
	}
	return &entry->host;
}

void lkl_task_host_free(struct lkl_task_host *host)
{
	lkl_ops->sem_free(host->sched_sem);
	lkl_ops->mem_free(entry_of(host));
}

/* Called by the CPU owner: the host thread behind host must leave. */
static void kill_host(struct lkl_task_host *host)
{
	list_del_init(&entry_of(host)->node);
	host->dead = true;
	lkl_ops->sem_up(host->sched_sem);
}

/*
 * Sleeps until the scheduler switches to this task. A task told to die
 * never comes back: a kernel thread ends its host thread; an application
 * thread inside a system call leaves it through its syscall_jb.
 */
void lkl_task_sleep(struct lkl_task_host *host)
{
	lkl_ops->sem_down(host->sched_sem);
	if (likely(!host->dead))
		return;
	if (host->host_task) {
		if (host->syscall_jb)
			lkl_ops->jmp_buf_longjmp(host->syscall_jb, 1);
		return;
	}
	lkl_task_host_free(host);
	lkl_ops->thread_exit();
}

struct task_struct *__switch_to(struct task_struct *prev,
				struct task_struct *next)
{
	struct lkl_task_host *prev_host = task_host(prev);
	struct lkl_task_host *next_host = task_host(next);
	struct lkl_jmp_buf *park_jb = prev_host->park_jb;

	prev_host->park_jb = NULL;
	next_host->prev_sched = prev;
	lkl_current = next;
	lkl_cpu_change_owner(next_host->tid);
	lkl_ops->sem_up(next_host->sched_sem);

	/*
	 * The CPU belongs to next now: this thread must not touch kernel
	 * state any more, and prev may be freed at any moment.
	 */
	if (park_jb)
		lkl_ops->jmp_buf_longjmp(park_jb, 1);
	lkl_task_sleep(prev_host);
	return prev_host->prev_sched;
}

/* The host thread of a new kernel thread. */
static void thread_bootstrap(void *arg)
{
	struct lkl_task_host *host = arg;

	lkl_task_sleep(host);
	schedule_tail(host->prev_sched);
	host->fn(host->fn_arg);
	do_exit(0);
}

/* Marks the clone that becomes an application thread's task. */
int lkl_host_task_stub(void *unused)
{
	BUG();
	return 0;
}

int copy_thread(struct task_struct *p, const struct kernel_clone_args *args)
{
	struct lkl_task_host *host;

	/* There is no user mode to fork. */
	if (!args->fn)
		return -EINVAL;

	host = lkl_task_host_alloc();
	if (!host)
		return -ENOMEM;
	host->task = p;

	if (args->fn == lkl_host_task_stub) {
		/* The application thread creating it runs it. */
		host->host_task = true;
		host->tid = lkl_ops->thread_self();
	} else {
		host->fn = args->fn;
		host->fn_arg = args->fn_arg;
		host->tid = lkl_ops->thread_create(thread_bootstrap, host);
		if (!host->tid) {
			lkl_task_host_free(host);
			return -ENOMEM;
		}
	}
	list_add(&entry_of(host)->node, &live_hosts);
	p->thread.host = host;
	return 0;
}

int arch_dup_task_struct(struct task_struct *dst, struct task_struct *src)
{
	*dst = *src;
	dst->thread.host = NULL;
	return 0;
}

/* The task_struct is being freed; its host thread may go. */
void arch_release_task_struct(struct task_struct *tsk)
{
	struct lkl_task_host *host = task_host(tsk);

	if (!host)
		return;
	tsk->thread.host = NULL;
	host->task = NULL;
	if (host->host_task) {
		/* Its application thread has left already (syscalls.c). */
		list_del(&entry_of(host)->node);
		lkl_task_host_free(host);
		return;
	}
	kill_host(host);
}

static void park_schedule(void)
{
	schedule();
}

/*
 * Puts current (a parkable task) to sleep in TASK_PARKED and lets the
 * scheduler pick another task, on behalf of the calling thread, which need
 * not be current's own: when __switch_to() has handed the CPU over, it
 * jumps back here instead of putting the calling thread to sleep.
 * On return the caller no longer owns the CPU.
 */
void lkl_park_current(void)
{
	struct lkl_task_host *host = task_host(current);
	struct lkl_jmp_buf jb;

	set_current_state(TASK_PARKED);
	host->park_jb = &jb;
	lkl_ops->jmp_buf_set(&jb, park_schedule);
}

/*
 * Makes task (a parked or current host task) current on the calling
 * thread, which owns the CPU. current must be parkable.
 */
void lkl_switch_to_host_task(struct task_struct *task)
{
	struct lkl_task_host *host = task_host(task);

	host->tid = lkl_ops->thread_self();
	if (current == task)
		return;

	wake_up_state(task, TASK_PARKED);
	lkl_park_current();
	lkl_task_sleep(host);
	schedule_tail(host->prev_sched);
}

/* The idle task runs on the thread that boots the kernel. */
void lkl_threads_init_boot(void)
{
	struct lkl_task_host *host = task_host(&init_task);

	host->tid = lkl_ops->thread_self();
	host->task = &init_task;
}

/*
 * Halt, from the idle task once nothing else is runnable: every other host
 * thread leaves (application threads blocked in a system call return from
 * it with an error).
 */
void lkl_threads_kill_all(void)
{
	struct lkl_host_entry *entry, *next;

	list_for_each_entry_safe(entry, next, &live_hosts, node) {
		struct lkl_task_host *host = &entry->host;

		if (!host->host_task) {
			kill_host(host);
			continue;
		}
		list_del_init(&entry->node);
		host->dead = true;
		if (host->syscall_jb)
			lkl_ops->sem_up(host->sched_sem);
	}
}

void show_stack(struct task_struct *task, unsigned long *sp,
		const char *loglvl)
{
}

unsigned long __get_wchan(struct task_struct *p)
{
	return 0;
}

void flush_thread(void)
{
}
