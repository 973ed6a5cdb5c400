// SPDX-License-Identifier: GPL-2.0
/*
 * The host operations on POSIX (Linux, glibc): what the library kernel gets
 * from the process it runs in. Threads, semaphores and mutexes are pthread
 * objects; the kernel's RAM is an anonymous mapping; one host thread drives
 * every timer; kernel output goes to a ring buffer the application polls.
 *
 * Every operation may be called by the thread that owns the kernel CPU, so
 * none of them waits for anything that needs the kernel.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "host_int.h"
#include "lkl.h"

#define NSEC_PER_SEC 1000000000ULL

/* Stack of every host thread we start: kernel paths are deep. */
#define THREAD_STACK_SIZE (8UL << 20)

/* Kernel RAM alignment: lets the buddy allocator use max-order blocks. */
#define RAM_ALIGN (4UL << 20)

#define LOG_SIZE (1UL << 20)
#define PANIC_TAIL 8192

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

static_assert(sizeof(pthread_t) <= sizeof(lkl_thread_t),
	      "pthread_t must fit in lkl_thread_t");
static_assert(sizeof(jmp_buf) <= sizeof(struct lkl_jmp_buf),
	      "jmp_buf must fit in struct lkl_jmp_buf");
static_assert(_Alignof(jmp_buf) <= _Alignof(struct lkl_jmp_buf),
	      "struct lkl_jmp_buf is not aligned enough for a jmp_buf");

/* Circular doubly linked list with a sentinel head. */
struct link {
	struct link *prev, *next;
};

#define LINK_HEAD_INIT(name) { &(name), &(name) }

static void link_add(struct link *head, struct link *l)
{
	l->next = head->next;
	l->prev = head;
	head->next->prev = l;
	head->next = l;
}

static void link_del(struct link *l)
{
	l->prev->next = l->next;
	l->next->prev = l->prev;
	l->prev = l->next = l;
}

static int link_empty(const struct link *head)
{
	return head->next == head;
}

static void write_all(int fd, const char *s, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= n;
	}
}

/* A host call that cannot fail did: a bug in the shim or the kernel port. */
__attribute__((noreturn))
static void host_bug(const char *what, int err)
{
	char msg[256];
	int n;

	n = snprintf(msg, sizeof(msg), "lkl: host: %s%s%s\n", what,
		     err ? ": " : "", err ? strerror(err) : "");
	if (n >= (int)sizeof(msg))
		n = sizeof(msg) - 1;
	if (n > 0)
		write_all(STDERR_FILENO, msg, n);
	abort();
}

/* Checked pthread calls in debug builds; plain calls otherwise. */
#ifdef LKL_DEBUG
#define CHECKED(call)						\
	do {							\
		int __err = (call);				\
		if (__err)					\
			host_bug(#call, __err);			\
	} while (0)
#define MUTEX_PLAIN PTHREAD_MUTEX_ERRORCHECK
#else
#define CHECKED(call) ((void)(call))
#define MUTEX_PLAIN PTHREAD_MUTEX_NORMAL
#endif

/* Kernel log ring. */

static struct {
	pthread_mutex_t lock;
	uint64_t head;		/* bytes ever written */
	int echo_fd;		/* accessed atomically */
	char buf[LOG_SIZE];
} klog = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.echo_fd = -1,
};

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static void log_store_locked(const char *s, uint64_t len)
{
	uint64_t off, first;

	/* Of a chunk larger than the ring only its end would survive. */
	if (len > LOG_SIZE) {
		klog.head += len - LOG_SIZE;
		s += len - LOG_SIZE;
		len = LOG_SIZE;
	}
	off = klog.head % LOG_SIZE;
	first = min_u64(len, LOG_SIZE - off);
	memcpy(klog.buf + off, s, first);
	memcpy(klog.buf, s + first, len - first);
	klog.head += len;
}

static uint64_t log_copy_locked(char *buf, uint64_t len, uint64_t *pos)
{
	uint64_t oldest, p = *pos, n, off, first;

	oldest = klog.head > LOG_SIZE ? klog.head - LOG_SIZE : 0;
	if (p < oldest)
		p = oldest;
	if (p > klog.head)
		return 0;
	n = min_u64(len, klog.head - p);
	*pos = p + n;
	if (!n)
		return 0;	/* buf may be NULL */
	off = p % LOG_SIZE;
	first = min_u64(n, LOG_SIZE - off);
	memcpy(buf, klog.buf + off, first);
	memcpy(buf + first, klog.buf, n - first);
	return n;
}

