/* SPDX-License-Identifier: GPL-2.0 */
/* The host operations, as seen from inside the kernel. */
#ifndef _ASM_LKL_HOST_OPS_H
#define _ASM_LKL_HOST_OPS_H

#include <uapi/asm/host_ops.h>

/* Set once at boot by lkl_kernel_start(); never NULL afterwards. */
extern const struct lkl_host_ops *lkl_ops;

#endif /* _ASM_LKL_HOST_OPS_H */
