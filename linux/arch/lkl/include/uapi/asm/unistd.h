/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * System call numbers: the kernel's generic 64-bit table, generated from
 * scripts/syscall.tbl (see arch/lkl/kernel/Makefile.syscalls).
 */
#include <asm/unistd_64.h>
