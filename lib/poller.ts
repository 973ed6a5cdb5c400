/**
 * Waiting for sockets without tying up a thread per socket.
 *
 * Every socket of the typed API is nonblocking: reads, writes, accepts
 * and connects are short synchronous calls that either make progress or
 * return EAGAIN. Only then does the caller wait here for readiness. One
 * epoll instance in the kernel watches every waiting socket, and ONE
 * nonblocking FFI call (epoll_pwait on a thread of Deno's pool) sleeps
 * for all of them. So 1000 idle connections cost one pool thread and one
 * kernel task, not 1000, and the event loop stays free.
 *
 * Interest is registered EPOLLONESHOT: a socket fires once, then stays
 * quiet until someone waits on it again (so a writable socket nobody
 * writes to does not spin the loop). epoll_ctl from the main thread is
 * safe while epoll_pwait sleeps on another: a socket added that is ready
 * already wakes it at once. An eventfd in the set wakes the sleeper when
 * the poller closes, or when no waiter is left (so no call stays pending
 * and the process can exit).
 *
 * @module
 */

import { EFD, EPOLL } from "../ffi/constants.ts";
import { ERRNO } from "../ffi/errno.ts";
import { decodeEpollEvent, encodeEpollEvent, EPOLL_EVENT_SIZE } from "../ffi/net_structs.ts";
import { SYS } from "../ffi/syscalls.ts";
import { check, LklError } from "./errors.ts";
import type { Kernel } from "./kernel.ts";

interface Waiter {
  events: number;
  resolve: (revents: number) => void;
  reject: (error: unknown) => void;
}

interface Watch {
  waiters: Set<Waiter>;
  /** Whether epoll knows the fd (ADD done, no DEL since). */
  registered: boolean;
  /** The events armed now (0 once a oneshot fired). */
  armed: number;
}

/** Events that wake every waiter of a socket, whatever it waits for. */
const ALWAYS = EPOLL.ERR | EPOLL.HUP;
/** Events fetched per epoll_pwait. */
const BATCH = 64;
/**
 * How long a caller whose calls keep succeeding (a UDP sender: the kernel
 * never makes it wait) may keep the event loop before it yields once, so
 * that other sockets' wakeups, timers and signals get their turn.
 */
const FAIR_SHARE_MS = 4;

/** The error of a wait cut short because its socket was closed. */
export function closedError(): Error {
  return new Deno.errors.Interrupted("the socket was closed while waiting");
}

/**
 * The kernel-side readiness waiter of one kernel (see the module text).
 * Get it through the network API; sockets use it.
 */
export class Poller {
  readonly #kernel: Kernel;
  #epfd = -1;
  #wakefd = -1;
  readonly #watches = new Map<number, Watch>();
  #waiting = 0;
  #loop: Promise<void> | null = null;
  #closed = false;
  // One epoll_pwait runs at a time; the kernel fills this while it runs.
  readonly #events = new Uint8Array(EPOLL_EVENT_SIZE * BATCH);
  readonly #ctl = new Uint8Array(EPOLL_EVENT_SIZE);
  readonly #counter = new BigUint64Array(1);
  #lastTurn = performance.now();

  /** A poller for `kernel`; its epoll instance is made on first use. */
  constructor(kernel: Kernel) {
    this.#kernel = kernel;
  }

