/**
 * One Linux system's file calls, raw: the lkl kernel's, or the host's.
 *
 * Both speak the same ABI (the generic one of the lkl kernel is that of
 * x86-64 for every call here), so the file API of lib/tree.ts and the
 * copy of lib/copy.ts are written once, on fds and single path components,
 * and work on either side. Every call returns `>= 0` or `-errno`; paths
 * are NUL-terminated byte strings (see ffi/cstring.ts).
 *
 * @module
 */

import { ERRNO } from "../ffi/errno.ts";
import { openLibrary } from "../ffi/library.ts";
import { LKL_STATE, type LklSymbols } from "../ffi/symbols.ts";
import { SYS, syscallName } from "../ffi/syscalls.ts";
import { LklError } from "./errors.ts";
import type { Kernel } from "./kernel.ts";

/** A NUL-terminated path (ffi/cstring.ts cString) or NULL. */
export type CPath = Uint8Array | null;

/** The file calls of one Linux system. Results are `>= 0` or `-errno`. */
export interface System {
  /** "lkl" for the kernel in this process, "host" for the host's. */
  readonly name: "lkl" | "host";
  /** openat(2). */
  openat(dirfd: number, path: CPath, flags: number, mode: number): number;
  /** openat2(2) with a 24-byte struct open_how. */
  openat2(dirfd: number, path: CPath, how: Uint8Array): number;
  /** close(2). */
  close(fd: number): number;
  /** pread(2). */
  pread(fd: number, buf: Uint8Array, offset: number): number;
  /** pwrite(2). */
  pwrite(fd: number, buf: Uint8Array, offset: number): number;
  /** pread(2) off the JS thread when the system can (the kernel can; the host reads its page cache). */
  preadAsync(fd: number, buf: Uint8Array, offset: number): Promise<number>;
  /** pwrite(2) off the JS thread when the system can. */
  pwriteAsync(fd: number, buf: Uint8Array, offset: number): Promise<number>;
  /** lseek(2). */
  lseek(fd: number, offset: number, whence: number): number;
  /** ftruncate(2). */
  ftruncate(fd: number, length: number): number;
  /** fsync(2). */
  fsync(fd: number): number;
  /** posix_fadvise(2), e.g. POSIX_FADV_DONTNEED (4) once read. */
  fadvise(fd: number, offset: number, length: number, advice: number): number;
  /** sync_file_range(2). */
  syncFileRange(fd: number, offset: number, length: number, flags: number): number;
  /** statx(2). */
  statx(dirfd: number, path: CPath, flags: number, mask: number, buf: Uint8Array): number;
  /** getdents64(2). */
  getdents64(fd: number, buf: Uint8Array): number;
  /** mkdirat(2). */
  mkdirat(dirfd: number, path: CPath, mode: number): number;
  /** mknodat(2). */
  mknodat(dirfd: number, path: CPath, mode: number, dev: number): number;
  /** symlinkat(2). */
  symlinkat(target: CPath, dirfd: number, path: CPath): number;
  /** readlinkat(2). */
  readlinkat(dirfd: number, path: CPath, buf: Uint8Array): number;
  /** linkat(2). */
  linkat(olddirfd: number, oldpath: CPath, newdirfd: number, newpath: CPath, flags: number): number;
  /** unlinkat(2). */
  unlinkat(dirfd: number, path: CPath, flags: number): number;
  /** renameat2(2). */
  renameat2(
    olddirfd: number,
    oldpath: CPath,
    newdirfd: number,
    newpath: CPath,
    flags: number,
  ): number;
  /** fchmod(2). */
  fchmod(fd: number, mode: number): number;
  /** fchmodat(2). */
  fchmodat(dirfd: number, path: CPath, mode: number): number;
  /** fchown(2). */
  fchown(fd: number, uid: number, gid: number): number;
  /** fchownat(2). */
  fchownat(dirfd: number, path: CPath, uid: number, gid: number, flags: number): number;
  /** utimensat(2); `times` holds two struct timespec (atime, mtime). */
  utimensat(dirfd: number, path: CPath, times: Uint8Array, flags: number): number;
  /** futimens(3): utimensat(2) of the open file `fd` itself. */
  futimens(fd: number, times: Uint8Array): number;
  /** fstatfs(2). */
  fstatfs(fd: number, buf: Uint8Array): number;
  /** lgetxattr(2). */
  lgetxattr(path: CPath, name: CPath, buf: Uint8Array | null): number;
  /** llistxattr(2). */
  llistxattr(path: CPath, buf: Uint8Array | null): number;
  /** lsetxattr(2). */
  lsetxattr(path: CPath, name: CPath, value: Uint8Array, flags: number): number;
  /** lremovexattr(2). */
  lremovexattr(path: CPath, name: CPath): number;
}

