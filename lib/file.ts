// deno-lint-ignore-file require-await -- the API is async like Deno's; most calls are synchronous underneath, and async turns their throws into rejections
/**
 * An open file of a mount (or of the host, inside a copy), shaped like
 * Deno.FsFile: read, write, seek, truncate, stat, close.
 *
 * @module
 */

import { AT, SEEK, STATX } from "../ffi/constants.ts";
import { ERRNO } from "../ffi/errno.ts";
import { decodeStatx, STATX_SIZE } from "../ffi/structs.ts";
import { LklError } from "./errors.ts";
import { type FileInfo, fileInfo } from "./file_info.ts";
import type { System } from "./system.ts";

const EMPTY = new Uint8Array(1); // "" as a C string, for AT_EMPTY_PATH

/** Reads and writes of at least this many bytes run off the JS thread. */
export const ASYNC_IO_BYTES = 64 * 1024;

/** One extent of file data, in bytes: [start, end). */
export interface DataRange {
  /** First byte. */
  start: number;
  /** Past the last byte. */
  end: number;
}

/**
 * An open file. Reads and writes move a position, like Deno.FsFile;
 * `pread` and `pwrite` take explicit offsets. Close it, or let `using`
 * close it.
 *
 * ```ts
 * import { Kernel } from "../mod.ts";
 * await using kernel = await Kernel.boot();
 * await using disk = await kernel.attachDisk("disk.img");
 * await using mount = await disk.mount();
 * using file = await mount.open("log.txt", { write: true, create: true, append: true });
 * await file.write(new TextEncoder().encode("one more line\n"));
 * ```
 */
export class FileHandle {
  readonly #sys: System;
  #fd: number;
  #position = 0;
  readonly #append: boolean;
  readonly #onClose?: (file: FileHandle) => void;
  // read, write and seek run one after the other, in call order: calls made
  // without awaiting each other then move the position as Deno.FsFile does.
  #queue: Promise<unknown> = Promise.resolve();
  /** The path it was opened as, for error messages. */
  readonly path: string;

  /**
   * Wraps `fd` of `sys` (owned from now on: {@link close} closes it);
   * `onClose` is told when it is closed.
   */
  constructor(
    sys: System,
    fd: number,
    path: string,
    append = false,
    onClose?: (file: FileHandle) => void,
  ) {
    this.#sys = sys;
    this.#fd = fd;
    this.path = path;
    this.#append = append;
    this.#onClose = onClose;
  }

