// SPDX-License-Identifier: GPL-2.0
/*
 * Attaches a disk image to liblkl.so from C, mounts it, writes a file and
 * reads the directory back, then detaches and halts: the virtio-blk path
 * with no TypeScript in between.
 *
 *   disk_test IMAGE FSTYPE
 *
 * Leaves /hello.txt ("hello from lkl\n") in the image; the caller checks
 * the image with the filesystem's own checker.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lkl.h"

#define NR_mkdirat 34
#define NR_umount2 39
#define NR_mount 40
#define NR_openat 56
#define NR_close 57
#define NR_getdents64 61
#define NR_read 63
#define NR_write 64

#define AT_FDCWD_ -100
#define O_CREAT_ 0100
#define O_WRONLY_ 01
#define O_RDONLY_ 0
#define O_DIRECTORY_ 0200000

static long sys(long nr, long a1, long a2, long a3, long a4, long a5)
{
	return lkl_syscall(nr, a1, a2, a3, a4, a5, 0);
}

static void check(int ok, const char *what, long ret)
{
	printf("%s %s (%ld)\n", ok ? "ok  " : "FAIL", what, ret);
	fflush(stdout);
	if (!ok)
		exit(1);
}

/* The block device of disk id, from sysfs: "vda" and the like. */
static void disk_name(int id, char *name, size_t size)
{
	char path[128], buf[4096];
	long fd, n, off;

	snprintf(path, sizeof(path), "/sys/devices/platform/virtio-mmio.%d",
		 id);
	fd = sys(NR_openat, AT_FDCWD_, (long)path, O_RDONLY_ | O_DIRECTORY_,
		 0, 0);
	check(fd >= 0, "open the device's sysfs directory", fd);
	n = sys(NR_getdents64, fd, (long)buf, sizeof(buf), 0, 0);
	sys(NR_close, fd, 0, 0, 0, 0);
	for (off = 0; off < n;) {
		unsigned short reclen = *(unsigned short *)(buf + off + 16);
		const char *entry = buf + off + 19;

		if (!strncmp(entry, "virtio", 6)) {
			snprintf(path + strlen(path), sizeof(path) - strlen(path),
				 "/%s/block", entry);
			break;
		}
		off += reclen;
	}
	fd = sys(NR_openat, AT_FDCWD_, (long)path, O_RDONLY_ | O_DIRECTORY_,
		 0, 0);
	check(fd >= 0, path, fd);
	n = sys(NR_getdents64, fd, (long)buf, sizeof(buf), 0, 0);
	sys(NR_close, fd, 0, 0, 0, 0);
	name[0] = 0;
	for (off = 0; off < n;) {
		unsigned short reclen = *(unsigned short *)(buf + off + 16);
		const char *entry = buf + off + 19;

		if (entry[0] != '.')
			snprintf(name, size, "%s", entry);
		off += reclen;
	}
}

int main(int argc, char **argv)
{
	char name[32], dev[64], buf[4096];
	long ret, fd;
	int id;

	if (argc != 3) {
		fprintf(stderr, "usage: disk_test IMAGE FSTYPE\n");
		return 2;
	}
	if (getenv("LKL_ECHO"))
		lkl_log_echo(2);
	check(lkl_boot("loglevel=4", 64ULL << 20) == 0, "boot", 0);
	check(lkl_disk_add("/nonexistent.img", 0) == -ENOENT,
	      "attaching a missing image is -ENOENT", 0);
	id = lkl_disk_add(argv[1], 0);
	check(id > 0, "attach", id);
	check(lkl_disk_add(argv[1], 0) == -EBUSY,
	      "attaching it twice is -EBUSY (locked)", 0);

	sys(NR_mkdirat, AT_FDCWD_, (long)"/sys", 0755, 0, 0);
	ret = sys(NR_mount, (long)"sysfs", (long)"/sys", (long)"sysfs", 0, 0);
	check(ret == 0, "mount sysfs", ret);
	sys(NR_mkdirat, AT_FDCWD_, (long)"/dev", 0755, 0, 0);
	ret = sys(NR_mount, (long)"devtmpfs", (long)"/dev", (long)"devtmpfs",
		  0, 0);
	check(ret == 0, "mount devtmpfs", ret);
	disk_name(id, name, sizeof(name));
	check(name[0] != 0, name, 0);
	snprintf(dev, sizeof(dev), "/dev/%s", name);

	sys(NR_mkdirat, AT_FDCWD_, (long)"/mnt", 0755, 0, 0);
	ret = sys(NR_mount, (long)dev, (long)"/mnt", (long)argv[2], 0, 0);
	check(ret == 0, "mount the image", ret);

	fd = sys(NR_openat, AT_FDCWD_, (long)"/mnt/hello.txt",
		 O_CREAT_ | O_WRONLY_, 0644, 0);
	check(fd >= 0, "create /hello.txt", fd);
	ret = sys(NR_write, fd, (long)"hello from lkl\n", 15, 0, 0);
	check(ret == 15, "write it", ret);
	sys(NR_close, fd, 0, 0, 0, 0);

	fd = sys(NR_openat, AT_FDCWD_, (long)"/mnt", O_RDONLY_ | O_DIRECTORY_,
		 0, 0);
	ret = sys(NR_getdents64, fd, (long)buf, sizeof(buf), 0, 0);
	check(ret > 0, "list the root directory", ret);
	sys(NR_close, fd, 0, 0, 0, 0);

	ret = sys(NR_umount2, (long)"/mnt", 0, 0, 0, 0);
	check(ret == 0, "unmount", ret);
	ret = lkl_disk_remove(id);
	check(ret == 0, "detach", ret);
	check(lkl_halt() == 0, "halt", 0);
	printf("PASS\n");
	return 0;
}