void lkl_host_log_write(const char *s, int len)
{
	int fd;

	if (len <= 0)
		return;
	pthread_mutex_lock(&klog.lock);
	log_store_locked(s, len);
	pthread_mutex_unlock(&klog.lock);

	/* Outside the lock: a slow fd must not stall other printers. */
	fd = __atomic_load_n(&klog.echo_fd, __ATOMIC_RELAXED);
	if (fd >= 0)
		write_all(fd, s, len);
}

int64_t lkl_host_log_read(char *buf, uint64_t len, uint64_t *pos)
{
	uint64_t n;

	if (!pos || (!buf && len))
		return -EINVAL;
	pthread_mutex_lock(&klog.lock);
	n = log_copy_locked(buf, len, pos);
	pthread_mutex_unlock(&klog.lock);
	return n;
}

void lkl_host_log_echo(int fd)
{
	__atomic_store_n(&klog.echo_fd, fd < 0 ? -1 : fd, __ATOMIC_RELAXED);
}

/*
 * The panic path may find the log lock held (by a thread that will never
 * run again, for all we know): try for a while, then read without it.
 */
static int log_trylock_panic(void)
{
	const struct timespec ms = { 0, 1000000 };
	int i;

	for (i = 0; i < 100; i++) {
		if (!pthread_mutex_trylock(&klog.lock))
			return 1;
		nanosleep(&ms, NULL);
	}
	return 0;
}

__attribute__((noreturn))
static void posix_panic(void)
{
	static char tail[PANIC_TAIL];
	static const char line[] = "lkl: kernel panic\n";
	uint64_t pos, n = 0;
	char *start = tail, *nl;
	int locked, cut = 0;

	/* When the log already goes to stderr, don't print its end twice. */
	if (__atomic_load_n(&klog.echo_fd, __ATOMIC_RELAXED) != STDERR_FILENO) {
		locked = log_trylock_panic();
		cut = klog.head > PANIC_TAIL;
		pos = cut ? klog.head - PANIC_TAIL : 0;
		n = log_copy_locked(tail, PANIC_TAIL, &pos);
		if (locked)
			pthread_mutex_unlock(&klog.lock);
	}
	/* Start at a line boundary when the log was cut (lines < 1 KiB). */
	if (cut) {
		nl = memchr(tail, '\n', min_u64(n, 1024));
		if (nl) {
			n -= nl + 1 - tail;
			start = nl + 1;
		}
	}
	write_all(STDERR_FILENO, start, n);
	if (n && start[n - 1] != '\n')
		write_all(STDERR_FILENO, "\n", 1);
	write_all(STDERR_FILENO, line, sizeof(line) - 1);
	_exit(LKL_EXIT_PANIC);
}

/* Semaphores and mutexes. */

struct lkl_sem {
	sem_t sem;
};

struct lkl_mutex {
	pthread_mutex_t mutex;
};

static struct lkl_sem *posix_sem_alloc(int count)
{
	struct lkl_sem *sem;

	sem = malloc(sizeof(*sem));
	if (!sem)
		return NULL;
	if (count < 0 || sem_init(&sem->sem, 0, count) < 0) {
		free(sem);
		return NULL;
	}
	return sem;
}

static void posix_sem_free(struct lkl_sem *sem)
{
	sem_destroy(&sem->sem);
	free(sem);
}

static void posix_sem_up(struct lkl_sem *sem)
{
	if (sem_post(&sem->sem) < 0)
		host_bug("sem_post", errno);
}

static void posix_sem_down(struct lkl_sem *sem)
{
	while (sem_wait(&sem->sem) < 0) {
		if (errno != EINTR)
			host_bug("sem_wait", errno);
	}
}

static struct lkl_mutex *posix_mutex_alloc(int recursive)
{
	struct lkl_mutex *mutex;
	pthread_mutexattr_t attr;
	int type = recursive ? PTHREAD_MUTEX_RECURSIVE : MUTEX_PLAIN;

	mutex = malloc(sizeof(*mutex));
	if (!mutex)
		return NULL;
	if (pthread_mutexattr_init(&attr))
		goto err_free;
	if (pthread_mutexattr_settype(&attr, type))
		goto err_attr;
	if (pthread_mutex_init(&mutex->mutex, &attr))
		goto err_attr;
	pthread_mutexattr_destroy(&attr);
	return mutex;

err_attr:
	pthread_mutexattr_destroy(&attr);
err_free:
	free(mutex);
	return NULL;
}

