// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts.
 *
 * Host devices and the timer thread raise interrupts from their own host
 * threads with lkl_irq_trigger(). The interrupt is marked pending; if the
 * CPU is free, the raising thread takes it and runs the handler itself,
 * otherwise the owner runs it as soon as it enables interrupts or lets the
 * CPU go. "Interrupts enabled" is a flag of the virtual CPU, which only the
 * owner reads or writes.
 */
#include <linux/interrupt.h>
#include <linux/hardirq.h>
#include <linux/irq.h>
#include <linux/irqchip.h>
#include <linux/irqflags.h>
#include <linux/bitops.h>
#include <asm/irq_regs.h>
#include <asm/host_ops.h>

#include "internal.h"

#define PENDING_WORDS BITS_TO_LONGS(NR_IRQS)

/* Set by any host thread with atomic host operations. */
static unsigned long irq_pending[PENDING_WORDS];
static const char *irq_users[NR_IRQS];

static unsigned long irq_flag = ARCH_IRQ_DISABLED;

int lkl_irq_alloc(const char *user)
{
	int irq;

	for (irq = 1; irq < NR_IRQS; irq++)
		if (__sync_bool_compare_and_swap(&irq_users[irq], NULL, user))
			return irq;
	return -ENOSPC;
}

void lkl_irq_free(int irq, const char *user)
{
	if (irq > 0 && irq < NR_IRQS)
		__sync_bool_compare_and_swap(&irq_users[irq], user, NULL);
}

bool lkl_irqs_pending(void)
{
	int i;

	for (i = 0; i < PENDING_WORDS; i++)
		if (READ_ONCE(irq_pending[i]))
			return true;
	return false;
}

static void run_irq(int irq, bool from_user)
{
	struct pt_regs regs = { .user = from_user };
	struct pt_regs *old_regs = set_irq_regs(&regs);

	irq_enter();
	generic_handle_irq(irq);
	irq_exit();
	set_irq_regs(old_regs);
}

static void run_pending_irqs(bool from_user)
{
	unsigned long flags = irq_flag;
	int i, bit;

	irq_flag = ARCH_IRQ_DISABLED;
	while (lkl_irqs_pending()) {
		for (i = 0; i < PENDING_WORDS; i++) {
			unsigned long word = __sync_fetch_and_and(
					&irq_pending[i], 0);

			for_each_set_bit(bit, &word, BITS_PER_LONG)
				run_irq(i * BITS_PER_LONG + bit, from_user);
		}
	}
	irq_flag = flags;
}

/* Runs every pending interrupt; the caller owns the CPU. */
void lkl_run_pending_irqs(void)
{
	run_pending_irqs(false);
}

int lkl_irq_trigger(int irq)
{
	int ret;

	if (irq <= 0 || irq >= NR_IRQS)
		return -EINVAL;

	__sync_fetch_and_or(&irq_pending[irq / BITS_PER_LONG],
			    BIT(irq % BITS_PER_LONG));
	ret = lkl_cpu_try_get_for_irq();
	if (ret <= 0)
		return ret;
	if (irq_flag == ARCH_IRQ_ENABLED)
		run_pending_irqs(ret == LKL_CPU_WAS_FREE);
	lkl_cpu_put();
	return 0;
}

unsigned long arch_local_save_flags(void)
{
	return irq_flag;
}

void arch_local_irq_restore(unsigned long flags)
{
	/* Enabling is when pending interrupts get in, but not nested. */
	if (flags == ARCH_IRQ_ENABLED && irq_flag == ARCH_IRQ_DISABLED &&
	    !in_interrupt() && lkl_irqs_pending())
		lkl_run_pending_irqs();
	irq_flag = flags;
}

void cpu_relax(void)
{
	unsigned long flags;

	local_irq_save(flags);
	local_irq_restore(flags);
}

void __init init_IRQ(void)
{
	int irq;

	for (irq = 0; irq < NR_IRQS; irq++)
		irq_set_chip_and_handler(irq, &dummy_irq_chip,
					 handle_simple_irq);
}
