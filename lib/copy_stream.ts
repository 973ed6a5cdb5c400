/**
 * The source side of a copy (lib/copy.ts) as a stream of records: a
 * walker reads the source tree depth first (each entry's statx, link
 * target, xattrs and file data) and writes records into a ring buffer,
 * which the destination side reads in order and acts on.
 *
 * The walker runs on a thread of its own (lib/copy_worker.ts, a Worker
 * that makes the source system's calls itself) with the ring in a
 * SharedArrayBuffer: reading one side and writing the other then use two
 * CPUs, each thread making plain synchronous calls. Where no worker can
 * start, the same walker runs on the copying thread, a slice at a time,
 * whenever the ring runs empty.
 *
 * A record is 8-byte aligned and starts with its type and its length in
 * bytes (u32 each, little-endian). A directory is an ENTRY, its children,
 * then DIR_END; a regular file is an ENTRY holding its data, or an ENTRY,
 * DATA records and FILE_END; XATTR records come before the ENTRY they
 * belong to. A source error becomes an ERROR record, in its place, and
 * the walk goes on with the next entry: an entry that could not be read
 * is an ERROR instead of its ENTRY; a file whose data, or a directory
 * whose listing, failed after its ENTRY gets an ERROR flagged
 * {@link ERROR_IN_ENTRY} (ending the file's data; the directory's DIR_END
 * follows). An error that stops the walk is flagged {@link ERROR_STOPS}.
 * The stream ends with END.
 *
 * @module
 */

import { cString, decodeName } from "../ffi/cstring.ts";
import { AT, O, S, SEEK } from "../ffi/constants.ts";
import { ERRNO } from "../ffi/errno.ts";
import { STATX_SIZE } from "../ffi/structs.ts";
import { Directory, STATX_WANTED } from "./directory.ts";
import { LklError } from "./errors.ts";
import type { System } from "./system.ts";

/** Record types. */
export const REC = {
  ENTRY: 1,
  DATA: 2,
  FILE_END: 3,
  DIR_END: 4,
  XATTR: 5,
  ERROR: 6,
  END: 7,
  /** Fills the end of the ring; the next record is at its start. */
  PAD: 8,
} as const;

/** ENTRY: field offsets. */
export const ENTRY = {
  MODE: 8, // u32
  UID: 12, // u32
  GID: 16, // u32
  NLINK: 20, // u32
  SIZE: 24, // f64
  BLOCKS: 32, // f64
  DEV_MAJOR: 40, // u32
  DEV_MINOR: 44, // u32
  RDEV_MAJOR: 48, // u32
  RDEV_MINOR: 52, // u32
  INO: 56, // u64
  /** struct timespec[2] (atime, mtime), as utimensat takes them. */
  TIMES: 64,
  NAME_LEN: 96, // u32, bytes without the NUL
  TARGET_LEN: 100, // u32, symlink target bytes without the NUL
  DATA_LEN: 104, // u32, file data in this record
  FLAGS: 108, // u32, ENTRY_ALL_DATA
  /** The name and a NUL, the target and a NUL, then the data. */
  NAME: 112,
} as const;

/** ERROR: u32 flags at 8+4 (after the errno). */
export const ERROR_FLAGS = 12;
/** ERROR flag: the error is of the entry sent last (its data, its listing), not of a new one. */
export const ERROR_IN_ENTRY = 1;
/** ERROR flag: the walk stopped there; END follows. */
export const ERROR_STOPS = 2;

/** ENTRY flag: the record holds the file's data, all of it; no DATA or FILE_END follow. */
export const ENTRY_ALL_DATA = 1;

/** DATA: f64 file offset at 8, u32 length at 16, the bytes from 24. */
export const DATA_BYTES = 24;

/** FILE_END: f64 at 8: the size to truncate the file to (holes at its end), or -1. */
/** XATTR: u32 name length at 8, u32 value length at 12, then the name, a NUL and the value. */
export const XATTR_NAME = 16;

/** The ring's size in bytes (a power of two): the most data read ahead. */
export const RING_BYTES = 8 << 20;

/** Files up to this size travel in their ENTRY record. */
const INLINE_MAX = 256 << 10;
/** File data per DATA record. */
const CHUNK = RING_BYTES / 4;

