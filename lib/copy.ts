/**
 * Copying a tree of files between two {@link FileTree}s: host → image,
 * image → host, or image → image. Both ends are directory fds and single
 * names (*at calls that never follow a symlink), so a copy cannot write
 * outside its destination whatever names or symlinks the source holds.
 *
 * @module
 */

import { AT, AT_FDCWD, O, S, STATX } from "../ffi/constants.ts";
import { CStringScratch, decodeName } from "../ffi/cstring.ts";
import { ERRNO } from "../ffi/errno.ts";
import { type Statx, STATX_SIZE } from "../ffi/structs.ts";
import {
  DATA_BYTES,
  decodeError,
  ENTRY,
  ENTRY_ALL_DATA,
  ERROR_FLAGS,
  ERROR_IN_ENTRY,
  ERROR_STOPS,
  isCannotStore,
  REC,
  type Ring,
  SourceStream,
  XATTR_NAME,
} from "./copy_stream.ts";
export { prepareCopyWorker } from "./copy_stream.ts";
import type { Directory } from "./directory.ts";
import { LklError } from "./errors.ts";
import { makedev } from "./file_info.ts";
import type { System } from "./system.ts";
import { type FileTree, pathComponents } from "./tree.ts";

/** One end of a copy: a tree and a path in it ("" or "." is its root). */
export interface CopyEnd {
  /** The tree: a {@link Mount}, or a host directory ({@link FileTree.host}). */
  tree: FileTree;
  /** The path in it. */
  path: string;
}

/** How far a copy got, as reported to {@link CopyOptions.onProgress}. */
export interface CopyProgress {
  /** Entries done (files, directories, links, nodes). */
  entries: number;
  /** File bytes written. */
  bytes: number;
  /** The entry being copied, as a destination path. */
  path: string;
}

/** Options of {@link copyTree}. */
export interface CopyOptions {
  /** Give every copied entry this owner instead of the source's. */
  uid?: number;
  /** Give every copied entry this group instead of the source's. */
  gid?: number;
  /** Set the owner and group (default true). Failures to do so (EPERM) are counted, not fatal. */
  owners?: boolean;
  /** Copy extended attributes (default false). */
  xattrs?: boolean;
  /** Copy FIFOs, sockets and device nodes (default true); otherwise they are skipped. */
  specialFiles?: boolean;
  /** Clear the setuid and setgid bits (default false). */
  dropSetId?: boolean;
  /** Replace existing files, symlinks and nodes of the destination (default false: EEXIST). */
  overwrite?: boolean;
  /**
   * Called for each entry that could not be copied (a name the
   * destination refuses, a file that cannot be read, an existing file
   * without `overwrite`...): the copy then leaves it out (a file written
   * in part is removed) and goes on. Without it, the first such error
   * rejects the copy. Errors of the destination as a whole (full,
   * read-only, EIO), of the process (out of memory, of fds) and
   * cancellation always stop the copy.
   */
  onError?: (failure: CopyFailure) => void;
  /** Called after each entry and each chunk of file data. */
  onProgress?: (progress: CopyProgress) => void;
  /**
   * Cancels the copy: it stops after the entry or chunk in progress and
   * rejects with the signal's reason; what was copied so far stays, and
   * every file and directory it opened is closed.
   */
  signal?: AbortSignal;
  /**
   * Read the source on a second thread (a Worker) while this one writes
   * the destination, when the two are different systems (default true).
   */
  worker?: boolean;
}

/** What a copy did. */
export interface CopyStats {
  /** Entries copied, of every kind. */
  entries: number;
  /** File bytes written (holes not counted). */
  bytes: number;
  /** Regular files. */
  files: number;
  /** Directories. */
  directories: number;
  /** Symbolic links. */
  symlinks: number;
  /** Hard links made as links. */
  hardLinks: number;
  /** FIFOs, sockets and device nodes. */
  specialFiles: number;
  /**
   * Entries left out, not counted in `entries`: special files when
   * `specialFiles` is false, symlinks and nodes the destination cannot
   * store. Each has a line in `skipped`.
   */
  skippedEntries: number;
  /** Entries that could not be copied (each reported to {@link CopyOptions.onError}). */
  failed: number;
  /** What the destination could not store, or was not asked to: one line each. */
  skipped: string[];
}

/** Counts of a copy that has not copied anything yet. */
export function emptyCopyStats(): CopyStats {
  return {
    entries: 0,
    bytes: 0,
    files: 0,
    directories: 0,
    symlinks: 0,
    hardLinks: 0,
    specialFiles: 0,
    skippedEntries: 0,
    failed: 0,
    skipped: [],
  };
}

