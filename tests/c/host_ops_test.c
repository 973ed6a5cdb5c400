// SPDX-License-Identifier: GPL-2.0
/*
 * Tests the POSIX host operations (linux/host/posix.c) on their own, without
 * a kernel. Prints one line per check; exits non-zero if any fails.
 *
 *   gcc -std=gnu11 -O2 -g -Wall -Wextra -Werror \
 *       -I linux/arch/lkl/include/uapi -I linux/host \
 *       tests/c/host_ops_test.c linux/host/posix.c -o host_ops_test -pthread
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host_int.h"
#include "lkl.h"

#define MS 1000000ULL
#define LOG_SIZE (1UL << 20)

static const struct lkl_host_ops *ops = &lkl_host_posix_ops;
static int failures;

static void check(int ok, const char *name)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", name);
	fflush(stdout);
	if (!ok)
		failures++;
}

static void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static unsigned long long now(void)
{
	return ops->time();
}

/* Mutexes. */

static struct lkl_mutex *mutex;
static long counter;
static volatile int got_lock;

static void count_fn(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 100000; i++) {
		ops->mutex_lock(mutex);
		counter++;
		ops->mutex_unlock(mutex);
	}
}

static void lock_once_fn(void *arg)
{
	(void)arg;
	ops->mutex_lock(mutex);
	got_lock = 1;
	ops->mutex_unlock(mutex);
}

static void test_mutex(void)
{
	mutex = ops->mutex_alloc(0);
	check(mutex != NULL, "mutex: plain mutex allocated");
	counter = 0;
	ops->thread_create(count_fn, NULL);
	ops->thread_create(count_fn, NULL);
	count_fn(NULL);
	lkl_host_threads_join_all();
	check(counter == 300000,
	      "mutex: plain mutex serializes 3 x 100000 increments");
	ops->mutex_free(mutex);

	mutex = ops->mutex_alloc(1);
	check(mutex != NULL, "mutex: recursive mutex allocated");
	ops->mutex_lock(mutex);
	ops->mutex_lock(mutex);
	ops->mutex_unlock(mutex);
	got_lock = 0;
	ops->thread_create(lock_once_fn, NULL);
	msleep(50);
	check(!got_lock,
	      "mutex: recursive mutex locked twice, unlocked once, still held");
	ops->mutex_unlock(mutex);
	lkl_host_threads_join_all();
	check(got_lock,
	      "mutex: recursive mutex free after the second unlock");
	ops->mutex_free(mutex);
}

/* Semaphores. */

static struct lkl_sem *sem_a, *sem_b;
static unsigned long long woke_at;

static void ping_fn(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 1000; i++) {
		ops->sem_down(sem_a);
		ops->sem_up(sem_b);
	}
}

static void wait_fn(void *arg)
{
	(void)arg;
	ops->sem_down(sem_a);
	woke_at = now();
}

static void test_sem(void)
{
	unsigned long long start;
	int i;

	sem_a = ops->sem_alloc(0);
	ops->sem_up(sem_a);
	ops->sem_down(sem_a);
	check(1, "sem: up before down does not block");
	ops->sem_free(sem_a);

	sem_a = ops->sem_alloc(2);
	ops->sem_down(sem_a);
	ops->sem_down(sem_a);
	check(1, "sem: initial count 2 allows two downs");
	ops->sem_free(sem_a);

	sem_a = ops->sem_alloc(0);
	sem_b = ops->sem_alloc(0);
	ops->thread_create(ping_fn, NULL);
	for (i = 0; i < 1000; i++) {
		ops->sem_up(sem_a);
		ops->sem_down(sem_b);
	}
	lkl_host_threads_join_all();
	check(1, "sem: 1000 cross-thread ping-pongs");

	woke_at = 0;
	start = now();
	ops->thread_create(wait_fn, NULL);
	msleep(30);
	ops->sem_up(sem_a);
	lkl_host_threads_join_all();
	check(woke_at >= start + 30 * MS,
	      "sem: down blocks until another thread's up");
	ops->sem_free(sem_a);
	ops->sem_free(sem_b);
}

/* Threads and TLS. */

static struct lkl_tls_key *key;
static volatile int before_exit, after_exit, returned;
static int dtor_calls;
static void *dtor_value;
static lkl_thread_t seen_self;
static long seen_tid;
static int signals_blocked;
static void *tls_seen;

static void tls_dtor(void *value)
{
	__atomic_add_fetch(&dtor_calls, 1, __ATOMIC_SEQ_CST);
	dtor_value = value;
}

