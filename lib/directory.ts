/**
 * An open directory, and the calls on one of its entries by name (the *at
 * calls): the layer that keeps every operation inside a tree. A name is
 * one path component, never followed when it is a symlink.
 *
 * @module
 */

import { AT, O, S, STATX } from "../ffi/constants.ts";
import { cString, CStringScratch, decodeName } from "../ffi/cstring.ts";
import { ERRNO } from "../ffi/errno.ts";
import { decodeDirents, decodeStatx, type Statx, STATX_SIZE } from "../ffi/structs.ts";
import { LklError } from "./errors.ts";
import { FileHandle } from "./file.ts";
import type { CPath, System } from "./system.ts";

const DOT = cString(".");
const EMPTY = cString("");
/**
 * Entry names, encoded for one synchronous call at a time: one path
 * component, never "." or ".." (from a tree's root, ".." would leave the
 * tree), never with a "/". "" stays allowed: some calls mean the directory
 * itself by it, the others fail with ENOENT.
 */
class NameScratch extends CStringScratch {
  override encode(name: string): Uint8Array<ArrayBuffer> {
    if (name === "." || name === ".." || name.includes("/")) {
      throw new LklError(ERRNO.EINVAL, "name", {
        path: name,
        detail: "not a single file name (one component, not . or ..)",
      });
    }
    return super.encode(name);
  }
}

// Two for the calls that take two names; symlink targets are free text.
const NAME = new NameScratch();
const NAME2 = new NameScratch();
const TARGET = new CStringScratch();
// statx results, decoded before the next call.
const STATX_BUF = new Uint8Array(STATX_SIZE);
// getdents64 records, decoded before the next call.
const DIRENTS_BUF = new Uint8Array(64 * 1024);

/** What a directory entry is, from getdents64 (DT_*) or statx. */
export interface DirEntry {
  /** The entry's name (one path component). */
  name: string;
  /** A regular file. */
  isFile: boolean;
  /** A directory. */
  isDirectory: boolean;
  /** A symbolic link. */
  isSymlink: boolean;
  /** The inode number getdents gave (bigint: file systems use all 64 bits). */
  ino: bigint;
}

/** The statx fields a copy wants. */
export const STATX_WANTED = STATX.BASIC_STATS | STATX.BTIME;

/** Two struct timespec (atime, mtime) for utimensat, from nanoseconds. */
export function encodeTimes(atimeNs: bigint, mtimeNs: bigint): Uint8Array {
  const buf = new Uint8Array(32);
  const v = new DataView(buf.buffer);
  const put = (offset: number, ns: bigint) => {
    let sec = ns / 1_000_000_000n;
    let nsec = ns % 1_000_000_000n;
    if (nsec < 0n) {
      nsec += 1_000_000_000n;
      sec -= 1n;
    }
    v.setBigInt64(offset, sec, true);
    v.setBigInt64(offset + 8, nsec, true);
  };
  put(0, atimeNs);
  put(16, mtimeNs);
  return buf;
}

/**
 * An open directory of one system (lkl or host). `path` is where it is in
 * its tree, for error messages. Entry names must be single components:
 * the caller checks that ({@link checkName}).
 */
export class Directory {
  readonly #sys: System;
  #fd: number;
  /** The directory's path in its tree ("" for the root), for messages. */
  readonly path: string;
  /** Whether the fd was opened O_PATH (no listing, no fchmod). */
  readonly #pathOnly: boolean;

  readonly #onClose?: (dir: Directory) => void;

  /** Wraps `fd` (owned from now on); `onClose` is told when it is closed. */
  constructor(
    sys: System,
    fd: number,
    path: string,
    pathOnly = false,
    onClose?: (dir: Directory) => void,
  ) {
    this.#sys = sys;
    this.#fd = fd;
    this.path = path;
    this.#pathOnly = pathOnly;
    this.#onClose = onClose;
  }

  /** The system it belongs to. */
  get system(): System {
    return this.#sys;
  }

  /** Whether the fd was opened O_PATH (it cannot be listed or fchmod-ed itself). */
  get pathOnly(): boolean {
    return this.#pathOnly;
  }

  /** The fd, owned by this object. */
  get fd(): number {
    if (this.#fd < 0) {
      throw new LklError(ERRNO.EBADF, "directory", {
        path: this.path,
        detail: "directory is closed",
      });
    }
    return this.#fd;
  }

  /** `name` inside this directory, as a tree path. */
  child(name: string): string {
    return this.path === "" ? name : `${this.path}/${name}`;
  }

