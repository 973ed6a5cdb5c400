/* SPDX-License-Identifier: GPL-2.0 */
/* No MMU: vmalloc is kmalloc-backed (mm/nommu.c), nothing to tune here. */
#ifndef _ASM_LKL_VMALLOC_H
#define _ASM_LKL_VMALLOC_H

#endif /* _ASM_LKL_VMALLOC_H */
