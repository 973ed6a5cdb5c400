/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private interface between the parts of the host shim (posix.c, api.c,
 * virtio.c, ...). Nothing here is exported from liblkl.so.
 */
#ifndef LKL_HOST_INT_H
#define LKL_HOST_INT_H

#include <stdint.h>

#include <asm/host_ops.h>

/* The host operations handed to lkl_kernel_start(). */
extern const struct lkl_host_ops lkl_host_posix_ops;

/*
 * Threads started by thread_create.
 *
 * lkl_host_threads_join_all joins every such thread created so far (and any
 * created while it runs), waiting for those still running; a thread blocked
 * forever blocks it forever, so only call it once every kernel thread has
 * been told to end. It skips the calling thread if that is one of them. It
 * must not be called with the kernel CPU held: a thread's TLS destructors
 * may still need the CPU before the thread can be joined.
 *
 * lkl_host_threads_live returns how many of them have not yet finished
 * their function (returned or called thread_exit).
 */
void lkl_host_threads_join_all(void);
int lkl_host_threads_live(void);

/*
 * Stops and joins the timer thread; pending expiries are dropped. A later
 * timer_alloc or timer_set_oneshot starts a new one. Must not be called
 * from a timer callback (it then does nothing).
 */
void lkl_host_timers_stop(void);

/*
 * The kernel log: a 1 MiB ring of the most recent output.
 *
 * lkl_host_log_write appends len bytes of s (and echoes them, see below);
 * it is the print operation. lkl_host_log_read has the semantics of
 * lkl_log_read in lkl.h; it returns -EINVAL for a NULL pos, or a NULL buf
 * with a non-zero len. A *pos beyond the newest byte is left as it is.
 * lkl_host_log_echo makes every later write also go to the host file
 * descriptor fd; -1 turns that off.
 */
void lkl_host_log_write(const char *s, int len);
int64_t lkl_host_log_read(char *buf, uint64_t len, uint64_t *pos);
void lkl_host_log_echo(int fd);

/*
 * Device register windows, provided by virtio.c. posix.c holds weak
 * fallbacks (no windows: NULL and -EINVAL) until then.
 *
 * lkl_iomem_map returns the cookie for the register window covering
 * [addr, addr + size), or NULL when there is none. lkl_iomem_access reads
 * (write == 0) or writes size bytes at *val from/to register addr, and
 * returns 0 or a negative errno.
 */
void *lkl_iomem_map(unsigned long addr, unsigned long size);
int lkl_iomem_access(const volatile void *addr, void *val, int size,
		     int write);

/* Disks (blk.c): lkl_disk_add/remove, and closing them all after halt. */
int lkl_host_disk_add(const char *path, uint32_t flags);
int lkl_host_disk_remove(int id);
void lkl_host_disks_release(void);

/*
 * Network devices on TAP interfaces (net_tap.c): lkl_net_add_tap/remove
 * (arguments checked, kernel running), and stopping and closing them all
 * after halt.
 */
int lkl_host_net_add_tap(const char *ifname, const uint8_t *mac,
			 uint32_t flags);
int lkl_host_net_remove(int id);
void lkl_host_nets_release(void);

#endif /* LKL_HOST_INT_H */
