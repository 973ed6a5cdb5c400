/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtio devices are host threads running on other host CPUs, reading
 * and writing the rings while the kernel does: the barriers must be real
 * CPU fences, not only compiler barriers.
 */
#ifndef _ASM_LKL_BARRIER_H
#define _ASM_LKL_BARRIER_H

#define __mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#define __rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define __wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)

#include <asm-generic/barrier.h>

#endif /* _ASM_LKL_BARRIER_H */
