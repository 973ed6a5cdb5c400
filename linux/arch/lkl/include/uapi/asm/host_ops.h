/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The boundary between the library kernel and its host process.
 *
 * The kernel never calls libc: everything it needs from the host (threads,
 * semaphores, time, memory, device registers) goes through the table below,
 * filled in by the host shim (linux/host/posix.c) and handed over at boot.
 * The kernel in turn exports the lkl_kernel_* and lkl_irq_* entry points.
 *
 * This header is shared by both worlds, so it uses plain C types only and
 * includes nothing.
 *
 * Every operation may be called by the thread that currently owns the
 * kernel CPU. None of them may call back into the kernel or wait for
 * anything that needs the kernel CPU.
 */
#ifndef _ASM_UAPI_LKL_HOST_OPS_H
#define _ASM_UAPI_LKL_HOST_OPS_H

/* Opaque host objects. */
struct lkl_sem;
struct lkl_mutex;
struct lkl_tls_key;
struct lkl_timer;

/* A host thread id (pthread_t on POSIX). 0 means "no thread". */
typedef unsigned long lkl_thread_t;

/* Room for a host setjmp context; the host checks that it fits. */
struct lkl_jmp_buf {
	unsigned long buf[48];
};

struct lkl_host_ops {
	/* Kernel console output: one chunk of the kernel log. */
	void (*print)(const char *str, int len);
	/* Kernel panic: the host reports it and ends the process. */
	void (*panic)(void);

	/*
	 * Counting semaphores. up may come from another thread than down and
	 * may come before it.
	 */
	struct lkl_sem *(*sem_alloc)(int count);
	void (*sem_free)(struct lkl_sem *sem);
	void (*sem_up)(struct lkl_sem *sem);
	void (*sem_down)(struct lkl_sem *sem);

	/* Mutexes, optionally recursive. */
	struct lkl_mutex *(*mutex_alloc)(int recursive);
	void (*mutex_free)(struct lkl_mutex *mutex);
	void (*mutex_lock)(struct lkl_mutex *mutex);
	void (*mutex_unlock)(struct lkl_mutex *mutex);

	/*
	 * Threads. thread_create starts fn(arg) on a new host thread with every
	 * signal blocked and returns its id, or 0 on failure. The host owns the
	 * thread's lifetime: it is reaped when it ends, and lkl_halt() waits
	 * for all of them. thread_exit ends the calling thread (one created by
	 * thread_create) without returning.
	 */
	lkl_thread_t (*thread_create)(void (*fn)(void *), void *arg);
	void (*thread_exit)(void);
	lkl_thread_t (*thread_self)(void);
	int (*thread_equal)(lkl_thread_t a, lkl_thread_t b);
	long (*gettid)(void);

	/*
	 * Thread-local keys. The destructor runs, with the stored value, when
	 * a thread that set a non-NULL value ends.
	 */
	struct lkl_tls_key *(*tls_alloc)(void (*destructor)(void *));
	void (*tls_free)(struct lkl_tls_key *key);
	int (*tls_set)(struct lkl_tls_key *key, void *data);
	void *(*tls_get)(struct lkl_tls_key *key);

	/*
	 * Memory: small host allocations, and the kernel's RAM. The host
	 * gives the RAM back itself after halt, once no thread can use it.
	 */
	void *(*mem_alloc)(unsigned long size);
	void (*mem_free)(void *ptr);
	void *(*page_alloc)(unsigned long size);
	void (*page_free)(void *ptr, unsigned long size);

	/* Time in nanoseconds: monotonic, and wall clock (since the epoch). */
	unsigned long long (*time)(void);
	unsigned long long (*wall_time)(void);

	/*
	 * One-shot timers. fn(arg) runs on a host timer thread once the delay
	 * set by timer_set_oneshot has passed; setting again re-arms. After
	 * timer_free returns, fn is not running and will not run (unless
	 * timer_free is called from fn itself).
	 */
	struct lkl_timer *(*timer_alloc)(void (*fn)(void *), void *arg);
	int (*timer_set_oneshot)(struct lkl_timer *timer,
				 unsigned long long delta_ns);
	void (*timer_free)(struct lkl_timer *timer);

	/*
	 * Device registers (virtio-mmio): ioremap checks that a register
	 * window exists and returns the cookie that readl/writel will pass to
	 * iomem_access, or NULL. iomem_access returns 0 or a negative errno.
	 */
	void *(*ioremap)(unsigned long addr, unsigned long size);
	int (*iomem_access)(const volatile void *addr, void *val, int size,
			    int write);

	/*
	 * jmp_buf_set saves the calling context in jmpb and calls fn; a later
	 * jmp_buf_longjmp(jmpb) from within fn (or anything it calls) makes
	 * jmp_buf_set return.
	 */
	void (*jmp_buf_set)(struct lkl_jmp_buf *jmpb, void (*fn)(void));
	void (*jmp_buf_longjmp)(struct lkl_jmp_buf *jmpb, int val);

	/* Host string routines, faster than the kernel's generic loops. */
	void *(*memcpy)(void *dst, const void *src, unsigned long count);
	void *(*memset)(void *dst, int c, unsigned long count);
	void *(*memmove)(void *dst, const void *src, unsigned long count);
};

/*
 * Entry points the kernel offers to the host shim. They are global in lkl.o
 * but not exported from liblkl.so; the shim wraps them in the public API.
 */

/* Boots; returns 0 once init is ready, or a negative errno. */
int lkl_kernel_start(const struct lkl_host_ops *ops, const char *cmdline);
/* Halts every kernel thread; returns 0 or a negative errno. */
long lkl_kernel_halt(void);
/* 1 when booted and not halted. */
int lkl_kernel_running(void);
/* The kernel release, e.g. "6.12.117". */
const char *lkl_kernel_release(void);
/* Runs system call nr with six arguments from any host thread. */
long lkl_kernel_syscall(long nr, long *params);

/*
 * Adds a virtio-mmio device whose registers the host emulates at
 * [base, base + size), raising interrupt irq; the kernel names it
 * "virtio-mmio.<id>" (/sys/devices/platform). Returns once its driver is
 * bound (0), or a negative errno. Remove undoes it (the driver resets the
 * device on its way out).
 */
int lkl_kernel_device_add(unsigned long base, unsigned long size, int irq,
			  int id);
int lkl_kernel_device_remove(int id);

/* Interrupts raised by host devices, from any host thread. */
int lkl_irq_alloc(const char *user);
void lkl_irq_free(int irq, const char *user);
int lkl_irq_trigger(int irq);

#endif /* _ASM_UAPI_LKL_HOST_OPS_H */
