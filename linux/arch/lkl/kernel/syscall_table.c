// SPDX-License-Identifier: GPL-2.0
/*
 * The system call table, generated from the kernel's generic table
 * (scripts/syscall.tbl). Calls that cannot work in a library (no user mode
 * to clone, exec or return signals to; nothing may reboot it but halt;
 * the process must not exit under its application) answer -ENOSYS.
 */
#include <linux/syscalls.h>
#include <linux/mman.h>
#include <asm/syscalls.h>
#include <asm/unistd.h>

SYSCALL_DEFINE6(mmap, unsigned long, addr, unsigned long, len,
		unsigned long, prot, unsigned long, flags,
		unsigned long, fd, unsigned long, off)
{
	if (offset_in_page(off))
		return -EINVAL;
	return ksys_mmap_pgoff(addr, len, prot, flags, fd, off >> PAGE_SHIFT);
}

#define sys_clone		sys_ni_syscall
#define sys_clone3		sys_ni_syscall
#define sys_execve		sys_ni_syscall
#define sys_execveat		sys_ni_syscall
#define sys_exit		sys_ni_syscall
#define sys_exit_group		sys_ni_syscall
#define sys_reboot		sys_ni_syscall
#define sys_rt_sigreturn	sys_ni_syscall

#define __SYSCALL_WITH_COMPAT(nr, native, compat) __SYSCALL(nr, native)
#define __SYSCALL(nr, call)	[nr] = (call),

const void *lkl_sys_call_table[__NR_syscalls] = {
	[0 ... __NR_syscalls - 1] = sys_ni_syscall,
#include <asm/syscall_table_64.h>
};
