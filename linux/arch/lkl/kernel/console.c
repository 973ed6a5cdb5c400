// SPDX-License-Identifier: GPL-2.0
/* The console: kernel messages go to the host's log ring buffer. */
#include <linux/console.h>
#include <linux/init.h>
#include <asm/host_ops.h>

#include "internal.h"

static void console_write(struct console *con, const char *str,
			  unsigned int len)
{
	lkl_ops->print(str, len);
}

static struct console lkl_console = {
	.name	= "lkl",
	.write	= console_write,
	.flags	= CON_PRINTBUFFER,
	.index	= -1,
};

void __init lkl_console_register(void)
{
	register_console(&lkl_console);
}
