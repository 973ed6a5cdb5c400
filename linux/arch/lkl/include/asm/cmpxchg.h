/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xchg and cmpxchg on the host's atomic instructions: cheaper than turning
 * the virtual CPU's interrupt flag off and on around each one.
 */
#ifndef _ASM_LKL_CMPXCHG_H
#define _ASM_LKL_CMPXCHG_H

#define arch_xchg(ptr, x)						\
	__atomic_exchange_n((ptr), (x), __ATOMIC_SEQ_CST)

#define arch_cmpxchg(ptr, old, new)					\
({									\
	__typeof__(*(ptr)) __old = (old);				\
	__atomic_compare_exchange_n((ptr), &__old, (new), false,	\
				    __ATOMIC_SEQ_CST,			\
				    __ATOMIC_SEQ_CST);			\
	__old;								\
})

#define arch_cmpxchg_local	arch_cmpxchg
#define arch_cmpxchg64		arch_cmpxchg
#define arch_cmpxchg64_local	arch_cmpxchg

#endif /* _ASM_LKL_CMPXCHG_H */
