// SPDX-License-Identifier: GPL-2.0
/*
 * Boot and halt.
 *
 * lkl_kernel_start() runs start_kernel() on a new host thread, which then
 * becomes the idle task. Once the initcalls are done, pid 1 "executes"
 * /init: a private binary format catches that, turns pid 1 into host0 (the
 * template that application threads' tasks are cloned from) and hands
 * control back to the thread that called lkl_kernel_start().
 *
 * lkl_kernel_halt() (syscalls.c) restarts the machine in the kernel's own
 * way (reboot notifiers, device shutdown); the idle task then stops every
 * host thread and lets the halting thread return.
 */
#include <linux/init.h>
#include <linux/start_kernel.h>
#include <linux/binfmts.h>
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/fs_struct.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/task_work.h>
#include <linux/string.h>
#include <linux/reboot.h>
#include <linux/memblock.h>
#include <linux/utsname.h>
#include <linux/panic_notifier.h>
#include <linux/notifier.h>
#include <asm/host_ops.h>
#include <asm/setup.h>

#include "internal.h"

const struct lkl_host_ops *lkl_ops;
struct task_struct *lkl_host0;
bool lkl_halting;

static bool lkl_running;
/* Upped by pid 1 once it has become host0. */
static struct lkl_sem *boot_sem;

int lkl_kernel_running(void)
{
	return READ_ONCE(lkl_running);
}

const char *lkl_kernel_release(void)
{
	return init_uts_ns.name.release;
}

/* A panic ends the process: the host reports it (with the log's tail). */
static int lkl_panic(struct notifier_block *nb, unsigned long action,
		     void *data)
{
	lkl_ops->panic();
	return NOTIFY_DONE;
}

static struct notifier_block lkl_panic_notifier = {
	.notifier_call	= lkl_panic,
	.priority	= INT_MIN,
};

void __init setup_arch(char **cmdline_p)
{
	*cmdline_p = boot_command_line;
	parse_early_param();
	lkl_console_register();
	atomic_notifier_chain_register(&panic_notifier_list,
				       &lkl_panic_notifier);
	lkl_bootmem_init();
}

/* The boot thread: becomes the idle task, never returns. */
static void __ref boot_thread(void *arg)
{
	lkl_threads_init_boot();
	lkl_cpu_get();
	start_kernel();
}

int __ref lkl_kernel_start(const struct lkl_host_ops *ops, const char *cmdline)
{
	struct lkl_task_host *host;
	int ret;

	if (lkl_ops)
		return -EALREADY;
	lkl_ops = ops;
	lkl_time_start();

	if (strscpy(boot_command_line, cmdline, COMMAND_LINE_SIZE) < 0)
		return -E2BIG;

	boot_sem = lkl_ops->sem_alloc(0);
	if (!boot_sem)
		return -ENOMEM;
	lkl_cpu_init();
	ret = lkl_syscalls_init();
	if (ret)
		return ret;

	host = lkl_task_host_alloc();
	if (!host)
		return -ENOMEM;
	init_task.thread.host = host;

	if (!lkl_ops->thread_create(boot_thread, NULL))
		return -ENOMEM;
	lkl_ops->sem_down(boot_sem);

	/*
	 * pid 1's host thread ended while owning the CPU: this thread takes
	 * over host0 and the CPU, then lets the CPU go.
	 */
	host = task_host(lkl_host0);
	host->tid = lkl_ops->thread_self();
	host->host_task = true;
	lkl_cpu_change_owner(host->tid);
	WRITE_ONCE(lkl_running, true);
	lkl_cpu_put();
	return 0;
}

/* The idle task, once nothing else is runnable after a halt request. */
void lkl_idle_shutdown(void)
{
	lkl_time_shutdown();
	lkl_threads_kill_all();
	WRITE_ONCE(lkl_running, false);
	lkl_cpu_shutdown();
	/* Nobody else will use these: host0 is no thread's task. */
	lkl_task_host_free(task_host(lkl_host0));
	lkl_task_host_free(task_host(&init_task));
	lkl_syscalls_halted();
	lkl_ops->thread_exit();
}

void machine_restart(char *cmd)
{
	lkl_halting = true;
}

void machine_halt(void)
{
	lkl_halting = true;
}

void machine_power_off(void)
{
	lkl_halting = true;
}

/*
 * "Executing" /init ends the boot: pid 1 becomes host0 and its host thread
 * ends, handing control back to lkl_kernel_start().
 */
static int load_lkl_init(struct linux_binprm *bprm)
{
	sigset_t blocked;
	int ret;

	if (strcmp(bprm->filename, "/init"))
		return -ENOEXEC;

	ret = begin_new_exec(bprm);
	if (ret)
		return ret;
	/* Releases the exec locks; nothing after it in exec will run. */
	setup_new_exec(bprm);
	current->fs->in_exec = 0;
	current->in_execve = 0;
	task_work_run();

	/* Signals have no user mode to go to; application threads inherit. */
	sigfillset(&blocked);
	set_current_blocked(&blocked);
	set_task_comm(current, "host0");
	lkl_host0 = current;

	lkl_ops->sem_up(boot_sem);
	lkl_ops->thread_exit();
	return 0;
}

static struct linux_binfmt lkl_init_format = {
	.module = THIS_MODULE,
	.load_binary = load_lkl_init,
};

static int __init lkl_init_binfmt(void)
{
	struct file *file;

	register_binfmt(&lkl_init_format);
	/* An executable /init keeps the in-memory root as the root. */
	file = filp_open("/init", O_CREAT | O_WRONLY, 0700);
	if (IS_ERR(file))
		panic("lkl: cannot create /init: %ld\n", PTR_ERR(file));
	fput(file);
	/* Really close it now, or exec would find it busy. */
	task_work_run();
	return 0;
}
late_initcall(lkl_init_binfmt);

void free_initmem(void)
{
}