static void posix_mutex_free(struct lkl_mutex *mutex)
{
	CHECKED(pthread_mutex_destroy(&mutex->mutex));
	free(mutex);
}

static void posix_mutex_lock(struct lkl_mutex *mutex)
{
	CHECKED(pthread_mutex_lock(&mutex->mutex));
}

static void posix_mutex_unlock(struct lkl_mutex *mutex)
{
	CHECKED(pthread_mutex_unlock(&mutex->mutex));
}

/*
 * Threads.
 *
 * Every thread thread_create starts has a record, on the running list
 * until its function ends, then on the finished list until someone joins
 * it. A joiner that takes a record off the lists sets claimed, so the thread
 * does not list itself again.
 */

struct host_thread {
	struct link link;
	pthread_t id;
	void (*fn)(void *arg);
	void *arg;
	int claimed;
	jmp_buf exit_jb;	/* thread_exit jumps back here */
};

static struct {
	pthread_mutex_t lock;
	struct link running;
	struct link finished;
	int live;		/* records whose fn has not ended */
} threads = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.running = LINK_HEAD_INIT(threads.running),
	.finished = LINK_HEAD_INIT(threads.finished),
};

static __thread struct host_thread *self_thread;

/*
 * Starts a joinable host thread with a big stack and every signal blocked:
 * signals are for the application's threads. The new thread inherits the
 * mask in force during pthread_create. Returns 0 or a negative errno.
 */