  #open(): void {
    if (this.#epfd >= 0) return;
    const k = this.#kernel;
    this.#epfd = k.syscall(SYS.epoll_create1, EPOLL.CLOEXEC);
    this.#wakefd = k.syscall(SYS.eventfd2, 0, EFD.NONBLOCK | EFD.CLOEXEC);
    encodeEpollEvent(EPOLL.IN, this.#wakefd, this.#ctl);
    k.syscall(SYS.epoll_ctl, this.#epfd, EPOLL.CTL_ADD, this.#wakefd, this.#ctl);
  }

  /**
   * Resolves with the ready events once `fd` has one of `events` (or an
   * error or hangup). Rejects when `signal` aborts, when the socket is
   * {@link forget}-ten (closed), or when the poller closes.
   */
  wait(fd: number, events: number, signal?: AbortSignal): Promise<number> {
    if (this.#closed) return Promise.reject(closedError());
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.#open();
    let watch = this.#watches.get(fd);
    if (!watch) {
      watch = { waiters: new Set(), registered: false, armed: 0 };
      this.#watches.set(fd, watch);
    }
    const w = watch;
    return new Promise<number>((resolve, reject) => {
      const onAbort = () => {
        if (w.waiters.delete(waiter)) this.#left(1);
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        events,
        resolve: (revents) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(revents);
        },
        reject: (error) => {
          signal?.removeEventListener("abort", onAbort);
          reject(error);
        },
      };
      w.waiters.add(waiter);
      this.#waiting++;
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        this.#arm(fd, w);
      } catch (e) {
        w.waiters.delete(waiter);
        this.#left(1);
        waiter.reject(e);
        return;
      }
      this.#loop ??= this.#run();
    });
  }

  /** Arms `fd` in epoll for what its waiters want, if not armed so already. */
  #arm(fd: number, watch: Watch): void {
    let want = 0;
    for (const w of watch.waiters) want |= w.events;
    if (want === 0 || (watch.armed & want) === want) return;
    const k = this.#kernel;
    encodeEpollEvent(want | EPOLL.ONESHOT, fd, this.#ctl);
    let rc = k.syscallResult(
      SYS.epoll_ctl,
      this.#epfd,
      watch.registered ? EPOLL.CTL_MOD : EPOLL.CTL_ADD,
      fd,
      this.#ctl,
    );
    // The fd number may have been closed and reused behind our back.
    if (rc === -ERRNO.EEXIST) {
      rc = k.syscallResult(SYS.epoll_ctl, this.#epfd, EPOLL.CTL_MOD, fd, this.#ctl);
    } else if (rc === -ERRNO.ENOENT) {
      rc = k.syscallResult(SYS.epoll_ctl, this.#epfd, EPOLL.CTL_ADD, fd, this.#ctl);
    }
    check(rc, "epoll_ctl");
    watch.registered = true;
    watch.armed = want;
  }

  /** Bookkeeping after `n` waiters left without an event. */
  #left(n: number): void {
    this.#waiting -= n;
    if (this.#waiting === 0 && this.#loop) this.#wake();
  }

  #wake(): void {
    if (this.#wakefd < 0) return;
    this.#counter[0] = 1n;
    this.#kernel.syscallResult(SYS.write, this.#wakefd, this.#counter, 8);
  }

  async #run(): Promise<void> {
    const k = this.#kernel;
    try {
      while (this.#waiting > 0 && !this.#closed) {
        const n = await k.syscallResultAsync(
          SYS.epoll_pwait,
          this.#epfd,
          this.#events,
          BATCH,
          -1,
          null,
          0,
        );
        this.#lastTurn = performance.now(); // we come from the event loop
        if (n === -ERRNO.EINTR) continue;
        if (n < 0) throw new LklError(-n, "epoll_pwait");
        for (let i = 0; i < n; i++) {
          const { events, data: fd } = decodeEpollEvent(this.#events, i * EPOLL_EVENT_SIZE);
          if (fd === this.#wakefd) {
            k.syscallResult(SYS.read, this.#wakefd, this.#counter, 8);
            continue;
          }
          this.#dispatch(fd, events);
        }
      }
    } catch (e) {
      this.#failAll(e);
    } finally {
      this.#loop = null;
    }
    // A waiter may have come while the last call was returning.
    if (this.#waiting > 0 && !this.#closed) this.#loop = this.#run();
  }

  #dispatch(fd: number, revents: number): void {
    const watch = this.#watches.get(fd);
    if (!watch) return;
    watch.armed = 0;
    for (const w of [...watch.waiters]) {
      if ((w.events & revents) !== 0 || (revents & ALWAYS) !== 0) {
        watch.waiters.delete(w);
        this.#waiting--;
        w.resolve(revents);
      }
    }
    if (watch.waiters.size > 0) {
      try {
        this.#arm(fd, watch);
      } catch (e) {
        for (const w of this.#take(watch)) w.reject(e);
      }
    }
  }

  /** Removes and returns every waiter of `watch`. */
  #take(watch: Watch): Waiter[] {
    const waiters = [...watch.waiters];
    watch.waiters.clear();
    this.#waiting -= waiters.length;
    return waiters;
  }

  #failAll(error: unknown): void {
    for (const watch of this.#watches.values()) {
      for (const w of this.#take(watch)) w.reject(error);
    }
  }

  /**
   * Before `fd` is closed: its waiters reject with `error` (by default an
   * Interrupted error), and epoll stops watching it.
   */
  forget(fd: number, error: unknown = closedError()): void {
    const watch = this.#watches.get(fd);
    if (!watch) return;
    this.#watches.delete(fd);
    const waiters = this.#take(watch);
    for (const w of waiters) w.reject(error);
    if (waiters.length > 0) this.#left(0);
    if (watch.registered && !this.#kernel.halted) {
      this.#kernel.syscallResult(SYS.epoll_ctl, this.#epfd, EPOLL.CTL_DEL, fd, this.#ctl);
    }
  }

  /**
   * After a call that did not have to wait: null, or a promise to await
   * when the event loop has not had a turn for a while. An `await` of a
   * settled promise only runs microtasks; without this, a loop of calls
   * that always succeed would starve every other task.
   */
  fairTurn(): Promise<void> | null {
    const now = performance.now();
    if (now - this.#lastTurn < FAIR_SHARE_MS) return null;
    // A trivial nonblocking call completes through the event loop in some
    // 15 us, where setTimeout(0) can take a millisecond or two.
    return this.#kernel.syscallResultAsync(SYS.getpid).then(() => {
      this.#lastTurn = performance.now();
    });
  }

  /** How many waits are pending (for tests and diagnostics). */
  get pending(): number {
    return this.#waiting;
  }

  /**
   * Rejects every pending wait and releases the epoll instance. Safe to
   * call more than once, and after halt.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#failAll(closedError());
    if (this.#kernel.halted) return;
    if (this.#loop) {
      this.#wake();
      await this.#loop;
    }
    if (this.#epfd >= 0) {
      this.#kernel.syscallResult(SYS.close, this.#wakefd);
      this.#kernel.syscallResult(SYS.close, this.#epfd);
      this.#epfd = this.#wakefd = -1;
    }
  }
}
