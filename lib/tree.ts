// deno-lint-ignore-file require-await -- the API is async like Deno's; most calls are synchronous underneath, and async turns their throws into rejections
/**
 * A directory tree that paths cannot leave: the file API of a mount,
 * shaped like Deno's own (readFile, writeFile, open, readDir, stat, mkdir,
 * remove, rename, ...), on either system (a mount of the lkl kernel, or a
 * host directory as a copy's other end).
 *
 * Paths are relative to the tree's root; a leading "/" means the root too.
 * Every path is resolved through an fd of the root with openat2(2) and
 * RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS: "..", and symlinks, absolute
 * or relative, stay inside the tree whatever the tree holds. Calls that
 * act on an entry itself (lstat, lchown, remove, rename...) open its
 * parent that way and act on the last component with an *at call that
 * does not follow it.
 *
 * @module
 */

import { AT, AT_FDCWD, O, RESOLVE, S } from "../ffi/constants.ts";
import { cString, decodeName } from "../ffi/cstring.ts";
import { ERRNO } from "../ffi/errno.ts";
import { decodeStatx, STATX_SIZE } from "../ffi/structs.ts";
import { Directory, type DirEntry, encodeTimes, STATX_WANTED } from "./directory.ts";
import { LklError } from "./errors.ts";
import { FileHandle } from "./file.ts";
import { type FileInfo, fileInfo, makedev } from "./file_info.ts";
import { hostSystem } from "./host.ts";
import type { System } from "./system.ts";

const EMPTY = cString("");
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const READ_CHUNK = 1 << 20;

/** Options of {@link FileTree.open}, as Deno.OpenOptions. */
export interface OpenOptions {
  /** Open for reading (default true unless write or append is set). */
  read?: boolean;
  /** Open for writing. */
  write?: boolean;
  /** Writes go to the end. */
  append?: boolean;
  /** Cut the file to 0 bytes. */
  truncate?: boolean;
  /** Create the file when missing (needs write or append). */
  create?: boolean;
  /** Create the file; fail when it exists (implies create). */
  createNew?: boolean;
  /** Permissions of a new file (default 0o666, less the kernel's umask). */
  mode?: number;
}

/** Options of {@link FileTree.writeFile}, as Deno.WriteFileOptions. */
export interface WriteFileOptions {
  /** Add to the end instead of replacing the content. */
  append?: boolean;
  /** Create the file when missing (default true). */
  create?: boolean;
  /** Fail when the file exists. */
  createNew?: boolean;
  /** Permissions, applied to the file whether new or not. */
  mode?: number;
}

/** Options of {@link FileTree.mkdir}, as Deno.MkdirOptions. */
export interface MkdirOptions {
  /** Make missing parents too, and accept an existing directory. */
  recursive?: boolean;
  /** Permissions of the new directories, exactly (no umask). */
  mode?: number;
}

/** Options of {@link FileTree.remove}, as Deno.RemoveOptions. */
export interface RemoveOptions {
  /** Remove a directory with everything in it. */
  recursive?: boolean;
}

/** A time for {@link FileTree.utime}: a Date, seconds (fractional) like Deno, or bigint nanoseconds. */
export type FileTime = Date | number | bigint;

/** What statfs(2) says about the file system holding a path. */
export interface FsStats {
  /** The file system's magic number (f_type), e.g. 0xef53 for ext2/3/4. */
  type: number;
  /** Block size in bytes. */
  blockSize: number;
  /** Size in blocks. */
  blocks: number;
  /** Free blocks. */
  freeBlocks: number;
  /** Free blocks an unprivileged user may use. */
  availableBlocks: number;
  /** Inodes. */
  files: number;
  /** Free inodes. */
  freeFiles: number;
  /** Longest file name. */
  nameMax: number;
  /** Fragment size. */
  fragmentSize: number;
  /** Mount flags (ST_*). */
  flags: number;
}

/** The path's components, without "" and "." (".." is kept: openat2 keeps it in the root). */
export function pathComponents(path: string): string[] {
  return path.split("/").filter((c) => c !== "" && c !== ".");
}

