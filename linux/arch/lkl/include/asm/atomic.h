/* SPDX-License-Identifier: GPL-2.0 */
/*
 * atomic_t and atomic64_t on the host's atomic instructions. The kernel's
 * fallbacks (linux/atomic/atomic-arch-fallback.h) derive the rest.
 */
#ifndef _ASM_LKL_ATOMIC_H
#define _ASM_LKL_ATOMIC_H

#include <linux/types.h>
#include <linux/compiler.h>
#include <asm/cmpxchg.h>
#include <asm/barrier.h>

#define ATOMIC64_INIT(i)		{ (i) }

#define arch_atomic_read(v)		READ_ONCE((v)->counter)
#define arch_atomic_set(v, i)		WRITE_ONCE((v)->counter, (i))
#define arch_atomic64_read(v)		READ_ONCE((v)->counter)
#define arch_atomic64_set(v, i)		WRITE_ONCE((v)->counter, (i))

#define LKL_ATOMIC_OP(prefix, type, op)					\
static __always_inline void						\
arch_##prefix##_##op(type i, prefix##_t *v)				\
{									\
	__atomic_fetch_##op(&v->counter, i, __ATOMIC_SEQ_CST);		\
}									\
static __always_inline type						\
arch_##prefix##_fetch_##op(type i, prefix##_t *v)			\
{									\
	return __atomic_fetch_##op(&v->counter, i, __ATOMIC_SEQ_CST);	\
}

#define LKL_ATOMIC_RETURN_OP(prefix, type, op)				\
static __always_inline type						\
arch_##prefix##_##op##_return(type i, prefix##_t *v)			\
{									\
	return __atomic_##op##_fetch(&v->counter, i, __ATOMIC_SEQ_CST);	\
}

#define LKL_ATOMIC_OPS(prefix, type)					\
	LKL_ATOMIC_OP(prefix, type, add)				\
	LKL_ATOMIC_OP(prefix, type, sub)				\
	LKL_ATOMIC_OP(prefix, type, and)				\
	LKL_ATOMIC_OP(prefix, type, or)					\
	LKL_ATOMIC_OP(prefix, type, xor)				\
	LKL_ATOMIC_RETURN_OP(prefix, type, add)				\
	LKL_ATOMIC_RETURN_OP(prefix, type, sub)				\
static __always_inline type						\
arch_##prefix##_xchg(prefix##_t *v, type new)				\
{									\
	return arch_xchg(&v->counter, new);				\
}									\
static __always_inline type						\
arch_##prefix##_cmpxchg(prefix##_t *v, type old, type new)		\
{									\
	return arch_cmpxchg(&v->counter, old, new);			\
}

LKL_ATOMIC_OPS(atomic, int)
LKL_ATOMIC_OPS(atomic64, s64)

#define arch_atomic_add			arch_atomic_add
#define arch_atomic_sub			arch_atomic_sub
#define arch_atomic_and			arch_atomic_and
#define arch_atomic_or			arch_atomic_or
#define arch_atomic_xor			arch_atomic_xor
#define arch_atomic_fetch_add		arch_atomic_fetch_add
#define arch_atomic_fetch_sub		arch_atomic_fetch_sub
#define arch_atomic_fetch_and		arch_atomic_fetch_and
#define arch_atomic_fetch_or		arch_atomic_fetch_or
#define arch_atomic_fetch_xor		arch_atomic_fetch_xor
#define arch_atomic_add_return		arch_atomic_add_return
#define arch_atomic_sub_return		arch_atomic_sub_return
#define arch_atomic_xchg		arch_atomic_xchg
#define arch_atomic_cmpxchg		arch_atomic_cmpxchg

#define arch_atomic64_add		arch_atomic64_add
#define arch_atomic64_sub		arch_atomic64_sub
#define arch_atomic64_and		arch_atomic64_and
#define arch_atomic64_or		arch_atomic64_or
#define arch_atomic64_xor		arch_atomic64_xor
#define arch_atomic64_fetch_add		arch_atomic64_fetch_add
#define arch_atomic64_fetch_sub		arch_atomic64_fetch_sub
#define arch_atomic64_fetch_and		arch_atomic64_fetch_and
#define arch_atomic64_fetch_or		arch_atomic64_fetch_or
#define arch_atomic64_fetch_xor		arch_atomic64_fetch_xor
#define arch_atomic64_add_return	arch_atomic64_add_return
#define arch_atomic64_sub_return	arch_atomic64_sub_return
#define arch_atomic64_xchg		arch_atomic64_xchg
#define arch_atomic64_cmpxchg		arch_atomic64_cmpxchg

#undef LKL_ATOMIC_OPS
#undef LKL_ATOMIC_RETURN_OP
#undef LKL_ATOMIC_OP

#endif /* _ASM_LKL_ATOMIC_H */
