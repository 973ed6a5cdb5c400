// SPDX-License-Identifier: GPL-2.0
/*
 * The C side of the boot and system call benchmarks (bench/core.ts):
 * boots liblkl.so, times N getpid calls, halts, and prints one JSON line
 * {"bootMs", "getpidNs", "haltMs"}. bench/programs/getpid_bench.ts does
 * the same from TypeScript, so the ratio is the cost of the FFI.
 *
 *   getpid_bench N
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lkl.h"

#define NR_getpid 172

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000000;
	uint64_t t0, boot, calls, halt;
	long i;

	t0 = now_ns();
	if (lkl_boot("quiet", 0) < 0)
		return 1;
	boot = now_ns() - t0;

	for (i = 0; i < n / 10; i++)
		lkl_syscall(NR_getpid, 0, 0, 0, 0, 0, 0);
	t0 = now_ns();
	for (i = 0; i < n; i++)
		lkl_syscall(NR_getpid, 0, 0, 0, 0, 0, 0);
	calls = now_ns() - t0;

	t0 = now_ns();
	if (lkl_halt() < 0)
		return 1;
	halt = now_ns() - t0;

	printf("{\"bootMs\":%.3f,\"getpidNs\":%.2f,\"haltMs\":%.3f}\n",
	       boot / 1e6, (double)calls / n, halt / 1e6);
	return 0;
}
