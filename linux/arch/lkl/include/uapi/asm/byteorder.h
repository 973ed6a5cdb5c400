/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/* The library runs on little-endian hosts (x86-64). */
#ifndef _ASM_UAPI_LKL_BYTEORDER_H
#define _ASM_UAPI_LKL_BYTEORDER_H

#include <linux/byteorder/little_endian.h>

#endif /* _ASM_UAPI_LKL_BYTEORDER_H */
