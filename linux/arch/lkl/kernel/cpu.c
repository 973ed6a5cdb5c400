// SPDX-License-Identifier: GPL-2.0
/*
 * The single virtual CPU.
 *
 * Exactly one host thread at a time runs kernel code: the owner of the CPU.
 * Ownership moves in three ways:
 *  - lkl_cpu_get()/lkl_cpu_put(): a host thread takes the free CPU (to make
 *    a system call, or to run an interrupt raised by a device or timer
 *    thread) and gives it back; the owner may nest gets;
 *  - lkl_cpu_change_owner(): __switch_to() hands the CPU to the host thread
 *    of the next task;
 *  - lkl_cpu_shutdown(): at halt, every later get fails.
 *
 * While the CPU is free, "current" is a parkable task: the task of an
 * application thread that left the kernel, or the idle host task. Whoever
 * takes the CPU may make it sleep (park it) to run another task.
 */
#include <linux/sched.h>
#include <linux/sched/stat.h>
#include <linux/irqflags.h>
#include <linux/errno.h>
#include <asm/host_ops.h>

#include "internal.h"

static struct {
	struct lkl_mutex *lock;		/* protects everything below */
	lkl_thread_t owner;		/* 0 when the CPU is free */
	unsigned int count;		/* nested gets by the owner */
	unsigned int sleepers;		/* threads waiting in lkl_cpu_get() */
	struct lkl_sem *sleepers_sem;
	bool irqs_pending;		/* raised while someone else owned it */
	bool shutdown;
	/* Before the idle host task exists, the idle task sleeps here. */
	struct lkl_sem *idle_sem;
} cpu;

void lkl_cpu_init(void)
{
	cpu.lock = lkl_ops->mutex_alloc(0);
	cpu.sleepers_sem = lkl_ops->sem_alloc(0);
	cpu.idle_sem = lkl_ops->sem_alloc(0);
}

static bool owned_by(lkl_thread_t self)
{
	return cpu.owner && lkl_ops->thread_equal(cpu.owner, self);
}

/* Takes the CPU, waiting while another thread owns it. */
int lkl_cpu_get(void)
{
	lkl_thread_t self = lkl_ops->thread_self();
	int ret = 0;

	lkl_ops->mutex_lock(cpu.lock);
	while (cpu.owner && !owned_by(self) && !cpu.shutdown) {
		cpu.sleepers++;
		lkl_ops->mutex_unlock(cpu.lock);
		lkl_ops->sem_down(cpu.sleepers_sem);
		lkl_ops->mutex_lock(cpu.lock);
	}
	if (cpu.shutdown) {
		ret = -ENODEV;
	} else {
		cpu.owner = self;
		cpu.count++;
	}
	lkl_ops->mutex_unlock(cpu.lock);
	return ret;
}

/*
 * For an interrupt raised by a host thread: takes the CPU only if it is
 * free (LKL_CPU_WAS_FREE) or already ours (LKL_CPU_NESTED). Returns 0 when
 * another thread owns it, which will run the interrupt when it enables
 * interrupts or lets the CPU go; -ENODEV after halt.
 */
int lkl_cpu_try_get_for_irq(void)
{
	lkl_thread_t self = lkl_ops->thread_self();
	int ret;

	lkl_ops->mutex_lock(cpu.lock);
	if (cpu.shutdown) {
		ret = -ENODEV;
	} else if (cpu.owner && !owned_by(self)) {
		cpu.irqs_pending = true;
		ret = 0;
	} else {
		ret = cpu.owner ? LKL_CPU_NESTED : LKL_CPU_WAS_FREE;
		cpu.owner = self;
		cpu.count++;
	}
	lkl_ops->mutex_unlock(cpu.lock);
	return ret;
}

static bool parkable(struct task_struct *task)
{
	struct lkl_task_host *host = task_host(task);

	return task == lkl_idle_host_task || (host && host->host_task);
}

/*
 * Gives the CPU back. Interrupts left pending run first. When this is the
 * outermost put and other tasks are runnable, the current task is parked
 * instead, so that the CPU goes straight to them.
 */
void lkl_cpu_put(void)
{
	lkl_thread_t self = lkl_ops->thread_self();

	lkl_ops->mutex_lock(cpu.lock);
	if (WARN_ON_ONCE(!owned_by(self))) {
		lkl_ops->mutex_unlock(cpu.lock);
		return;
	}

	while (cpu.irqs_pending && !irqs_disabled()) {
		cpu.irqs_pending = false;
		lkl_ops->mutex_unlock(cpu.lock);
		lkl_run_pending_irqs();
		lkl_ops->mutex_lock(cpu.lock);
	}

	if (cpu.count == 1 && !cpu.shutdown) {
		if (parkable(current) && !single_task_running()) {
			lkl_ops->mutex_unlock(cpu.lock);
			lkl_park_current();
			return;
		}
		/* Work arrived while the idle task slept on idle_sem. */
		if (is_idle_task(current) && need_resched())
			lkl_ops->sem_up(cpu.idle_sem);
	}

	if (--cpu.count == 0) {
		cpu.owner = 0;
		if (cpu.sleepers) {
			cpu.sleepers--;
			lkl_ops->sem_up(cpu.sleepers_sem);
		}
	}
	lkl_ops->mutex_unlock(cpu.lock);
}

/* __switch_to(): the CPU goes to the host thread of the next task. */
void lkl_cpu_change_owner(lkl_thread_t owner)
{
	lkl_ops->mutex_lock(cpu.lock);
	WARN_ON_ONCE(cpu.count != 1);
	cpu.owner = owner;
	lkl_ops->mutex_unlock(cpu.lock);
}

/*
 * The idle task with no idle host task (early boot): let the CPU go and
 * sleep until an interrupt makes some task runnable. Called and returns
 * with interrupts disabled.
 */
void lkl_cpu_wait_idle_poke(void)
{
	/* Threads that take the free CPU run interrupts directly. */
	arch_local_irq_enable();
	if (!need_resched()) {
		lkl_cpu_put();
		lkl_ops->sem_down(cpu.idle_sem);
		/* Fails only at shutdown, which only this thread performs. */
		lkl_cpu_get();
	}
	arch_local_irq_disable();
}

/* Halt: wakes the waiters and makes every later get fail. */
void lkl_cpu_shutdown(void)
{
	lkl_ops->mutex_lock(cpu.lock);
	cpu.shutdown = true;
	while (cpu.sleepers) {
		cpu.sleepers--;
		lkl_ops->sem_up(cpu.sleepers_sem);
	}
	lkl_ops->mutex_unlock(cpu.lock);
}