  /** Runs `op` after every positioned call made before it. */
  #inTurn<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(op, op);
    this.#queue = run.catch(() => {});
    return run;
  }

  #open(call: string): number {
    if (this.#fd < 0) {
      throw new LklError(ERRNO.EBADF, call, { path: this.path, detail: "file is closed" });
    }
    return this.#fd;
  }

  #check(result: number, call: string): number {
    if (result < 0) throw new LklError(-result, call, { path: this.path });
    return result;
  }

  /** Reads into `buf` at `offset`; returns the bytes read (0 at the end). */
  async pread(buf: Uint8Array, offset: number): Promise<number> {
    const fd = this.#open("pread64");
    const n = buf.byteLength >= ASYNC_IO_BYTES
      ? await this.#sys.preadAsync(fd, buf, offset)
      : this.#sys.pread(fd, buf, offset);
    return this.#check(n, "pread64");
  }

  /** Writes all of `data` at `offset`, looping over short writes. */
  async pwrite(data: Uint8Array, offset: number): Promise<void> {
    const fd = this.#open("pwrite64");
    for (let done = 0; done < data.byteLength;) {
      const part = done === 0 ? data : data.subarray(done);
      const n = this.#check(
        part.byteLength >= ASYNC_IO_BYTES
          ? await this.#sys.pwriteAsync(fd, part, offset + done)
          : this.#sys.pwrite(fd, part, offset + done),
        "pwrite64",
      );
      if (n === 0) {
        throw new LklError(ERRNO.EIO, "pwrite64", { path: this.path, detail: "wrote 0 bytes" });
      }
      done += n;
    }
  }

  /** Reads into `p` from the position; the byte count, or null at the end (like Deno.FsFile). */
  read(p: Uint8Array): Promise<number | null> {
    return this.#inTurn(async () => {
      if (p.byteLength === 0) return 0;
      const n = await this.pread(p, this.#position);
      if (n === 0) return null;
      this.#position += n;
      return n;
    });
  }

  /** Writes `p` at the position (at the end when opened to append); returns its length. */
  write(p: Uint8Array): Promise<number> {
    return this.#inTurn(async () => {
      if (this.#append) {
        this.#position = this.#check(this.#sys.lseek(this.#open("lseek"), 0, SEEK.END), "lseek");
      }
      await this.pwrite(p, this.#position);
      this.#position += p.byteLength;
      return p.byteLength;
    });
  }

  /** Moves the position (whence: SEEK.SET, CUR, END, DATA or HOLE); returns the new one. */
  seek(offset: number, whence: number = SEEK.SET): Promise<number> {
    return this.#inTurn(() => {
      const base = whence === SEEK.CUR ? this.#position : 0;
      const sysWhence = whence === SEEK.CUR ? SEEK.SET : whence;
      const pos = this.#check(
        this.#sys.lseek(this.#open("lseek"), base + offset, sysWhence),
        "lseek",
      );
      this.#position = pos;
      return Promise.resolve(pos);
    });
  }

  /** Sets the size to `len` bytes (default 0). */
  async truncate(len = 0): Promise<void> {
    this.#check(this.#sys.ftruncate(this.#open("ftruncate"), len), "ftruncate");
    return Promise.resolve();
  }

  /** statx of the open file. */
  async stat(): Promise<FileInfo> {
    return Promise.resolve(this.statSync());
  }

  /** statx of the open file, synchronously. */
  statSync(): FileInfo {
    const buf = new Uint8Array(STATX_SIZE);
    const mask = STATX.BASIC_STATS | STATX.BTIME;
    this.#check(this.#sys.statx(this.#open("statx"), EMPTY, AT.EMPTY_PATH, mask, buf), "statx");
    return fileInfo(decodeStatx(buf));
  }

  /** Flushes the file to its device (fsync). */
  async sync(): Promise<void> {
    this.#check(this.#sys.fsync(this.#open("fsync")), "fsync");
    return Promise.resolve();
  }

  /**
   * The extents holding data, from SEEK_DATA and SEEK_HOLE, up to `size`;
   * the rest are holes. A file system without hole support reports all of
   * it as data.
   */
  dataRanges(size: number): DataRange[] {
    const fd = this.#open("lseek");
    const out: DataRange[] = [];
    for (let pos = 0; pos < size;) {
      const start = this.#sys.lseek(fd, pos, SEEK.DATA);
      if (start === -ERRNO.ENXIO) break; // only a hole remains
      if (start === -ERRNO.EINVAL) return [{ start: pos, end: size }]; // no SEEK_DATA here
      this.#check(start, "lseek");
      if (start >= size) break;
      const end = Math.min(this.#check(this.#sys.lseek(fd, start, SEEK.HOLE), "lseek"), size);
      out.push({ start, end });
      pos = end;
    }
    return out;
  }

  /** The raw fd, for calls this class lacks; it stays owned by the handle. */
  get unsafeFd(): number {
    return this.#open("fd");
  }

  /**
   * Closes the file; closing twice does nothing, nor does closing after
   * the kernel halted (halt closed it).
   */
  close(): void {
    if (this.#fd < 0) return;
    const fd = this.#fd;
    this.#fd = -1;
    this.#onClose?.(this);
    const rc = this.#sys.close(fd);
    // The kernel reports a write-back failure at close (EIO, ENOSPC...).
    if (rc < 0 && rc !== -ERRNO.ENODEV) throw new LklError(-rc, "close", { path: this.path });
  }

  /** Closes the file at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Closes the file at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}