// Small integers (syscall numbers, fds, modes, lengths) as bigints made
// once: the FFI takes 64-bit arguments as bigints, and making one
// allocates.
const SMALL = Array.from({ length: 4096 }, (_, i) => BigInt(i));

function B(n: number): bigint {
  return n >= 0 && n < 4096 && (n | 0) === n ? SMALL[n] : BigInt(n);
}

/** The raw lkl_syscall entry points {@link lklSystem} calls (see ffi/symbols.ts). */
export type LklSyscalls = Pick<
  LklSymbols,
  | "lkl_syscall"
  | "lkl_syscall_b2"
  | "lkl_syscall_b2b3"
  | "lkl_syscall_b2b4"
  | "lkl_syscall_b2b5"
  | "lkl_syscall_b1b3"
>;

/**
 * The calls of the lkl kernel through the library's functions `lib`, on
 * the calling thread (any thread: each gets a kernel task of its own, and
 * they share one fd table). A result of -ENODEV (the kernel is not
 * running) goes through `noDevice`, which may throw a better error.
 * Buffers go to the "buffer"-typed aliases of lkl_syscall, integers as
 * bigints: no pointer objects on the hot paths of a copy.
 */
export function lklSystem(
  lib: LklSyscalls,
  noDevice: (nr: number) => number = () => -ERRNO.ENODEV,
  async?: Pick<System, "preadAsync" | "pwriteAsync">,
): System {
  const done = (nr: number, r: bigint): number => {
    const n = Number(r);
    return n === -ERRNO.ENODEV ? noDevice(nr) : n;
  };
  const s0 = (nr: number, a1 = 0, a2 = 0, a3 = 0) =>
    done(nr, lib.lkl_syscall(B(nr), B(a1), B(a2), B(a3), 0n, 0n, 0n));
  // The buffers stay referenced by the caller's arguments during the call.
  const addr = (b: Uint8Array | null): bigint =>
    b === null ? 0n : BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(b)));
  const s6 = (nr: number, a1: bigint, a2: bigint, a3 = 0n, a4 = 0n, a5 = 0n) =>
    done(nr, lib.lkl_syscall(B(nr), a1, a2, a3, a4, a5, 0n));
  const b2 = (nr: number, a1: number, a2: Uint8Array | null, a3 = 0, a4 = 0, a5 = 0) =>
    done(nr, lib.lkl_syscall_b2(B(nr), B(a1), a2, B(a3), B(a4), B(a5), 0n));
  const sync: Omit<System, "preadAsync" | "pwriteAsync"> = {
    name: "lkl",
    openat: (dirfd, path, flags, mode) => b2(SYS.openat, dirfd, path, flags, mode),
    openat2: (dirfd, path, how) =>
      done(
        SYS.openat2,
        lib.lkl_syscall_b2b3(B(SYS.openat2), B(dirfd), path, how, B(how.byteLength), 0n, 0n),
      ),
    close: (fd) => s0(SYS.close, fd),
    pread: (fd, buf, offset) => b2(SYS.pread64, fd, buf, buf.byteLength, offset),
    pwrite: (fd, buf, offset) => b2(SYS.pwrite64, fd, buf, buf.byteLength, offset),
    lseek: (fd, offset, whence) => s0(SYS.lseek, fd, offset, whence),
    ftruncate: (fd, length) => s0(SYS.ftruncate, fd, length),
    fsync: (fd) => s0(SYS.fsync, fd),
    syncFileRange: (fd, offset, length, flags) =>
      done(
        SYS.sync_file_range,
        lib.lkl_syscall(B(SYS.sync_file_range), B(fd), B(offset), B(length), B(flags), 0n, 0n),
      ),
    fadvise: (fd, offset, length, advice) =>
      done(
        SYS.fadvise64,
        lib.lkl_syscall(B(SYS.fadvise64), B(fd), B(offset), B(length), B(advice), 0n, 0n),
      ),
    statx: (dirfd, path, flags, mask, buf) =>
      done(
        SYS.statx,
        lib.lkl_syscall_b2b5(B(SYS.statx), B(dirfd), path, B(flags), B(mask), buf, 0n),
      ),
    getdents64: (fd, buf) => b2(SYS.getdents64, fd, buf, buf.byteLength),
    mkdirat: (dirfd, path, mode) => b2(SYS.mkdirat, dirfd, path, mode),
    mknodat: (dirfd, path, mode, dev) => b2(SYS.mknodat, dirfd, path, mode, dev),
    symlinkat: (target, dirfd, path) =>
      done(
        SYS.symlinkat,
        lib.lkl_syscall_b1b3(B(SYS.symlinkat), target, B(dirfd), path, 0n, 0n, 0n),
      ),
    readlinkat: (dirfd, path, buf) =>
      done(
        SYS.readlinkat,
        lib.lkl_syscall_b2b3(B(SYS.readlinkat), B(dirfd), path, buf, B(buf.byteLength), 0n, 0n),
      ),
    linkat: (olddirfd, oldpath, newdirfd, newpath, flags) =>
      done(
        SYS.linkat,
        lib.lkl_syscall_b2b4(
          B(SYS.linkat),
          B(olddirfd),
          oldpath,
          B(newdirfd),
          newpath,
          B(flags),
          0n,
        ),
      ),
    unlinkat: (dirfd, path, flags) => b2(SYS.unlinkat, dirfd, path, flags),
    renameat2: (olddirfd, oldpath, newdirfd, newpath, flags) =>
      done(
        SYS.renameat2,
        lib.lkl_syscall_b2b4(
          B(SYS.renameat2),
          B(olddirfd),
          oldpath,
          B(newdirfd),
          newpath,
          B(flags),
          0n,
        ),
      ),
    fchmod: (fd, mode) => s0(SYS.fchmod, fd, mode),
    fchmodat: (dirfd, path, mode) => b2(SYS.fchmodat, dirfd, path, mode),
    fchown: (fd, uid, gid) => s0(SYS.fchown, fd, uid, gid),
    fchownat: (dirfd, path, uid, gid, flags) => b2(SYS.fchownat, dirfd, path, uid, gid, flags),
    utimensat: (dirfd, path, times, flags) =>
      done(
        SYS.utimensat,
        lib.lkl_syscall_b2b3(B(SYS.utimensat), B(dirfd), path, times, B(flags), 0n, 0n),
      ),
    // A NULL path: the fd itself (what glibc's futimens does).
    futimens: (fd, times) =>
      done(
        SYS.utimensat,
        lib.lkl_syscall_b2b3(B(SYS.utimensat), B(fd), null, times, 0n, 0n, 0n),
      ),
    fstatfs: (fd, buf) => b2(SYS.fstatfs, fd, buf),
    // Rare calls with three buffers: addresses as integers.
    lgetxattr: (path, name, buf) =>
      s6(SYS.lgetxattr, addr(path), addr(name), addr(buf), B(buf?.byteLength ?? 0)),
    llistxattr: (path, buf) => s6(SYS.llistxattr, addr(path), addr(buf), B(buf?.byteLength ?? 0)),
    lsetxattr: (path, name, value, flags) =>
      s6(SYS.lsetxattr, addr(path), addr(name), addr(value), B(value.byteLength), B(flags)),
    lremovexattr: (path, name) => s6(SYS.lremovexattr, addr(path), addr(name)),
  };
  return {
    ...sync,
    preadAsync: async?.preadAsync ??
      ((fd, buf, offset) => Promise.resolve(sync.pread(fd, buf, offset))),
    pwriteAsync: async?.pwriteAsync ??
      ((fd, buf, offset) => Promise.resolve(sync.pwrite(fd, buf, offset))),
  };
}

/** The calls of the lkl kernel booted in this process, on the calling thread. */
export function kernelSystem(kernel: Kernel): System {
  const lib = openLibrary().symbols;
  return lklSystem(
    lib,
    // Like every call of the kernel: an error once it is halted or stopped.
    (nr) => {
      if (kernel.halted || lib.lkl_state() !== LKL_STATE.RUNNING) {
        throw new LklError(ERRNO.ENODEV, syscallName(nr) ?? `syscall ${nr}`, {
          detail: "kernel is halted",
        });
      }
      return -ERRNO.ENODEV;
    },
    {
      preadAsync: (fd, buf, offset) =>
        kernel.syscallResultAsync(SYS.pread64, fd, buf, buf.byteLength, offset),
      pwriteAsync: (fd, buf, offset) =>
        kernel.syscallResultAsync(SYS.pwrite64, fd, buf, buf.byteLength, offset),
    },
  );
}
