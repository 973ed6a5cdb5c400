/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/* Signals are never delivered to a user context, so it holds nothing. */
#ifndef _ASM_UAPI_LKL_SIGCONTEXT_H
#define _ASM_UAPI_LKL_SIGCONTEXT_H

struct sigcontext {
	unsigned long unused;
};

#endif /* _ASM_UAPI_LKL_SIGCONTEXT_H */
