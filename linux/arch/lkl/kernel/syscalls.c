// SPDX-License-Identifier: GPL-2.0
/*
 * System calls from application threads.
 *
 * Any host thread may call lkl_kernel_syscall(). On its first call it gets
 * a kernel task of its own: a thread of pid 1 (cloned from "host0", the
 * template that pid 1 becomes at boot), so that all application threads
 * share one fd table, cwd and credentials, and a call that blocks in one
 * thread does not stall the others. The thread then runs the system call
 * itself, as that task ("direct host calls"): no hand-off to a kernel
 * thread, and no context switch at all when its task is still current.
 */
#include <linux/syscalls.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sched/signal.h>
#include <linux/resume_user_mode.h>
#include <linux/task_work.h>
#include <linux/reboot.h>
#include <linux/pid.h>
#include <linux/err.h>
#include <linux/errno.h>
#include <asm/syscalls.h>
#include <asm/unistd.h>
#include <asm/host_ops.h>

#include "internal.h"

/* Application threads' tasks are threads of pid 1. */
#define HOST_TASK_CLONE_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | \
			       CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)

typedef long (*syscall_fn)(long, long, long, long, long, long);

/* What an application thread does inside the kernel. */
enum call_kind { CALL_SYSCALL, CALL_FUNCTION, CALL_HALT, CALL_EXIT };

struct syscall_call {
	enum call_kind kind;
	long nr;
	long *params;
	long (*fn)(void *arg);
	void *arg;
	long ret;
};

/* The calling thread's host context, by host thread. */
static struct lkl_tls_key *task_key;
/* Serializes the creation of tasks, which borrows host0. */
static struct lkl_mutex *create_lock;
/* Upped by the idle task once the kernel has stopped. */
static struct lkl_sem *halt_sem;

/* Clones host0 for the calling thread, and makes the clone current. */
static struct lkl_task_host *new_host_task(void)
{
	struct task_struct *task;
	pid_t pid;

	lkl_switch_to_host_task(lkl_host0);
	pid = user_mode_thread(lkl_host_task_stub, NULL, HOST_TASK_CLONE_FLAGS);
	if (pid < 0)
		return ERR_PTR(pid);

	rcu_read_lock();
	task = pid_task(find_vpid(pid), PIDTYPE_PID);
	rcu_read_unlock();
	if (WARN_ON(!task))
		return ERR_PTR(-ESRCH);

	lkl_switch_to_host_task(task);
	return task_host(task);
}

/* What the return to user mode would do: deferred work, signals. */
static long finish_syscall(long ret)
{
	if (test_thread_flag(TIF_NOTIFY_RESUME))
		resume_user_mode_work(NULL);
	if (test_and_clear_thread_flag(TIF_NOTIFY_SIGNAL) ||
	    task_work_pending(current))
		task_work_run();
	/* There is no user mode to deliver signals to. */
	if (signal_pending(current))
		flush_signals(current);

	switch (ret) {
	case -ERESTARTSYS:
	case -ERESTARTNOINTR:
	case -ERESTARTNOHAND:
	case -ERESTART_RESTARTBLOCK:
		return -EINTR;
	}
	return ret;
}

static void do_exit_current(void)
{
	do_exit(0);
}

/* Runs as the calling thread's task, which is current. */
static void run_call(struct lkl_task_host *host, struct syscall_call *call)
{
	struct lkl_jmp_buf jb;

	switch (call->kind) {
	case CALL_SYSCALL:
		if (call->nr < 0 || call->nr >= __NR_syscalls) {
			call->ret = -ENOSYS;
			return;
		}
		call->ret = ((syscall_fn)lkl_sys_call_table[call->nr])(
				call->params[0], call->params[1],
				call->params[2], call->params[3],
				call->params[4], call->params[5]);
		call->ret = finish_syscall(call->ret);
		return;
	case CALL_FUNCTION:
		call->ret = finish_syscall(call->fn(call->arg));
		return;
	case CALL_HALT:
		/* What user space would do before rebooting. */
		ksys_sync();
		kernel_restart(NULL);
		call->ret = 0;
		return;
	case CALL_EXIT:
		/* The final switch away from the dead task jumps back here. */
		host->syscall_jb = NULL;
		host->park_jb = &jb;
		lkl_ops->jmp_buf_set(&jb, do_exit_current);
		return;
	}
}