const CONTROL_BYTES = 64;
// Control words (Int32): positions are byte counts modulo 2^32.
const HEAD = 0;
const TAIL = 1;
const CONSUMER_WAITS = 2;
const PRODUCER_WAITS = 3;
const ABORT = 4;

const encoder = new TextEncoder();

/** `n` rounded up to a multiple of 8. */
export function align8(n: number): number {
  return (n + 7) & ~7;
}

/** A single-producer single-consumer ring of records, shared between two threads or not. */
export class Ring {
  /** The memory: control words, then the ring. */
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  readonly #ctl: Int32Array;
  /** The ring's bytes. */
  readonly bytes: Uint8Array;
  /** The ring's bytes, for fields. */
  readonly view: DataView;
  /** The ring's size (a power of two). */
  readonly size: number;
  #head = 0; // producer's
  #tail = 0; // consumer's
  #tailSeen = 0;
  #headSeen = 0;

  /** A ring on `buffer` (made by {@link Ring.create}, maybe on another thread). */
  constructor(buffer: ArrayBuffer | SharedArrayBuffer) {
    this.buffer = buffer;
    this.size = buffer.byteLength - CONTROL_BYTES;
    if (this.size <= 0 || (this.size & (this.size - 1)) !== 0) {
      throw new RangeError(`a ring needs a power of two bytes, got ${this.size}`);
    }
    this.#ctl = new Int32Array(buffer, 0, CONTROL_BYTES / 4);
    this.bytes = new Uint8Array(buffer, CONTROL_BYTES, this.size);
    this.view = new DataView(buffer, CONTROL_BYTES, this.size);
    this.#head = this.#tail = Atomics.load(this.#ctl, HEAD);
  }

