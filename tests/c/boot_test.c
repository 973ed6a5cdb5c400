// SPDX-License-Identifier: GPL-2.0
/*
 * Boots liblkl.so from C and exercises the kernel through lkl_syscall():
 * the checklist of KERNEL-PORT.md 10.2, with no TypeScript in between.
 * Prints one line per check; exits non-zero on the first failure.
 *
 *   boot_test [--bench N]   with --bench, prints "getpid_ns <ns per call>"
 *                           measured over N calls, then halts.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lkl.h"

/* Numbers of the kernel's generic table (scripts/syscall.tbl). */
#define NR_getcwd 17
#define NR_fcntl 25
#define NR_mkdirat 34
#define NR_umount2 39
#define NR_mount 40
#define NR_chdir 49
#define NR_openat 56
#define NR_close 57
#define NR_pipe2 59
#define NR_getdents64 61
#define NR_lseek 62
#define NR_read 63
#define NR_write 64
#define NR_newfstatat 79
#define NR_fstat 80
#define NR_nanosleep 101
#define NR_clock_gettime 113
#define NR_uname 160
#define NR_umask 166
#define NR_getpid 172
#define NR_gettid 178

#define AT_FDCWD_ -100
#define O_CREAT_ 0100
#define O_RDWR_ 02
#define O_RDONLY_ 0
#define O_DIRECTORY_ 0200000
#define O_NONBLOCK_ 04000
#define F_SETPIPE_SZ_ 1031

static int failures;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		int ok_ = (cond);                                          \
		printf(ok_ ? "ok   " : "FAIL ");                           \
		printf(__VA_ARGS__);                                       \
		printf("\n");                                              \
		fflush(stdout);                                            \
		if (!ok_) {                                                \
			failures++;                                        \
			exit(1);                                           \
		}                                                          \
	} while (0)

