/**
 * Checking a file system with the kernel's own driver, the way `lkl fsck`
 * does: walk every directory and inode (getdents, statx, readlink), read
 * every byte of every file when asked, run a read-only scrub on btrfs, and
 * collect every error with the path where it happened, and every message
 * the driver printed meanwhile.
 *
 * This finds what the kernel verifies as it reads: checksums of metadata
 * (ext4 metadata_csum, xfs v5, btrfs, f2fs) and of data (btrfs), and the
 * structure of what it touches. It is no offline structural check like
 * e2fsck: free space maps, unreferenced inodes and blocks claimed twice
 * are never read by a walk, so they are not checked.
 *
 * Without `repair`, not a byte of the image changes: it is attached
 * read-only (the kernel sees a read-only disk) and mounted read-only with
 * the options that keep the driver from writing (ext4 `noload`, xfs and
 * f2fs `norecovery`, btrfs `rescue=nologreplay`).
 *
 * @module
 */

import { DT, O, S, STATX } from "../ffi/constants.ts";
import { ERRNO, errnoMessage } from "../ffi/errno.ts";
import { decodeDirents, type Dirent64, type Statx } from "../ffi/structs.ts";
import { Directory, STATX_WANTED } from "./directory.ts";
import { type Disk, DiskError } from "./disk.ts";
import { LklError } from "./errors.ts";
import {
  aFsType,
  compatibleFsType,
  type FsProbe,
  isReadOnlyFsType,
  kernelFsType,
  type RecordedErrors,
} from "./fstype.ts";
import type { Kernel } from "./kernel.ts";
import {
  inodeReferences,
  isDamageMessage,
  type KernelMessage,
  logLines,
  namedPath,
} from "./kernel_messages.ts";
import type { Mount } from "./mount.ts";
import { scrubBtrfs, scrubFoundErrors, type ScrubResult } from "./scrub.ts";

/** Options of {@link checkImage} and {@link checkMount}. */
export interface CheckOptions {
  /** Partition number (see {@link MountOptions.partition}). */
  partition?: number;
  /** File system type; default: detected from the superblock. */
  fstype?: string;
  /** Read every byte of every file (each hard-linked file once). Default false. */
  readData?: boolean;
  /**
   * Mount read-write first, so that the kernel replays the journal (or
   * log) and cleans up orphan inodes, then unmount and check. Default
   * false: nothing is written.
   */
  repair?: boolean;
  /** Run a read-only scrub on btrfs (default true). */
  scrub?: boolean;
  /** Called as the check goes: after each entry and each chunk of data read. */
  onProgress?: (progress: CheckProgress) => void;
  /** Stops the check (it rejects with the signal's reason; the image is unmounted cleanly). */
  signal?: AbortSignal;
}

/** How far a check got. */
export interface CheckProgress {
  /** "repair" (the read-write mount), "walk" or "scrub". */
  phase: "repair" | "walk" | "scrub";
  /** Entries checked. */
  entries: number;
  /** Bytes read: file data in the walk, verified bytes in a scrub. */
  bytes: number;
  /** The entry being checked. */
  path: string;
}

/** One thing found wrong. */
export interface CheckProblem {
  /** Where, as a path in the file system ("/dir/file"), or null when unknown. */
  path: string | null;
  /** What failed: "readdir", "stat", "readlink", "open", "read", "links", "type", "journal", "scrub". */
  operation: string;
  /** The errno name (EIO, EUCLEAN, EBADMSG...) when a call failed. */
  code: string | null;
  /** The cause, in words. */
  cause: string;
}

/** What a check found. */
export interface CheckReport {
  /** The image file. */
  image: string;
  /** The kernel block device checked, e.g. "vda1". */
  device: string;
  /** The file system type. */
  fstype: string;
  /** Whether file data was read. */
  readData: boolean;
  /** Entries checked (every kind, the root included). */
  entries: number;
  /** Directories. */
  directories: number;
  /** Regular files. */
  files: number;
  /** Symbolic links. */
  symlinks: number;
  /** FIFOs, sockets, device nodes. */
  specialFiles: number;
  /** File bytes read. */
  bytesRead: number;
  /** The btrfs scrub's result, or null when none ran. */
  scrub: ScrubResult | null;
  /** What the repair mount corrected (journal replayed, orphans cleaned). */
  corrected: string[];
  /** What is wrong. */
  problems: CheckProblem[];
  /**
   * ext2/3/4: errors the kernel recorded in the superblock before this
   * check (on any machine), or null. Only e2fsck clears them: they do not
   * make the check fail, since this walk may not meet what they were about.
   */
  recordedErrors: RecordedErrors | null;
  /** Every kernel message printed during the check. */
  kernelMessages: KernelMessage[];
  /** Seconds the check took. */
  seconds: number;
}

