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

import { SYS } from "../ffi/syscalls.ts";
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
  /** fchownat(2). */
  fchownat(dirfd: number, path: CPath, uid: number, gid: number, flags: number): number;
  /** utimensat(2); `times` holds two struct timespec (atime, mtime). */
  utimensat(dirfd: number, path: CPath, times: Uint8Array, flags: number): number;
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

/** The calls of the lkl kernel booted in this process. */
export function kernelSystem(kernel: Kernel): System {
  const k = kernel;
  return {
    name: "lkl",
    openat: (dirfd, path, flags, mode) => k.syscallResult(SYS.openat, dirfd, path, flags, mode),
    openat2: (dirfd, path, how) => k.syscallResult(SYS.openat2, dirfd, path, how, how.byteLength),
    close: (fd) => k.syscallResult(SYS.close, fd),
    pread: (fd, buf, offset) => k.syscallResult(SYS.pread64, fd, buf, buf.byteLength, offset),
    pwrite: (fd, buf, offset) => k.syscallResult(SYS.pwrite64, fd, buf, buf.byteLength, offset),
    preadAsync: (fd, buf, offset) =>
      k.syscallResultAsync(SYS.pread64, fd, buf, buf.byteLength, offset),
    pwriteAsync: (fd, buf, offset) =>
      k.syscallResultAsync(SYS.pwrite64, fd, buf, buf.byteLength, offset),
    lseek: (fd, offset, whence) => k.syscallResult(SYS.lseek, fd, offset, whence),
    ftruncate: (fd, length) => k.syscallResult(SYS.ftruncate, fd, length),
    fsync: (fd) => k.syscallResult(SYS.fsync, fd),
    statx: (dirfd, path, flags, mask, buf) =>
      k.syscallResult(SYS.statx, dirfd, path, flags, mask, buf),
    getdents64: (fd, buf) => k.syscallResult(SYS.getdents64, fd, buf, buf.byteLength),
    mkdirat: (dirfd, path, mode) => k.syscallResult(SYS.mkdirat, dirfd, path, mode),
    mknodat: (dirfd, path, mode, dev) => k.syscallResult(SYS.mknodat, dirfd, path, mode, dev),
    symlinkat: (target, dirfd, path) => k.syscallResult(SYS.symlinkat, target, dirfd, path),
    readlinkat: (dirfd, path, buf) =>
      k.syscallResult(SYS.readlinkat, dirfd, path, buf, buf.byteLength),
    linkat: (olddirfd, oldpath, newdirfd, newpath, flags) =>
      k.syscallResult(SYS.linkat, olddirfd, oldpath, newdirfd, newpath, flags),
    unlinkat: (dirfd, path, flags) => k.syscallResult(SYS.unlinkat, dirfd, path, flags),
    renameat2: (olddirfd, oldpath, newdirfd, newpath, flags) =>
      k.syscallResult(SYS.renameat2, olddirfd, oldpath, newdirfd, newpath, flags),
    fchmod: (fd, mode) => k.syscallResult(SYS.fchmod, fd, mode),
    fchmodat: (dirfd, path, mode) => k.syscallResult(SYS.fchmodat, dirfd, path, mode),
    fchownat: (dirfd, path, uid, gid, flags) =>
      k.syscallResult(SYS.fchownat, dirfd, path, uid, gid, flags),
    utimensat: (dirfd, path, times, flags) =>
      k.syscallResult(SYS.utimensat, dirfd, path, times, flags),
    fstatfs: (fd, buf) => k.syscallResult(SYS.fstatfs, fd, buf),
    lgetxattr: (path, name, buf) =>
      k.syscallResult(SYS.lgetxattr, path, name, buf, buf?.byteLength ?? 0),
    llistxattr: (path, buf) => k.syscallResult(SYS.llistxattr, path, buf, buf?.byteLength ?? 0),
    lsetxattr: (path, name, value, flags) =>
      k.syscallResult(SYS.lsetxattr, path, name, value, value.byteLength, flags),
    lremovexattr: (path, name) => k.syscallResult(SYS.lremovexattr, path, name),
  };
}
