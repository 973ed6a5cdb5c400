/**
 * Copying a tree of files between two {@link FileTree}s: host → image,
 * image → host, or image → image. Both ends are directory fds and single
 * names (*at calls that never follow a symlink), so a copy cannot write
 * outside its destination whatever names or symlinks the source holds.
 *
 * @module
 */

import { O, S } from "../ffi/constants.ts";
import { ERRNO } from "../ffi/errno.ts";
import type { Statx } from "../ffi/structs.ts";
import { Directory } from "./directory.ts";
import { LklError } from "./errors.ts";
import type { FileHandle } from "./file.ts";
import { makedev, nanoseconds } from "./file_info.ts";
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
  /** Called after each entry and each chunk of file data. */
  onProgress?: (progress: CopyProgress) => void;
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
  /** What the destination could not store, or was not asked to: one line each. */
  skipped: string[];
}

const CHUNK = 4 << 20;
/** Errors that mean "this file system (or this user) cannot store that", not "the copy failed". */
const CANNOT_STORE = new Set<number>([ERRNO.EPERM, ERRNO.EOPNOTSUPP, ERRNO.ENOSYS]);

function isCannotStore(e: unknown): e is LklError {
  return e instanceof LklError && CANNOT_STORE.has(e.errno);
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
  return await new Copy(from, to, options).run();
}

interface Place {
  dir: Directory;
  name: string; // "" : the directory itself
  path: string; // in its tree, for messages and hard links
}

class Copy {
  readonly #from: CopyEnd;
  readonly #to: CopyEnd;
  readonly #options: CopyOptions;
  readonly #links = new Map<string, string>(); // dev:ino -> destination path
  readonly #skippedKinds = new Set<string>();
  readonly #buffers = [new Uint8Array(CHUNK), new Uint8Array(CHUNK)];
  readonly stats: CopyStats = {
    entries: 0,
    bytes: 0,
    files: 0,
    directories: 0,
    symlinks: 0,
    hardLinks: 0,
    specialFiles: 0,
    skipped: [],
  };

  constructor(from: CopyEnd, to: CopyEnd, options: CopyOptions) {
    this.#from = from;
    this.#to = to;
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
    const dst = this.#to.tree.parent(this.#to.path);
    try {
      await this.#node(
        { dir: src.dir, name: src.name, path: pathComponents(this.#from.path).join("/") },
        st,
        { dir: dst.dir, name: dst.name, path: pathComponents(this.#to.path).join("/") },
      );
    } finally {
      if (src.owned) src.dir.close();
      if (dst.owned) dst.dir.close();
    }
    return this.stats;
  }

  #progress(path: string): void {
    this.#options.onProgress?.({ entries: this.stats.entries, bytes: this.stats.bytes, path });
  }

  #skip(kind: string, path: string, why: string): void {
    this.stats.skipped.push(`${path}: ${why}`);
    this.#skippedKinds.add(kind);
  }

  async #node(src: Place, st: Statx, dst: Place): Promise<void> {
    const type = st.mode & S.IFMT;
    if (type === S.IFDIR) return await this.#directory(src, st, dst);
    if (type === S.IFREG) await this.#file(src, st, dst);
    else if (type === S.IFLNK) this.#symlink(src, st, dst);
    else this.#special(st, dst);
    this.stats.entries++;
    this.#progress(dst.path);
  }

  /** Makes room for a new entry `dst`: EEXIST unless overwriting a non-directory. */
  #replace(dst: Place): void {
    if (!this.#options.overwrite) return;
    const rc = dst.dir.unlinkResult(dst.name);
    if (rc < 0 && rc !== -ERRNO.ENOENT && rc !== -ERRNO.EISDIR) {
      throw new LklError(-rc, "unlinkat", { path: dst.path });
    }
  }