static void nested_exit(int depth)
{
	if (depth)
		nested_exit(depth - 1);
	else
		ops->thread_exit();
	after_exit = 1;
}

static void exit_fn(void *arg)
{
	ops->tls_set(key, arg);
	before_exit = 1;
	nested_exit(3);
	after_exit = 1;
}

static void return_fn(void *arg)
{
	sigset_t mask;

	ops->tls_set(key, arg);
	tls_seen = ops->tls_get(key);
	seen_self = ops->thread_self();
	seen_tid = ops->gettid();
	pthread_sigmask(SIG_BLOCK, NULL, &mask);
	signals_blocked = sigismember(&mask, SIGINT) == 1 &&
			  sigismember(&mask, SIGTERM) == 1 &&
			  sigismember(&mask, SIGUSR1) == 1 &&
			  sigismember(&mask, SIGALRM) == 1;
	returned = 1;
}

static void block_fn(void *arg)
{
	(void)arg;
	ops->sem_down(sem_a);
}

static void nop_fn(void *arg)
{
	(void)arg;
}

static void test_threads(void)
{
	sigset_t before, after;
	lkl_thread_t id;
	int i, ok;

	key = ops->tls_alloc(tls_dtor);
	check(key != NULL, "tls: key allocated");

	id = ops->thread_create(exit_fn, (void *)0x1234);
	check(id != 0, "threads: thread_create returns an id");
	lkl_host_threads_join_all();
	check(before_exit && !after_exit,
	      "threads: thread_exit from a nested call ends the thread");
	check(dtor_calls == 1 && dtor_value == (void *)0x1234,
	      "tls: destructor runs after thread_exit");

	pthread_sigmask(SIG_BLOCK, NULL, &before);
	id = ops->thread_create(return_fn, (void *)0x5678);
	pthread_sigmask(SIG_BLOCK, NULL, &after);
	lkl_host_threads_join_all();
	check(returned, "threads: a thread whose fn returns ends");
	check(dtor_calls == 2 && dtor_value == (void *)0x5678,
	      "tls: destructor runs when fn returns");
	check(tls_seen == (void *)0x5678 && ops->tls_get(key) == NULL,
	      "tls: value is per thread");
	check(ops->thread_equal(seen_self, id) &&
	      !ops->thread_equal(ops->thread_self(), id),
	      "threads: thread_self and thread_equal");
	check(seen_tid > 0 && seen_tid != ops->gettid() &&
	      ops->gettid() == getpid(),
	      "threads: gettid is the host tid");
	check(signals_blocked, "threads: new thread has all signals blocked");
	ok = !sigismember(&after, SIGUSR1);
	for (i = 1; i < SIGRTMAX; i++)
		ok &= sigismember(&before, i) == sigismember(&after, i);
	check(ok,
	      "threads: creator's signal mask restored");

	ops->thread_create(nop_fn, NULL);
	lkl_host_threads_join_all();
	check(dtor_calls == 2, "tls: no destructor when no value was set");
	ops->tls_free(key);

	sem_a = ops->sem_alloc(0);
	for (i = 0; i < 3; i++)
		ops->thread_create(block_fn, NULL);
	msleep(20);
	check(lkl_host_threads_live() == 3,
	      "threads: live counts 3 blocked threads");
	for (i = 0; i < 3; i++)
		ops->sem_up(sem_a);
	lkl_host_threads_join_all();
	check(lkl_host_threads_live() == 0,
	      "threads: live back to 0 after join_all");
	ops->sem_free(sem_a);

	/* Threads that end on their own are joined by later creates. */
	ok = 1;
	for (i = 0; i < 500 && ok; i++) {
		ok = ops->thread_create(nop_fn, NULL) != 0;
		if (i % 50 == 0)
			msleep(1);
	}
	lkl_host_threads_join_all();
	check(ok && lkl_host_threads_live() == 0,
	      "threads: 500 short threads created and joined");
}

/* Timers. */

struct tick {
	struct lkl_timer *timer;
	int count;
	int rearm;		/* re-arm itself while count < rearm */
	int free_self;
	int slow;		/* sleep 50 ms inside the callback */
	int started, done;	/* polled by the test: atomic */
	unsigned long long fired_at;
	struct lkl_sem *sem;
};