/* Inside jmp_buf_set(): a halt may jump out of a blocked call. */
static void switch_and_run(void)
{
	struct lkl_task_host *host = lkl_ops->tls_get(task_key);

	lkl_switch_to_host_task(host->task);
	run_call(host, host->call);
}

/*
 * Takes the CPU as the calling thread's task and runs call. Returns 0 on
 * success, or -ENODEV when the kernel is not running (any more).
 */
static int enter_kernel(struct syscall_call *call)
{
	struct lkl_task_host *host;
	struct lkl_jmp_buf jb;

	host = lkl_ops->tls_get(task_key);
	if (!host) {
		if (call->kind == CALL_EXIT)
			return 0;
		lkl_ops->mutex_lock(create_lock);
		if (lkl_cpu_get() < 0) {
			lkl_ops->mutex_unlock(create_lock);
			return -ENODEV;
		}
		host = new_host_task();
		lkl_ops->mutex_unlock(create_lock);
		if (IS_ERR(host)) {
			call->ret = PTR_ERR(host);
			lkl_cpu_put();
			return 0;
		}
		lkl_ops->tls_set(task_key, host);
		/* Already current: what switch_and_run() would redo is cheap. */
	} else if (lkl_cpu_get() < 0) {
		return -ENODEV;
	}

	host->call = call;
	host->syscall_jb = &jb;
	lkl_ops->jmp_buf_set(&jb, switch_and_run);
	/*
	 * An exiting task gave the CPU away with its last switch, and its
	 * host context may be freed already.
	 */
	if (call->kind == CALL_EXIT)
		return 0;
	host->syscall_jb = NULL;
	if (host->dead)
		return -ENODEV;

	if (call->kind == CALL_HALT) {
		/* Other tasks run until idle; the idle task stops the kernel. */
		lkl_park_current();
		lkl_ops->sem_down(halt_sem);
		return 0;
	}
	lkl_cpu_put();
	return 0;
}

long lkl_kernel_syscall(long nr, long *params)
{
	struct syscall_call call = {
		.kind = CALL_SYSCALL, .nr = nr, .params = params,
	};

	if (enter_kernel(&call) < 0)
		return -ENODEV;
	return call.ret;
}

/* Runs fn(arg) in the kernel, as the calling thread's task. */
long lkl_call_as_task(long (*fn)(void *arg), void *arg)
{
	struct syscall_call call = {
		.kind = CALL_FUNCTION, .fn = fn, .arg = arg,
	};

	if (enter_kernel(&call) < 0)
		return -ENODEV;
	return call.ret;
}

long lkl_kernel_halt(void)
{
	struct syscall_call call = { .kind = CALL_HALT };

	if (!lkl_kernel_running())
		return -ENODEV;
	if (enter_kernel(&call) < 0)
		return -ENODEV;
	return call.ret;
}

/* Called by the idle task once the kernel has stopped. */
void lkl_syscalls_halted(void)
{
	lkl_ops->sem_up(halt_sem);
}

/*
 * An application thread that made system calls ends: its task exits too.
 * After halt only the host context is left to free.
 */
static void host_thread_ended(void *data)
{
	struct lkl_task_host *host = data;
	struct syscall_call call = { .kind = CALL_EXIT };

	/* enter_kernel() finds the context through the key. */
	lkl_ops->tls_set(task_key, host);
	if (host->dead || enter_kernel(&call) < 0)
		lkl_task_host_free(host);
	lkl_ops->tls_set(task_key, NULL);
}

int lkl_syscalls_init(void)
{
	task_key = lkl_ops->tls_alloc(host_thread_ended);
	create_lock = lkl_ops->mutex_alloc(0);
	halt_sem = lkl_ops->sem_alloc(0);
	if (!task_key || !create_lock || !halt_sem)
		return -ENOMEM;
	return 0;
}