/** Whether a report found the file system clean: no problem and no damage message. */
export function checkClean(report: CheckReport): boolean {
  return report.problems.length === 0 && !report.kernelMessages.some((m) => m.error);
}

/**
 * Mount options that keep each driver from writing, on a read-only mount.
 * btrfs writes nothing read-only, but replays its log tree when there is
 * one, and any rescue= option forbids a scrub: so nologreplay only then.
 */
function noWriteOptions(fstype: string, needsRecovery: boolean): string | undefined {
  switch (fstype) {
    case "ext2":
    case "ext3":
    case "ext4":
      return "noload";
    case "xfs":
    case "f2fs":
      return "norecovery";
    case "btrfs":
      return needsRecovery ? "rescue=nologreplay" : undefined;
  }
  return undefined;
}

/** File systems whose link counts mean names in directories. */
const COUNTS_LINKS = new Set(["ext2", "ext3", "ext4", "btrfs", "xfs", "f2fs"]);

/**
 * File systems whose directories have 2 + their subdirectories as link
 * count (the name in the parent, ".", and each subdirectory's ".."). Not
 * btrfs (always 1), nor iso9660 (the kernel says 1, with Rock Ridge too).
 * vfat and exfat count the subdirectory entries as the inode is read.
 */
const COUNTS_DIRECTORY_LINKS = new Set([
  "ext2",
  "ext3",
  "ext4",
  "xfs",
  "f2fs",
  "vfat",
  "msdos",
  "exfat",
  "squashfs",
]);

/** Subdirectories past which ext4 (dir_nlink) gives a directory link count 1. */
const EXT4_LINK_MAX = 65000;
/** The smallest ext4 directory entry, in bytes. */
const EXT4_MIN_DIRENT = 12;

/** What a repair mount prints when it corrects something. */
const CORRECTION =
  /recovery complete|orphan inode|orphan cleanup|truncates? cleaned up|Ending recovery|tree-log replay|recover(ed)? fsync data|recovered/i;

const CHUNK = 1 << 20;
const YIELD_EVERY = 256;

function joinPath(dir: string, name: string): string {
  return dir === "/" ? `/${name}` : `${dir}/${name}`;
}

function typeName(mode: number): string {
  switch (mode & S.IFMT) {
    case S.IFDIR:
      return "directory";
    case S.IFREG:
      return "regular file";
    case S.IFLNK:
      return "symlink";
    case S.IFIFO:
      return "FIFO";
    case S.IFSOCK:
      return "socket";
    case S.IFCHR:
      return "character device";
    case S.IFBLK:
      return "block device";
    default:
      return `unknown type ${(mode & S.IFMT).toString(8)}`;
  }
}

interface InodeSeen {
  path: string;
  nlink: number;
  names: number;
}

/** A directory walked, for its link count. */
interface DirectorySeen {
  path: string;
  nlink: number;
  size: number;
  /** Subdirectories found in it. */
  subdirs: number;
  /** Whether every entry was listed and stat'ed (else its count is unknown). */
  complete: boolean;
}

/** The walk over a mounted tree. */
class Walk {
  readonly #mount: Mount;
  readonly #options: CheckOptions;
  readonly #buffer = new Uint8Array(CHUNK);
  readonly #dirents = new Uint8Array(64 * 1024);
  /** "subvol:ino" → what was seen of the inode. */
  readonly inodes = new Map<string, InodeSeen>();
  /** ino → paths, for kernel messages that give no subvolume. */
  readonly byIno = new Map<number, string[]>();
  /** Every directory walked, with its link count and the subdirectories found. */
  readonly directoriesSeen: DirectorySeen[] = [];
  readonly problems: CheckProblem[] = [];
  entries = 0;
  directories = 0;
  files = 0;
  symlinks = 0;
  specialFiles = 0;
  bytesRead = 0;