static void tick_fn(void *arg)
{
	struct tick *t = arg;

	__atomic_store_n(&t->started, 1, __ATOMIC_SEQ_CST);
	t->count++;
	t->fired_at = now();
	if (t->slow)
		msleep(50);
	if (t->count < t->rearm)
		ops->timer_set_oneshot(t->timer, 1 * MS);
	if (t->free_self)
		ops->timer_free(t->timer);
	__atomic_store_n(&t->done, 1, __ATOMIC_SEQ_CST);
	if (t->count >= t->rearm)
		ops->sem_up(t->sem);
}

static void tick_init(struct tick *t)
{
	memset(t, 0, sizeof(*t));
	t->sem = ops->sem_alloc(0);
	t->timer = ops->timer_alloc(tick_fn, t);
}

static void tick_fini(struct tick *t, int free_timer)
{
	if (free_timer)
		ops->timer_free(t->timer);
	ops->sem_free(t->sem);
}

static struct lkl_timer *to_free;

static void free_timer_fn(void *arg)
{
	(void)arg;
	ops->timer_free(to_free);
}

static void test_timers(void)
{
	unsigned long long start;
	struct tick t;

	tick_init(&t);
	check(t.timer != NULL, "timer: allocated");
	start = now();
	ops->timer_set_oneshot(t.timer, 20 * MS);
	ops->sem_down(t.sem);
	check(t.fired_at >= start + 20 * MS && t.fired_at < start + 1000 * MS,
	      "timer: fires after 20 ms, not before");
	msleep(60);
	check(t.count == 1, "timer: one-shot fires once");
	tick_fini(&t, 1);

	tick_init(&t);
	start = now();
	ops->timer_set_oneshot(t.timer, 300 * MS);
	ops->timer_set_oneshot(t.timer, 20 * MS);
	ops->sem_down(t.sem);
	check(t.fired_at >= start + 20 * MS && t.fired_at < start + 250 * MS,
	      "timer: re-arm to an earlier deadline fires early");
	msleep(400);
	check(t.count == 1, "timer: the replaced deadline does not fire");
	tick_fini(&t, 1);

	tick_init(&t);
	start = now();
	ops->timer_set_oneshot(t.timer, 20 * MS);
	ops->timer_set_oneshot(t.timer, 100 * MS);
	ops->sem_down(t.sem);
	msleep(50);
	check(t.count == 1 && t.fired_at >= start + 100 * MS,
	      "timer: re-arm to a later deadline fires once, late");
	tick_fini(&t, 1);

	tick_init(&t);
	ops->timer_set_oneshot(t.timer, 20 * MS);
	to_free = t.timer;
	ops->thread_create(free_timer_fn, NULL);
	lkl_host_threads_join_all();
	msleep(60);
	check(t.count == 0,
	      "timer: freed from another thread while armed, never fires");
	tick_fini(&t, 0);

	tick_init(&t);
	t.slow = 1;
	ops->timer_set_oneshot(t.timer, 1 * MS);
	while (!__atomic_load_n(&t.started, __ATOMIC_SEQ_CST))
		msleep(1);
	ops->timer_free(t.timer);
	check(t.done, "timer: timer_free waits for a running callback");
	tick_fini(&t, 0);

	tick_init(&t);
	t.free_self = 1;
	ops->timer_set_oneshot(t.timer, 5 * MS);
	ops->sem_down(t.sem);
	check(t.count == 1,
	      "timer: timer_free inside the callback does not deadlock");
	tick_fini(&t, 0);

	tick_init(&t);
	t.rearm = 5;
	ops->timer_set_oneshot(t.timer, 1 * MS);
	ops->sem_down(t.sem);
	msleep(30);
	check(t.count == 5, "timer: callback re-arms itself 4 times");
	tick_fini(&t, 1);

	lkl_host_timers_stop();
	tick_init(&t);
	ops->timer_set_oneshot(t.timer, 5 * MS);
	ops->sem_down(t.sem);
	check(t.count == 1, "timer: works again after lkl_host_timers_stop");
	tick_fini(&t, 1);
	lkl_host_timers_stop();
	lkl_host_timers_stop();
	check(1, "timer: stop twice is harmless");
}

/* Kernel log ring. */

static char pattern(uint64_t pos)
{
	return 'a' + pos % 26;
}

static int matches(const char *buf, uint64_t len, uint64_t pos)
{
	uint64_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != pattern(pos + i))
			return 0;
	return 1;
}

/* Writes len pattern bytes in chunks of chunk; head is the write position. */
static void write_pattern(uint64_t *head, uint64_t len, uint64_t chunk)
{
	static char buf[2 * LOG_SIZE];
	uint64_t i, n;

	while (len) {
		n = len < chunk ? len : chunk;
		for (i = 0; i < n; i++)
			buf[i] = pattern(*head + i);
		ops->print(buf, n);
		*head += n;
		len -= n;
	}
}