static long sys(long nr, long a1, long a2, long a3, long a4, long a5)
{
	return lkl_syscall(nr, a1, a2, a3, a4, a5, 0);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void *reader_thread(void *arg)
{
	long fd = (long)arg;
	static char buf[256 * 1024];
	long total = 0, n;

	while ((n = sys(NR_read, fd, (long)buf, sizeof(buf), 0, 0)) > 0)
		total += n;
	return (void *)total;
}

static void *getpid_thread(void *arg)
{
	(void)arg;
	return (void *)sys(NR_getpid, 0, 0, 0, 0, 0);
}

static void bench(long n)
{
	uint64_t start;
	long i;

	for (i = 0; i < 1000; i++)
		sys(NR_getpid, 0, 0, 0, 0, 0);
	start = now_ns();
	for (i = 0; i < n; i++)
		sys(NR_getpid, 0, 0, 0, 0, 0);
	printf("getpid_ns %.1f\n", (double)(now_ns() - start) / n);
}

int main(int argc, char **argv)
{
	char buf[8192];
	long fd, ret, pipefd[2];
	int pfd[2];
	uint64_t t0;
	struct { long sec, nsec; } ts;
	pthread_t thread;
	void *result;
	int i;

	if (getenv("LKL_ECHO"))
		lkl_log_echo(2);
	t0 = now_ns();
	ret = lkl_boot(getenv("LKL_ECHO") ? "loglevel=8" : "loglevel=4",
		       32ULL << 20);
	CHECK(ret == 0, "boot: %ld (%.1f ms)", ret, (now_ns() - t0) / 1e6);
	CHECK(lkl_state() == LKL_STATE_RUNNING, "state is running");

	if (argc == 3 && !strcmp(argv[1], "--bench")) {
		bench(atol(argv[2]));
		CHECK(lkl_halt() == 0, "halt");
		return 0;
	}

	CHECK(lkl_boot(NULL, 0) == -EALREADY, "second boot is -EALREADY");
	ret = sys(NR_getpid, 0, 0, 0, 0, 0);
	CHECK(ret == 1, "getpid is 1 (got %ld)", ret);

	ret = sys(NR_uname, (long)buf, 0, 0, 0, 0);
	CHECK(ret == 0 && !strcmp(buf, "Linux") && !strncmp(buf + 130, "6.12", 4),
	      "uname: %s %s", buf, buf + 130);

	ret = sys(NR_umask, 0777, 0, 0, 0, 0);
	CHECK(ret == 022, "umask returns the previous 022 (got %lo)", ret);
	ret = sys(NR_umask, 0, 0, 0, 0, 0);
	CHECK(ret == 0777, "umask round trip (got %lo)", ret);

	fd = sys(NR_openat, AT_FDCWD_, (long)"/file", O_CREAT_ | O_RDWR_, 0721, 0);
	CHECK(fd == 0, "creat /file gives fd 0 (got %ld)", fd);
	ret = sys(NR_write, fd, (long)"test", 5, 0, 0);
	CHECK(ret == 5, "write 5 bytes (got %ld)", ret);
	ret = sys(NR_lseek, fd, 0, 0 /* SEEK_SET */, 0, 0);
	CHECK(ret == 0, "lseek to 0");
	memset(buf, 0, sizeof(buf));
	ret = sys(NR_read, fd, (long)buf, sizeof(buf), 0, 0);
	CHECK(ret == 5 && !strcmp(buf, "test"), "read back \"%s\"", buf);
	ret = sys(NR_fstat, fd, (long)buf, 0, 0, 0);
	/* Generic struct stat: st_mode at 16, st_size at 48. */
	CHECK(ret == 0 && *(unsigned int *)(buf + 16) == (0100000 | 0721) &&
	      *(long *)(buf + 48) == 5,
	      "fstat: mode %o size %ld", *(unsigned int *)(buf + 16),
	      *(long *)(buf + 48));
	CHECK(sys(NR_close, fd, 0, 0, 0, 0) == 0, "close");
	ret = sys(NR_openat, AT_FDCWD_, (long)"/missing", O_RDONLY_, 0, 0);
	CHECK(ret == -ENOENT, "open of a missing file is -ENOENT (got %ld)", ret);

	ret = sys(NR_mkdirat, AT_FDCWD_, (long)"/mnt", 0721, 0, 0);
	CHECK(ret == 0, "mkdir /mnt");

	ts.sec = 0;
	ts.nsec = 87654321;
	t0 = now_ns();
	ret = sys(NR_nanosleep, (long)&ts, 0, 0, 0, 0);
	CHECK(ret == 0 && now_ns() - t0 >= 87654321UL * 9 / 10,
	      "nanosleep 87.6 ms took %.1f ms", (now_ns() - t0) / 1e6);

	ret = sys(NR_clock_gettime, 0 /* REALTIME */, (long)&ts, 0, 0, 0);
	CHECK(ret == 0 && labs(ts.sec - time(NULL)) < 5,
	      "CLOCK_REALTIME is the host's (%ld)", ts.sec);

	ret = sys(NR_mount, (long)"proc", (long)"/mnt", (long)"proc", 0, 0);
	CHECK(ret == 0, "mount proc (got %ld)", ret);
	fd = sys(NR_openat, AT_FDCWD_, (long)"/mnt", O_RDONLY_ | O_DIRECTORY_, 0, 0);
	ret = sys(NR_getdents64, fd, (long)buf, sizeof(buf), 0, 0);
	CHECK(ret > 0, "getdents64 of /proc: %ld bytes", ret);
	sys(NR_close, fd, 0, 0, 0, 0);
	fd = sys(NR_openat, AT_FDCWD_, (long)"/mnt/filesystems", O_RDONLY_, 0, 0);
	memset(buf, 0, sizeof(buf));
	ret = sys(NR_read, fd, (long)buf, sizeof(buf) - 1, 0, 0);
	CHECK(ret > 0 && strstr(buf, "ext4"), "/proc/filesystems lists ext4");
	sys(NR_close, fd, 0, 0, 0, 0);
	ret = sys(NR_umount2, (long)"/mnt", 0, 0, 0, 0);
	CHECK(ret == 0, "umount right after close (got %ld)", ret);

	ret = sys(NR_pipe2, (long)pfd, 0, 0, 0, 0);
	pipefd[0] = pfd[0];
	pipefd[1] = pfd[1];
	CHECK(ret == 0, "pipe2: %ld %ld", pipefd[0], pipefd[1]);
	ret = sys(NR_fcntl, pipefd[1], F_SETPIPE_SZ_, 4096, 0, 0);
	CHECK(ret == 4096, "pipe size 4096 (got %ld)", ret);
	pthread_create(&thread, NULL, reader_thread, (void *)pipefd[0]);
	for (i = 0; i < 64; i++) {
		ret = sys(NR_write, pipefd[1], (long)buf, sizeof(buf), 0, 0);
		if (ret != sizeof(buf))
			break;
	}
	CHECK(i == 64, "main thread wrote 512 KiB through a 4 KiB pipe");
	sys(NR_close, pipefd[1], 0, 0, 0, 0);
	pthread_join(thread, &result);
	CHECK((long)result == 64 * (long)sizeof(buf),
	      "reader thread read %ld bytes", (long)result);
	sys(NR_close, pipefd[0], 0, 0, 0, 0);

	for (i = 0; i < 64; i++) {
		pthread_create(&thread, NULL, getpid_thread, NULL);
		pthread_join(thread, &result);
		if ((long)result != 1)
			break;
	}
	CHECK(i == 64, "64 threads in turn each made a system call");

	t0 = now_ns();
	for (i = 0; i < 100000; i++)
		sys(NR_getpid, 0, 0, 0, 0, 0);
	printf("info getpid: %.0f ns per call\n", (now_ns() - t0) / 1e5);

	t0 = now_ns();
	ret = lkl_halt();
	CHECK(ret == 0, "halt (%.1f ms)", (now_ns() - t0) / 1e6);
	CHECK(lkl_state() == LKL_STATE_HALTED, "state is halted");
	ret = sys(NR_getpid, 0, 0, 0, 0, 0);
	CHECK(ret == -ENODEV, "a call after halt is -ENODEV (got %ld)", ret);
	CHECK(lkl_halt() == -ENODEV, "a second halt is -ENODEV");
	printf("%s\n", failures ? "FAILED" : "PASS");
	return failures != 0;
}
