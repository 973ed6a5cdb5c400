/* SPDX-License-Identifier: GPL-2.0 */
/*
 * liblkl.so: the Linux kernel as a library.
 *
 * This is the whole C surface, made for FFI callers (Deno.dlopen): no
 * varargs, no structs passed by value, fixed-width integers, pointers to
 * caller-owned buffers, NUL-terminated strings. Functions that can fail
 * return a value >= 0 on success and a negative errno on failure.
 *
 * One kernel per process: boot once, halt once. Every function is safe to
 * call from any thread.
 */
#ifndef LKL_H
#define LKL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The shim is built with hidden visibility; these are the exceptions. */
#define LKL_API __attribute__((visibility("default")))

/* Exit status of a process whose library kernel panicked. */
#define LKL_EXIT_PANIC 70

/* Kernel states returned by lkl_state(). */
#define LKL_STATE_OFF 0		/* not booted yet */
#define LKL_STATE_BOOTING 1	/* lkl_boot() in progress */
#define LKL_STATE_RUNNING 2	/* booted, accepting system calls */
#define LKL_STATE_HALTED 3	/* halted; cannot boot again in this process */

/*
 * Library version and the kernel it carries, e.g. "0.1.0 Linux 6.12.117".
 * The string is static; the caller must not free it.
 */
LKL_API const char *lkl_version(void);

/*
 * Boots the kernel and returns once init is ready for system calls.
 *   cmdline   extra kernel parameters ("loglevel=4 ..."), or NULL
 *   mem_bytes RAM given to the kernel; 0 means 64 MiB
 * Returns 0, -EALREADY if the kernel was booted before in this process,
 * -EINVAL for a bad size, -ENOMEM, or another negative errno.
 */
LKL_API int lkl_boot(const char *cmdline, uint64_t mem_bytes);

/*
 * Halts the kernel: stops every kernel thread and frees the kernel's
 * memory. Filesystems are not synced: unmount them first.
 * Returns 0, or -ENODEV when the kernel is not running.
 */
LKL_API int lkl_halt(void);

/* One of the LKL_STATE_* values. */
LKL_API int lkl_state(void);

/*
 * Runs system call nr (numbers of the kernel's generic table) with six
 * arguments; pointers are passed as integers and must stay valid until the
 * call returns. Any thread may call it; each host thread gets its own
 * kernel task, and all of them share one fd table, cwd and credentials.
 * Returns the kernel's result, or -ENODEV when the kernel is not running.
 */
LKL_API int64_t lkl_syscall(int64_t nr, int64_t a1, int64_t a2, int64_t a3,
			    int64_t a4, int64_t a5, int64_t a6);

/* Flags of lkl_disk_add(). */
#define LKL_DISK_READ_ONLY 1	/* open read-only; the kernel sees a RO disk */

/*
 * Attaches a disk image (a file, or a host block device) to the running
 * kernel as a virtio block device, and returns its device id once the
 * kernel has probed it (partitions included). The kernel names the device
 * "virtio-mmio.<id>": its block device is the one under
 * /sys/devices/platform/virtio-mmio.<id>/virtio*\/block/.
 * The image is locked (flock) until removal or halt: exclusively for
 * read-write, shared for read-only.
 * Returns the id (>= 1), or -ENOENT, -EACCES, -EBUSY (locked by another
 * process), -EINVAL (not a file or block device, or smaller than a sector),
 * -ENODEV (kernel not running), -ENOSPC (too many devices).
 */
LKL_API int lkl_disk_add(const char *path, uint32_t flags);

/*
 * Detaches a disk: the kernel removes the block device, the image is
 * closed and unlocked. Unmount its filesystems first. Returns 0, -ENOENT
 * for an unknown id, or -ENODEV.
 */
LKL_API int lkl_disk_remove(int id);

/* Flags of lkl_net_add_tap(). */
#define LKL_NET_OFFLOAD 1	/* checksum offload, TSO, mergeable RX buffers */

/*
 * Attaches the host TAP interface ifname to the running kernel as a virtio
 * network device, and returns its device id once the kernel has probed it.
 * The kernel's network interface (down, without addresses) is the one
 * under /sys/devices/platform/virtio-mmio.<id>/virtio*\/net/.
 *   ifname  the TAP's name; an existing TAP made with
 *           "ip tuntap add mode tap user U" can be attached by user U
 *           without privileges; with CAP_NET_ADMIN a missing one is
 *           created, and goes away again on removal
 *   mac     the interface's 6-byte Ethernet address (read during the call
 *           only), or NULL for a random locally administered one
 *           (02:xx:xx:xx:xx:xx)
 *   flags   LKL_NET_OFFLOAD: frames cross the TAP with a virtio-net header,
 *           so that checksums and TCP segmentation (64 KiB packets both
 *           ways) are left to whichever side needs them; without it, plain
 *           frames of at most the MTU, every checksum computed
 * The interface's MTU is the TAP's at attach time, and may only be
 * lowered. A thread of the library polls the TAP until removal or halt.
 * Returns the id (>= 1), or -ENOENT (no /dev/net/tun), -EPERM or -EACCES
 * (no permission to open /dev/net/tun, attach this TAP or create one),
 * -EBUSY (the TAP is attached elsewhere), -EINVAL (bad name, flags or
 * MAC, or ifname is not a TAP), -ENODEV (kernel not running), -ENOSPC
 * (too many devices).
 */
LKL_API int lkl_net_add_tap(const char *ifname, const uint8_t *mac,
			    uint32_t flags);

/*
 * Detaches a network device: the kernel removes its interface, the poll
 * thread stops and the TAP is closed. Returns 0, -ENOENT for an unknown id,
 * or -ENODEV.
 */
LKL_API int lkl_net_remove(int id);

/*
 * The kernel log. The library keeps the most recent messages in a ring
 * buffer; every byte has an absolute position, counted from the first
 * message. lkl_log_read copies the bytes from *pos on into buf (at most
 * len), and sets *pos past the last byte copied. When *pos is older than
 * the oldest byte still kept, it first moves to that byte. Returns the
 * number of bytes copied (0 when there is nothing new).
 */
LKL_API int64_t lkl_log_read(char *buf, uint64_t len, uint64_t *pos);

/*
 * Also writes every kernel message to the host file descriptor fd as it is
 * printed (for example 2 for stderr); -1 stops it. Returns 0.
 */
LKL_API int lkl_log_echo(int fd);

#ifdef __cplusplus
}
#endif

#endif /* LKL_H */
