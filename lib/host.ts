/**
 * The host's file calls, as a {@link System}: the side of a copy that is
 * not in an image. Thin wrappers over ffi/libc.ts that turn `-1` and errno
 * into `-errno`, the kernel's convention.
 *
 * @module
 */

import { errno, HOST_SYS_OPENAT2, libc } from "../ffi/libc.ts";
import type { System } from "./system.ts";

function result(n: number | bigint): number {
  const v = Number(n);
  return v < 0 ? -errno() : v;
}

let host: System | undefined;

/** The host's file calls (opens libc on first use). */
export function hostSystem(): System {
  if (host) return host;
  const c = libc();
  const ptr = (b: Uint8Array | null) =>
    b === null ? 0n : BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(b)));
  host = {
    name: "host",
    openat: (dirfd, path, flags, mode) => result(c.openat(dirfd, path, flags, mode)),
    openat2: (dirfd, path, how) =>
      result(
        c.syscall(
          BigInt(HOST_SYS_OPENAT2),
          BigInt(dirfd),
          ptr(path),
          ptr(how),
          BigInt(how.byteLength),
        ),
      ),
    close: (fd) => result(c.close(fd)),
    pread: (fd, buf, offset) => result(c.pread64(fd, buf, BigInt(buf.byteLength), BigInt(offset))),
    pwrite: (fd, buf, offset) =>
      result(c.pwrite64(fd, buf, BigInt(buf.byteLength), BigInt(offset))),
    // The host side is the page cache of the host: fast enough on the JS
    // thread, and errno is only readable there.
    preadAsync: (fd, buf, offset) =>
      Promise.resolve(result(c.pread64(fd, buf, BigInt(buf.byteLength), BigInt(offset)))),
    pwriteAsync: (fd, buf, offset) =>
      Promise.resolve(result(c.pwrite64(fd, buf, BigInt(buf.byteLength), BigInt(offset)))),
    lseek: (fd, offset, whence) => result(c.lseek64(fd, BigInt(offset), whence)),
    ftruncate: (fd, length) => result(c.ftruncate64(fd, BigInt(length))),
    fsync: (fd) => result(c.fsync(fd)),
    syncFileRange: (fd, offset, length, flags) =>
      result(c.sync_file_range(fd, BigInt(offset), BigInt(length), flags)),
    // It returns the errno itself.
    fadvise: (fd, offset, length, advice) =>
      -c.posix_fadvise(fd, BigInt(offset), BigInt(length), advice),
    statx: (dirfd, path, flags, mask, buf) => result(c.statx(dirfd, path, flags, mask, buf)),
    getdents64: (fd, buf) => result(c.getdents64(fd, buf, BigInt(buf.byteLength))),
    mkdirat: (dirfd, path, mode) => result(c.mkdirat(dirfd, path, mode)),
    mknodat: (dirfd, path, mode, dev) => result(c.mknodat(dirfd, path, mode, BigInt(dev))),
    symlinkat: (target, dirfd, path) => result(c.symlinkat(target, dirfd, path)),
    readlinkat: (dirfd, path, buf) =>
      result(c.readlinkat(dirfd, path, buf, BigInt(buf.byteLength))),
    linkat: (olddirfd, oldpath, newdirfd, newpath, flags) =>
      result(c.linkat(olddirfd, oldpath, newdirfd, newpath, flags)),
    unlinkat: (dirfd, path, flags) => result(c.unlinkat(dirfd, path, flags)),
    renameat2: (olddirfd, oldpath, newdirfd, newpath, flags) =>
      result(c.renameat2(olddirfd, oldpath, newdirfd, newpath, flags)),
    fchmod: (fd, mode) => result(c.fchmod(fd, mode)),
    fchmodat: (dirfd, path, mode) => result(c.fchmodat(dirfd, path, mode, 0)),
    fchown: (fd, uid, gid) => result(c.fchown(fd, uid, gid)),
    fchownat: (dirfd, path, uid, gid, flags) => result(c.fchownat(dirfd, path, uid, gid, flags)),
    utimensat: (dirfd, path, times, flags) => result(c.utimensat(dirfd, path, times, flags)),
    futimens: (fd, times) => result(c.futimens(fd, times)),
    fstatfs: (fd, buf) => result(c.fstatfs(fd, buf)),
    lgetxattr: (path, name, buf) =>
      result(c.lgetxattr(path, name, buf, BigInt(buf?.byteLength ?? 0))),
    llistxattr: (path, buf) => result(c.llistxattr(path, buf, BigInt(buf?.byteLength ?? 0))),
    lsetxattr: (path, name, value, flags) =>
      result(c.lsetxattr(path, name, value, BigInt(value.byteLength), flags)),
    lremovexattr: (path, name) => result(c.lremovexattr(path, name)),
  };
  return host;
}