  #fail(result: number, call: string, name?: string): never {
    throw new LklError(-result, call, {
      path: name === undefined ? this.path || "." : this.child(name),
    });
  }

  #check(result: number, call: string, name?: string): number {
    if (result < 0) this.#fail(result, call, name);
    return result;
  }

  /** The entries, "." and ".." left out, in getdents order. */
  list(): DirEntry[] {
    const fd = this.#pathOnly ? this.#reopen() : this.fd;
    try {
      const buf = DIRENTS_BUF;
      const out: DirEntry[] = [];
      this.#check(this.#sys.lseek(fd, 0, 0), "lseek");
      for (;;) {
        const n = this.#check(this.#sys.getdents64(fd, buf), "getdents64");
        if (n === 0) return out;
        for (const d of decodeDirents(buf, n)) {
          if (d.name === "." || d.name === "..") continue;
          let type = d.type;
          if (type === 0) type = (this.lstatx(d.name).mode & S.IFMT) >> 12; // DT_UNKNOWN
          out.push({
            name: d.name,
            isFile: type === 8,
            isDirectory: type === 4,
            isSymlink: type === 10,
            ino: d.ino,
          });
        }
      }
    } finally {
      if (fd !== this.#fd) this.#sys.close(fd);
    }
  }

  #reopen(): number {
    return this.#check(
      this.#sys.openat(this.fd, DOT, O.RDONLY | O.DIRECTORY | O.CLOEXEC, 0),
      "openat",
    );
  }

  /** statx of `name`, not following a symlink ("" is the directory itself). */
  lstatx(name: string, mask: number = STATX_WANTED): Statx {
    this.lstatxInto(name, STATX_BUF, mask);
    return decodeStatx(STATX_BUF);
  }

  /** {@link lstatx} into `buf` (a struct statx, {@link STATX_SIZE} bytes), not decoded. */
  lstatxInto(name: string, buf: Uint8Array, mask: number = STATX_WANTED): void {
    const flags = AT.SYMLINK_NOFOLLOW | (name === "" ? AT.EMPTY_PATH : 0);
    this.#check(
      this.#sys.statx(this.fd, name === "" ? EMPTY : NAME.encode(name), flags, mask, buf),
      "statx",
      name,
    );
  }

  /** statx of `name`, following a symlink: the symlink's target must be inside the tree (see tree.ts). */
  statxFollow(name: string, mask: number = STATX_WANTED): Statx {
    this.#check(this.#sys.statx(this.fd, NAME.encode(name), 0, mask, STATX_BUF), "statx", name);
    return decodeStatx(STATX_BUF);
  }

  /** Opens the subdirectory `name` (never through a symlink). */
  openDir(name: string): Directory {
    const fd = this.#check(
      this.#sys.openat(
        this.fd,
        NAME.encode(name),
        O.RDONLY | O.DIRECTORY | O.NOFOLLOW | O.CLOEXEC,
        0,
      ),
      "openat",
      name,
    );
    return new Directory(this.#sys, fd, this.child(name));
  }

  /** Opens the file `name` with O_* `flags` (O_NOFOLLOW added). */
  openFile(name: string, flags: number, mode = 0o666): FileHandle {
    const fd = this.#check(
      this.#sys.openat(this.fd, NAME.encode(name), flags | O.NOFOLLOW | O.CLOEXEC, mode),
      "openat",
      name,
    );
    return new FileHandle(this.#sys, fd, this.child(name), (flags & O.APPEND) !== 0);
  }

  /** Makes the directory `name`; returns false when something named so exists already. */
  mkdir(name: string, mode: number, existOk = false): boolean {
    const rc = this.#sys.mkdirat(this.fd, NAME.encode(name), mode);
    if (rc === -ERRNO.EEXIST && existOk) return false;
    this.#check(rc, "mkdirat", name);
    return true;
  }

  /** Makes the symlink `name` pointing to `target` (stored as given). */
  symlink(target: string, name: string): void {
    this.#check(
      this.#sys.symlinkat(TARGET.encode(target), this.fd, NAME.encode(name)),
      "symlinkat",
      name,
    );
  }

  /** The target of the symlink `name`. */
  readLink(name: string): string {
    let buf = new Uint8Array(4096);
    for (;;) {
      const n = this.#check(
        this.#sys.readlinkat(this.fd, NAME.encode(name), buf),
        "readlinkat",
        name,
      );
      if (n < buf.length) return decodeName(buf.subarray(0, n));
      buf = new Uint8Array(buf.length * 2);
    }
  }

  /** Makes `name` a hard link to `oldName` of `oldDir`. */
  link(oldDir: Directory, oldName: string, name: string): void {
    this.#check(
      this.#sys.linkat(oldDir.fd, NAME2.encode(oldName), this.fd, NAME.encode(name), 0),
      "linkat",
      name,
    );
  }

  /** mknodat: a FIFO, socket or device node `name` (`mode` holds the type). */
  mknod(name: string, mode: number, dev = 0): void {
    this.#check(this.#sys.mknodat(this.fd, NAME.encode(name), mode, dev), "mknodat", name);
  }

  /** Removes the entry `name` (a directory when `dir`, which must be empty). */
  unlink(name: string, dir = false): void {
    this.#check(
      this.#sys.unlinkat(this.fd, NAME.encode(name), dir ? AT.REMOVEDIR : 0),
      "unlinkat",
      name,
    );
  }

  /** The raw result of unlinkat, for callers that handle errors themselves. */
  unlinkResult(name: string, dir = false): number {
    return this.#sys.unlinkat(this.fd, NAME.encode(name), dir ? AT.REMOVEDIR : 0);
  }

  /** Renames `name` to `newName` of `newDir` (renameat2 `flags`). */
  rename(name: string, newDir: Directory, newName: string, flags = 0): void {
    this.#check(
      this.#sys.renameat2(this.fd, NAME.encode(name), newDir.fd, NAME2.encode(newName), flags),
      "renameat2",
      name,
    );
  }

  /** chown of `name`, not following a symlink (-1 leaves an id as is). */
  chown(name: string, uid: number, gid: number): void {
    const flags = AT.SYMLINK_NOFOLLOW | (name === "" ? AT.EMPTY_PATH : 0);
    this.#check(
      this.#sys.fchownat(
        this.fd,
        name === "" ? EMPTY : NAME.encode(name),
        uid >>> 0,
        gid >>> 0,
        flags,
      ),
      "fchownat",
      name,
    );
  }

  /** chmod of `name` (symlinks have no mode of their own: do not call it on one). */
  chmod(name: string, mode: number): void {
    if (name === "" && !this.#pathOnly) {
      this.#check(this.#sys.fchmod(this.fd, mode), "fchmod");
      return;
    }
    this.#check(
      this.#sys.fchmodat(this.fd, name === "" ? DOT : NAME.encode(name), mode),
      "fchmodat",
      name,
    );
  }

  /** Sets atime and mtime of `name` (nanoseconds), not following a symlink. */
  utime(name: string, atimeNs: bigint, mtimeNs: bigint): void {
    const flags = name === "" ? AT.EMPTY_PATH : AT.SYMLINK_NOFOLLOW;
    this.#check(
      this.#sys.utimensat(
        this.fd,
        name === "" ? DOT : NAME.encode(name),
        encodeTimes(atimeNs, mtimeNs),
        name === "" ? 0 : flags,
      ),
      "utimensat",
      name,
    );
  }

  // The xattr calls take paths; /proc/self/fd/N names this directory on
  // either system (both have /proc mounted), and the last component is
  // not followed (l*xattr).
  #xattrPath(name: string): CPath {
    return cString(`/proc/self/fd/${this.fd}/${name === "" ? "." : name}`);
  }

  /** The names of the extended attributes of `name`. */
  listXattr(name: string): string[] {
    const path = this.#xattrPath(name);
    for (;;) {
      const size = this.#check(this.#sys.llistxattr(path, null), "llistxattr", name);
      if (size === 0) return [];
      const buf = new Uint8Array(size);
      const n = this.#sys.llistxattr(path, buf);
      if (n === -ERRNO.ERANGE) continue; // grew meanwhile
      this.#check(n, "llistxattr", name);
      return decodeName(buf.subarray(0, n)).split("\0").filter((s) => s !== "");
    }
  }

  /** The value of extended attribute `attr` of `name`, or null when it has none. */
  getXattr(name: string, attr: string): Uint8Array | null {
    const path = this.#xattrPath(name);
    const key = cString(attr);
    for (;;) {
      const size = this.#sys.lgetxattr(path, key, null);
      if (size === -ERRNO.ENODATA) return null;
      this.#check(size, "lgetxattr", name);
      const buf = new Uint8Array(size);
      const n = this.#sys.lgetxattr(path, key, buf);
      if (n === -ERRNO.ERANGE) continue;
      this.#check(n, "lgetxattr", name);
      return buf.subarray(0, n);
    }
  }

  /** Sets extended attribute `attr` of `name` (XATTR.CREATE or REPLACE in `flags`). */
  setXattr(name: string, attr: string, value: Uint8Array, flags = 0): void {
    this.#check(
      this.#sys.lsetxattr(this.#xattrPath(name), cString(attr), value, flags),
      "lsetxattr",
      name,
    );
  }

  /** Removes extended attribute `attr` of `name`. */
  removeXattr(name: string, attr: string): void {
    this.#check(this.#sys.lremovexattr(this.#xattrPath(name), cString(attr)), "lremovexattr", name);
  }

  /** Closes the directory; closing twice does nothing. */
  close(): void {
    if (this.#fd < 0) return;
    this.#onClose?.(this);
    this.#sys.close(this.#fd);
    this.#fd = -1;
  }

  /** Closes at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Throws unless `name` is one path component (no "/", not "." or "..", not empty). */
export function checkName(name: string, where: string): void {
  if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0")) {
    throw new LklError(ERRNO.EINVAL, "name", {
      path: where,
      detail: `not a file name: ${JSON.stringify(name)}`,
    });
  }
}