/** Owner ids: null (unchanged) or an integer from 0 to 4294967294 (-1 means "unchanged" to the kernel). */
function checkIds(uid: number | null, gid: number | null): void {
  for (const [what, id] of [["uid", uid], ["gid", gid]] as const) {
    if (id !== null && !(Number.isInteger(id) && id >= 0 && id <= 0xfffffffe)) {
      throw new RangeError(`${what} must be null or an integer from 0 to 4294967294, got ${id}`);
    }
  }
}

function nsOf(t: FileTime): bigint {
  if (typeof t === "bigint") return t;
  const ms = t instanceof Date ? t.getTime() : t;
  if (!Number.isFinite(ms)) throw new TypeError(`not a time: ${String(t)}`);
  if (t instanceof Date) return BigInt(t.getTime()) * 1_000_000n;
  const sec = Math.floor(t);
  return BigInt(sec) * 1_000_000_000n + BigInt(Math.round((t - sec) * 1e9));
}

function openHow(flags: number, mode: number): Uint8Array {
  const how = new Uint8Array(24);
  const v = new DataView(how.buffer);
  v.setBigUint64(0, BigInt(flags), true);
  v.setBigUint64(8, BigInt(mode), true);
  v.setBigUint64(16, BigInt(RESOLVE.IN_ROOT | RESOLVE.NO_MAGICLINKS), true);
  return how;
}

/** The O_* flags of Deno-style open options. */
export function openFlags(options: OpenOptions): number {
  const write = options.write || options.append;
  // As Deno.open: these change the file, so they need write access.
  if (!write && (options.truncate || options.create || options.createNew)) {
    const which = options.truncate ? "truncate" : options.create ? "create" : "createNew";
    throw new TypeError(`open: '${which}' needs 'write' or 'append'`);
  }
  const read = options.read ?? !write;
  let flags = read && write ? O.RDWR : write ? O.WRONLY : O.RDONLY;
  if (options.append) flags |= O.APPEND;
  if (options.truncate) flags |= O.TRUNC;
  if (options.createNew) flags |= O.CREAT | O.EXCL;
  else if (options.create) flags |= O.CREAT;
  return flags;
}

/**
 * A tree of files that its paths cannot leave. {@link Mount} is the one
 * most code meets; {@link FileTree.host} makes one of a host directory.
 *
 * ```ts
 * import { Kernel } from "../mod.ts";
 * await using kernel = await Kernel.boot();
 * await using disk = await kernel.attachDisk("disk.img");
 * await using mount = await disk.mount();
 * await mount.mkdir("etc", { recursive: true });
 * await mount.writeTextFile("etc/motd", "hello\n", { mode: 0o644 });
 * for await (const entry of mount.readDir("etc")) console.log(entry.name);
 * ```
 */
export class FileTree {
  readonly #sys: System;
  /** The files and directories opened through it and not closed yet. */
  readonly #files = new Set<FileHandle | Directory>();
  #root: Directory | undefined;
  /** What the tree is, for messages: an image path, a host directory. */
  readonly label: string;
  readonly #rootPath: string;

  /**
   * A tree rooted at `rootFd` of `sys` (an O_PATH or plain directory fd,
   * owned from now on); `rootPath` is where `sys` sees it (for realPath).
   */
  constructor(sys: System, rootFd: number, rootPath: string, label: string) {
    this.#sys = sys;
    this.#root = new Directory(sys, rootFd, "", true);
    this.#rootPath = rootPath.replace(/\/+$/, "");
    this.label = label;
  }

  /**
   * The host directory `path` as a tree (the other end of a copy).
   *
   * ```ts
   * import { FileTree } from "../mod.ts";
   * using home = FileTree.host(".");
   * console.log((await home.stat("deno.json")).size);
   * ```
   */
  static host(path: string): FileTree {
    const sys = hostSystem();
    const fd = sys.openat(AT_FDCWD, cString(path), O.PATH | O.DIRECTORY | O.CLOEXEC, 0);
    if (fd < 0) throw new LklError(-fd, "open", { path });
    const real = Deno.realPathSync(path);
    return new FileTree(sys, fd, real, path);
  }

