/**
 * File system calls of the kernel, typed: paths are strings, results are
 * numbers or decoded structures, failures are {@link LklError}s that name
 * the call and the path.
 *
 * @module
 */

import { AT_FDCWD, O, STATX } from "../ffi/constants.ts";
import { cString } from "../ffi/cstring.ts";
import { ERRNO } from "../ffi/errno.ts";
import {
  decodeDirents,
  decodeStatx,
  type Dirent64,
  type Statx,
  STATX_SIZE,
} from "../ffi/structs.ts";
import { SYS } from "../ffi/syscalls.ts";
import { check, LklError } from "./errors.ts";
import type { Kernel } from "./kernel.ts";

/** Options of {@link Fs.statx}. */
export interface StatxOptions {
  /** Directory that a relative path starts from (default AT_FDCWD). */
  dirfd?: number;
  /** AT_* flags, e.g. AT.SYMLINK_NOFOLLOW. */
  flags?: number;
  /** STATX_* bits wanted (default STATX.BASIC_STATS). */
  mask?: number;
}

const CHUNK = 1 << 20;

/**
 * The kernel's file system calls; get it as `kernel.fs`.
 *
 * ```ts
 * import { Kernel } from "../mod.ts";
 * await using kernel = await Kernel.boot();
 * kernel.fs.mkdir("/data");
 * kernel.fs.writeFile("/data/hello", new TextEncoder().encode("hi"));
 * kernel.fs.statx("/data/hello").size; // 2
 * ```
 */
export class Fs {
  readonly #kernel: Kernel;

  /** Binds the calls to `kernel` (use `kernel.fs`). */
  constructor(kernel: Kernel) {
    this.#kernel = kernel;
  }

  /** openat(2): opens `path` relative to `dirfd` and returns the new fd. */
  openat(dirfd: number, path: string, flags: number, mode = 0o666): number {
    const result = this.#kernel.syscallResult(SYS.openat, dirfd, cString(path), flags, mode);
    return check(result, "openat", path);
  }

  /** Opens `path` (relative to the current directory) and returns the new fd. */
  open(path: string, flags: number = O.RDONLY, mode = 0o666): number {
    return this.openat(AT_FDCWD, path, flags, mode);
  }

  /** close(2). */
  close(fd: number): void {
    check(this.#kernel.syscallResult(SYS.close, fd), "close");
  }

  /** read(2) into `buf`; returns the byte count (0 at end of file). */
  read(fd: number, buf: Uint8Array): number {
    return check(this.#kernel.syscallResult(SYS.read, fd, buf, buf.byteLength), "read");
  }

  /** read(2) on a pool thread, for reads that may block (pipes, sockets). */
  async readAsync(fd: number, buf: Uint8Array): Promise<number> {
    return check(await this.#kernel.syscallResultAsync(SYS.read, fd, buf, buf.byteLength), "read");
  }

  /** write(2) of `data`; returns the byte count written (possibly short). */
  write(fd: number, data: Uint8Array): number {
    return check(this.#kernel.syscallResult(SYS.write, fd, data, data.byteLength), "write");
  }

  /** write(2) on a pool thread, for writes that may block. */
  async writeAsync(fd: number, data: Uint8Array): Promise<number> {
    return check(
      await this.#kernel.syscallResultAsync(SYS.write, fd, data, data.byteLength),
      "write",
    );
  }

  /** Writes all of `data`, looping over short writes. */
  writeAll(fd: number, data: Uint8Array): void {
    for (let done = 0; done < data.byteLength;) {
      const n = this.write(fd, data.subarray(done, done + CHUNK));
      if (n === 0) throw new LklError(ERRNO.EIO, "write", { detail: "wrote 0 bytes" });
      done += n;
    }
  }

  /** mkdirat(2) relative to `dirfd`. */
  mkdirat(dirfd: number, path: string, mode = 0o777): void {
    check(this.#kernel.syscallResult(SYS.mkdirat, dirfd, cString(path), mode), "mkdirat", path);
  }

  /** Makes the directory `path`; with `existOk`, an existing directory is fine. */
  mkdir(path: string, mode = 0o777, existOk = false): void {
    const result = this.#kernel.syscallResult(SYS.mkdirat, AT_FDCWD, cString(path), mode);
    if (existOk && result === -ERRNO.EEXIST) return;
    check(result, "mkdirat", path);
  }

  /** statx(2) of `path`. */
  statx(path: string, options: StatxOptions = {}): Statx {
    const buf = new Uint8Array(STATX_SIZE);
    const result = this.#kernel.syscallResult(
      SYS.statx,
      options.dirfd ?? AT_FDCWD,
      cString(path),
      options.flags ?? 0,
      options.mask ?? STATX.BASIC_STATS,
      buf,
    );
    check(result, "statx", path);
    return decodeStatx(buf);
  }

  /** The whole content of the file at `path`. */
  readFile(path: string): Uint8Array {
    const fd = this.open(path, O.RDONLY);
    try {
      const chunks: Uint8Array[] = [];
      let total = 0;
      for (;;) {
        const buf = new Uint8Array(CHUNK);
        const n = this.read(fd, buf);
        if (n === 0) break;
        chunks.push(buf.subarray(0, n));
        total += n;
      }
      const out = new Uint8Array(total);
      let pos = 0;
      for (const c of chunks) {
        out.set(c, pos);
        pos += c.length;
      }
      return out;
    } finally {
      this.close(fd);
    }
  }

  /** The file at `path` decoded as UTF-8. */
  readTextFile(path: string): string {
    return new TextDecoder().decode(this.readFile(path));
  }

  /** Creates or truncates the file at `path` and writes `data` to it. */
  writeFile(path: string, data: Uint8Array, mode = 0o666): void {
    const fd = this.open(path, O.WRONLY | O.CREAT | O.TRUNC, mode);
    try {
      this.writeAll(fd, data);
    } finally {
      this.close(fd);
    }
  }

  /** The entries of the directory at `path` (getdents64(2)), "." and ".." included. */
  readdir(path: string): Dirent64[] {
    const fd = this.open(path, O.RDONLY | O.DIRECTORY);
    try {
      const buf = new Uint8Array(32 * 1024);
      const out: Dirent64[] = [];
      for (;;) {
        const n = check(
          this.#kernel.syscallResult(SYS.getdents64, fd, buf, buf.byteLength),
          "getdents64",
          path,
        );
        if (n === 0) return out;
        out.push(...decodeDirents(buf, n));
      }
    } finally {
      this.close(fd);
    }
  }

  /** mount(2): mounts `source` of type `fstype` on `target`. */
  mount(source: string, target: string, fstype: string, flags = 0, data?: string): void {
    const result = this.#kernel.syscallResult(
      SYS.mount,
      cString(source),
      cString(target),
      cString(fstype),
      flags,
      data === undefined ? null : cString(data),
    );
    check(result, "mount", target);
  }
}
