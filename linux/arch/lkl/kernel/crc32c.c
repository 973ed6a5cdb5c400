// SPDX-License-Identifier: GPL-2.0
/*
 * CRC32C with the host CPU's crc32 instruction (SSE4.2), in place of the
 * table-driven lib/crc32.c (__crc32c_le is weak there). ext4, jbd2, xfs
 * and btrfs checksum every metadata block they write or read with it:
 * creating a file rewrites a 4 KiB directory block and its checksum.
 *
 * The kernel is compiled for x86-64 hosts only; the instruction is used
 * when the CPU has it, else the generic code.
 */
#include <linux/compiler.h>
#include <linux/crc32.h>
#include <linux/types.h>
#include <linux/unaligned.h>

static int have_sse42 = -1;

static bool sse42(void)
{
	unsigned int eax = 1, ebx, ecx = 0, edx;

	if (have_sse42 < 0) {
		asm volatile("cpuid"
			     : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
		/* CPUID.1:ECX bit 20: SSE4.2. */
		WRITE_ONCE(have_sse42, (ecx >> 20) & 1);
	}
	return READ_ONCE(have_sse42);
}

static u32 crc32c_insn(u32 crc, const unsigned char *p, size_t len)
{
	u64 c = crc;

	for (; len && ((unsigned long)p & 7); len--, p++)
		asm("crc32b %1, %k0" : "+r"(c) : "rm"(*p));
	for (; len >= 8; len -= 8, p += 8)
		asm("crc32q %1, %0" : "+r"(c) : "rm"(get_unaligned((const u64 *)p)));
	for (; len; len--, p++)
		asm("crc32b %1, %k0" : "+r"(c) : "rm"(*p));
	return c;
}

u32 __pure __crc32c_le(u32 crc, unsigned char const *p, size_t len)
{
	if (sse42())
		return crc32c_insn(crc, p, len);
	return __crc32c_le_base(crc, p, len);
}