  constructor(mount: Mount, options: CheckOptions) {
    this.#mount = mount;
    this.#options = options;
  }

  #progress(path: string): void {
    this.#options.onProgress?.({
      phase: "walk",
      entries: this.entries,
      bytes: this.bytesRead,
      path,
    });
  }

  /** Records `e` as a problem of `path`, or rethrows what is no kernel error. */
  #failed(path: string, operation: string, e: unknown): void {
    if (!(e instanceof LklError)) throw e;
    this.problems.push({
      path,
      operation,
      code: e.code,
      cause: `${errnoMessage(e.errno)} (${e.code})`,
    });
  }

  async run(): Promise<void> {
    const root = this.#mount.openDirectory(".");
    try {
      let st: Statx;
      try {
        st = root.lstatx("", STATX_WANTED | STATX.SUBVOL);
      } catch (e) {
        this.#failed("/", "stat", e);
        return;
      }
      this.#seen("/", st);
      await this.#directory(root, "/", st);
    } finally {
      root.close();
    }
  }

  #seen(path: string, st: Statx): void {
    this.entries++;
    const type = st.mode & S.IFMT;
    if (type === S.IFDIR) this.directories++;
    else if (type === S.IFREG) this.files++;
    else if (type === S.IFLNK) this.symlinks++;
    else this.specialFiles++;
    const ino = Number(st.ino);
    const key = `${st.subvol}:${ino}`;
    const known = this.inodes.get(key);
    if (known) {
      known.names++;
    } else {
      // Every kind but directories (counted apart) has one link per name.
      this.inodes.set(key, { path, nlink: type === S.IFDIR ? 0 : st.nlink, names: 1 });
      this.#addIno(ino, path);
    }
  }

  #addIno(ino: number, path: string): void {
    const paths = this.byIno.get(ino);
    if (paths) paths.push(path);
    else this.byIno.set(ino, [path]);
  }

  /** The entries of `dir` with their inode numbers (getdents64), "." and ".." left out. */
  #list(dir: Directory, path: string, seen: DirectorySeen): Dirent64[] | null {
    const sys = dir.system;
    const out: Dirent64[] = [];
    for (;;) {
      const n = sys.getdents64(dir.fd, this.#dirents);
      if (n < 0) {
        this.#failed(path, "readdir", new LklError(-n, "getdents64", { path }));
        seen.complete = false;
        // What was listed before the error is still worth checking.
        return out.length > 0 ? out : null;
      }
      if (n === 0) return out;
      for (const d of decodeDirents(this.#dirents, n)) {
        if (d.name !== "." && d.name !== "..") out.push(d);
      }
    }
  }

  async #directory(dir: Directory, path: string, self: Statx): Promise<void> {
    const seen: DirectorySeen = {
      path,
      nlink: self.nlink,
      size: self.size,
      subdirs: 0,
      complete: true,
    };
    this.directoriesSeen.push(seen);
    const entries = this.#list(dir, path, seen);
    if (entries === null) return;
    for (const entry of entries) {
      if (this.entries % YIELD_EVERY === 0) {
        // Let signals and progress output through, and stop when asked.
        await new Promise((r) => setTimeout(r, 0));
        this.#options.signal?.throwIfAborted();
      }
      const child = joinPath(path, entry.name);
      let st: Statx;
      try {
        st = dir.lstatx(entry.name, STATX_WANTED | STATX.SUBVOL);
      } catch (e) {
        this.#failed(child, "stat", e);
        // The kernel's messages about it name the inode of the entry.
        this.#addIno(Number(entry.ino), child);
        // Whether it is a subdirectory is unknown: so is the link count to expect.
        seen.complete = false;
        continue;
      }
      const key = `${st.subvol}:${Number(st.ino)}`;
      const first = !this.inodes.has(key);
      this.#seen(child, st);
      const type = st.mode & S.IFMT;
      // DT_UNKNOWN: the file system does not say (then nothing to compare).
      if (entry.type !== DT.UNKNOWN && entry.type !== (type >> 12)) {
        this.problems.push({
          path: child,
          operation: "type",
          code: null,
          cause: `the directory entry says ${typeName(entry.type << 12)}, the inode is a ${
            typeName(st.mode)
          }`,
        });
      }
      if (type === S.IFDIR) {
        seen.subdirs++;
        let sub: Directory;
        try {
          sub = dir.openDir(entry.name);
        } catch (e) {
          this.#failed(child, "open", e);
          continue;
        }
        try {
          await this.#directory(sub, child, st);
        } finally {
          sub.close();
        }
      } else if (type === S.IFLNK) {
        try {
          dir.readLink(entry.name);
        } catch (e) {
          this.#failed(child, "readlink", e);
        }
      } else if (type === S.IFREG && this.#options.readData && first) {
        await this.#read(dir, entry.name, child);
      }
      this.#progress(child);
    }
  }

  async #read(dir: Directory, name: string, path: string): Promise<void> {
    let file;
    try {
      file = dir.openFile(name, O.RDONLY);
    } catch (e) {
      this.#failed(path, "open", e);
      return;
    }
    try {
      for (let offset = 0;;) {
        this.#options.signal?.throwIfAborted();
        let n: number;
        try {
          n = await file.pread(this.#buffer, offset);
        } catch (e) {
          this.#failed(path, "read", e);
          if (e instanceof LklError && this.problems.length > 0) {
            this.problems[this.problems.length - 1].cause += ` at byte ${offset}`;
          }
          // Go on after the bad chunk: the rest may read.
          offset += CHUNK;
          if (offset >= (file.statSync().size)) break;
          continue;
        }
        if (n === 0) break;
        offset += n;
        this.bytesRead += n;
        this.#progress(path);
      }
    } finally {
      try {
        file.close();
      } catch (e) {
        this.#failed(path, "close", e);
      }
    }
  }

  /** Link counts that do not match the names found. */
  checkLinks(): void {
    for (const seen of this.inodes.values()) {
      if (seen.nlink > 0 && seen.nlink !== seen.names) {
        this.problems.push({
          path: seen.path,
          operation: "links",
          code: null,
          cause: `link count ${seen.nlink}, but ${seen.names} name${
            seen.names === 1 ? "" : "s"
          } found`,
        });
      }
    }
  }

  /**
   * Directory link counts that are not 2 + the subdirectories found (the
   * name in the parent, ".", and each subdirectory's ".."). ext4's
   * dir_nlink sets 1 on a directory that gets more than 65000
   * subdirectories, and keeps 1 after they go: accepted on a directory
   * big enough to have held them (ext4 directories never shrink).
   */
  checkDirectoryLinks(fstype: string): void {
    const ext = fstype === "ext2" || fstype === "ext3" || fstype === "ext4";
    for (const dir of this.directoriesSeen) {
      if (!dir.complete) continue;
      const expected = 2 + dir.subdirs;
      if (dir.nlink === expected) continue;
      if (
        ext && dir.nlink === 1 &&
        (expected > EXT4_LINK_MAX || dir.size >= EXT4_LINK_MAX * EXT4_MIN_DIRENT)
      ) continue;
      this.problems.push({
        path: dir.path,
        operation: "links",
        code: null,
        cause: `link count ${dir.nlink}, but ${dir.subdirs} subdirector${
          dir.subdirs === 1 ? "y" : "ies"
        } found (${expected} expected)`,
      });
    }
  }

  /** Paths of what a kernel message names. */
  pathsOf(text: string): string[] {
    const out = new Set<string>();
    const named = namedPath(text);
    if (named !== null) out.add(named.startsWith("/") ? named : `/${named}`);
    for (const [subvol, ino] of inodeReferences(text)) {
      const exact = subvol === null ? undefined : this.inodes.get(`${subvol}:${ino}`)?.path;
      if (exact) out.add(exact);
      else for (const p of this.byIno.get(ino) ?? []) out.add(p);
    }
    return [...out];
  }
}

