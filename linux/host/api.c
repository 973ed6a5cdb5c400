// SPDX-License-Identifier: GPL-2.0
/*
 * The public API of liblkl.so (lkl.h): boot, halt, system calls, the log.
 * It guards the kernel's entry points with the library's state, so that a
 * call before boot or after halt is an error, never a crash.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "lkl.h"
#include "host_int.h"

#define LKL_LIBRARY_VERSION "0.1.0"

static pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;
static int state = LKL_STATE_OFF;

/*
 * The kernel's RAM: page_alloc is wrapped to remember it, so that halt can
 * give it back once no thread can touch it any more.
 */
#define MAX_RAM_BLOCKS 4

static struct lkl_host_ops ops;
static struct {
	void *addr;
	unsigned long size;
} ram[MAX_RAM_BLOCKS];

static void *ram_alloc(unsigned long size)
{
	void *addr;
	int i;

	for (i = 0; i < MAX_RAM_BLOCKS; i++)
		if (!ram[i].addr)
			break;
	if (i == MAX_RAM_BLOCKS)
		return NULL;
	addr = lkl_host_posix_ops.page_alloc(size);
	if (addr) {
		ram[i].addr = addr;
		ram[i].size = size;
	}
	return addr;
}

static void ram_free_all(void)
{
	int i;

	for (i = 0; i < MAX_RAM_BLOCKS; i++) {
		if (ram[i].addr)
			lkl_host_posix_ops.page_free(ram[i].addr, ram[i].size);
		ram[i].addr = NULL;
	}
}

static char version[64];

static void version_init(void)
{
	snprintf(version, sizeof(version), "%s Linux %s", LKL_LIBRARY_VERSION,
		 lkl_kernel_release());
}

const char *lkl_version(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, version_init);
	return version;
}

int lkl_state(void)
{
	return __atomic_load_n(&state, __ATOMIC_ACQUIRE);
}

static void set_state(int new_state)
{
	__atomic_store_n(&state, new_state, __ATOMIC_RELEASE);
}

int lkl_boot(const char *cmdline, uint64_t mem_bytes)
{
	char line[4096];
	int len, ret;

	if (mem_bytes && (mem_bytes < (16ULL << 20) || mem_bytes >> 40))
		return -EINVAL;
	if (mem_bytes)
		len = snprintf(line, sizeof(line), "mem=%" PRIu64 "K %s",
			       mem_bytes >> 10, cmdline ? cmdline : "");
	else
		len = snprintf(line, sizeof(line), "%s", cmdline ? cmdline : "");
	if (len < 0 || (size_t)len >= sizeof(line))
		return -E2BIG;

	pthread_mutex_lock(&state_lock);
	if (state != LKL_STATE_OFF) {
		pthread_mutex_unlock(&state_lock);
		return -EALREADY;
	}
	set_state(LKL_STATE_BOOTING);

	ops = lkl_host_posix_ops;
	ops.page_alloc = ram_alloc;
	ret = lkl_kernel_start(&ops, line);

	/* A failed boot cannot be retried: kernel state is used up. */
	set_state(ret ? LKL_STATE_HALTED : LKL_STATE_RUNNING);
	pthread_mutex_unlock(&state_lock);
	return ret;
}

int lkl_halt(void)
{
	long ret;

	pthread_mutex_lock(&state_lock);
	if (state != LKL_STATE_RUNNING) {
		pthread_mutex_unlock(&state_lock);
		return -ENODEV;
	}
	ret = lkl_kernel_halt();
	if (ret == 0) {
		set_state(LKL_STATE_HALTED);
		lkl_host_timers_stop();
		lkl_host_threads_join_all();
		lkl_host_disks_release();
		lkl_host_nets_release();
		ram_free_all();
	}
	pthread_mutex_unlock(&state_lock);
	return ret;
}

int64_t lkl_syscall(int64_t nr, int64_t a1, int64_t a2, int64_t a3,
		    int64_t a4, int64_t a5, int64_t a6)
{
	long params[6] = { a1, a2, a3, a4, a5, a6 };

	if (lkl_state() != LKL_STATE_RUNNING)
		return -ENODEV;
	return lkl_kernel_syscall(nr, params);
}

int lkl_disk_add(const char *path, uint32_t flags)
{
	if (!path || (flags & ~LKL_DISK_READ_ONLY))
		return -EINVAL;
	if (lkl_state() != LKL_STATE_RUNNING)
		return -ENODEV;
	return lkl_host_disk_add(path, flags);
}

int lkl_disk_remove(int id)
{
	if (lkl_state() != LKL_STATE_RUNNING)
		return -ENODEV;
	return lkl_host_disk_remove(id);
}

int lkl_net_add_tap(const char *ifname, const uint8_t *mac, uint32_t flags)
{
	if (!ifname || (flags & ~LKL_NET_OFFLOAD))
		return -EINVAL;
	if (lkl_state() != LKL_STATE_RUNNING)
		return -ENODEV;
	return lkl_host_net_add_tap(ifname, mac, flags);
}

int lkl_net_remove(int id)
{
	if (lkl_state() != LKL_STATE_RUNNING)
		return -ENODEV;
	return lkl_host_net_remove(id);
}

int64_t lkl_log_read(char *buf, uint64_t len, uint64_t *pos)
{
	return lkl_host_log_read(buf, len, pos);
}

int lkl_log_echo(int fd)
{
	lkl_host_log_echo(fd);
	return 0;
}