  async #directory(src: Place, st: Statx, dst: Place): Promise<void> {
    if (dst.name !== "") {
      // 0700 while filling it: a read-only source directory stays writable until done.
      const made = dst.dir.mkdir(dst.name, 0o700, true);
      if (!made && (dst.dir.lstatx(dst.name).mode & S.IFMT) !== S.IFDIR) {
        throw new LklError(ERRNO.ENOTDIR, "mkdirat", {
          path: dst.path,
          detail: "exists and is not a directory",
        });
      }
    }
    const from = src.name === ""
      ? this.#from.tree.openDirectory(src.path)
      : src.dir.openDir(src.name);
    try {
      const to = dst.name === ""
        ? this.#to.tree.openDirectory(dst.path)
        : dst.dir.openDir(dst.name);
      try {
        for (const entry of from.list()) {
          const child = from.lstatx(entry.name);
          await this.#node(
            { dir: from, name: entry.name, path: join(src.path, entry.name) },
            child,
            { dir: to, name: entry.name, path: join(dst.path, entry.name) },
          );
        }
        this.#attributes(src, st, { dir: to, name: "", path: dst.path });
      } finally {
        to.close();
      }
    } finally {
      from.close();
    }
    this.stats.directories++;
    this.stats.entries++;
    this.#progress(dst.path);
  }

  async #file(src: Place, st: Statx, dst: Place): Promise<void> {
    if (st.nlink > 1) {
      const key = `${st.devMajor}:${st.devMinor}:${st.ino}`;
      const first = this.#links.get(key);
      if (first !== undefined) {
        this.#replace(dst);
        try {
          await this.#to.tree.link(first, dst.path);
          this.stats.hardLinks++;
          return;
        } catch (e) {
          if (!isCannotStore(e) && !(e instanceof LklError && e.errno === ERRNO.EMLINK)) throw e;
          this.#skip("hard links", dst.path, `hard link to ${first} stored as a copy (${e.code})`);
        }
      } else {
        this.#links.set(key, dst.path);
      }
    }
    this.#replace(dst);
    using input = src.dir.openFile(src.name, O.RDONLY);
    using output = dst.dir.openFile(dst.name, O.WRONLY | O.CREAT | O.EXCL, 0o600);
    await this.#data(input, output, st.size, st.blocks, dst.path);
    this.#attributes(src, st, dst, output);
    this.stats.files++;
  }

  /** Copies the data extents of `input`; holes stay holes (the size is set at the end). */
  async #data(
    input: FileHandle,
    output: FileHandle,
    size: number,
    blocks: number,
    path: string,
  ): Promise<void> {
    if (size === 0) return;
    // Allocated blocks covering the size: no holes to look for (saves two
    // lseeks a file; a file system that counts otherwise just gets zeros
    // written where it had holes).
    const ranges = blocks * 512 >= size ? [{ start: 0, end: size }] : input.dataRanges(size);
    // Start the side that runs off the JS thread (the kernel) first, so
    // that both work at once.
    const readFirst = this.#from.tree.system.name === "lkl";
    let turn = 0;
    let pending: { buf: Uint8Array; offset: number } | undefined;
    const write = async (chunk: { buf: Uint8Array; offset: number }) => {
      await output.pwrite(chunk.buf, chunk.offset);
      this.stats.bytes += chunk.buf.byteLength;
      this.#progress(path);
    };
    for (const range of ranges) {
      for (let offset = range.start; offset < range.end;) {
        const buf = this.#buffers[turn];
        turn ^= 1;
        const want = buf.subarray(0, Math.min(CHUNK, range.end - offset));
        let n: number;
        if (pending) {
          const p = pending;
          if (readFirst) {
            const read = input.pread(want, offset);
            await write(p);
            n = await read;
          } else {
            const written = write(p);
            n = await input.pread(want, offset);
            await written;
          }
        } else {
          n = await input.pread(want, offset);
        }
        if (n === 0) break; // the file shrank while we copied it
        pending = { buf: want.subarray(0, n), offset };
        offset += n;
      }
    }
    if (pending) await write(pending);
    const last = ranges.length === 0 ? 0 : ranges[ranges.length - 1].end;
    if (last < size) await output.truncate(size);
  }

  #symlink(src: Place, st: Statx, dst: Place): void {
    const target = src.dir.readLink(src.name);
    this.#replace(dst);
    try {
      dst.dir.symlink(target, dst.name);
    } catch (e) {
      if (!isCannotStore(e)) throw e;
      this.#skip("symlinks", dst.path, `symlink to ${target} not stored (${e.code})`);
      return;
    }
    this.#attributes(src, st, dst);
    this.stats.symlinks++;
  }

  #special(st: Statx, dst: Place): void {
    if (this.#options.specialFiles === false) {
      this.#skip("special files", dst.path, "special file skipped");
      return;
    }
    this.#replace(dst);
    try {
      dst.dir.mknod(dst.name, st.mode & (S.IFMT | 0o777), makedev(st.rdevMajor, st.rdevMinor));
    } catch (e) {
      if (!isCannotStore(e)) throw e;
      this.#skip("special files", dst.path, `special file not made (${e.code})`);
      return;
    }
    this.#attributes(undefined, st, dst);
    this.stats.specialFiles++;
  }

  /** Owner, mode, xattrs, then times (last: the others change ctime, and chown clears setuid). */
  #attributes(src: Place | undefined, st: Statx, dst: Place, file?: FileHandle): void {
    const o = this.#options;
    const isLink = (st.mode & S.IFMT) === S.IFLNK;
    if (o.owners !== false) {
      this.#tolerate(
        "owners",
        dst.path,
        () => dst.dir.chown(dst.name, o.uid ?? st.uid, o.gid ?? st.gid),
      );
    }
    if (!isLink) {
      let mode = st.mode & 0o7777;
      if (o.dropSetId) mode &= ~(S.ISUID | S.ISGID);
      this.#tolerate("modes", dst.path, () => {
        if (file) {
          const rc = this.#to.tree.system.fchmod(file.unsafeFd, mode);
          if (rc < 0) throw new LklError(-rc, "fchmod", { path: dst.path });
        } else {
          dst.dir.chmod(dst.name, mode);
        }
      });
    }
    if (o.xattrs && src) this.#xattrs(src, dst);
    this.#tolerate(
      "times",
      dst.path,
      () => dst.dir.utime(dst.name, nanoseconds(st.atime), nanoseconds(st.mtime)),
    );
  }

  #xattrs(src: Place, dst: Place): void {
    let names: string[];
    try {
      names = src.dir.listXattr(src.name);
    } catch (e) {
      if (isCannotStore(e)) return;
      throw e;
    }
    for (const name of names) {
      const value = src.dir.getXattr(src.name, name);
      if (value === null) continue;
      this.#tolerate("xattrs", dst.path, () => dst.dir.setXattr(dst.name, name, value));
    }
  }

  #tolerate(kind: string, path: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (!isCannotStore(e)) throw e;
      // One line per kind: FAT refuses every chown, a user every foreign owner.
      if (!this.#skippedKinds.has(kind)) {
        this.#skip(kind, path, `${kind} not stored (${e.code}), here and maybe elsewhere`);
      }
    }
  }
}