  /** A new ring of `size` bytes, in shared memory for two threads or not. */
  static create(size: number, shared: boolean): Ring {
    const bytes = CONTROL_BYTES + size;
    return new Ring(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  }

  /** Tells the producer to stop, and wakes both sides. */
  abort(): void {
    Atomics.store(this.#ctl, ABORT, 1);
    Atomics.notify(this.#ctl, HEAD);
    Atomics.notify(this.#ctl, TAIL);
  }

  /** Whether {@link abort} was called. */
  get aborted(): boolean {
    return Atomics.load(this.#ctl, ABORT) !== 0;
  }

  // Producer side.

  /**
   * Where a record of `n` bytes (a multiple of 8, at most half the ring)
   * can be written, or -1 when the ring has no room for it yet.
   */
  reserve(n: number): number {
    const tail = Atomics.load(this.#ctl, TAIL);
    const used = (this.#head - tail) >>> 0;
    const pos = this.#head & (this.size - 1);
    const pad = pos + n > this.size ? this.size - pos : 0;
    if (this.size - used < pad + n) {
      this.#tailSeen = tail;
      return -1;
    }
    if (pad === 0) return pos;
    this.view.setUint32(pos, REC.PAD, true);
    this.view.setUint32(pos + 4, pad, true);
    this.commit(pad);
    return 0;
  }

  /** Publishes the `n` bytes (a multiple of 8) written at the last {@link reserve}. */
  commit(n: number): void {
    this.#head = (this.#head + n) | 0;
    Atomics.store(this.#ctl, HEAD, this.#head);
    if (Atomics.load(this.#ctl, CONSUMER_WAITS) !== 0) Atomics.notify(this.#ctl, HEAD);
  }

  /** Blocks (up to `ms`) until the consumer frees room; false once aborted. */
  waitForRoom(ms: number): boolean {
    Atomics.store(this.#ctl, PRODUCER_WAITS, 1);
    if (!this.aborted) Atomics.wait(this.#ctl, TAIL, this.#tailSeen, ms);
    Atomics.store(this.#ctl, PRODUCER_WAITS, 0);
    return !this.aborted;
  }

  // Consumer side.

  /** The offset of the next record, or -1 when there is none yet. */
  next(): number {
    for (;;) {
      const head = Atomics.load(this.#ctl, HEAD);
      if (head === this.#tail) {
        this.#headSeen = head;
        return -1;
      }
      const pos = this.#tail & (this.size - 1);
      if (this.view.getUint32(pos, true) !== REC.PAD) return pos;
      this.release(this.view.getUint32(pos + 4, true));
    }
  }

  /** Frees the `n` bytes of the record read last. */
  release(n: number): void {
    this.#tail = (this.#tail + n) | 0;
    Atomics.store(this.#ctl, TAIL, this.#tail);
    // A waiting producer is woken once half the ring is free (a record
    // takes at most that): not for every record, which would cost a
    // futex call and a thread switch each.
    if (
      Atomics.load(this.#ctl, PRODUCER_WAITS) !== 0 &&
      ((Atomics.load(this.#ctl, HEAD) - this.#tail) >>> 0) <= this.size / 2
    ) {
      Atomics.notify(this.#ctl, TAIL);
    }
  }

  /** Blocks (up to `ms`) until the producer publishes more. */
  waitForData(ms: number): void {
    Atomics.store(this.#ctl, CONSUMER_WAITS, 1);
    Atomics.wait(this.#ctl, HEAD, this.#headSeen, ms);
    Atomics.store(this.#ctl, CONSUMER_WAITS, 0);
  }
}

/** What the walker sends besides the tree itself. */
export interface WalkOptions {
  /** Send each entry's extended attributes (XATTR records). */
  xattrs: boolean;
  /**
   * Drop the source's cached pages of each file once read (the lkl
   * kernel's page cache is this process's memory: kept small, its pages
   * are reused instead of fresh ones touched; never done to the host's).
   */
  dropCache: boolean;
}

const POSIX_FADV_DONTNEED = 4;

/** Errors of the whole system (out of memory, of fds), not of one entry: they stop a walk. */
const STOPS_WALK = new Set<number>([
  ERRNO.ENOMEM,
  ERRNO.EMFILE,
  ERRNO.ENFILE,
  ERRNO.EBADF,
  ERRNO.EFAULT,
]);

/** Whether the source error `e` stops the walk, rather than failing one entry. */
function stopsWalk(e: unknown): boolean {
  return !(e instanceof LklError) || STOPS_WALK.has(e.errno);
}

/** Errors that mean "this file system (or this user) cannot store that", not "the copy failed". */
const CANNOT_STORE = new Set<number>([ERRNO.EPERM, ERRNO.EOPNOTSUPP, ERRNO.ENOSYS]);

function join(dir: string, name: string): string {
  return dir === "" ? name : name === "" ? dir : `${dir}/${name}`;
}

/**
 * Reads a source tree into a {@link Ring}, as a generator that yields
 * whenever the ring is full: the caller waits for room (or lets the
 * consumer run) and resumes it. Closing the generator early (return())
 * closes every fd it opened.
 */
export class SourceWalker {
  readonly #ring: Ring;
  readonly #sys: System;
  readonly #options: WalkOptions;
  readonly #statx = new Uint8Array(STATX_SIZE);
  readonly #st = new DataView(this.#statx.buffer);
  #target = new Uint8Array(4096);
  readonly #dirents = new Uint8Array(64 * 1024);

  /** A walker of `sys`'s files into `ring`. */
  constructor(ring: Ring, sys: System, options: WalkOptions) {
    this.#ring = ring;
    this.#sys = sys;
    this.#options = options;
  }

  /**
   * Sends the entry `name` of `dir` ("" for `dir` itself), everything
   * under it, then END. `path` is the entry's path in its tree, for
   * messages.
   */
  *walk(dir: Directory, name: string, path: string): Generator<void, void, void> {
    try {
      if (name.includes("\0")) {
        throw new TypeError(`a file name holds NUL: ${JSON.stringify(name)}`);
      }
      const cname = cString(name);
      const slash = path.lastIndexOf("/");
      const dirPath = name === "" ? path : slash < 0 ? "" : path.slice(0, slash);
      yield* this.#entry(dir.fd, dir.pathOnly, dirPath, cname, 0, cname.length - 1);
    } catch (e) {
      yield* this.#error(e, ERROR_STOPS);
    }
    const at = yield* this.#reserve(8);
    this.#header(at, REC.END, 8);
    this.#ring.commit(8);
  }

  *#reserve(n: number): Generator<void, number, void> {
    for (;;) {
      const at = this.#ring.reserve(n);
      if (at >= 0) return at;
      yield;
    }
  }

  #header(at: number, type: number, length: number): void {
    this.#ring.view.setUint32(at, type, true);
    this.#ring.view.setUint32(at + 4, length, true);
  }

  // The entry being sent, for the path in an error message: names are
  // bytes until a message needs them as text.
  #dirPath = "";
  #names: Uint8Array = new Uint8Array(0);
  #nameAt = 0;
  #nameLen = 0;

  #path(): string {
    const name = decodeName(this.#names.subarray(this.#nameAt, this.#nameAt + this.#nameLen));
    return join(this.#dirPath, name);
  }

  #fail(rc: number, call: string): never {
    throw new LklError(-rc, call, { path: this.#path() });
  }

  /**
   * The entry whose name is the NUL-terminated bytes of `names` at `at`
   * (`len` bytes without the NUL; none: the directory `dirFd` itself) in
   * the directory `dirFd` at `dirPath`. An error of this entry is sent as
   * an ERROR record; one that stops the walk is thrown.
   */
  *#entry(
    dirFd: number,
    pathOnly: boolean,
    dirPath: string,
    names: Uint8Array,
    at0: number,
    len: number,
  ): Generator<void, void, void> {
    const sent = { entry: false, directory: false };
    try {
      yield* this.#send(dirFd, pathOnly, dirPath, names, at0, len, sent);
    } catch (e) {
      if (stopsWalk(e)) throw e;
      yield* this.#error(e, sent.entry ? ERROR_IN_ENTRY : 0);
      if (sent.directory) {
        // Its listing failed: the directory ends, empty.
        const at = yield* this.#reserve(8);
        this.#header(at, REC.DIR_END, 8);
        this.#ring.commit(8);
      }
    }
  }

  /** What {@link #entry} does; `sent` says how far it got, for the records an error needs. */
  *#send(
    dirFd: number,
    pathOnly: boolean,
    dirPath: string,
    names: Uint8Array,
    at0: number,
    len: number,
    sent: { entry: boolean; directory: boolean },
  ): Generator<void, void, void> {
    this.#dirPath = dirPath;
    this.#names = names;
    this.#nameAt = at0;
    this.#nameLen = len;
    const sys = this.#sys;
    const cname = names.subarray(at0, at0 + len + 1);
    const flags = AT.SYMLINK_NOFOLLOW | (len === 0 ? AT.EMPTY_PATH : 0);
    const rc = sys.statx(dirFd, cname, flags, STATX_WANTED, this.#statx);
    if (rc < 0) this.#fail(rc, "statx");
    const st = this.#st;
    const mode = st.getUint16(0x1c, true);
    const type = mode & S.IFMT;
    if (this.#options.xattrs && (type === S.IFDIR || type === S.IFREG || type === S.IFLNK)) {
      const name = decodeName(names.subarray(at0, at0 + len));
      yield* this.#xattrs(new Directory(sys, dirFd, dirPath, pathOnly), name);
      this.#dirPath = dirPath;
      this.#names = names;
      this.#nameAt = at0;
      this.#nameLen = len;
    }
    const size = Number(st.getBigUint64(0x28, true));
    const blocks = Number(st.getBigUint64(0x30, true));
    let targetLen = 0;
    if (type === S.IFLNK) {
      for (;;) {
        const n = sys.readlinkat(dirFd, cname, this.#target);
        if (n < 0) this.#fail(n, "readlinkat");
        if (n < this.#target.length) {
          targetLen = n;
          break;
        }
        this.#target = new Uint8Array(this.#target.length * 2);
      }
    }
    let fd = -1;
    try {
      let inline = 0;
      let all = type !== S.IFREG;
      if (type === S.IFREG) {
        fd = sys.openat(dirFd, cname, O.RDONLY | O.NOFOLLOW | O.CLOEXEC, 0);
        if (fd < 0) this.#fail(fd, "openat");
        // Allocated blocks covering the size: no holes to look for.
        if (size <= INLINE_MAX && blocks * 512 >= size) {
          inline = size;
          all = true;
        }
      }
      const dataAt = ENTRY.NAME + len + 1 + (targetLen === 0 ? 0 : targetLen + 1);
      const ring = this.#ring;
      let at: number;
      while ((at = ring.reserve(align8(dataAt + inline))) < 0) yield;
      const v = ring.view;
      v.setUint32(at + ENTRY.MODE, mode, true);
      v.setUint32(at + ENTRY.UID, st.getUint32(0x14, true), true);
      v.setUint32(at + ENTRY.GID, st.getUint32(0x18, true), true);
      v.setUint32(at + ENTRY.NLINK, st.getUint32(0x10, true), true);
      v.setFloat64(at + ENTRY.SIZE, size, true);
      v.setFloat64(at + ENTRY.BLOCKS, blocks, true);
      v.setUint32(at + ENTRY.DEV_MAJOR, st.getUint32(0x88, true), true);
      v.setUint32(at + ENTRY.DEV_MINOR, st.getUint32(0x8c, true), true);
      v.setUint32(at + ENTRY.RDEV_MAJOR, st.getUint32(0x80, true), true);
      v.setUint32(at + ENTRY.RDEV_MINOR, st.getUint32(0x84, true), true);
      v.setUint32(at + ENTRY.INO, st.getUint32(0x20, true), true);
      v.setUint32(at + ENTRY.INO + 4, st.getUint32(0x24, true), true);
      // statx_timestamp (i64 sec, u32 nsec) to struct timespec (i64, i64).
      v.setUint32(at + ENTRY.TIMES, st.getUint32(0x40, true), true);
      v.setUint32(at + ENTRY.TIMES + 4, st.getUint32(0x44, true), true);
      v.setUint32(at + ENTRY.TIMES + 8, st.getUint32(0x48, true), true);
      v.setUint32(at + ENTRY.TIMES + 12, 0, true);
      v.setUint32(at + ENTRY.TIMES + 16, st.getUint32(0x70, true), true);
      v.setUint32(at + ENTRY.TIMES + 20, st.getUint32(0x74, true), true);
      v.setUint32(at + ENTRY.TIMES + 24, st.getUint32(0x78, true), true);
      v.setUint32(at + ENTRY.TIMES + 28, 0, true);
      v.setUint32(at + ENTRY.NAME_LEN, len, true);
      v.setUint32(at + ENTRY.TARGET_LEN, targetLen, true);
      ring.bytes.set(cname, at + ENTRY.NAME);
      if (targetLen > 0) {
        ring.bytes.set(this.#target.subarray(0, targetLen), at + ENTRY.NAME + len + 1);
        ring.bytes[at + ENTRY.NAME + len + 1 + targetLen] = 0;
      }
      const got = inline > 0 ? this.#read(fd, ring.bytes, at + dataAt, inline, 0) : 0;
      if (got > 0 && this.#options.dropCache) sys.fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
      v.setUint32(at + ENTRY.DATA_LEN, got, true);
      v.setUint32(at + ENTRY.FLAGS, all ? ENTRY_ALL_DATA : 0, true);
      this.#header(at, REC.ENTRY, align8(dataAt + got));
      ring.commit(align8(dataAt + got));
      sent.entry = true;
      if (type === S.IFDIR) {
        sent.directory = true;
        const path = len === 0 ? dirPath : this.#path();
        let sub = dirFd;
        if (len > 0 || pathOnly) {
          sub = sys.openat(dirFd, cname, O.RDONLY | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC, 0);
          if (sub < 0) this.#fail(sub, "openat");
        }
        try {
          yield* this.#directory(sub, path);
        } finally {
          if (sub !== dirFd) sys.close(sub);
        }
      } else if (!all) {
        yield* this.#data(fd, size, blocks);
      }
    } finally {
      if (fd >= 0) sys.close(fd);
    }
  }

  /** The names in the directory `fd` (at `path`), each followed by a NUL, and where each starts. */
  #list(fd: number, path: string): { names: Uint8Array; starts: number[] } {
    const buf = this.#dirents;
    const view = new DataView(buf.buffer);
    let names = new Uint8Array(4096);
    let used = 0;
    const starts: number[] = [];
    for (;;) {
      const n = this.#sys.getdents64(fd, buf);
      if (n < 0) throw new LklError(-n, "getdents64", { path: path || "." });
      if (n === 0) break;
      for (let pos = 0; pos < n;) {
        const reclen = view.getUint16(pos + 16, true);
        let end = pos + 19;
        while (end < pos + reclen && buf[end] !== 0) end++;
        const nameLen = end - (pos + 19);
        const dot = buf[pos + 19] === 0x2e;
        if (!(dot && (nameLen === 1 || (nameLen === 2 && buf[pos + 20] === 0x2e)))) {
          if (used + nameLen + 1 > names.length) {
            const grown = new Uint8Array(Math.max(names.length * 2, used + nameLen + 1));
            grown.set(names.subarray(0, used));
            names = grown;
          }
          names.set(buf.subarray(pos + 19, end), used);
          names[used + nameLen] = 0;
          starts.push(used);
          used += nameLen + 1;
        }
        pos += reclen;
      }
    }
    return { names, starts };
  }

  *#directory(fd: number, path: string): Generator<void, void, void> {
    const { names, starts } = this.#list(fd, path);
    for (const start of starts) {
      let end = start;
      while (names[end] !== 0) end++;
      yield* this.#entry(fd, false, path, names, start, end - start);
    }
    const at = yield* this.#reserve(8);
    this.#header(at, REC.DIR_END, 8);
    this.#ring.commit(8);
  }

  /** Reads up to `want` bytes at `offset` into `buf` at `at`, over short reads; fewer at the end of the file. */
  #read(fd: number, buf: Uint8Array, at: number, want: number, offset: number): number {
    let done = 0;
    while (done < want) {
      const n = this.#sys.pread(fd, buf.subarray(at + done, at + want), offset + done);
      if (n < 0) this.#fail(n, "pread64");
      if (n === 0) break; // the file shrank while we copied it
      done += n;
    }
    return done;
  }

  /** DATA records for the data extents (holes stay holes), then FILE_END. */
  *#data(fd: number, size: number, blocks: number): Generator<void, void, void> {
    const ranges = blocks * 512 >= size ? [{ start: 0, end: size }] : this.#dataRanges(fd, size);
    const ring = this.#ring;
    let ended = false;
    for (const range of ranges) {
      for (let offset = range.start; offset < range.end && !ended;) {
        const want = Math.min(CHUNK, range.end - offset);
        let at: number;
        while ((at = ring.reserve(align8(DATA_BYTES + want))) < 0) yield;
        const n = this.#read(fd, ring.bytes, at + DATA_BYTES, want, offset);
        if (n === 0) {
          ended = true;
          break;
        }
        if (this.#options.dropCache) this.#sys.fadvise(fd, offset, n, POSIX_FADV_DONTNEED);
        ring.view.setFloat64(at + 8, offset, true);
        ring.view.setUint32(at + 16, n, true);
        this.#header(at, REC.DATA, align8(DATA_BYTES + n));
        ring.commit(align8(DATA_BYTES + n));
        offset += n;
        if (n < want) ended = true;
      }
    }
    const last = ranges.length === 0 ? 0 : ranges[ranges.length - 1].end;
    const at = yield* this.#reserve(16);
    this.#header(at, REC.FILE_END, 16);
    ring.view.setFloat64(at + 8, last < size ? size : -1, true);
    ring.commit(16);
  }

  /** The extents holding data, from SEEK_DATA and SEEK_HOLE, up to `size`. */
  #dataRanges(fd: number, size: number): { start: number; end: number }[] {
    const out: { start: number; end: number }[] = [];
    for (let pos = 0; pos < size;) {
      const start = this.#sys.lseek(fd, pos, SEEK.DATA);
      if (start === -ERRNO.ENXIO) break; // only a hole remains
      if (start === -ERRNO.EINVAL) return [{ start: pos, end: size }]; // no SEEK_DATA here
      if (start < 0) this.#fail(start, "lseek");
      if (start >= size) break;
      const hole = this.#sys.lseek(fd, start, SEEK.HOLE);
      if (hole < 0) this.#fail(hole, "lseek");
      const end = Math.min(hole, size);
      out.push({ start, end });
      pos = end;
    }
    return out;
  }

  *#xattrs(dir: Directory, name: string): Generator<void, void, void> {
    let names: string[];
    try {
      names = dir.listXattr(name);
    } catch (e) {
      if (e instanceof LklError && CANNOT_STORE.has(e.errno)) return;
      throw e;
    }
    for (const attr of names) {
      const value = dir.getXattr(name, attr);
      if (value === null) continue;
      const key = encoder.encode(attr);
      const n = align8(XATTR_NAME + key.length + 1 + value.length);
      if (n > this.#ring.size / 2) {
        throw new LklError(ERRNO.E2BIG, "lgetxattr", { path: dir.child(name), detail: "too big" });
      }
      const at = yield* this.#reserve(n);
      const ring = this.#ring;
      this.#header(at, REC.XATTR, n);
      ring.view.setUint32(at + 8, key.length, true);
      ring.view.setUint32(at + 12, value.length, true);
      ring.bytes.set(key, at + XATTR_NAME);
      ring.bytes[at + XATTR_NAME + key.length] = 0;
      ring.bytes.set(value, at + XATTR_NAME + key.length + 1);
      ring.commit(n);
    }
  }

  /** An ERROR record for `e`, with ERROR_* `flags`. */
  *#error(e: unknown, flags: number): Generator<void, void, void> {
    const error = e instanceof Error ? e : new Error(String(e));
    const fields = [
      error.name,
      error.message,
      e instanceof LklError ? e.syscall : "",
      e instanceof LklError ? e.path ?? "\0" : "\0",
    ].map((s) => encoder.encode(s.slice(0, 4096)));
    const n = align8(16 + fields.reduce((sum, f) => sum + 4 + f.length, 0));
    const at = yield* this.#reserve(n);
    const v = this.#ring.view;
    this.#header(at, REC.ERROR, n);
    v.setInt32(at + 8, e instanceof LklError ? e.errno : 0, true);
    v.setUint32(at + ERROR_FLAGS, flags, true);
    let pos = at + 16;
    for (const f of fields) {
      v.setUint32(pos, f.length, true);
      this.#ring.bytes.set(f, pos + 4);
      pos += 4 + f.length;
    }
    this.#ring.commit(n);
  }
}

/** The error an ERROR record at `at` stands for. */
export function decodeError(ring: Ring, at: number): Error {
  const v = ring.view;
  const errno = v.getInt32(at + 8, true);
  const fields: string[] = [];
  let pos = at + 16;
  for (let i = 0; i < 4; i++) {
    const n = v.getUint32(pos, true);
    fields.push(new TextDecoder().decode(ring.bytes.slice(pos + 4, pos + 4 + n)));
    pos += 4 + n;
  }
  const [name, message, syscall, path] = fields;
  if (errno > 0) {
    const error = new LklError(errno, syscall, { path: path === "\0" ? undefined : path });
    error.message = message;
    return error;
  }
  const error = new Error(message);
  error.name = name;
  return error;
}

/** How a {@link SourceWalker} reaches the fd it starts from, across threads. */
export interface WalkStart {
  /** The directory's fd (of the source system; fds are shared by all threads). */
  fd: number;
  /** Whether `fd` is O_PATH. */
  pathOnly: boolean;
  /** The directory's path in its tree. */
  dirPath: string;
  /** The entry to copy in it, "" for the directory itself. */
  name: string;
  /** The entry's path in its tree. */
  path: string;
}

/** Runs a walk to the end on this thread, waiting for room whenever the ring is full. */
export function walkBlocking(
  ring: Ring,
  sys: System,
  start: WalkStart,
  options: WalkOptions,
): void {
  // Not owned: the thread that started the copy closes it.
  const dir = new Directory(sys, start.fd, start.dirPath, start.pathOnly);
  const walk = new SourceWalker(ring, sys, options).walk(dir, start.name, start.path);
  try {
    while (!walk.next().done) {
      // Aborted: the finally closes what the walk opened.
      if (!ring.waitForRoom(100)) return;
    }
  } finally {
    walk.return();
  }
}

/** Whether `e` says "cannot store" (EPERM, EOPNOTSUPP, ENOSYS). */
export function isCannotStore(e: unknown): e is LklError {
  return e instanceof LklError && CANNOT_STORE.has(e.errno);
}

/** AT flags of statx on an fd itself. */
export const AT_EMPTY_NOFOLLOW = AT.EMPTY_PATH | AT.SYMLINK_NOFOLLOW;

/** The reading side's worker, started ahead of need by {@link prepareCopyWorker}. */
interface Spare {
  worker: Worker;
  /** True once the worker is loaded, false when it failed to load. */
  ready: Promise<boolean>;
  /** Resolves when the worker has finished a walk; holds its error, if any. */
  done: Promise<string | undefined>;
}

let spare: Spare | undefined;

function startWorker(): Spare | undefined {
  let worker: Worker;
  try {
    worker = new Worker(new URL("./copy_worker.ts", import.meta.url), {
      type: "module",
      name: "lkl-copy",
    });
  } catch {
    return undefined;
  }
  let loaded!: (ok: boolean) => void;
  let finished!: (error: string | undefined) => void;
  const ready = new Promise<boolean>((resolve) => loaded = resolve);
  const done = new Promise<string | undefined>((resolve) => finished = resolve);
  worker.onmessage = (e: MessageEvent<{ ready?: true; done?: true; error?: string }>) => {
    if (e.data.ready) loaded(true);
    if (e.data.done) finished(e.data.error);
  };
  worker.onerror = (e) => {
    e.preventDefault(); // not fatal to this thread: the copy reports it
    loaded(false);
    finished(e.message || "the copy worker failed");
  };
  return { worker, ready, done };
}

/**
 * Starts the worker that the next {@link copyTree} reads its source with,
 * so that it loads while the caller does other things (boots the kernel,
 * mounts). Optional: a copy starts one itself when there is none.
 * Disposing of the result ends the worker if no copy took it (an idle
 * worker keeps the process alive).
 */
export function prepareCopyWorker(): Disposable {
  const mine = spare ??= startWorker();
  return {
    [Symbol.dispose]() {
      if (mine && spare === mine) {
        spare = undefined;
        mine.worker.terminate();
      }
    },
  };
}

/** The copying thread's end of a walk: the records, and the walker behind them. */
export class SourceStream {
  /** The ring the records are in. */
  readonly ring: Ring;
  readonly #walk?: Generator<void, void, void>;
  readonly #worker?: Spare;
  #ended = false;

  private constructor(ring: Ring, walk?: Generator<void, void, void>, worker?: Spare) {
    this.ring = ring;
    this.#walk = walk;
    this.#worker = worker;
  }

  /**
   * Starts walking the entry `start.name` of `dir` (whose fd is
   * `start.fd`) on `sys`: in a worker when `worker` is true and one
   * starts, else on this thread.
   */
  static async open(
    sys: System,
    dir: Directory,
    start: WalkStart,
    options: WalkOptions,
    worker: boolean,
  ): Promise<SourceStream> {
    if (worker) {
      const w = spare ?? startWorker();
      spare = undefined;
      if (w && await w.ready) {
        const ring = Ring.create(RING_BYTES, true);
        const request = {
          buffer: ring.buffer as SharedArrayBuffer,
          system: sys.name,
          start,
          options,
        };
        w.worker.postMessage(request);
        return new SourceStream(ring, undefined, w);
      }
      w?.worker.terminate();
    }
    const ring = Ring.create(RING_BYTES, false);
    return new SourceStream(
      ring,
      new SourceWalker(ring, sys, options).walk(dir, start.name, start.path),
    );
  }

  /** The offset of the next record, or -1 when there is none yet (then {@link wait}). */
  next(): number {
    const at = this.ring.next();
    if (at >= 0 || !this.#walk) return at;
    // On this thread: walk on until the ring is full or the walk ends.
    this.#walk.next();
    return this.ring.next();
  }

  /** Waits for the next record and returns its offset. */
  async wait(): Promise<number> {
    for (;;) {
      const at = this.next();
      if (at >= 0) return at;
      if (!this.#worker) throw new Error("copy: the source walk ended without END");
      this.ring.waitForData(20);
      const again = this.ring.next();
      if (again >= 0) return again;
      // Let the worker's messages in: a worker that died says so there.
      await new Promise((resolve) => setTimeout(resolve, 0));
      const failed = await Promise.race([this.#worker.done, Promise.resolve(null)]);
      if (failed !== null && this.ring.next() < 0) {
        throw new Error(`copy: the source walk stopped: ${failed ?? "without END"}`);
      }
    }
  }

  /** Marks the stream read to its END. */
  ended(): void {
    this.#ended = true;
  }

  /** Stops the walker (if it still runs) and waits until it has closed what it opened. */
  async close(): Promise<void> {
    if (!this.#ended) this.ring.abort();
    if (this.#walk) {
      this.#walk.return();
      return;
    }
    if (this.#worker) {
      const error = await this.#worker.done;
      this.#worker.worker.terminate();
      if (error !== undefined && this.#ended) throw new Error(`copy worker: ${error}`);
    }
  }
}