/** Adds the counts of one copy to `total` (several sources, one summary). */
export function addCopyStats(total: CopyStats, stats: CopyStats): void {
  total.entries += stats.entries;
  total.bytes += stats.bytes;
  total.files += stats.files;
  total.directories += stats.directories;
  total.symlinks += stats.symlinks;
  total.hardLinks += stats.hardLinks;
  total.specialFiles += stats.specialFiles;
  total.skippedEntries += stats.skippedEntries;
  total.failed += stats.failed;
  total.skipped.push(...stats.skipped);
}

/** An entry that could not be copied, as reported to {@link CopyOptions.onError}. */
export interface CopyFailure {
  /** Its path in the destination tree. */
  path: string;
  /** Its path in the source tree. */
  source: string;
  /** Whether reading the source failed (else making it in the destination did). */
  reading: boolean;
  /** The call that failed (its path is on the side that failed). */
  error: LklError;
  /**
   * The entry, made earlier by this copy, that the destination takes
   * this name for (a file system that ignores case, like FAT: "a.txt"
   * after "A.txt"). It is kept; this one was not copied.
   */
  sameAs?: string;
}

/** Errors that mean "this file system (or this user) cannot store that", not "the copy failed". */
function tolerable(e: unknown): e is LklError {
  return isCannotStore(e);
}

/** Destination errors of the whole file system or process, not of one entry: they stop a copy. */
const STOPS_COPY = new Set<number>([
  ERRNO.ENOSPC,
  ERRNO.EDQUOT,
  ERRNO.EROFS,
  ERRNO.EIO,
  ERRNO.ENOMEM,
  ERRNO.EMFILE,
  ERRNO.ENFILE,
  ERRNO.EBADF,
  ERRNO.EFAULT,
]);

/**
 * Whether the destination error `e` stops a copy (the file system is
 * full or read-only, I/O errors, out of memory...), rather than failing
 * one entry.
 */
export function stopsCopy(e: unknown): boolean {
  return !(e instanceof LklError) || STOPS_COPY.has(e.errno);
}

function join(dir: string, name: string): string {
  return dir === "" ? name : name === "" ? dir : `${dir}/${name}`;
}

/**
 * Copies the entry at `from` (a file, a directory with all it holds, a
 * symlink, a node) to `to`, which it becomes: an existing directory there
 * receives the source directory's contents. Keeps contents and holes,
 * modes, owners, atime and mtime to the nanosecond, symlinks as symlinks,
 * hard links as links, and xattrs when asked.
 *
 * Between the host and an image, the source is read on a second thread
 * (a Worker) while this one writes the destination.
 *
 * ```ts
 * import { copyTree, FileTree, Kernel } from "../mod.ts";
 * await using kernel = await Kernel.boot();
 * await using disk = await kernel.attachDisk("disk.img");
 * await using mount = await disk.mount();
 * using src = FileTree.host("site");
 * const stats = await copyTree({ tree: src, path: "." }, { tree: mount, path: "www" });
 * console.log(`${stats.entries} entries, ${stats.bytes} bytes`);
 * ```
 */
export async function copyTree(
  from: CopyEnd,
  to: CopyEnd,
  options: CopyOptions = {},
): Promise<CopyStats> {
  // Cancelled before it began: nothing is made at all.
  options.signal?.throwIfAborted();
  return await new Copy(from, to, options).run();
}

interface Place {
  dir: Directory;
  name: string; // "" : the directory itself
  path: string; // in its tree, for messages and hard links
  /** The names this copy made in `dir` so far, by {@link nameKey}. */
  made?: Map<string, string>;
}

/** What #attributes sets: the source entry's. */
interface Attributes {
  mode: number;
  uid: number;
  gid: number;
  /** atime and mtime as two struct timespec. */
  times: Uint8Array;
  xattrs: Xattr[] | null;
}

/** A destination directory being filled: its attributes are set once its entries are in. */
interface Frame extends Attributes {
  dir: Directory;
  path: string;
  made: Map<string, string>;
}

/**
 * A name as a file system that ignores case may take it: upper case, no
 * trailing dots (FAT drops them). Two names with one key may be one entry.
 */
function nameKey(name: string): string {
  return name.toUpperCase().replace(/\.+$/, "");
}

/** Making an entry found one that this copy made under another name (case ignored). */
class NameTaken extends LklError {
  /** The other name, kept. */
  readonly sameAs: string;

  constructor(syscall: string, path: string, sameAs: string) {
    super(ERRNO.EEXIST, syscall, {
      path,
      detail: `the file system already holds ${sameAs} under that name (it ignores case)`,
    });
    this.sameAs = sameAs;
  }
}

type Xattr = [name: string, value: Uint8Array];

