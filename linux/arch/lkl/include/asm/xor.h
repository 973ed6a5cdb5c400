/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pick the xor routine without the boot-time benchmark: it spins on
 * jiffies and would slow every boot.
 */
#ifndef _ASM_LKL_XOR_H
#define _ASM_LKL_XOR_H

#include <asm-generic/xor.h>

#define XOR_SELECT_TEMPLATE(FASTEST) (&xor_block_8regs)

#endif /* _ASM_LKL_XOR_H */