static void test_log(void)
{
	char small[128], *big = malloc(LOG_SIZE + 10);
	uint64_t pos = 0, head, p;
	int64_t n;
	int fds[2];

	ops->print("hello\n", 6);
	n = lkl_host_log_read(small, sizeof(small), &pos);
	check(n == 6 && !memcmp(small, "hello\n", 6) && pos == 6,
	      "log: read from 0 returns the first message");
	n = lkl_host_log_read(small, sizeof(small), &pos);
	check(n == 0 && pos == 6, "log: nothing new reads 0");
	ops->print("world\n", 6);
	n = lkl_host_log_read(small, 2, &pos);
	check(n == 2 && !memcmp(small, "wo", 2) && pos == 8,
	      "log: read is limited by len");
	n = lkl_host_log_read(small, sizeof(small), &pos);
	check(n == 4 && !memcmp(small, "rld\n", 4) && pos == 12,
	      "log: next read continues at pos");

	head = pos;
	write_pattern(&head, LOG_SIZE + 4097, 1000);
	pos = 0;
	n = lkl_host_log_read(small, 100, &pos);
	check(n == 100 && pos == head - LOG_SIZE + 100 &&
	      matches(small, 100, head - LOG_SIZE),
	      "log: old pos jumps to the oldest byte after wraparound");
	n = lkl_host_log_read(big, LOG_SIZE + 10, &pos);
	check(n == (int64_t)LOG_SIZE - 100 && pos == head &&
	      matches(big, n, head - LOG_SIZE + 100),
	      "log: rest of the ring reads back across the wrap");
	check(lkl_host_log_read(big, 10, &pos) == 0 && pos == head,
	      "log: nothing new after draining");

	write_pattern(&head, LOG_SIZE + LOG_SIZE / 2 + 3, 2 * LOG_SIZE);
	pos = 7;
	n = lkl_host_log_read(big, LOG_SIZE + 10, &pos);
	check(n == (int64_t)LOG_SIZE && pos == head &&
	      matches(big, n, head - LOG_SIZE),
	      "log: one write larger than the ring keeps its last 1 MiB");

	pos = 3;
	n = lkl_host_log_read(NULL, 0, &pos);
	check(n == 0 && pos == head - LOG_SIZE,
	      "log: len 0 still moves an old pos to the oldest byte");
	p = pos = head + 10;
	check(lkl_host_log_read(small, 10, &pos) == 0 && pos == p,
	      "log: pos beyond the newest byte reads 0, pos unchanged");
	check(lkl_host_log_read(small, 10, NULL) == -EINVAL &&
	      lkl_host_log_read(NULL, 10, &pos) == -EINVAL,
	      "log: bad arguments give -EINVAL");

	if (pipe2(fds, O_NONBLOCK) == 0) {
		lkl_host_log_echo(fds[1]);
		ops->print("echo\n", 5);
		lkl_host_log_echo(-1);
		ops->print("quiet\n", 6);
		n = read(fds[0], small, sizeof(small));
		check(n == 5 && !memcmp(small, "echo\n", 5),
		      "log: echo copies prints to the fd until turned off");
		close(fds[0]);
		close(fds[1]);
	} else {
		check(0, "log: pipe for the echo test");
	}
	free(big);
}

/*
 * Runs ops->panic in a child after fn(); returns its exit status and
 * stores what it wrote to stderr.
 */
static int run_panic(void (*fn)(void), char *out, size_t size, ssize_t *len)
{
	int fds[2], status = -1;
	ssize_t n;
	pid_t pid;

	*len = 0;
	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		fn();
		ops->panic();
		_exit(1);
	}
	close(fds[1]);
	while ((n = read(fds[0], out + *len, size - *len)) > 0)
		*len += n;
	close(fds[0]);
	waitpid(pid, &status, 0);
	return status;
}

static void panic_plain(void)
{
	ops->print("last words\n", 11);
}

static void panic_echo(void)
{
	lkl_host_log_echo(STDERR_FILENO);
	ops->print("said once\n", 10);
}