const EMPTY = new Uint8Array(1); // "" for AT_EMPTY_PATH
const SYNC_FILE_RANGE_WRITE = 2;
const DROP_EVERY = 16 << 20;
const DROP_CACHES = new TextEncoder().encode("/proc/sys/vm/drop_caches\0");
const DROP_PAGE_CACHE = new TextEncoder().encode("1");
const POSIX_FADV_DONTNEED = 4;
/** How often the copy lets the event loop run (progress display, timers), in ms. */
const YIELD_MS = 100;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

class Copy {
  readonly #from: CopyEnd;
  readonly #to: CopyEnd;
  readonly #sys: System;
  readonly #options: CopyOptions;
  readonly #links = new Map<string, string>(); // dev:ino -> destination path
  readonly #skippedKinds = new Set<string>();
  readonly #statx = new Uint8Array(STATX_SIZE);
  readonly #st = new DataView(this.#statx.buffer);
  readonly #names = new Uint8Array(4096);
  readonly #root = new CStringScratch();
  readonly #other = new CStringScratch();
  #bytesAtDrop = 0;
  #ring!: Ring;
  #stream!: SourceStream;
  readonly stats: CopyStats = emptyCopyStats();
  #srcRoot = "";
  #dstRoot = "";

  constructor(from: CopyEnd, to: CopyEnd, options: CopyOptions) {
    this.#from = from;
    this.#to = to;
    this.#sys = to.tree.system;
    this.#options = options;
  }

  async run(): Promise<CopyStats> {
    const srcPath = pathComponents(this.#from.path).join("/") || ".";
    let src: ReturnType<FileTree["parent"]> | undefined;
    let st: Statx;
    try {
      src = this.#from.tree.parent(this.#from.path);
      st = src.dir.lstatx(src.name);
    } catch (e) {
      if (src?.owned) src.dir.close();
      // Name the source as given, not the component that was missing.
      if (e instanceof LklError) throw new LklError(e.errno, "lstat", { path: srcPath, cause: e });
      throw e;
    }
    let dst: ReturnType<FileTree["parent"]> | undefined;
    let opened: Directory | undefined;
    let stream: SourceStream | undefined;
    let failure: { error: unknown } | undefined;
    try {
      dst = this.#to.tree.parent(this.#to.path);
      const path = pathComponents(this.#from.path).join("/");
      // A directory given as the tree's root (or "..."): open it to list it.
      let dir = src.dir;
      if (src.name === "" && (st.mode & S.IFMT) === S.IFDIR) {
        dir = opened = this.#from.tree.openDirectory(path);
      }
      const worker = this.#options.worker !== false &&
        this.#from.tree.system.name !== this.#sys.name;
      stream = this.#stream = await SourceStream.open(
        this.#from.tree.system,
        dir,
        { fd: dir.fd, pathOnly: dir !== opened, dirPath: dir.path, name: src.name, path },
        {
          xattrs: this.#options.xattrs === true,
          dropCache: this.#from.tree.system.name === "lkl",
        },
        worker,
      );
      this.#ring = stream.ring;
      this.#srcRoot = path;
      this.#dstRoot = pathComponents(this.#to.path).join("/");
      await this.#consume({ dir: dst.dir, name: dst.name, path: this.#dstRoot });
    } catch (e) {
      failure = { error: e };
    }
    // The walker first: it may still use the fds closed after it.
    try {
      await stream?.close();
    } catch (e) {
      failure ??= { error: e };
    }
    opened?.close();
    if (src.owned) src.dir.close();
    if (dst?.owned) dst.dir.close();
    if (failure) throw failure.error;
    return this.stats;
  }

  #progress(path: string): void {
    this.#options.signal?.throwIfAborted();
    this.#options.onProgress?.({ entries: this.stats.entries, bytes: this.stats.bytes, path });
  }