/** The part of a report that a check of a mounted file system fills in. */
export type MountCheck = Omit<CheckReport, "image" | "corrected" | "seconds" | "recordedErrors">;

/**
 * Checks a file system that is already mounted: walks it (reading the
 * data when asked), scrubs it when it is btrfs, and gathers the kernel
 * messages printed meanwhile. Read-only as long as the mount is.
 *
 * ```ts
 * import { checkMount, Kernel } from "../mod.ts";
 * await using kernel = await Kernel.boot();
 * await using disk = await kernel.attachDisk("disk.img", { readOnly: true });
 * await using mount = await disk.mount({ options: "noload" });
 * const result = await checkMount(kernel, mount, { readData: true });
 * for (const p of result.problems) console.log(p.path, p.cause);
 * ```
 */
export function checkMount(
  kernel: Kernel,
  mount: Mount,
  options: CheckOptions = {},
): Promise<MountCheck> {
  return checkMounted(kernel, mount, options, kernel.log().length);
}

/** {@link checkMount}, with the kernel messages from `logStart` on (an offset in kernel.log()). */
async function checkMounted(
  kernel: Kernel,
  mount: Mount,
  options: CheckOptions,
  logStart: number,
): Promise<MountCheck> {
  const walk = new Walk(mount, options);
  await walk.run();
  if (COUNTS_LINKS.has(mount.fstype)) walk.checkLinks();
  if (COUNTS_DIRECTORY_LINKS.has(mount.fstype)) walk.checkDirectoryLinks(mount.fstype);
  let scrub: ScrubResult | null = null;
  if (mount.fstype === "btrfs" && options.scrub !== false) {
    scrub = await scrubBtrfs(kernel, mount.mountPoint, {
      signal: options.signal,
      onProgress: (bytes) =>
        options.onProgress?.({ phase: "scrub", entries: walk.entries, bytes, path: "" }),
    });
    if (scrubFoundErrors(scrub)) {
      walk.problems.push({
        path: null,
        operation: "scrub",
        code: null,
        cause: `scrub found ${scrub.csumErrors} checksum, ${scrub.readErrors} read, ` +
          `${scrub.verifyErrors} metadata and ${scrub.superErrors} superblock errors`,
      });
    }
  }
  const kernelMessages = logLines(kernel.log().slice(logStart)).map((text) => {
    const error = isDamageMessage(text);
    return { text, error, paths: error ? walk.pathsOf(text) : [] };
  });
  if (scrub && scrubFoundErrors(scrub)) {
    // The scrub's warnings name the files using each bad block.
    const named = kernelMessages.filter((m) => m.error && /scrub|checksum error at/.test(m.text));
    for (const m of named) {
      const where = m.text.match(/(checksum error|error) at logical \d+/)?.[0] ?? "error";
      for (const path of m.paths) {
        walk.problems.push({ path, operation: "scrub", code: null, cause: where });
      }
    }
  }
  return {
    device: mount.device,
    fstype: mount.fstype,
    readData: options.readData ?? false,
    entries: walk.entries,
    directories: walk.directories,
    files: walk.files,
    symlinks: walk.symlinks,
    specialFiles: walk.specialFiles,
    bytesRead: walk.bytesRead,
    scrub,
    problems: walk.problems,
    kernelMessages,
  };
}