static void test_panic(void)
{
	static char out[65536];
	static const char end[] = "last words\nlkl: kernel panic\n";
	ssize_t len;
	int status;

	status = run_panic(panic_plain, out, sizeof(out), &len);
	check(WIFEXITED(status) && WEXITSTATUS(status) == LKL_EXIT_PANIC,
	      "panic: exits with LKL_EXIT_PANIC");
	check(len > 4096 && len <= 8192 + 32 &&
	      !memcmp(out + len - strlen(end), end, strlen(end)),
	      "panic: stderr has the log tail, then \"lkl: kernel panic\"");

	status = run_panic(panic_echo, out, sizeof(out), &len);
	check(WIFEXITED(status) && WEXITSTATUS(status) == LKL_EXIT_PANIC &&
	      len == 28 && !memcmp(out, "said once\nlkl: kernel panic\n", 28),
	      "panic: log echoed to stderr is not dumped again");
}

/* Jump buffers. */

static struct lkl_jmp_buf jb;
static volatile int jumped_in, jumped_past;

static void jump_nested(int depth)
{
	if (depth)
		jump_nested(depth - 1);
	else
		ops->jmp_buf_longjmp(&jb, 1);
	jumped_past = 1;
}

static void jump_fn(void)
{
	jumped_in = 1;
	jump_nested(5);
	jumped_past = 1;
}

static void return_plain_fn(void)
{
	jumped_in = 2;
}

static void jump_then_exit_fn(void)
{
	ops->thread_exit();
}

static void thread_jump_fn(void *arg)
{
	static struct lkl_jmp_buf tjb;

	(void)arg;
	ops->jmp_buf_set(&tjb, jump_then_exit_fn);
	jumped_past = 2;
}

static void test_jmp(void)
{
	ops->jmp_buf_set(&jb, jump_fn);
	check(jumped_in == 1 && !jumped_past,
	      "jmp_buf: longjmp from nested calls returns from jmp_buf_set");
	ops->jmp_buf_set(&jb, return_plain_fn);
	check(jumped_in == 2, "jmp_buf: fn returning normally returns too");

	ops->thread_create(thread_jump_fn, NULL);
	lkl_host_threads_join_all();
	check(!jumped_past && lkl_host_threads_live() == 0,
	      "jmp_buf: thread_exit from inside jmp_buf_set ends the thread");
}

/* Memory, time, device registers. */

static int mapped(void *addr)
{
	unsigned char vec;

	return mincore(addr, 4096, &vec) == 0;
}

static void test_memory(void)
{
	unsigned long size = 64UL << 20;
	char *ram, *p, buf[16];

	ram = ops->page_alloc(size);
	check(ram && !((uintptr_t)ram & ((4UL << 20) - 1)),
	      "memory: page_alloc(64 MiB) is 4 MiB aligned");
	if (ram) {
		ram[0] = 1;
		ram[size - 1] = 2;
		ops->page_free(ram, size);
		check(!mapped(ram) && !mapped(ram + size - 4096),
		      "memory: page_free unmaps the block");
	}

	size = (64UL << 20) + 123;
	ram = ops->page_alloc(size);
	check(ram && !((uintptr_t)ram & ((4UL << 20) - 1)),
	      "memory: page_alloc of an odd size is aligned");
	if (ram) {
		ram[size - 1] = 3;
		check(!mapped(ram + size + 4096),
		      "memory: the over-allocation is trimmed");
		ops->page_free(ram, size);
	}

	p = ops->mem_alloc(32);
	ops->memset(p, 'x', 32);
	ops->memcpy(buf, p, sizeof(buf));
	ops->memmove(p + 1, p, 8);
	check(p && buf[15] == 'x' && p[8] == 'x',
	      "memory: mem_alloc, memset, memcpy, memmove");
	ops->mem_free(p);
}

static void test_time(void)
{
	unsigned long long a = ops->time(), b = ops->time();
	long long wall = ops->wall_time() / 1000000000ULL - time(NULL);

	check(a && b >= a, "time: monotonic");
	check(wall >= -2 && wall <= 2, "time: wall_time is the epoch time");
}

static void test_iomem(void)
{
	unsigned int val = 0;

	check(ops->ioremap(0x1000, 0x200) == NULL &&
	      ops->iomem_access((void *)0x1000, &val, 4, 0) == -EINVAL,
	      "iomem: no register windows without virtio.c");
}

int main(void)
{
	/* A deadlock fails the test instead of hanging it. */
	alarm(120);

	test_mutex();
	test_sem();
	test_threads();
	test_timers();
	test_log();
	test_panic();
	test_jmp();
	test_memory();
	test_time();
	test_iomem();

	printf("%s: %d failure%s\n", failures ? "FAIL" : "PASS", failures,
	       failures == 1 ? "" : "s");
	return failures ? 1 : 0;
}
