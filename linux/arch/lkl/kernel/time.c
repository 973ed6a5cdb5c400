// SPDX-License-Identifier: GPL-2.0
/*
 * Time: the host's monotonic clock is the clocksource and sched_clock, its
 * wall clock sets the kernel's at boot, and a one-shot host timer is the
 * clock event device, raising the timer interrupt from the timer thread.
 */
#include <linux/clocksource.h>
#include <linux/clockchips.h>
#include <linux/interrupt.h>
#include <linux/sched/clock.h>
#include <linux/timekeeping.h>
#include <linux/delay.h>
#include <linux/time.h>
#include <asm/host_ops.h>

#include "internal.h"

static u64 boot_ns;
static int timer_irq;
static struct lkl_timer *timer;

static u64 clock_read(struct clocksource *cs)
{
	return lkl_ops->time();
}

static struct clocksource clocksource = {
	.name	= "lkl",
	.rating	= 499,
	.read	= clock_read,
	.flags	= CLOCK_SOURCE_IS_CONTINUOUS,
	.mask	= CLOCKSOURCE_MASK(64),
};

/* Time since lkl_kernel_start(): printk timestamps cover the whole boot. */
unsigned long long sched_clock(void)
{
	return lkl_ops->time() - boot_ns;
}

void lkl_time_start(void)
{
	boot_ns = lkl_ops->time();
}

void read_persistent_clock64(struct timespec64 *ts)
{
	*ts = ns_to_timespec64(lkl_ops->wall_time());
}

static int set_next_event(unsigned long delta,
			  struct clock_event_device *evt)
{
	return lkl_ops->timer_set_oneshot(timer, delta);
}

static int set_state_oneshot(struct clock_event_device *evt)
{
	return 0;
}

static int set_state_shutdown(struct clock_event_device *evt)
{
	/* A late expiry reaches a no-op event handler. */
	return 0;
}

static struct clock_event_device clockevent = {
	.name			= "lkl",
	.features		= CLOCK_EVT_FEAT_ONESHOT,
	.set_state_oneshot	= set_state_oneshot,
	.set_state_shutdown	= set_state_shutdown,
	.set_next_event		= set_next_event,
	.rating			= 499,
};

/* On the host timer thread. */
static void timer_expired(void *arg)
{
	lkl_irq_trigger(timer_irq);
}

static irqreturn_t timer_interrupt(int irq, void *dev_id)
{
	clockevent.event_handler(&clockevent);
	return IRQ_HANDLED;
}

void __init time_init(void)
{
	int ret;

	timer_irq = lkl_irq_alloc("timer");
	if (timer_irq < 0)
		panic("lkl: no interrupt for the timer\n");
	ret = request_irq(timer_irq, timer_interrupt,
			  IRQF_TIMER | IRQF_NOBALANCING, "lkl timer", NULL);
	if (ret)
		panic("lkl: cannot request the timer interrupt: %d\n", ret);

	timer = lkl_ops->timer_alloc(timer_expired, NULL);
	if (!timer)
		panic("lkl: cannot create the host timer\n");

	clocksource_register_khz(&clocksource, 1000000);

	clockevent.cpumask = cpumask_of(0);
	clockevents_config_and_register(&clockevent, NSEC_PER_SEC, 1,
					ULONG_MAX);
}

/* Halt: the timer must not fire into a stopped kernel. */
void lkl_time_shutdown(void)
{
	if (timer) {
		lkl_ops->timer_free(timer);
		timer = NULL;
	}
}

/* No calibration: delays are measured on the host clock. */
void calibrate_delay(void)
{
}

void __ndelay(unsigned long nsecs)
{
	u64 end = lkl_ops->time() + nsecs;

	while (lkl_ops->time() < end)
		cpu_relax();
}

void __udelay(unsigned long usecs)
{
	__ndelay(usecs * NSEC_PER_USEC);
}

/* udelay()/ndelay() of constants: xloops is the delay in 2^-32 seconds. */
void __const_udelay(unsigned long xloops)
{
	__ndelay((xloops * NSEC_PER_SEC) >> 32);
}

void __delay(unsigned long loops)
{
	__ndelay(loops);
}