static int start_host_thread(pthread_t *id, void *(*start)(void *),
			     void *arg)
{
	pthread_attr_t attr;
	sigset_t all, old;
	int err;

	err = pthread_attr_init(&attr);
	if (err)
		return -err;
	err = pthread_attr_setstacksize(&attr, THREAD_STACK_SIZE);
	if (err)
		goto out_attr;
	sigfillset(&all);
	err = pthread_sigmask(SIG_SETMASK, &all, &old);
	if (err)
		goto out_attr;
	err = pthread_create(id, &attr, start, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
out_attr:
	pthread_attr_destroy(&attr);
	return -err;
}

static void thread_finished(struct host_thread *t)
{
	pthread_mutex_lock(&threads.lock);
	if (!t->claimed) {
		link_del(&t->link);
		link_add(&threads.finished, &t->link);
	}
	threads.live--;
	pthread_mutex_unlock(&threads.lock);
}

static void *thread_main(void *data)
{
	struct host_thread *t = data;

	self_thread = t;
	/*
	 * thread_exit longjmps here rather than calling pthread_exit, which
	 * would force-unwind through kernel frames that have no unwind info.
	 */
	if (!_setjmp(t->exit_jb))
		t->fn(t->arg);
	thread_finished(self_thread);
	return NULL;
}

/*
 * Joins the finished threads that have really ended. Never blocks: one
 * may still be running TLS destructors that wait for the kernel CPU, which
 * our caller may hold.
 */
static void reap_finished_locked(void)
{
	struct link *l, *next;
	struct host_thread *t;

	for (l = threads.finished.next; l != &threads.finished; l = next) {
		next = l->next;
		t = container_of(l, struct host_thread, link);
		if (pthread_tryjoin_np(t->id, NULL))
			continue;
		link_del(&t->link);
		free(t);
	}
}

static lkl_thread_t posix_thread_create(void (*fn)(void *), void *arg)
{
	struct host_thread *t;
	lkl_thread_t id;

	t = calloc(1, sizeof(*t));
	if (!t)
		return 0;
	t->fn = fn;
	t->arg = arg;

	pthread_mutex_lock(&threads.lock);
	reap_finished_locked();
	/* Listed first: the thread may end before pthread_create returns. */
	link_add(&threads.running, &t->link);
	threads.live++;
	if (start_host_thread(&t->id, thread_main, t))
		goto err_unlist;
	id = (lkl_thread_t)t->id;
	pthread_mutex_unlock(&threads.lock);
	return id;

err_unlist:
	threads.live--;
	link_del(&t->link);
	pthread_mutex_unlock(&threads.lock);
	free(t);
	return 0;
}

__attribute__((noreturn))
static void posix_thread_exit(void)
{
	if (!self_thread)
		host_bug("thread_exit from a thread lkl did not create", 0);
	_longjmp(self_thread->exit_jb, 1);
}

static lkl_thread_t posix_thread_self(void)
{
	return (lkl_thread_t)pthread_self();
}

static int posix_thread_equal(lkl_thread_t a, lkl_thread_t b)
{
	return pthread_equal((pthread_t)a, (pthread_t)b);
}

static long posix_gettid(void)
{
	return syscall(SYS_gettid);
}

/* Takes a record off the lists for joining: finished ones first. */
static struct host_thread *claim_thread_locked(void)
{
	struct host_thread *t;
	struct link *l;

	if (!link_empty(&threads.finished)) {
		t = container_of(threads.finished.next, struct host_thread,
				 link);
		link_del(&t->link);
		return t;
	}
	for (l = threads.running.next; l != &threads.running; l = l->next) {
		t = container_of(l, struct host_thread, link);
		if (t == self_thread)
			continue;
		t->claimed = 1;
		link_del(&t->link);
		return t;
	}
	return NULL;
}

void lkl_host_threads_join_all(void)
{
	struct host_thread *t;

	for (;;) {
		pthread_mutex_lock(&threads.lock);
		t = claim_thread_locked();
		pthread_mutex_unlock(&threads.lock);
		if (!t)
			return;
		CHECKED(pthread_join(t->id, NULL));
		free(t);
	}
}

int lkl_host_threads_live(void)
{
	int live;

	pthread_mutex_lock(&threads.lock);
	live = threads.live;
	pthread_mutex_unlock(&threads.lock);
	return live;
}

/* Thread-local keys. */

struct lkl_tls_key {
	pthread_key_t key;
};

static struct lkl_tls_key *posix_tls_alloc(void (*destructor)(void *))
{
	struct lkl_tls_key *key;

	key = malloc(sizeof(*key));
	if (!key)
		return NULL;
	if (pthread_key_create(&key->key, destructor)) {
		free(key);
		return NULL;
	}
	return key;
}

static void posix_tls_free(struct lkl_tls_key *key)
{
	pthread_key_delete(key->key);
	free(key);
}

static int posix_tls_set(struct lkl_tls_key *key, void *data)
{
	return -pthread_setspecific(key->key, data);
}

static void *posix_tls_get(struct lkl_tls_key *key)
{
	return pthread_getspecific(key->key);
}

/* Memory. */

static void *posix_mem_alloc(unsigned long size)
{
	return malloc(size);
}

static void posix_mem_free(void *ptr)
{
	free(ptr);
}

/* Rounds up to whole pages; 0 when that overflows. */
static unsigned long page_round(unsigned long size)
{
	unsigned long page = sysconf(_SC_PAGESIZE);

	if (size > ULONG_MAX - (page - 1))
		return 0;
	return (size + page - 1) & ~(page - 1);
}

/*
 * The kernel's RAM, at a low address if one is free: the kernel walks page
 * frame numbers from 0 up to its RAM when it sets up its memory map, which
 * takes about 30 ms for RAM at the usual 0x7f... mmap addresses, and
 * nothing for RAM a few GiB up. Physical addresses equal host addresses.
 */
#define RAM_LOW_FIRST (4UL << 30)
#define RAM_LOW_LAST (64UL << 30)

static void *map_low(unsigned long size)
{
	unsigned long hint;

	for (hint = RAM_LOW_FIRST; hint <= RAM_LOW_LAST; hint += 4UL << 30) {
		void *map = mmap((void *)hint, size, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS |
				 MAP_FIXED_NOREPLACE, -1, 0);

		if (map == (void *)hint)
			return map;
		/* Kernels before 4.17 treat the flag as a hint. */
		if (map != MAP_FAILED)
			munmap(map, size);
	}
	return NULL;
}

/*
 * Otherwise maps RAM_ALIGN more than asked and unmaps both ends, leaving a
 * block that starts on a RAM_ALIGN boundary.
 */
static void *posix_page_alloc(unsigned long size)
{
	unsigned long len, head, tail;
	char *map, *start;

	size = page_round(size);
	if (!size || size > ULONG_MAX - RAM_ALIGN)
		return NULL;
	start = map_low(size);
	if (start)
		return start;
	len = size + RAM_ALIGN;
	map = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return NULL;
	start = (char *)(((uintptr_t)map + RAM_ALIGN - 1) & ~(RAM_ALIGN - 1));
	head = start - map;
	tail = len - head - size;
	if (head)
		munmap(map, head);
	if (tail)
		munmap(start + size, tail);
	return start;
}

static void posix_page_free(void *ptr, unsigned long size)
{
	munmap(ptr, page_round(size));
}

/* Time. */

static unsigned long long clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static unsigned long long posix_time(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static unsigned long long posix_wall_time(void)
{
	return clock_ns(CLOCK_REALTIME);
}

/*
 * Timers: one host thread per process sleeps until the earliest armed
 * deadline and runs the callbacks that are due, one at a time.
 */

#define NEVER ULLONG_MAX

struct lkl_timer {
	struct link link;	/* on timers.armed while armed */
	void (*fn)(void *arg);
	void *arg;
	unsigned long long deadline;
	int armed;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;	/* to the thread; CLOCK_MONOTONIC */
	pthread_cond_t done;	/* a callback returned, or a stop ended */
	struct link armed;
	struct lkl_timer *firing;	/* callback running now, or NULL */
	/* The deadline the thread sleeps until; 0 when it is not asleep. */
	unsigned long long sleep_until;
	pthread_t thread;
	int started;
	int stopping;
} timers = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.done = PTHREAD_COND_INITIALIZER,
	.armed = LINK_HEAD_INIT(timers.armed),
};

static pthread_once_t timers_once = PTHREAD_ONCE_INIT;
static int timers_init_err;
static __thread int on_timer_thread;

/* A static initializer cannot select the clock of a condvar. */
static void timers_init(void)
{
	pthread_condattr_t attr;
	int err;

	err = pthread_condattr_init(&attr);
	if (err)
		goto out;
	err = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	if (!err)
		err = pthread_cond_init(&timers.wake, &attr);
	pthread_condattr_destroy(&attr);
out:
	timers_init_err = err;
}

static struct lkl_timer *timers_earliest_locked(void)
{
	struct lkl_timer *t, *first = NULL;
	struct link *l;

	for (l = timers.armed.next; l != &timers.armed; l = l->next) {
		t = container_of(l, struct lkl_timer, link);
		if (!first || t->deadline < first->deadline)
			first = t;
	}
	return first;
}

static void *timer_main(void *unused)
{
	struct lkl_timer *t;
	struct timespec ts;
	void (*fn)(void *arg);
	void *arg;

	(void)unused;
	on_timer_thread = 1;
	pthread_setname_np(pthread_self(), "lkl-timer");

	pthread_mutex_lock(&timers.lock);
	while (!timers.stopping) {
		t = timers_earliest_locked();
		if (!t) {
			timers.sleep_until = NEVER;
			pthread_cond_wait(&timers.wake, &timers.lock);
			continue;
		}
		if (t->deadline > posix_time()) {
			timers.sleep_until = t->deadline;
			ts.tv_sec = t->deadline / NSEC_PER_SEC;
			ts.tv_nsec = t->deadline % NSEC_PER_SEC;
			pthread_cond_timedwait(&timers.wake, &timers.lock, &ts);
			continue;
		}
		link_del(&t->link);
		t->armed = 0;
		timers.firing = t;
		timers.sleep_until = 0;
		fn = t->fn;
		arg = t->arg;
		/* Unlocked: fn may re-arm or free timers, this one included. */
		pthread_mutex_unlock(&timers.lock);
		fn(arg);
		pthread_mutex_lock(&timers.lock);
		timers.firing = NULL;
		pthread_cond_broadcast(&timers.done);
	}
	timers.sleep_until = 0;
	pthread_mutex_unlock(&timers.lock);
	return NULL;
}

static int timers_start_locked(void)
{
	int err;

	if (timers.started)
		return 0;
	pthread_once(&timers_once, timers_init);
	if (timers_init_err)
		return -timers_init_err;
	err = start_host_thread(&timers.thread, timer_main, NULL);
	if (err)
		return err;
	timers.started = 1;
	return 0;
}

static struct lkl_timer *posix_timer_alloc(void (*fn)(void *), void *arg)
{
	struct lkl_timer *timer;
	int err;

	timer = calloc(1, sizeof(*timer));
	if (!timer)
		return NULL;
	timer->fn = fn;
	timer->arg = arg;

	pthread_mutex_lock(&timers.lock);
	err = timers_start_locked();
	pthread_mutex_unlock(&timers.lock);
	if (err) {
		free(timer);
		return NULL;
	}
	return timer;
}

static int posix_timer_set_oneshot(struct lkl_timer *timer,
				   unsigned long long delta_ns)
{
	unsigned long long now = posix_time(), deadline;
	int err;

	deadline = delta_ns > NEVER - now ? NEVER : now + delta_ns;

	pthread_mutex_lock(&timers.lock);
	err = timers_start_locked();
	if (err)
		goto out;
	if (!timer->armed) {
		link_add(&timers.armed, &timer->link);
		timer->armed = 1;
	}
	timer->deadline = deadline;
	if (deadline < timers.sleep_until)
		pthread_cond_signal(&timers.wake);
out:
	pthread_mutex_unlock(&timers.lock);
	return err;
}

static void posix_timer_free(struct lkl_timer *timer)
{
	pthread_mutex_lock(&timers.lock);
	if (timer->armed)
		link_del(&timer->link);
	if (on_timer_thread) {
		/* Called by the callback: waiting would be for ourselves. */
		if (timers.firing == timer)
			timers.firing = NULL;
	} else {
		while (timers.firing == timer)
			pthread_cond_wait(&timers.done, &timers.lock);
	}
	pthread_mutex_unlock(&timers.lock);
	free(timer);
}

void lkl_host_timers_stop(void)
{
	pthread_t thread;

	pthread_mutex_lock(&timers.lock);
	while (timers.stopping)
		pthread_cond_wait(&timers.done, &timers.lock);
	if (!timers.started || on_timer_thread) {
		pthread_mutex_unlock(&timers.lock);
		return;
	}
	timers.stopping = 1;
	pthread_cond_signal(&timers.wake);
	thread = timers.thread;
	pthread_mutex_unlock(&timers.lock);

	CHECKED(pthread_join(thread, NULL));

	pthread_mutex_lock(&timers.lock);
	timers.started = 0;
	timers.stopping = 0;
	pthread_cond_broadcast(&timers.done);
	pthread_mutex_unlock(&timers.lock);
}

/* Device registers: virtio.c overrides these. */

__attribute__((weak))
void *lkl_iomem_map(unsigned long addr, unsigned long size)
{
	(void)addr;
	(void)size;
	return NULL;
}

__attribute__((weak))
int lkl_iomem_access(const volatile void *addr, void *val, int size,
		     int write)
{
	(void)addr;
	(void)val;
	(void)size;
	(void)write;
	return -EINVAL;
}

static void *posix_ioremap(unsigned long addr, unsigned long size)
{
	return lkl_iomem_map(addr, size);
}

static int posix_iomem_access(const volatile void *addr, void *val,
			      int size, int write)
{
	return lkl_iomem_access(addr, val, size, write);
}

/* Jump buffers: no signal mask saved, it never changes on our threads. */

static void posix_jmp_buf_set(struct lkl_jmp_buf *jmpb, void (*fn)(void))
{
	if (!_setjmp(*(jmp_buf *)(void *)jmpb))
		fn();
}

__attribute__((noreturn))
static void posix_jmp_buf_longjmp(struct lkl_jmp_buf *jmpb, int val)
{
	_longjmp(*(jmp_buf *)(void *)jmpb, val);
}

const struct lkl_host_ops lkl_host_posix_ops = {
	.print = lkl_host_log_write,
	.panic = posix_panic,

	.sem_alloc = posix_sem_alloc,
	.sem_free = posix_sem_free,
	.sem_up = posix_sem_up,
	.sem_down = posix_sem_down,

	.mutex_alloc = posix_mutex_alloc,
	.mutex_free = posix_mutex_free,
	.mutex_lock = posix_mutex_lock,
	.mutex_unlock = posix_mutex_unlock,

	.thread_create = posix_thread_create,
	.thread_exit = posix_thread_exit,
	.thread_self = posix_thread_self,
	.thread_equal = posix_thread_equal,
	.gettid = posix_gettid,

	.tls_alloc = posix_tls_alloc,
	.tls_free = posix_tls_free,
	.tls_set = posix_tls_set,
	.tls_get = posix_tls_get,

	.mem_alloc = posix_mem_alloc,
	.mem_free = posix_mem_free,
	.page_alloc = posix_page_alloc,
	.page_free = posix_page_free,

	.time = posix_time,
	.wall_time = posix_wall_time,

	.timer_alloc = posix_timer_alloc,
	.timer_set_oneshot = posix_timer_set_oneshot,
	.timer_free = posix_timer_free,

	.ioremap = posix_ioremap,
	.iomem_access = posix_iomem_access,

	.jmp_buf_set = posix_jmp_buf_set,
	.jmp_buf_longjmp = posix_jmp_buf_longjmp,

	.memcpy = memcpy,
	.memset = memset,
	.memmove = memmove,
};