/** The kernel's name to mount `fstype` as for a check ("ext4" mounts ext2 and ext3 too, with noload). */
function checkFsType(fstype: string): string {
  return fstype === "ext2" || fstype === "ext3" ? "ext4" : fstype;
}

/**
 * File systems whose superblock does not say that the log needs recovery:
 * only the log itself does (an xfs log without an unmount record, f2fs
 * nodes fsynced after the last checkpoint).
 */
const LOG_ONLY_RECOVERY = new Set(["xfs", "f2fs"]);

/** What a log that needs recovery holds, by file system. */
const UNREPLAYED: Record<string, string> = {
  ext4: "journal holds transactions not yet written back",
  xfs: "log holds transactions not yet written back (no unmount record)",
  f2fs: "node log holds fsynced writes made after the last checkpoint",
  btrfs: "log tree holds fsynced writes not yet written back",
};

/**
 * Asks the driver itself whether the log needs recovery: on a read-only
 * disk, xfs and f2fs refuse a mount with recovery (EROFS) exactly when
 * there is something to recover, and mount a clean log without writing.
 */
async function logNeedsRecovery(
  disk: Disk,
  options: CheckOptions,
  fstype: string,
): Promise<boolean> {
  try {
    const mount = await disk.mount({ partition: options.partition, fstype, readOnly: true });
    await mount.close();
    return false;
  } catch (e) {
    if (e instanceof DiskError && e.problem === "needs-recovery") return true;
    throw e;
  }
}