  #skip(kind: string, path: string, why: string): void {
    this.stats.skipped.push(`${path}: ${why}`);
    this.#skippedKinds.add(kind);
  }

  /**
   * The entry at `path` (in the destination) was not copied because of
   * `e`: reported to onError, or thrown. Thrown as well when `e` stops
   * the copy.
   */
  #failed(e: unknown, path: string, reading: boolean): void {
    if (!(e instanceof LklError) || (!reading && stopsCopy(e)) || !this.#options.onError) throw e;
    this.stats.failed++;
    const rel = this.#dstRoot === ""
      ? path
      : path === this.#dstRoot
      ? ""
      : path.slice(this.#dstRoot.length + 1);
    const sameAs = e instanceof NameTaken ? e.sameAs : undefined;
    this.#options.onError({ path, source: join(this.#srcRoot, rel), reading, error: e, sameAs });
  }

  /** Removes what is left of an entry that failed (a file written in part), as far as it can. */
  #remove(dst: Place): void {
    dst.dir.unlinkResult(dst.name);
  }

  /** Passes over the records of a directory that could not be made, to its DIR_END. */
  async #skipTree(): Promise<void> {
    const ring = this.#ring;
    const v = ring.view;
    for (let depth = 1; depth > 0;) {
      let at = this.#next();
      if (typeof at !== "number") at = await at;
      const type = v.getUint32(at, true);
      if (type === REC.ERROR && (v.getUint32(at + ERROR_FLAGS, true) & ERROR_STOPS) !== 0) {
        throw decodeError(ring, at);
      }
      if (type === REC.END) throw new Error("copy: the source stream ended inside a directory");
      if (type === REC.ENTRY && (v.getUint32(at + ENTRY.MODE, true) & S.IFMT) === S.IFDIR) depth++;
      if (type === REC.DIR_END) depth--;
      ring.release(v.getUint32(at + 4, true));
    }
  }

  /** The next record's offset in the ring, waiting for it when need be. */
  #next(): number | Promise<number> {
    const at = this.#stream.next();
    return at >= 0 ? at : this.#stream.wait();
  }

  /** The name of the ENTRY at `at`, as text. */
  #name(at: number): string {
    const n = this.#ring.view.getUint32(at + ENTRY.NAME_LEN, true);
    const bytes = this.#ring.bytes.subarray(at + ENTRY.NAME, at + ENTRY.NAME + n);
    // TextDecoder does not read shared memory.
    if (n > this.#names.length) return decodeName(bytes.slice());
    this.#names.set(bytes);
    return decodeName(this.#names.subarray(0, n));
  }

  /** Acts on every record, in order, until END. */
  async #consume(root: Place): Promise<void> {
    const ring = this.#ring;
    const v = ring.view;
    const stack: Frame[] = [];
    let xattrs: Xattr[] | null = null;
    let lastYield = performance.now();
    let count = 0;
    try {
      for (;;) {
        if ((++count & 255) === 0 && performance.now() - lastYield > YIELD_MS) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
        let at = this.#next();
        if (typeof at !== "number") at = await at;
        const type = v.getUint32(at, true);
        const length = v.getUint32(at + 4, true);
        if (type === REC.ENTRY) {
          const name = stack.length === 0 ? root.name : this.#name(at);
          const top = stack[stack.length - 1];
          const place = top
            ? { dir: top.dir, name, path: join(top.path, name), made: top.made }
            : root;
          // The name as a C string: in the record itself, but for the root.
          const cname = top
            ? ring.bytes.subarray(
              at + ENTRY.NAME,
              at + ENTRY.NAME + v.getUint32(at + ENTRY.NAME_LEN, true) + 1,
            )
            : this.#root.encode(root.name);
          const mode = v.getUint32(at + ENTRY.MODE, true);
          const kind = mode & S.IFMT;
          const pending = xattrs;
          xattrs = null;
          if (kind === S.IFDIR) {
            let frame: Frame | undefined;
            try {
              frame = this.#enter(at, place, pending);
            } catch (e) {
              this.#failed(e, place.path, false);
            }
            ring.release(length);
            if (frame) stack.push(frame);
            else await this.#skipTree();
            continue;
          }
          let copied: boolean;
          if (kind === S.IFREG) {
            copied = await this.#file(at, place, cname, pending); // releases the record
          } else {
            copied = kind === S.IFLNK
              ? this.#symlink(at, place, pending)
              : this.#special(at, place);
            ring.release(length);
          }
          if (copied) this.stats.entries++;
          this.#progress(place.path);
          continue;
        } else if (type === REC.DIR_END) {
          const frame = stack.pop()!;
          let copied = true;
          try {
            this.#attributes({ dir: frame.dir, name: "", path: frame.path }, frame.dir.fd, frame);
          } catch (e) {
            copied = false;
            this.#failed(e, frame.path, false);
          } finally {
            frame.dir.close();
          }
          if (copied) {
            this.stats.directories++;
            this.stats.entries++;
          }
          this.#dropCleanPages();
          this.#progress(frame.path);
        } else if (type === REC.XATTR) {
          (xattrs ??= []).push(this.#xattr(at));
        } else if (type === REC.ERROR) {
          xattrs = null;
          const error = decodeError(ring, at);
          const flags = v.getUint32(at + ERROR_FLAGS, true);
          if ((flags & ERROR_STOPS) !== 0) throw error;
          // Of the directory being filled (its listing), or of an entry of it that was not sent.
          const top = stack[stack.length - 1];
          const path = !top
            ? root.path
            : (flags & ERROR_IN_ENTRY) !== 0
            ? top.path
            : join(top.path, (error as LklError).path?.split("/").pop() ?? "");
          this.#failed(error, path, true);
        } else if (type === REC.END) {
          ring.release(length);
          this.#stream.ended();
          return;
        } else {
          throw new Error(`copy: unexpected record ${type} in the source stream`);
        }
        ring.release(length);
      }
    } finally {
      for (const frame of stack) frame.dir.close();
    }
  }

  /**
   * Into an image, every DROP_EVERY bytes, at the end of a directory: the
   * kernel drops its clean page cache (what writeback sent to the image
   * already, and metadata blocks it may read again). The kernel's memory
   * is this process's: it then reuses those pages instead of touching
   * fresh ones (20,000 files: peak RSS 169 MiB instead of 228, no slower).
   * Only clean pages go, of every file system of this kernel.
   */
  #dropCleanPages(): void {
    if (this.#sys.name !== "lkl" || this.stats.bytes - this.#bytesAtDrop < DROP_EVERY) return;
    this.#bytesAtDrop = this.stats.bytes;
    const fd = this.#sys.openat(AT_FDCWD, DROP_CACHES, O.WRONLY | O.CLOEXEC, 0);
    if (fd < 0) return; // no /proc: nothing dropped, nothing lost
    this.#sys.pwrite(fd, DROP_PAGE_CACHE, 0);
    this.#sys.close(fd);
  }

  #xattr(at: number): Xattr {
    const v = this.#ring.view;
    const nameLen = v.getUint32(at + 8, true);
    const valueLen = v.getUint32(at + 12, true);
    const start = at + XATTR_NAME;
    const name = decodeName(this.#ring.bytes.slice(start, start + nameLen));
    const value = this.#ring.bytes.slice(start + nameLen + 1, start + nameLen + 1 + valueLen);
    return [name, value];
  }

  /**
   * After making `dst` failed with EEXIST: whether it made room for it
   * (overwriting, and not a directory there), so that making it again may
   * work. Entries are made first and replaced only then: a call less for
   * each that was not there.
   */
  #replace(dst: Place, syscall: string): boolean {
    const sameAs = this.#sameEntry(dst);
    if (sameAs !== undefined) throw new NameTaken(syscall, dst.path, sameAs);
    if (!this.#options.overwrite) return false;
    const rc = dst.dir.unlinkResult(dst.name);
    if (rc < 0 && rc !== -ERRNO.ENOENT && rc !== -ERRNO.EISDIR) {
      throw new LklError(-rc, "unlinkat", { path: dst.path });
    }
    return rc !== -ERRNO.EISDIR;
  }

  /**
   * The name this copy made earlier in `dst`'s directory that is the
   * same entry as `dst.name` (which exists: making it gave EEXIST), if
   * any: the file system took the one name for the other.
   */
  #sameEntry(dst: Place): string | undefined {
    const earlier = dst.made?.get(nameKey(dst.name));
    if (earlier === undefined || earlier === dst.name) return undefined;
    try {
      return dst.dir.lstatx(dst.name).ino === dst.dir.lstatx(earlier).ino ? earlier : undefined;
    } catch {
      return undefined;
    }
  }

  /** Notes that this copy made `dst`, for {@link #sameEntry}. */
  #madeName(dst: Place): void {
    dst.made?.set(nameKey(dst.name), dst.name);
  }

  /** Runs `make` (a Directory call that throws), again after {@link #replace} on EEXIST. */
  #made(dst: Place, syscall: string, make: () => void): void {
    try {
      make();
    } catch (e) {
      if (!(e instanceof LklError && e.errno === ERRNO.EEXIST && this.#replace(dst, syscall))) {
        throw e;
      }
      make();
    }
    this.#madeName(dst);
  }

  /** A directory's ENTRY: makes it (0700 while filling it) and opens it. */
  #enter(at: number, dst: Place, xattrs: Xattr[] | null): Frame {
    const v = this.#ring.view;
    if (dst.name !== "") {
      // 0700 while filling it: a read-only source directory stays writable until done.
      const made = dst.dir.mkdir(dst.name, 0o700, true);
      const sameAs = made ? undefined : this.#sameEntry(dst);
      if (sameAs !== undefined) throw new NameTaken("mkdirat", dst.path, sameAs);
      if (!made && (dst.dir.lstatx(dst.name).mode & S.IFMT) !== S.IFDIR) {
        throw new LklError(ERRNO.ENOTDIR, "mkdirat", {
          path: dst.path,
          detail: "exists and is not a directory",
        });
      }
    }
    const dir = dst.name === "" ? this.#to.tree.openDirectory(dst.path) : dst.dir.openDir(dst.name);
    this.#madeName(dst);
    return {
      dir,
      path: dst.path,
      made: new Map(),
      mode: v.getUint32(at + ENTRY.MODE, true),
      uid: v.getUint32(at + ENTRY.UID, true),
      gid: v.getUint32(at + ENTRY.GID, true),
      times: this.#ring.bytes.slice(at + ENTRY.TIMES, at + ENTRY.TIMES + 32),
      xattrs,
    };
  }

  /**
   * A regular file's ENTRY at `at` (released here: DATA records may
   * follow, and the ring frees records in order). Whether it was copied:
   * one that failed is reported ({@link #failed}) and removed.
   */
  async #file(
    at: number,
    dst: Place,
    cname: Uint8Array,
    xattrs: Xattr[] | null,
  ): Promise<boolean> {
    const ring = this.#ring;
    const v = ring.view;
    const length = v.getUint32(at + 4, true);
    const all = (v.getUint32(at + ENTRY.FLAGS, true) & ENTRY_ALL_DATA) !== 0;
    let key: string | undefined;
    if (v.getUint32(at + ENTRY.NLINK, true) > 1) {
      key = `${v.getUint32(at + ENTRY.DEV_MAJOR, true)}:${
        v.getUint32(at + ENTRY.DEV_MINOR, true)
      }:${v.getBigUint64(at + ENTRY.INO, true)}`;
      const first = this.#links.get(key);
      if (first !== undefined) {
        const linked = await this.#link(first, dst);
        if (linked !== false) {
          ring.release(length);
          if (!all) await this.#skipData();
          return linked === true;
        }
        // Stored as a copy: made from this ENTRY and its data, as a first name is.
      }
    }
    return await this.#fileData(at, dst, cname, all, xattrs, key);
  }

  /**
   * Makes a hard link `dst` to the copy at `first`: true when made, false
   * when the destination cannot store it (a copy is made instead), null
   * when it failed (reported).
   */
  async #link(first: string, dst: Place): Promise<boolean | null> {
    try {
      try {
        await this.#to.tree.link(first, dst.path);
      } catch (e) {
        if (!(e instanceof LklError && e.errno === ERRNO.EEXIST && this.#replace(dst, "linkat"))) {
          throw e;
        }
        await this.#to.tree.link(first, dst.path);
      }
      this.#madeName(dst);
      this.stats.hardLinks++;
      return true;
    } catch (e) {
      if (tolerable(e) || (e instanceof LklError && e.errno === ERRNO.EMLINK)) {
        this.#skip("hard links", dst.path, `hard link to ${first} stored as a copy (${e.code})`);
        return false;
      }
      this.#failed(e, dst.path, false);
      return null;
    }
  }

  /**
   * Makes the file `dst` from the ENTRY at `at` (released here) and
   * writes its data: held in the ENTRY when `all`, else in the DATA
   * records that follow. `key` (dev:ino of a source with several names)
   * is remembered once it is copied.
   */
  async #fileData(
    at: number,
    dst: Place,
    cname: Uint8Array,
    all: boolean,
    xattrs: Xattr[] | null,
    key: string | undefined,
  ): Promise<boolean> {
    const ring = this.#ring;
    const v = ring.view;
    const length = v.getUint32(at + 4, true);
    const sys = this.#sys;
    const mode = v.getUint32(at + ENTRY.MODE, true);
    // Made with its permissions (less the umask); statx says what it got.
    const flags = O.WRONLY | O.CREAT | O.EXCL | O.NOFOLLOW | O.CLOEXEC;
    let fd = sys.openat(dst.dir.fd, cname, flags, mode & 0o777);
    let error: unknown;
    if (fd === -ERRNO.EEXIST) {
      try {
        if (this.#replace(dst, "openat")) fd = sys.openat(dst.dir.fd, cname, flags, mode & 0o777);
      } catch (e) {
        error = e;
      }
    }
    if (fd < 0 || error) {
      ring.release(length);
      error ??= new LklError(-fd, "openat", { path: dst.path });
      if (!all && !stopsCopy(error)) await this.#skipData();
      this.#failed(error, dst.path, false);
      return false;
    }
    let released = false;
    let unread: Error | undefined;
    try {
      if (all) {
        const dataLen = v.getUint32(at + ENTRY.DATA_LEN, true);
        const dataAt = at + ENTRY.NAME + v.getUint32(at + ENTRY.NAME_LEN, true) + 1;
        if (dataLen > 0) this.#write(fd, dataAt, dataLen, 0, dst.path);
        // The ENTRY is still in the ring: its fields are read there.
        this.#attributes(dst, fd, this.#fields(at, xattrs));
      } else {
        const fields = this.#fields(at, xattrs);
        fields.times = fields.times.slice();
        ring.release(length);
        released = true;
        unread = await this.#data(fd, dst.path);
        if (unread) throw unread;
        this.#attributes(dst, fd, fields);
      }
    } catch (e) {
      sys.close(fd);
      if (!released) ring.release(length);
      // What was written is not the file: it goes (a copy-out leaves nothing).
      this.#remove(dst);
      this.#failed(e, dst.path, e === unread);
      return false;
    }
    if (!released) ring.release(length);
    const rc = sys.close(fd);
    if (rc < 0) {
      // The kernel reports a write-back failure at close (EIO, ENOSPC...).
      this.#remove(dst);
      this.#failed(new LklError(-rc, "close", { path: dst.path }), dst.path, false);
      return false;
    }
    if (key !== undefined && !this.#links.has(key)) this.#links.set(key, dst.path);
    this.#madeName(dst);
    this.stats.files++;
    return true;
  }

  /** Writes `length` bytes of the ring at `at` to `fd` at `offset`, over short writes. */
  #write(fd: number, at: number, length: number, offset: number, path: string): void {
    const bytes = this.#ring.bytes;
    for (let done = 0; done < length;) {
      const n = this.#sys.pwrite(fd, bytes.subarray(at + done, at + length), offset + done);
      if (n < 0) throw new LklError(-n, "pwrite64", { path });
      if (n === 0) throw new LklError(ERRNO.EIO, "pwrite64", { path, detail: "wrote 0 bytes" });
      done += n;
    }
    this.stats.bytes += length;
    this.#progress(path);
  }

  /**
   * The DATA records of a file, to FILE_END; holes stay holes (the size
   * is set at the end). Returns the source's error when its data could
   * not all be read; a write that fails throws, the rest of the data
   * passed over (but for an error that stops the copy).
   */
  async #data(fd: number, path: string): Promise<Error | undefined> {
    const ring = this.#ring;
    const v = ring.view;
    for (;;) {
      let at = this.#next();
      if (typeof at !== "number") at = await at;
      const type = v.getUint32(at, true);
      const length = v.getUint32(at + 4, true);
      if (type === REC.DATA) {
        const n = v.getUint32(at + 16, true);
        const offset = v.getFloat64(at + 8, true);
        try {
          this.#write(fd, at + DATA_BYTES, n, offset, path);
        } catch (e) {
          ring.release(length);
          if (!stopsCopy(e)) await this.#skipData();
          throw e;
        }
        ring.release(length);
        if (this.#sys.name === "lkl") {
          // The kernel's page cache is this process's memory: send large
          // data to the image as it comes and drop its pages, which are
          // then reused instead of fresh ones touched (slow on a VM), and
          // no writeback thread competes for the kernel's one CPU. Not
          // for small files: written one by one, they would not be merged.
          this.#sys.syncFileRange(fd, offset, n, SYNC_FILE_RANGE_WRITE);
          this.#sys.fadvise(fd, offset, n, POSIX_FADV_DONTNEED);
        }
        continue;
      }
      if (type === REC.ERROR) {
        // It ends the file's records.
        const error = decodeError(ring, at);
        const stops = (v.getUint32(at + ERROR_FLAGS, true) & ERROR_STOPS) !== 0;
        ring.release(length);
        if (stops) throw error;
        return error;
      }
      if (type !== REC.FILE_END) throw new Error(`copy: unexpected record ${type} in file data`);
      const truncate = v.getFloat64(at + 8, true);
      ring.release(length);
      if (truncate >= 0) {
        const rc = this.#sys.ftruncate(fd, truncate);
        if (rc < 0) throw new LklError(-rc, "ftruncate", { path });
      }
      return undefined;
    }
  }

  /**
   * Passes over the data records of a file (a hard link that was linked,
   * a file that failed), to its FILE_END or to the ERROR that ends them.
   */
  async #skipData(): Promise<void> {
    const ring = this.#ring;
    const v = ring.view;
    for (;;) {
      let at = this.#next();
      if (typeof at !== "number") at = await at;
      const type = v.getUint32(at, true);
      if (type === REC.ERROR && (v.getUint32(at + ERROR_FLAGS, true) & ERROR_STOPS) !== 0) {
        throw decodeError(ring, at);
      }
      ring.release(v.getUint32(at + 4, true));
      if (type === REC.FILE_END || type === REC.ERROR) return;
    }
  }

  /** Makes a symlink; whether it was copied (else skipped or failed: reported). */
  #symlink(at: number, dst: Place, xattrs: Xattr[] | null): boolean {
    const v = this.#ring.view;
    const nameLen = v.getUint32(at + ENTRY.NAME_LEN, true);
    const targetLen = v.getUint32(at + ENTRY.TARGET_LEN, true);
    const start = at + ENTRY.NAME + nameLen + 1;
    const target = decodeName(this.#ring.bytes.slice(start, start + targetLen));
    try {
      this.#made(dst, "symlinkat", () => dst.dir.symlink(target, dst.name));
    } catch (e) {
      if (!tolerable(e)) {
        this.#failed(e, dst.path, false);
        return false;
      }
      this.#skip("symlinks", dst.path, `symlink to ${target} not stored (${e.code})`);
      this.stats.skippedEntries++;
      return false;
    }
    try {
      this.#attributes(dst, -1, this.#fields(at, xattrs));
    } catch (e) {
      this.#remove(dst);
      this.#failed(e, dst.path, false);
      return false;
    }
    this.stats.symlinks++;
    return true;
  }

  /** Makes a FIFO, socket or device node; whether it was copied (else skipped or failed: reported). */
  #special(at: number, dst: Place): boolean {
    if (this.#options.specialFiles === false) {
      this.#skip("special files", dst.path, "special file skipped");
      this.stats.skippedEntries++;
      return false;
    }
    const v = this.#ring.view;
    const mode = v.getUint32(at + ENTRY.MODE, true);
    const dev = makedev(
      v.getUint32(at + ENTRY.RDEV_MAJOR, true),
      v.getUint32(at + ENTRY.RDEV_MINOR, true),
    );
    try {
      this.#made(dst, "mknodat", () => dst.dir.mknod(dst.name, mode & (S.IFMT | 0o777), dev));
    } catch (e) {
      if (!tolerable(e)) {
        this.#failed(e, dst.path, false);
        return false;
      }
      this.#skip("special files", dst.path, `special file not made (${e.code})`);
      this.stats.skippedEntries++;
      return false;
    }
    try {
      // No xattrs for nodes (the source's are not read either).
      this.#attributes(dst, -1, this.#fields(at, null));
    } catch (e) {
      this.#remove(dst);
      this.#failed(e, dst.path, false);
      return false;
    }
    this.stats.specialFiles++;
    return true;
  }

  #fields(at: number, xattrs: Xattr[] | null): Attributes {
    const v = this.#ring.view;
    return {
      mode: v.getUint32(at + ENTRY.MODE, true),
      uid: v.getUint32(at + ENTRY.UID, true),
      gid: v.getUint32(at + ENTRY.GID, true),
      times: this.#ring.bytes.subarray(at + ENTRY.TIMES, at + ENTRY.TIMES + 32),
      xattrs,
    };
  }

  /**
   * Owner, mode, xattrs, then times (last: the others change ctime, and
   * chown clears setuid). An entry open as `fd` (a file, a directory) gets
   * owner and mode where statx says they differ from the source's; a
   * symlink or a node (`fd` -1) gets them by name.
   */
  #attributes(place: Place, fd: number, src: Attributes): void {
    const o = this.#options;
    const sys = this.#sys;
    const path = place.path;
    let mode = src.mode & 0o7777;
    if (o.dropSetId) mode &= ~(S.ISUID | S.ISGID);
    const uid = o.uid ?? src.uid;
    const gid = o.gid ?? src.gid;
    let haveMode = -1;
    let haveUid = -1;
    let haveGid = -1;
    // Owners to set: what the new entry got decides (a chown costs; the
    // statx, less). Else the mode is set, like it or not.
    if (fd >= 0 && o.owners !== false) {
      const mask = STATX.MODE | STATX.UID | STATX.GID;
      const rc = sys.statx(fd, EMPTY, AT.EMPTY_PATH, mask, this.#statx);
      if (rc < 0) throw new LklError(-rc, "statx", { path });
      haveMode = this.#st.getUint16(0x1c, true) & 0o7777;
      haveUid = this.#st.getUint32(0x14, true);
      haveGid = this.#st.getUint32(0x18, true);
    }
    if (o.owners !== false && (haveUid !== uid || haveGid !== gid)) {
      this.#tolerate("owners", path, () => {
        if (fd < 0) return place.dir.chown(place.name, uid, gid);
        const rc = sys.fchown(fd, uid, gid);
        if (rc < 0) throw new LklError(-rc, "fchown", { path });
        haveMode = -1; // chown may clear setuid and setgid
      });
    }
    if ((src.mode & S.IFMT) !== S.IFLNK && haveMode !== mode) {
      this.#tolerate("modes", path, () => {
        if (fd < 0) return place.dir.chmod(place.name, mode);
        const rc = sys.fchmod(fd, mode);
        if (rc < 0) throw new LklError(-rc, "fchmod", { path });
      });
    }
    if (o.xattrs && src.xattrs) {
      for (const [attr, value] of src.xattrs) {
        this.#tolerate("xattrs", path, () => place.dir.setXattr(place.name, attr, value));
      }
    }
    this.#tolerate("times", path, () => {
      const rc = fd >= 0 ? sys.futimens(fd, src.times) : sys.utimensat(
        place.dir.fd,
        this.#other.encode(place.name),
        src.times,
        AT.SYMLINK_NOFOLLOW,
      );
      if (rc < 0) throw new LklError(-rc, "utimensat", { path });
    });
  }

  #tolerate(kind: string, path: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (!tolerable(e)) throw e;
      // One line per kind: FAT refuses every chown, a user every foreign owner.
      if (!this.#skippedKinds.has(kind)) {
        this.#skip(kind, path, `${kind} not stored (${e.code}), here and maybe elsewhere`);
      }
    }
  }
}