  /** The system the tree is on: "lkl" or "host". */
  get system(): System {
    return this.#sys;
  }

  /** The root directory (owned by the tree; do not close it). */
  get root(): Directory {
    if (!this.#root) {
      throw new LklError(ERRNO.EBADF, "tree", { path: this.label, detail: "closed" });
    }
    return this.#root;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#root === undefined;
  }

  #how(flags: number, mode = 0): Uint8Array {
    return openHow(flags | O.CLOEXEC, flags & O.CREAT ? mode : 0);
  }

  /** openat2 of `path` inside the root; returns the fd or throws. */
  #resolve(path: string, flags: number, mode = 0, call = "openat2"): number {
    const parts = pathComponents(path);
    // A trailing slash stays: the kernel then wants a directory (ENOTDIR, EISDIR).
    const rel = parts.length === 0 ? "." : parts.join("/") + (path.endsWith("/") ? "/" : "");
    const fd = this.#sys.openat2(this.root.fd, cString(rel), this.#how(flags, mode));
    if (fd < 0) throw new LklError(-fd, call, { path: rel });
    return fd;
  }

  /**
   * "f/" names a directory, as for the kernel: when `path` exists, it must
   * be one (or a symlink to one), else ENOTDIR. The name-relative calls of
   * {@link Directory} never see the slash, so it is checked here.
   */
  #mustBeDirectory(path: string): void {
    if (pathComponents(path).length === 0) return;
    let fd: number;
    try {
      fd = this.#resolve(path, O.PATH | O.DIRECTORY);
    } catch (e) {
      if (e instanceof LklError && e.errno === ERRNO.ENOENT) return; // made by the call
      throw e;
    }
    this.#sys.close(fd);
  }

  /**
   * The directory holding `path`'s last component, opened inside the
   * root, and that component. A path naming the root, or ending in
   * "..", gives the directory itself and the name "".
   */
  parent(path: string): { dir: Directory; name: string; owned: boolean } {
    const parts = pathComponents(path);
    const last = parts.pop();
    if (last === undefined) return { dir: this.root, name: "", owned: false };
    if (last === "..") {
      const fd = this.#resolve([...parts, last].join("/"), O.PATH | O.DIRECTORY);
      return {
        dir: new Directory(this.#sys, fd, [...parts, last].join("/"), true),
        name: "",
        owned: true,
      };
    }
    if (parts.length === 0) return { dir: this.root, name: last, owned: false };
    const fd = this.#resolve(parts.join("/"), O.PATH | O.DIRECTORY);
    return { dir: new Directory(this.#sys, fd, parts.join("/"), true), name: last, owned: true };
  }

  #at<T>(path: string, fn: (dir: Directory, name: string) => T): T {
    if (path.endsWith("/")) this.#mustBeDirectory(path);
    const { dir, name, owned } = this.parent(path);
    try {
      return fn(dir, name);
    } finally {
      if (owned) dir.close();
    }
  }

  /** Runs `fn` on an O_PATH fd of `path` (symlinks followed, inside the root). */
  #resolved<T>(path: string, fn: (fd: number, procPath: Uint8Array) => T): T {
    const fd = this.#resolve(path, O.PATH);
    try {
      return fn(fd, cString(`/proc/self/fd/${fd}`));
    } finally {
      this.#sys.close(fd);
    }
  }

  #check(result: number, call: string, path: string): number {
    if (result < 0) {
      throw new LklError(-result, call, { path: pathComponents(path).join("/") || "." });
    }
    return result;
  }

  /**
   * Opens the directory `path` (symlinks followed inside the root) for
   * name-relative calls; close it when done.
   */
  openDirectory(path: string): Directory {
    const fd = this.#resolve(path, O.RDONLY | O.DIRECTORY);
    const dir = new Directory(
      this.#sys,
      fd,
      pathComponents(path).join("/"),
      false,
      (d) => this.#files.delete(d),
    );
    this.#files.add(dir);
    return dir;
  }

  /** Opens a file, like Deno.open (symlinks followed inside the root). */
  async open(path: string, options: OpenOptions = { read: true }): Promise<FileHandle> {
    return Promise.resolve(this.openSync(path, options));
  }

  /** {@link open}, synchronously. */
  openSync(path: string, options: OpenOptions = { read: true }): FileHandle {
    const flags = openFlags(options);
    const fd = this.#resolve(path, flags, options.mode ?? 0o666, "open");
    const file = new FileHandle(
      this.#sys,
      fd,
      pathComponents(path).join("/"),
      (flags & O.APPEND) !== 0,
      (f) => this.#files.delete(f),
    );
    this.#files.add(file);
    return file;
  }

  /**
   * Closes every file and directory opened through this tree and still
   * open (halt does this before it unmounts, so that the unmount succeeds).
   */
  closeFiles(): void {
    for (const file of [...this.#files]) {
      try {
        file.close();
      } catch {
        // a write-back error: the unmount that follows reports the state
      }
    }
  }

  /** The whole content of a file. */
  async readFile(path: string): Promise<Uint8Array> {
    using file = this.openSync(path);
    const size = file.statSync().size;
    let out = new Uint8Array(Math.max(size, 1));
    let total = 0;
    for (;;) {
      if (total === out.length) {
        const grown = new Uint8Array(out.length * 2);
        grown.set(out);
        out = grown;
      }
      const n = await file.pread(
        out.subarray(total, Math.min(out.length, total + READ_CHUNK * 16)),
        total,
      );
      if (n === 0) break;
      total += n;
    }
    return out.subarray(0, total);
  }

  /** A file decoded as UTF-8. */
  async readTextFile(path: string): Promise<string> {
    return decoder.decode(await this.readFile(path));
  }

  /** Writes `data` to a file, creating it unless told not to (Deno.writeFile). */
  async writeFile(path: string, data: Uint8Array, options: WriteFileOptions = {}): Promise<void> {
    using file = this.openSync(path, {
      write: true,
      append: options.append,
      truncate: !options.append,
      create: options.create ?? true,
      createNew: options.createNew,
      mode: options.mode,
    });
    if (options.mode !== undefined) {
      this.#check(this.#sys.fchmod(file.unsafeFd, options.mode), "fchmod", path);
    }
    const offset = options.append ? file.statSync().size : 0;
    await file.pwrite(data, offset);
  }

  /** Writes `text` as UTF-8 to a file (Deno.writeTextFile). */
  async writeTextFile(path: string, text: string, options: WriteFileOptions = {}): Promise<void> {
    return this.writeFile(path, encoder.encode(text), options);
  }

  /** The entries of a directory, "." and ".." left out (Deno.readDir). */
  async *readDir(path: string): AsyncIterable<DirEntry> {
    const dir = this.openDirectory(path);
    try {
      yield* dir.list();
    } finally {
      dir.close();
    }
  }

  /** Information about the file at `path`, following symlinks (Deno.stat). */
  async stat(path: string): Promise<FileInfo> {
    return Promise.resolve(this.#resolved(path, (fd) => {
      const buf = new Uint8Array(STATX_SIZE);
      this.#check(this.#sys.statx(fd, EMPTY, AT.EMPTY_PATH, STATX_WANTED, buf), "statx", path);
      return fileInfo(decodeStatx(buf));
    }));
  }

  /** Information about the entry at `path` itself: a symlink is not followed (Deno.lstat). */
  async lstat(path: string): Promise<FileInfo> {
    return Promise.resolve(this.lstatSync(path));
  }

  /** {@link lstat}, synchronously. */
  lstatSync(path: string): FileInfo {
    return this.#at(path, (dir, name) => fileInfo(dir.lstatx(name)));
  }

  /** Makes a directory (Deno.mkdir); `recursive` makes parents and accepts an existing one. */
  async mkdir(path: string, options: MkdirOptions = {}): Promise<void> {
    const mode = options.mode ?? 0o777;
    const parts = pathComponents(path);
    if (!options.recursive) {
      this.#at(path, (dir, name) => {
        dir.mkdir(name, mode);
        if (options.mode !== undefined) dir.chmod(name, mode);
      });
      return Promise.resolve();
    }
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join("/");
      const made = this.#at(prefix, (dir, name) => {
        if (name === "") return false;
        const made = dir.mkdir(name, mode, true);
        if (made && options.mode !== undefined) dir.chmod(name, mode);
        return made;
      });
      if (!made && i === parts.length) {
        // An existing entry is fine only when it is a directory.
        const info = this.#resolved(prefix, (fd) => {
          const buf = new Uint8Array(STATX_SIZE);
          this.#check(
            this.#sys.statx(fd, EMPTY, AT.EMPTY_PATH, STATX_WANTED, buf),
            "statx",
            prefix,
          );
          return decodeStatx(buf);
        });
        if ((info.mode & S.IFMT) !== S.IFDIR) {
          throw new LklError(ERRNO.EEXIST, "mkdir", {
            path: prefix,
            detail: "exists and is not a directory",
          });
        }
      }
    }
    return Promise.resolve();
  }

  /** Removes a file, symlink or empty directory; `recursive` removes a whole directory (Deno.remove). */
  async remove(path: string, options: RemoveOptions = {}): Promise<void> {
    this.#at(path, (dir, name) => {
      if (name === "") {
        throw new LklError(ERRNO.EBUSY, "remove", {
          path: pathComponents(path).join("/") || ".",
          detail: "cannot remove the root of the tree",
        });
      }
      const isDir = (dir.lstatx(name).mode & S.IFMT) === S.IFDIR;
      if (isDir && options.recursive) {
        const sub = dir.openDir(name);
        try {
          removeContents(sub);
        } finally {
          sub.close();
        }
      }
      dir.unlink(name, isDir);
    });
    return Promise.resolve();
  }

  /** Renames (moves) `oldPath` to `newPath`, replacing a file there (Deno.rename). */
  async rename(oldPath: string, newPath: string): Promise<void> {
    this.#at(oldPath, (oldDir, oldName) => {
      this.#at(newPath, (newDir, newName) => oldDir.rename(oldName, newDir, newName));
    });
    return Promise.resolve();
  }

  /** Makes `path` a symlink to `target`, stored as given (Deno.symlink). */
  async symlink(target: string, path: string): Promise<void> {
    this.#at(path, (dir, name) => dir.symlink(target, name));
    return Promise.resolve();
  }

  /** The target of the symlink at `path` (Deno.readLink). */
  async readLink(path: string): Promise<string> {
    return Promise.resolve(this.#at(path, (dir, name) => dir.readLink(name)));
  }

  /** Makes `newPath` a hard link to `oldPath` (Deno.link). */
  async link(oldPath: string, newPath: string): Promise<void> {
    this.#at(oldPath, (oldDir, oldName) => {
      this.#at(newPath, (newDir, newName) => newDir.link(oldDir, oldName, newName));
    });
    return Promise.resolve();
  }

  /** Changes the permission bits, following symlinks (Deno.chmod). */
  async chmod(path: string, mode: number): Promise<void> {
    this.#resolved(path, (_fd, proc) => {
      this.#check(this.#sys.fchmodat(AT_FDCWD, proc, mode), "chmod", path);
    });
    return Promise.resolve();
  }

  /** Changes owner and group, following symlinks; null leaves one as is (Deno.chown). */
  async chown(path: string, uid: number | null, gid: number | null): Promise<void> {
    checkIds(uid, gid);
    this.#resolved(path, (_fd, proc) => {
      this.#check(
        this.#sys.fchownat(AT_FDCWD, proc, (uid ?? -1) >>> 0, (gid ?? -1) >>> 0, 0),
        "chown",
        path,
      );
    });
    return Promise.resolve();
  }

  /** Changes owner and group of the entry itself: a symlink is not followed. */
  async lchown(path: string, uid: number | null, gid: number | null): Promise<void> {
    checkIds(uid, gid);
    this.#at(path, (dir, name) => dir.chown(name, uid ?? -1, gid ?? -1));
    return Promise.resolve();
  }

  /** Sets access and modification times, following symlinks (Deno.utime; bigints are nanoseconds). */
  async utime(path: string, atime: FileTime, mtime: FileTime): Promise<void> {
    this.#resolved(path, (_fd, proc) => {
      this.#check(
        this.#sys.utimensat(AT_FDCWD, proc, encodeTimes(nsOf(atime), nsOf(mtime)), 0),
        "utime",
        path,
      );
    });
    return Promise.resolve();
  }

  /** Sets the times of the entry itself: a symlink is not followed. */
  async lutime(path: string, atime: FileTime, mtime: FileTime): Promise<void> {
    this.#at(path, (dir, name) => dir.utime(name, nsOf(atime), nsOf(mtime)));
    return Promise.resolve();
  }

  /** Sets the size of a file, cutting it or extending it with a hole (Deno.truncate). */
  async truncate(path: string, len = 0): Promise<void> {
    using file = this.openSync(path, { write: true });
    return file.truncate(len);
  }

  /** The canonical path of `path` in the tree: "/" and no symlinks or "..". */
  async realPath(path: string): Promise<string> {
    return Promise.resolve(this.#resolved(path, (fd) => {
      const buf = new Uint8Array(4096);
      const n = this.#check(
        this.#sys.readlinkat(AT_FDCWD, cString(`/proc/self/fd/${fd}`), buf),
        "realpath",
        path,
      );
      const full = decodeName(buf.subarray(0, n));
      if (full === this.#rootPath) return "/";
      if (full.startsWith(this.#rootPath + "/")) return full.slice(this.#rootPath.length);
      return full; // a mount over the root: the kernel's own path
    }));
  }

  /** statfs of the file system holding `path` (default the root). */
  async statfs(path = "."): Promise<FsStats> {
    return Promise.resolve(this.#resolved(path, (fd) => {
      const buf = new Uint8Array(120);
      this.#check(this.#sys.fstatfs(fd, buf), "statfs", path);
      const v = new DataView(buf.buffer);
      const n = (o: number) => Number(v.getBigUint64(o, true));
      return {
        type: n(0),
        blockSize: n(8),
        blocks: n(16),
        freeBlocks: n(24),
        availableBlocks: n(32),
        files: n(40),
        freeFiles: n(48),
        nameMax: n(64),
        fragmentSize: n(72),
        flags: n(80),
      };
    }));
  }

  /** Makes a FIFO, socket or device node; `mode` holds the type (S.IFIFO, S.IFCHR...). */
  async mknod(path: string, mode: number, major = 0, minor = 0): Promise<void> {
    this.#at(path, (dir, name) => dir.mknod(name, mode, makedev(major, minor)));
    return Promise.resolve();
  }

  /** The names of the extended attributes of the entry at `path` (not following a symlink). */
  async listXattr(path: string): Promise<string[]> {
    return Promise.resolve(this.#at(path, (dir, name) => dir.listXattr(name)));
  }

  /** An extended attribute's value, or null when the entry has no such attribute. */
  async getXattr(path: string, attr: string): Promise<Uint8Array | null> {
    return Promise.resolve(this.#at(path, (dir, name) => dir.getXattr(name, attr)));
  }

  /** Sets an extended attribute (XATTR.CREATE or REPLACE in `flags`). */
  async setXattr(path: string, attr: string, value: Uint8Array | string, flags = 0): Promise<void> {
    const bytes = typeof value === "string" ? encoder.encode(value) : value;
    this.#at(path, (dir, name) => dir.setXattr(name, attr, bytes, flags));
    return Promise.resolve();
  }

  /** Removes an extended attribute. */
  async removeXattr(path: string, attr: string): Promise<void> {
    this.#at(path, (dir, name) => dir.removeXattr(name, attr));
    return Promise.resolve();
  }

  /** Closes the root fd; the tree is unusable after. */
  close(): void {
    this.#root?.close();
    this.#root = undefined;
  }

  /** Closes at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Removes everything inside `dir`, never following a symlink. */
export function removeContents(dir: Directory): void {
  for (const entry of dir.list()) {
    if (entry.isDirectory) {
      const sub = dir.openDir(entry.name);
      try {
        removeContents(sub);
      } finally {
        sub.close();
      }
    }
    dir.unlink(entry.name, entry.isDirectory);
  }
}

/** The ".../name" of a FileTree path's last component, for messages. */
export function baseName(path: string): string {
  return pathComponents(path).pop() ?? "";
}