async function repairMount(
  kernel: Kernel,
  disk: Disk,
  options: CheckOptions,
  probe: FsProbe | null,
): Promise<string[]> {
  options.onProgress?.({ phase: "repair", entries: 0, bytes: 0, path: "" });
  const logStart = kernel.log().length;
  const mount = await disk.mount({ partition: options.partition, fstype: options.fstype });
  await mount.close();
  const corrected = logLines(kernel.log().slice(logStart)).filter((l) => CORRECTION.test(l));
  if (probe?.needsRecovery && !corrected.some((l) => /recovery/i.test(l))) {
    corrected.unshift(`the ${probe.type} journal was replayed`);
  }
  return corrected;
}

/**
 * Checks the file system of a disk image (see the module doc for what
 * that covers): attaches it (read-only unless `repair`), mounts it so
 * that nothing is written, checks it with {@link checkMount}, unmounts
 * and detaches it. A journal that needs recovery is a problem unless
 * `repair` replays it. Errors of the image itself (missing, locked, no
 * file system, a mount the kernel refuses) reject with a DiskError or
 * LklError; damage found is in the report.
 *
 * ```ts
 * import { checkClean, checkImage, Kernel } from "../mod.ts";
 * await using kernel = await Kernel.boot();
 * const report = await checkImage(kernel, "disk.img", { readData: true });
 * console.log(checkClean(report) ? "clean" : report.problems);
 * ```
 */
export async function checkImage(
  kernel: Kernel,
  image: string,
  options: CheckOptions = {},
): Promise<CheckReport> {
  const start = performance.now();
  const repair = options.repair ?? false;
  await using disk = await kernel.attachDisk(image, { readOnly: !repair });
  const before = disk.probe(options.partition);
  // A read-only type (iso9660, squashfs) has no journal to replay: just check it.
  const repairing = repair &&
    !isReadOnlyFsType(options.fstype ? kernelFsType(options.fstype) : before?.type ?? "");
  const corrected = repairing ? await repairMount(kernel, disk, options, before) : [];
  options.signal?.throwIfAborted();
  // The repair mount rewrote the superblock (journal replayed): read it again.
  const probe = repairing ? disk.probe(options.partition) : before;
  const requested = options.fstype === undefined ? undefined : kernelFsType(options.fstype);
  // checkFsType mounts ext2 and ext3 as ext4: first refuse a -t the disk does not hold.
  if (requested !== undefined && probe && !compatibleFsType(requested, probe.type)) {
    const what = options.partition ? `${image} partition ${options.partition}` : image;
    throw new DiskError(
      "wrong-fstype",
      ERRNO.EINVAL,
      image,
      `${what}: not ${aFsType(requested)} file system (it holds ${probe.type})`,
    );
  }
  // Before the check: on a writable disk (--repair) the driver may record what it meets.
  const recordedErrors = probe?.recordedErrors ?? null;
  const fstype = checkFsType(requested ?? probe?.type ?? "");
  const unreplayed = probe?.needsRecovery ||
    (!repair && LOG_ONLY_RECOVERY.has(fstype) && await logNeedsRecovery(disk, options, fstype));
  const logStart = kernel.log().length;
  await using mount = await disk.mount({
    partition: options.partition,
    fstype: fstype === "" ? undefined : fstype,
    readOnly: true,
    options: noWriteOptions(fstype, unreplayed),
  });
  // A btrfs mounted with rescue=nologreplay refuses to scrub.
  const scrub = options.scrub !== false && !(fstype === "btrfs" && unreplayed);
  const result = await checkMounted(kernel, mount, { ...options, scrub }, logStart);
  if (unreplayed) {
    result.problems.unshift({
      path: null,
      operation: "journal",
      code: null,
      cause: `the ${fstype} ${UNREPLAYED[fstype] ?? UNREPLAYED.ext4}; they were not replayed ` +
        `(the check saw the file system without them${
          fstype === "btrfs" ? ", and could not scrub" : ""
        }): --repair replays them`,
    });
  }
  return {
    image,
    ...result,
    // ext2 and ext3 are checked with the ext4 driver: say what the disk holds (or -t said).
    fstype: requested === "msdos" ? requested : probe?.type ?? result.fstype,
    recordedErrors,
    corrected,
    seconds: (performance.now() - start) / 1000,
  };
}

/** Whether `e` is what an aborted check rejects with. */
export function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === "AbortError" ||
    e instanceof LklError && e.errno === ERRNO.ECANCELED;
}
