/**
 * The Linux kernel running inside this process.
 *
 * @module
 */

import { CLOCK } from "../ffi/constants.ts";
import { cString, readCString } from "../ffi/cstring.ts";
import { ERRNO } from "../ffi/errno.ts";
import { type LklLibrary, openLibrary } from "../ffi/library.ts";
import {
  decodeTimespec,
  decodeUtsname,
  encodeTimespec,
  type Timespec,
  TIMESPEC_SIZE,
  timespecFromMs,
  type Utsname,
  UTSNAME_SIZE,
} from "../ffi/structs.ts";
import { LKL_STATE } from "../ffi/symbols.ts";
import { SYS, syscallName } from "../ffi/syscalls.ts";
import { type AttachOptions, Disk } from "./disk.ts";
import { check, LklError } from "./errors.ts";
import { Fs } from "./fs.ts";
import type { Interface } from "./interface.ts";
import { Network, type Route, type TapOptions } from "./net.ts";
import type { ConnectOptions, ListenOptions, TcpConn, TcpListener } from "./tcp.ts";

/** The least RAM the kernel boots with (MiB). */
export const MIN_MEMORY_MIB = 16;

/** The host's memory in MiB (MemTotal of /proc/meminfo), or null when it cannot be read. */
export function hostMemoryMiB(): number | null {
  try {
    const m = Deno.readTextFileSync("/proc/meminfo").match(/^MemTotal:\s+(\d+) kB/m);
    return m ? Math.floor(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** Options of {@link Kernel.boot}. */
export interface BootOptions {
  /** RAM given to the kernel, in MiB (default 64; from 16 to the host's memory). */
  memoryMiB?: number;
  /** Extra kernel command line parameters, e.g. "loglevel=8". */
  cmdline?: string;
  /**
   * Boot with `quiet`: only warnings and errors reach the kernel log.
   * Default false, so {@link Kernel.log} holds the whole boot.
   */
  quiet?: boolean;
  /**
   * Also write every kernel message, as it is printed, to this host file
   * descriptor (2 for stderr). Useful to watch a boot that does not finish.
   */
  logFd?: number;
}

/**
 * A system call argument: an integer, or a buffer whose address is passed
 * (the kernel reads or writes it in place), or null for a NULL pointer.
 */
export type SyscallArg = number | bigint | ArrayBufferView | null;

const DEFAULT_MEMORY_MIB = 64;

/** What every boot mounts: [source, target, type]. */
const SYSTEM_MOUNTS = [
  ["proc", "/proc", "proc"],
  ["sysfs", "/sys", "sysfs"],
  ["devtmpfs", "/dev", "devtmpfs"],
] as const;

// The FFI passes 64-bit integers as bigint; BigInt(n) costs a few ns, a
// number where a bigint is declared would take V8's slow path.
function toInteger(arg: SyscallArg | undefined, index: number): bigint {
  if (arg === undefined || arg === null) return 0n;
  if (typeof arg === "bigint") return arg;
  if (typeof arg === "number") {
    if (!Number.isSafeInteger(arg)) {
      throw new TypeError(`system call argument ${index + 1} is not an integer: ${arg}`);
    }
    return BigInt(arg);
  }
  if (ArrayBuffer.isView(arg)) return Deno.UnsafePointer.value(Deno.UnsafePointer.of(arg));
  throw new TypeError(`system call argument ${index + 1} has an unsupported type`);
}

function tooManyArgs(count: number): never {
  throw new RangeError(`a system call takes at most 6 arguments, got ${count}`);
}

function callName(nr: number): string {
  return syscallName(nr) ?? `syscall ${nr}`;
}

/**
 * The Linux kernel, booted inside this process from liblkl.so. There is one
 * per process: boot it once, halt it once (a halted kernel cannot boot
 * again in the same process).
 *
 * ```ts
 * import { Kernel } from "../mod.ts";
 * await using kernel = await Kernel.boot({ memoryMiB: 64 });
 * console.log(kernel.uname().release); // "6.12.117"
 * ```
 */
export class Kernel {
  readonly #lib: LklLibrary;
  readonly #bootMs: number;
  readonly #memoryMiB: number;
  #halting: Promise<void> | null = null;
  #halted = false;
  #fs: Fs | undefined;
  #net: Network | undefined;
  #log = "";
  readonly #logPos = new BigUint64Array(1);
  readonly #logBuf = new Uint8Array(64 * 1024);
  readonly #logDecoder = new TextDecoder();
  /**
   * Arguments of nonblocking calls still running: the kernel reads and
   * writes their buffers from another thread until the call settles, so
   * they must not be garbage collected before.
   */
  readonly #pending = new Set<readonly SyscallArg[]>();
  /** What must happen before halt (disks unmount and detach), newest first. */
  readonly #onHalt = new Set<() => Promise<void>>();
  /** What must happen when the program ends without a halt (mounts unmount). */
  readonly #onExit = new Set<() => boolean>();

  private constructor(lib: LklLibrary, bootMs: number, memoryMiB: number) {
    this.#lib = lib;
    this.#bootMs = bootMs;
    this.#memoryMiB = memoryMiB;
    globalThis.addEventListener("unload", this.#atExit);
  }

  /**
   * A program that ends without halting would leave its images with
   * unwritten data and a journal to replay. At exit only synchronous calls
   * are possible: write everything back (sync), let each mount close its
   * files and unmount ({@link onExit}), and say so.
   */
  readonly #atExit = (): void => {
    if (this.#halted || this.#onExit.size === 0) return;
    try {
      this.syscallResult(SYS.sync);
      const hooks = [...this.#onExit].reverse();
      const clean = hooks.filter((fn) => fn()).length;
      console.error(
        `lkl: the program ended without halting the kernel: ${clean} of ${hooks.length} ` +
          "file system(s) synced and unmounted" +
          (clean < hooks.length ? ` (${hooks.length - clean} still busy: synced only)` : "") +
          "; halt the kernel (or use `await using`) to close them in order",
      );
    } catch {
      // the kernel is past helping
    }
  };

  /**
   * Runs `fn` (synchronous: the event loop is gone) when the program ends
   * without {@link halt}; it returns whether it unmounted cleanly. Returns
   * a function that cancels it.
   */
  onExit(fn: () => boolean): () => void {
    this.#onExit.add(fn);
    return () => this.#onExit.delete(fn);
  }

  /** The library's version string, e.g. "0.1.0 Linux 6.12.117" (no boot needed). */
  static libraryVersion(): string {
    return readCString(openLibrary().symbols.lkl_version());
  }

  /**
   * Boots the kernel and resolves once it accepts system calls. Throws an
   * {@link LklError} (EALREADY) when a kernel was booted before in this
   * process.
   */
  static async boot(options: BootOptions = {}): Promise<Kernel> {
    const memoryMiB = options.memoryMiB ?? DEFAULT_MEMORY_MIB;
    const most = hostMemoryMiB();
    if (
      !Number.isInteger(memoryMiB) || memoryMiB < MIN_MEMORY_MIB ||
      (most !== null && memoryMiB > most)
    ) {
      // Caught here: lkl_boot refuses too little with EINVAL, and the
      // kernel panics (ending the process) when the host cannot give it.
      throw new RangeError(
        `memoryMiB: from ${MIN_MEMORY_MIB} to ${most ?? "the host's memory in"} MiB` +
          `${most !== null ? " (this host's memory)" : ""}, got ${memoryMiB}`,
      );
    }
    const lib = openLibrary();
    const state = lib.symbols.lkl_state();
    if (state !== LKL_STATE.OFF) {
      throw new LklError(ERRNO.EALREADY, "lkl_boot", {
        detail: state === LKL_STATE.HALTED
          ? "the kernel was halted and cannot boot again in this process"
          : "the kernel is already booted in this process (one kernel per process)",
      });
    }
    const parts = [options.quiet ? "quiet" : "", options.cmdline ?? ""].filter((p) => p !== "");
    const cmdline = parts.length > 0 ? cString(parts.join(" ")) : null;
    if (options.logFd !== undefined) lib.symbols.lkl_log_echo(options.logFd);
    const start = performance.now();
    // lkl_boot reads cmdline on a pool thread; `cmdline` stays referenced
    // below until the call has returned.
    const rc = await lib.symbols.lkl_boot_async(cmdline, BigInt(memoryMiB) * 1024n * 1024n);
    const bootMs = performance.now() - start;
    void cmdline;
    if (rc === -ERRNO.EALREADY) {
      throw new LklError(ERRNO.EALREADY, "lkl_boot", {
        detail: "the kernel is already booted in this process (one kernel per process)",
      });
    }
    if (rc < 0) throw new LklError(-rc, "lkl_boot");
    const kernel = new Kernel(lib, bootMs, memoryMiB);
    kernel.#mountSystemFilesystems();
    return kernel;
  }

  /**
   * /proc, /sys and /dev (devtmpfs: block devices appear there as the
   * kernel finds them), which every later part relies on; /mnt holds the
   * mount points of disk images.
   */
  #mountSystemFilesystems(): void {
    const fs = this.fs;
    for (const [source, target, type] of SYSTEM_MOUNTS) {
      fs.mkdir(target, 0o755, true);
      fs.mount(source, target, type);
    }
    fs.mkdir("/mnt", 0o755, true);
  }

  /** Milliseconds that lkl_boot took. */
  get bootMs(): number {
    return this.#bootMs;
  }

  /** RAM given to the kernel, in MiB. */
  get memoryMiB(): number {
    return this.#memoryMiB;
  }

  /** True once {@link halt} was called. */
  get halted(): boolean {
    return this.#halted;
  }

  /** File system calls (openat, read, write, statx, ...). */
  get fs(): Fs {
    return this.#fs ??= new Fs(this);
  }

  /** The network: TAP interfaces, routes, TCP, UDP and ping sockets. */
  get net(): Network {
    return this.#net ??= new Network(this);
  }

  #haltedError(name: string): LklError {
    return new LklError(ERRNO.ENODEV, name, { detail: "kernel is halted" });
  }

  /** Throws when the call came after halt, or when the kernel stopped on its own. */
  #result(nr: number, result: number | bigint): number {
    const n = Number(result);
    if (n === -ERRNO.ENODEV && this.#lib.symbols.lkl_state() !== LKL_STATE.RUNNING) {
      throw this.#haltedError(callName(nr));
    }
    return n;
  }

  /**
   * Runs system call `nr` and returns its raw result: `>= 0`, or `-errno`.
   * For wrappers that build their own errors; most code wants
   * {@link syscall}. Throws only when the kernel is halted.
   */
  syscallResult(
    nr: number,
    a1?: SyscallArg,
    a2?: SyscallArg,
    a3?: SyscallArg,
    a4?: SyscallArg,
    a5?: SyscallArg,
    a6?: SyscallArg,
  ): number {
    if (this.#halted) throw this.#haltedError(callName(nr));
    // Positional parameters, no rest arrays: this is the hot path.
    return this.#result(
      nr,
      this.#lib.symbols.lkl_syscall(
        BigInt(nr),
        toInteger(a1, 0),
        toInteger(a2, 1),
        toInteger(a3, 2),
        toInteger(a4, 3),
        toInteger(a5, 4),
        toInteger(a6, 5),
      ),
    );
  }

  /**
   * {@link syscallResult} on a thread of Deno's blocking pool: for calls
   * that can block (sleeps, pipes, sockets, large I/O). Buffers among
   * `args` must not be resized or transferred until the promise settles.
   */
  async syscallResultAsync(nr: number, ...args: SyscallArg[]): Promise<number> {
    if (this.#halted) throw this.#haltedError(callName(nr));
    if (args.length > 6) tooManyArgs(args.length);
    this.#pending.add(args);
    try {
      const result = await this.#lib.symbols.lkl_syscall_async(
        BigInt(nr),
        toInteger(args[0], 0),
        toInteger(args[1], 1),
        toInteger(args[2], 2),
        toInteger(args[3], 3),
        toInteger(args[4], 4),
        toInteger(args[5], 5),
      );
      return this.#result(nr, result);
    } finally {
      this.#pending.delete(args);
    }
  }

  /**
   * Runs system call `nr` (a number of `SYS`) with up to six arguments and
   * returns its result; a failure throws an {@link LklError}. The raw
   * escape hatch: a wrong pointer argument crashes the process.
   *
   * ```ts
   * import { Kernel } from "../mod.ts";
   * import { SYS } from "../ffi/syscalls.ts";
   * await using kernel = await Kernel.boot();
   * const pid = kernel.syscall(SYS.getpid);
   * ```
   */
  syscall(
    nr: number,
    a1?: SyscallArg,
    a2?: SyscallArg,
    a3?: SyscallArg,
    a4?: SyscallArg,
    a5?: SyscallArg,
    a6?: SyscallArg,
  ): number {
    const result = this.syscallResult(nr, a1, a2, a3, a4, a5, a6);
    return result < 0 ? check(result, callName(nr)) : result;
  }

  /** {@link syscall} without blocking the event loop (see {@link syscallResultAsync}). */
  async syscallAsync(nr: number, ...args: SyscallArg[]): Promise<number> {
    const result = await this.syscallResultAsync(nr, ...args);
    return result < 0 ? check(result, callName(nr)) : result;
  }

  /** The kernel's identity: uname(2). */
  uname(): Utsname {
    const buf = new Uint8Array(UTSNAME_SIZE);
    this.syscall(SYS.uname, buf);
    return decodeUtsname(buf);
  }

  /** The kernel's process id for this process (the calling thread's group). */
  getpid(): number {
    return this.syscall(SYS.getpid);
  }

  /** clock_gettime(2) of the kernel's clock `clock` (a `CLOCK` value; default CLOCK_MONOTONIC). */
  clockGettime(clock: number = CLOCK.MONOTONIC): Timespec {
    const buf = new Uint8Array(TIMESPEC_SIZE);
    this.syscall(SYS.clock_gettime, clock, buf);
    return decodeTimespec(buf);
  }

  /** Sleeps `ms` milliseconds in the kernel (nanosleep(2)) without blocking the event loop. */
  async nanosleep(ms: number): Promise<void> {
    const req = encodeTimespec(timespecFromMs(ms));
    await this.syscallAsync(SYS.nanosleep, req, null);
  }

  /**
   * Every kernel message printed so far (the library keeps the most recent
   * ones; older ones are kept here once read). Works after halt too.
   */
  log(): string {
    for (;;) {
      const n = Number(
        this.#lib.symbols.lkl_log_read(this.#logBuf, BigInt(this.#logBuf.length), this.#logPos),
      );
      if (n <= 0) break;
      this.#log += this.#logDecoder.decode(this.#logBuf.subarray(0, n), { stream: true });
    }
    return this.#log;
  }

  /**
   * Halts the kernel: every kernel thread stops. Disks still attached are
   * unmounted (with a sync) and detached first; other file systems are
   * not synced. Calling it again does nothing.
   */
  halt(): Promise<void> {
    this.#halting ??= this.#halt();
    return this.#halting;
  }

  async #halt(): Promise<void> {
    if (this.#halted) return;
    // Unmount and detach first, so no image is left with a dirty journal.
    let failure: unknown;
    for (const fn of [...this.#onHalt].reverse()) {
      try {
        await fn();
      } catch (e) {
        failure ??= e;
      }
    }
    this.#onHalt.clear();
    this.log(); // keep the messages so far, whatever halt does to the ring
    this.#halted = true;
    globalThis.removeEventListener("unload", this.#atExit);
    const rc = await this.#lib.symbols.lkl_halt_async();
    if (rc < 0 && rc !== -ERRNO.ENODEV) throw new LklError(-rc, "lkl_halt");
    if (failure) throw failure;
  }

  /**
   * Runs `fn` at the start of {@link halt}, while the kernel still runs
   * (the last registered runs first). Returns a function that cancels it.
   */
  onHalt(fn: () => Promise<void>): () => void {
    this.#onHalt.add(fn);
    return () => this.#onHalt.delete(fn);
  }

  /**
   * Attaches the disk image at `path` (see {@link Disk}).
   *
   * ```ts
   * import { Kernel } from "../mod.ts";
   * await using kernel = await Kernel.boot();
   * await using disk = await kernel.attachDisk("disk.img", { readOnly: true });
   * await using mount = await disk.mount();
   * console.log(await mount.readTextFile("etc/hostname"));
   * ```
   */
  attachDisk(path: string, options: AttachOptions = {}): Promise<Disk> {
    return Disk.attach(this, path, options);
  }

  /**
   * Attaches the host TAP `tap` as a kernel interface (see {@link Network.addTap}).
   *
   * ```ts
   * import { Kernel } from "../mod.ts";
   * await using kernel = await Kernel.boot();
   * const eth0 = await kernel.addTap("tap0", { offload: true });
   * await eth0.up();
   * await eth0.addAddress("fd00::2/64");
   * ```
   */
  addTap(tap: string, options: TapOptions = {}): Promise<Interface> {
    return this.net.addTap(tap, options);
  }

  /** Adds a route, e.g. `{ to: "default", via: "10.0.0.1" }` (see {@link Network.addRoute}). */
  addRoute(route: Route): void {
    this.net.addRoute(route);
  }

  /**
   * Opens a TCP connection through the kernel's stack, like Deno.connect.
   *
   * ```ts
   * import { Kernel } from "../mod.ts";
   * await using kernel = await Kernel.boot();
   * using conn = await kernel.connect({ hostname: "fd00::1", port: 80 });
   * await conn.write(new TextEncoder().encode("GET / HTTP/1.0\r\n\r\n"));
   * ```
   */
  connect(options: ConnectOptions): Promise<TcpConn> {
    return this.net.connect(options);
  }

  /**
   * Listens for TCP connections in the kernel, like Deno.listen.
   *
   * ```ts
   * import { Kernel } from "../mod.ts";
   * await using kernel = await Kernel.boot();
   * using listener = kernel.listen({ port: 8080 });
   * for await (const conn of listener) conn.close();
   * ```
   */
  listen(options: ListenOptions): TcpListener {
    return this.net.listen(options);
  }

  /** Halts the kernel at the end of an `await using` block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.halt();
  }
}
