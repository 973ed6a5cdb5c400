/* SPDX-License-Identifier: GPL-2.0 */
/*
 * "Interrupts enabled" is a software flag of the single virtual CPU;
 * enabling it runs the interrupts that host threads left pending
 * (arch/lkl/kernel/irq.c).
 */
#ifndef _ASM_LKL_IRQFLAGS_H
#define _ASM_LKL_IRQFLAGS_H

#include <asm-generic/irqflags.h>

#endif /* _ASM_LKL_IRQFLAGS_H */
