/**
 * What stat and lstat return: Deno.FileInfo's fields, plus what Deno's
 * lacks and a copy needs (times to the nanosecond, device numbers).
 *
 * @module
 */

import { S } from "../ffi/constants.ts";
import type { Statx, Timespec } from "../ffi/structs.ts";

/** A time as nanoseconds since the epoch. */
export function nanoseconds(ts: Timespec): bigint {
  return BigInt(ts.sec) * 1_000_000_000n + BigInt(ts.nsec);
}

/** The timespec of `ns` nanoseconds since the epoch. */
export function timespecFromNs(ns: bigint): Timespec {
  let sec = ns / 1_000_000_000n;
  let nsec = ns % 1_000_000_000n;
  if (nsec < 0n) {
    nsec += 1_000_000_000n;
    sec -= 1n;
  }
  return { sec: Number(sec), nsec: Number(nsec) };
}

/** A device number as the kernel encodes it (new_encode_dev; also glibc's makedev below 2^32). */
export function makedev(major: number, minor: number): number {
  return ((minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12)) >>> 0;
}

/**
 * Information about a file, shaped like Deno.FileInfo. Times are given
 * both as Dates (milliseconds, like Deno) and as bigint nanoseconds since
 * the epoch (exact).
 *
 * ```ts
 * import { Kernel } from "../mod.ts";
 * await using kernel = await Kernel.boot();
 * await using disk = await kernel.attachDisk("disk.img");
 * await using mount = await disk.mount();
 * const info = await mount.stat("etc/hostname");
 * console.log(info.size, info.mode.toString(8), info.mtimeNs);
 * ```
 */
export interface FileInfo {
  /** A regular file. */
  isFile: boolean;
  /** A directory. */
  isDirectory: boolean;
  /** A symbolic link (only lstat can say so). */
  isSymlink: boolean;
  /** A block device. */
  isBlockDevice: boolean;
  /** A character device. */
  isCharDevice: boolean;
  /** A FIFO (named pipe). */
  isFifo: boolean;
  /** A Unix socket. */
  isSocket: boolean;
  /** Size in bytes. */
  size: number;
  /** Last modification. */
  mtime: Date;
  /** Last access. */
  atime: Date;
  /** Creation, when the file system records it. */
  birthtime: Date | null;
  /** Last status change. */
  ctime: Date;
  /** Last modification, nanoseconds since the epoch. */
  mtimeNs: bigint;
  /** Last access, nanoseconds since the epoch. */
  atimeNs: bigint;
  /** Last status change, nanoseconds since the epoch. */
  ctimeNs: bigint;
  /** Creation, nanoseconds since the epoch, or null. */
  birthtimeNs: bigint | null;
  /** Device holding the file (kernel encoding). */
  dev: number;
  /** Inode number. */
  ino: number;
  /** File type and permission bits (S_IF* | 0o7777). */
  mode: number;
  /** Number of hard links. */
  nlink: number;
  /** Owner user id. */
  uid: number;
  /** Owner group id. */
  gid: number;
  /** Device number of a device file (kernel encoding). */
  rdev: number;
  /** Device number of a device file: major. */
  rdevMajor: number;
  /** Device number of a device file: minor. */
  rdevMinor: number;
  /** Preferred I/O block size. */
  blksize: number;
  /** Allocated 512-byte blocks. */
  blocks: number;
}

function date(ts: Timespec): Date {
  return new Date(ts.sec * 1000 + Math.floor(ts.nsec / 1e6));
}

/** The {@link FileInfo} of a decoded statx. */
export function fileInfo(st: Statx): FileInfo {
  const type = st.mode & S.IFMT;
  const hasBirth = (st.mask & 0x800) !== 0; // STATX_BTIME
  return {
    isFile: type === S.IFREG,
    isDirectory: type === S.IFDIR,
    isSymlink: type === S.IFLNK,
    isBlockDevice: type === S.IFBLK,
    isCharDevice: type === S.IFCHR,
    isFifo: type === S.IFIFO,
    isSocket: type === S.IFSOCK,
    size: st.size,
    mtime: date(st.mtime),
    atime: date(st.atime),
    birthtime: hasBirth ? date(st.btime) : null,
    ctime: date(st.ctime),
    mtimeNs: nanoseconds(st.mtime),
    atimeNs: nanoseconds(st.atime),
    ctimeNs: nanoseconds(st.ctime),
    birthtimeNs: hasBirth ? nanoseconds(st.btime) : null,
    dev: makedev(st.devMajor, st.devMinor),
    ino: Number(st.ino),
    mode: st.mode,
    nlink: st.nlink,
    uid: st.uid,
    gid: st.gid,
    rdev: makedev(st.rdevMajor, st.rdevMinor),
    rdevMajor: st.rdevMajor,
    rdevMinor: st.rdevMinor,
    blksize: st.blksize,
    blocks: st.blocks,
  };
}
