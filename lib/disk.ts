/**
 * A disk image attached to the kernel as a virtio block device: its
 * partitions, and mounting the file systems it holds.
 *
 * @module
 */

import { MS, O } from "../ffi/constants.ts";
import { cString } from "../ffi/cstring.ts";
import { ERRNO } from "../ffi/errno.ts";
import { openLibrary } from "../ffi/library.ts";
import { LKL_DISK_READ_ONLY } from "../ffi/symbols.ts";
import { SYS } from "../ffi/syscalls.ts";
import { LklError } from "./errors.ts";
import {
  aFsType,
  compatibleFsType,
  detectFsType,
  type FsProbe,
  isReadOnlyFsType,
  journalName,
  kernelFsType,
  PROBE_BYTES,
} from "./fstype.ts";
import type { Kernel } from "./kernel.ts";
import { Mount, type MountOptions } from "./mount.ts";

/** The mount option that reads a file system without replaying its log. */
const NO_REPLAY_OPTION: Record<string, string> = {
  ext3: "noload",
  ext4: "noload",
  xfs: "norecovery",
  f2fs: "norecovery",
  btrfs: "rescue=nologreplay",
};

/** Options of {@link Kernel.attachDisk}. */
export interface AttachOptions {
  /**
   * Attach read-only: the image file is opened O_RDONLY, the kernel sees
   * a read-only disk, and not one byte of the image changes. Default false.
   */
  readOnly?: boolean;
}

/** One partition of a disk, from the kernel's partition scan (MBR or GPT). */
export interface Partition {
  /** Partition number, from 1. */
  number: number;
  /** Start on the disk, in bytes. */
  start: number;
  /** Size in bytes. */
  size: number;
  /** The kernel block device, e.g. "vda2". */
  device: string;
}

/** Why a disk could not be attached or mounted: what the CLI turns into exit codes. */
export type DiskProblem =
  | "missing" // no such image file
  | "not-an-image" // a directory, a tiny file, or no file system on it
  | "locked" // another process has it attached
  | "permission" // the host denies access
  | "no-partition" // partition number out of range
  | "unknown-fstype" // a type the kernel does not know
  | "wrong-fstype" // the device holds another type
  | "needs-recovery" // a dirty journal on a read-only disk
  | "bad-option"; // a mount option the driver does not take

/**
 * An error about a disk image as a whole. The message names the image
 * and the cause, e.g. "disk.img is locked by another process".
 */
export class DiskError extends LklError {
  /** What went wrong, for programs. */
  readonly problem: DiskProblem;

  /** An error `problem` about `image`, with `message` as the whole text. */
  constructor(problem: DiskProblem, errno: number, image: string, message: string) {
    super(errno, "disk", { path: image, detail: message });
    this.message = message;
    this.name = "DiskError";
    this.problem = problem;
  }
}

/**
 * A disk image attached to the kernel. Get one with
 * {@link Kernel.attachDisk}; mount its file systems with {@link mount};
 * close it (or `await using`) to detach it: closing unmounts what is
 * still mounted first.
 *
 * ```ts
 * import { Kernel } from "../mod.ts";
 * await using kernel = await Kernel.boot();
 * await using disk = await kernel.attachDisk("disk.img", { readOnly: true });
 * console.log(disk.device, disk.partitions);
 * await using mount = await disk.mount({ partition: 2 });
 * ```
 */
export class Disk {
  readonly #kernel: Kernel;
  readonly #id: number;
  readonly #mounts = new Set<Mount>();
  readonly #unregister: () => void;
  #attached = true;
  #closing: Promise<void> | null = null;
  readonly #image: AttachedImage;
  /** The image file, as given. */
  readonly path: string;
  /** Whether it is attached read-only. */
  readonly readOnly: boolean;
  /** The kernel block device of the whole disk, e.g. "vda". */
  readonly device: string;
  /** Size of the disk in bytes. */
  readonly size: number;
  /** Its partitions, by number (empty without a partition table). */
  readonly partitions: readonly Partition[];

  private constructor(
    kernel: Kernel,
    id: number,
    path: string,
    readOnly: boolean,
    image: AttachedImage,
  ) {
    this.#kernel = kernel;
    this.#id = id;
    this.#image = image;
    this.path = path;
    this.readOnly = readOnly;
    this.device = blockDevice(kernel, id);
    const sys = `/sys/block/${this.device}`;
    this.size = Number(readSys(kernel, `${sys}/size`)) * 512;
    this.partitions = listPartitions(kernel, sys, this.device);
    this.#unregister = kernel.onHalt(() => this.close({ halting: true }));
  }

  /** Attaches `path`; use {@link Kernel.attachDisk}. */
  static async attach(kernel: Kernel, path: string, options: AttachOptions = {}): Promise<Disk> {
    const readOnly = options.readOnly ?? false;
    if (kernel.halted) {
      throw new LklError(ERRNO.ENODEV, "attachDisk", { path, detail: "kernel is halted" });
    }
    const info = checkImageFile(path);
    const image = claimImage(info, path, readOnly);
    const lib = openLibrary();
    const cpath = cString(path);
    try {
      // lkl_disk_add reads cpath on a pool thread; it stays referenced until the call returns.
      const id = await lib.symbols.lkl_disk_add_async(cpath, readOnly ? LKL_DISK_READ_ONLY : 0);
      void cpath;
      if (id < 0) throw attachError(-id, path);
      try {
        return new Disk(kernel, id, path, readOnly, image);
      } catch (e) {
        await lib.symbols.lkl_disk_remove_async(id);
        throw e;
      }
    } catch (e) {
      releaseImage(image);
      throw e;
    }
  }

  /** Whether it is still attached. */
  get attached(): boolean {
    return this.#attached;
  }

  /** The mounts of this disk that are still mounted. */
  get mounts(): readonly Mount[] {
    return [...this.#mounts];
  }

  /** The partition (or whole disk) a mount would use, by the rules of {@link MountOptions.partition}. */
  #target(
    partition: number | undefined,
    probe: (device: string) => FsProbe | null,
  ): { device: string; what: string } {
    const whole = { device: this.device, what: this.path };
    if (partition === 0) return whole;
    if (partition !== undefined) {
      const found = this.partitions.find((p) => p.number === partition);
      if (!found) {
        const has = this.partitions.length === 0
          ? "it has no partition table"
          : `it has ${this.partitions.length}: ${this.partitions.map((p) => p.number).join(", ")}`;
        throw new DiskError(
          "no-partition",
          ERRNO.ENXIO,
          this.path,
          `${this.path} has no partition ${partition} (${has})`,
        );
      }
      return { device: found.device, what: `${this.path} partition ${partition}` };
    }
    if (this.partitions.length === 0) return whole;
    if (this.partitions.length === 1) {
      return {
        device: this.partitions[0].device,
        what: `${this.path} partition ${this.partitions[0].number}`,
      };
    }
    if (probe(this.device)) return whole; // e.g. a hybrid ISO
    throw new DiskError(
      "no-partition",
      ERRNO.EINVAL,
      this.path,
      `${this.path} has ${this.partitions.length} partitions (${
        this.partitions.map((p) => p.number).join(", ")
      }): choose one`,
    );
  }

  /** The superblock probe of the kernel block device `device`. */
  #probe(device: string): FsProbe | null {
    const k = this.#kernel;
    const fd = k.syscall(SYS.openat, -100, cString(`/dev/${device}`), O.RDONLY | O.CLOEXEC, 0);
    try {
      const buf = new Uint8Array(PROBE_BYTES);
      let got = 0;
      while (got < buf.length) {
        const n = k.syscall(SYS.pread64, fd, buf.subarray(got), buf.length - got, got);
        if (n === 0) break;
        got += n;
      }
      return detectFsType(buf.subarray(0, got));
    } finally {
      k.syscallResult(SYS.close, fd);
    }
  }

  /**
   * What the superblock of a partition says (chosen by the rules of
   * {@link MountOptions.partition}): the file system type, and whether its
   * journal needs recovery; null when it holds no known file system.
   *
   * ```ts
   * import { Kernel } from "../mod.ts";
   * await using kernel = await Kernel.boot();
   * await using disk = await kernel.attachDisk("disk.img", { readOnly: true });
   * console.log(disk.probe()?.type); // "ext4"
   * ```
   */
  probe(partition?: number): FsProbe | null {
    this.#checkAttached();
    const { device } = this.#target(partition, (d) => this.#probe(d));
    return this.#probe(device);
  }

  /**
   * Mounts a file system of the disk under /mnt and returns it.
   *
   * ```ts
   * import { Kernel } from "../mod.ts";
   * await using kernel = await Kernel.boot();
   * await using disk = await kernel.attachDisk("disk.img");
   * await using mount = await disk.mount({ fstype: "ext4" });
   * await mount.writeTextFile("hello.txt", "hi\n");
   * ```
   */
  async mount(options: MountOptions = {}): Promise<Mount> {
    try {
      return await this.#mount(options, false);
    } catch (e) {
      if (!(options.skipRecovery && e instanceof DiskError && e.problem === "needs-recovery")) {
        throw e;
      }
      return await this.#mount(options, true);
    }
  }

  async #mount(options: MountOptions, skipRecovery: boolean): Promise<Mount> {
    this.#checkAttached();
    const { device, what } = this.#target(options.partition, (d) => this.#probe(d));
    const probe = this.#probe(device);
    // "ro" among the options is a read-only mount too (the kernel takes it as MS_RDONLY).
    const readOnly = (options.readOnly ?? this.readOnly) ||
      /(^|,)ro(,|$)/.test(options.options ?? "");
    if (this.readOnly && !readOnly) {
      throw new DiskError(
        "permission",
        ERRNO.EROFS,
        this.path,
        `${this.path} is attached read-only: it can only be mounted read-only`,
      );
    }
    const supported = supportedFsTypes(this.#kernel);
    let fstype: string;
    if (options.fstype !== undefined) {
      fstype = kernelFsType(options.fstype);
      if (!supported.includes(fstype)) {
        throw new DiskError(
          "unknown-fstype",
          ERRNO.ENODEV,
          this.path,
          `unknown file system type "${options.fstype}" (lkl knows: ${supported.join(", ")})`,
        );
      }
      if (probe && !compatibleFsType(fstype, probe.type)) {
        throw new DiskError(
          "wrong-fstype",
          ERRNO.EINVAL,
          this.path,
          `${what}: not ${aFsType(fstype)} file system (it holds ${probe.type})`,
        );
      }
    } else {
      if (!probe) {
        throw new DiskError(
          "not-an-image",
          ERRNO.EINVAL,
          this.path,
          `${what}: not a recognized file system (no known superblock)`,
        );
      }
      fstype = probe.type;
    }
    if (!readOnly && isReadOnlyFsType(fstype)) {
      // squashfs would mount "read-write" and fail each write; say it once, here.
      throw new DiskError(
        "permission",
        ERRNO.EROFS,
        this.path,
        `${what}: ${fstype} is a read-only file system type: it can be read, not written`,
      );
    }
    const given = options.options ?? "";
    const skip = skipRecovery
      ? NO_REPLAY_OPTION[fstype] ?? NO_REPLAY_OPTION[probe?.type ?? ""]
      : "";
    const data = [given, skip].filter((o) => o).join(",");
    const noload = /(^|,)(noload|norecovery|(rescue=)?nologreplay)(,|$)/.test(data);
    if (probe?.needsRecovery && this.readOnly && !noload) {
      throw new DiskError(
        "needs-recovery",
        ERRNO.EROFS,
        this.path,
        `${what}: the ${probe.type} ${
          journalName(probe.type)
        } needs recovery, which a read-only attach cannot write; ` +
          `attach it read-write once, or mount with the option "${
            NO_REPLAY_OPTION[probe.type] ?? "noload"
          }" to read it without ${probe.type === "btrfs" ? "replaying it" : "the journal"}`,
      );
    }
    const mountPoint = this.#mountPoint(device);
    const k = this.#kernel;
    const rc = await k.syscallResultAsync(
      SYS.mount,
      cString(`/dev/${device}`),
      cString(mountPoint),
      cString(fstype),
      readOnly ? MS.RDONLY : 0,
      data === "" ? null : cString(data),
    );
    if (rc < 0) {
      k.syscallResult(SYS.unlinkat, -100, cString(mountPoint), 0x200);
      throw mountError(-rc, what, fstype, this.path, readOnly, k.log(), data);
    }
    const mount = new Mount(
      k,
      { mountPoint, fstype, readOnly, device, label: what, recoverySkipped: skipRecovery },
      (m) => this.#mounts.delete(m),
    );
    this.#mounts.add(mount);
    return mount;
  }

  /** A fresh mount point for `device` under /mnt. */
  #mountPoint(device: string): string {
    for (let i = 0;; i++) {
      const path = `/mnt/${device}${i === 0 ? "" : `-${i}`}`;
      const rc = this.#kernel.syscallResult(SYS.mkdirat, -100, cString(path), 0o755);
      if (rc === 0) return path;
      if (rc !== -ERRNO.EEXIST) throw new LklError(-rc, "mkdirat", { path });
    }
  }

  #checkAttached(): void {
    if (!this.#attached) {
      throw new LklError(ERRNO.ENODEV, "disk", { path: this.path, detail: "the disk is detached" });
    }
  }

  /**
   * Detaches the disk, unmounting (with a sync) whatever of it is still
   * mounted first. Closing twice (even at once) does nothing more. With
   * `halting` (what {@link Kernel.halt} does), files still open through
   * its mounts are closed first, so that the unmounts succeed.
   */
  close(options: { halting?: boolean } = {}): Promise<void> {
    this.#closing ??= this.#detach(options.halting ?? false).finally(() => this.#closing = null);
    return this.#closing;
  }

  async #detach(halting: boolean): Promise<void> {
    if (!this.#attached) return;
    let first: unknown;
    for (const mount of [...this.#mounts]) {
      try {
        await (halting ? mount.closeForHalt() : mount.close());
      } catch (e) {
        first ??= e;
        await mount.forceClose();
      }
    }
    this.#attached = false;
    this.#unregister();
    releaseImage(this.#image);
    if (!this.#kernel.halted) {
      const rc = await openLibrary().symbols.lkl_disk_remove_async(this.#id);
      if (rc < 0 && rc !== -ERRNO.ENODEV) {
        first ??= new LklError(-rc, "lkl_disk_remove", { path: this.path });
      }
    }
    if (first) throw first;
  }

  /** Detaches at the end of an `await using` block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function readSys(kernel: Kernel, path: string): string {
  return kernel.fs.readTextFile(path).trim();
}

/** The block device of virtio-mmio device `id`, from sysfs. */
function blockDevice(kernel: Kernel, id: number): string {
  const base = `/sys/devices/platform/virtio-mmio.${id}`;
  const virtio = kernel.fs.readdir(base).find((e) => e.name.startsWith("virtio"));
  if (!virtio) {
    throw new LklError(ERRNO.ENODEV, "disk", { path: base, detail: "no virtio device found" });
  }
  const block = kernel.fs.readdir(`${base}/${virtio.name}/block`).find((e) =>
    !e.name.startsWith(".")
  );
  if (!block) {
    throw new LklError(ERRNO.ENODEV, "disk", { path: base, detail: "no block device found" });
  }
  return block.name;
}

function listPartitions(kernel: Kernel, sys: string, device: string): Partition[] {
  const out: Partition[] = [];
  for (const entry of kernel.fs.readdir(sys)) {
    if (!entry.name.startsWith(device) || entry.name === device) continue;
    let number: number;
    try {
      number = Number(readSys(kernel, `${sys}/${entry.name}/partition`));
    } catch {
      continue; // not a partition
    }
    out.push({
      number,
      start: Number(readSys(kernel, `${sys}/${entry.name}/start`)) * 512,
      size: Number(readSys(kernel, `${sys}/${entry.name}/size`)) * 512,
      device: entry.name,
    });
  }
  return out.sort((a, b) => a.number - b.number);
}

/** The block file system types of /proc/filesystems. */
export function supportedFsTypes(kernel: Kernel): string[] {
  return kernel.fs.readTextFile("/proc/filesystems").split("\n")
    .filter((l) => l !== "" && !l.startsWith("nodev"))
    .map((l) => l.trim());
}

/** Clear errors for what the host can tell before attaching. */
/** An image file attached in this process: by device and inode, however it was named. */
interface AttachedImage {
  key: string;
  path: string;
  readOnly: boolean;
}

/** The images this process has attached, with how many times. */
const ATTACHED = new Map<string, { image: AttachedImage; count: number }>();

/**
 * Notes that this process attaches `path`. The lock on the image is the
 * host's flock, which cannot tell this process from another: a second
 * read-write attach here would be "locked by another process". Say what
 * really holds it (read-only attaches may share an image).
 */
function claimImage(info: Deno.FileInfo, path: string, readOnly: boolean): AttachedImage {
  const key = `${info.dev}:${info.ino}`;
  const held = ATTACHED.get(key);
  if (held && !(held.image.readOnly && readOnly)) {
    throw new DiskError(
      "locked",
      ERRNO.EBUSY,
      path,
      `${path} is already attached in this process (as ${held.image.path}` +
        `${held.image.readOnly ? ", read-only" : ""}): close that Disk first`,
    );
  }
  const image = held?.image ?? { key, path, readOnly };
  ATTACHED.set(key, { image, count: (held?.count ?? 0) + 1 });
  return image;
}

function releaseImage(image: AttachedImage): void {
  const held = ATTACHED.get(image.key);
  if (!held) return;
  if (held.count <= 1) ATTACHED.delete(image.key);
  else held.count--;
}

function checkImageFile(path: string): Deno.FileInfo {
  if (path === "") {
    throw new DiskError("missing", ERRNO.ENOENT, path, "no image file given (an empty path)");
  }
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new DiskError("missing", ERRNO.ENOENT, path, `${path}: no such image file`);
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      throw new DiskError("permission", ERRNO.EACCES, path, `${path}: permission denied`);
    }
    throw e;
  }
  if (info.isDirectory) {
    throw new DiskError(
      "not-an-image",
      ERRNO.EISDIR,
      path,
      `${path}: is a directory, not a disk image`,
    );
  }
  if (info.isFile && info.size < 512) {
    throw new DiskError(
      "not-an-image",
      ERRNO.EINVAL,
      path,
      `${path}: not a disk image (${info.size} bytes, less than one sector)`,
    );
  }
  return info;
}

function attachError(errno: number, path: string): LklError {
  switch (errno) {
    case ERRNO.ENOENT:
      return new DiskError("missing", errno, path, `${path}: no such image file`);
    case ERRNO.EACCES:
    case ERRNO.EPERM:
    case ERRNO.EROFS:
      return new DiskError("permission", errno, path, `${path}: permission denied`);
    case ERRNO.EBUSY:
    case ERRNO.EAGAIN:
      return new DiskError("locked", errno, path, `${path} is locked by another process`);
    case ERRNO.EINVAL:
      return new DiskError(
        "not-an-image",
        errno,
        path,
        `${path}: not a disk image (not a regular file or block device, or smaller than a sector)`,
      );
    default:
      return new LklError(errno, "lkl_disk_add", { path });
  }
}

function mountError(
  errno: number,
  what: string,
  fstype: string,
  image: string,
  readOnly: boolean,
  log: string,
  options = "",
): LklError {
  // The kernel says why in its log: keep its last line about this mount.
  const lines = log.trimEnd().split("\n").slice(-4).map((l) => l.replace(/^\[[^\]]*\]\s*/, ""));
  const hint = lines.filter((l) => /vd[a-z]|EXT|XFS|BTRFS|FAT|F2FS|squashfs|ISOFS|exfat/i.test(l))
    .pop();
  const why = hint ? ` (kernel: ${hint.trim()})` : "";
  if (errno === ERRNO.EROFS && readOnly) {
    return new DiskError(
      "needs-recovery",
      errno,
      image,
      `${what}: the ${fstype} log needs recovery, which a read-only mount cannot do${why}`,
    );
  }
  if (errno === ERRNO.EACCES && !readOnly && isReadOnlyFsType(fstype)) {
    return new DiskError(
      "permission",
      ERRNO.EROFS,
      image,
      `${what}: ${fstype} is a read-only file system type: it can be read, not written`,
    );
  }
  if (
    errno === ERRNO.EINVAL && options !== "" &&
    /unknown parameter|unrecognized mount option|bad (mount )?option|invalid option|unknown mount option/i
      .test(hint ?? "")
  ) {
    return new DiskError(
      "bad-option",
      errno,
      image,
      `${what}: the ${fstype} driver refuses the mount options "${options}"${why}`,
    );
  }
  if (errno === ERRNO.EINVAL || errno === ERRNO.EUCLEAN || errno === ERRNO.EIO) {
    return new DiskError(
      "wrong-fstype",
      errno,
      image,
      `${what}: not a valid ${fstype} file system${why}`,
    );
  }
  if (errno === ERRNO.ENODEV) {
    return new DiskError("unknown-fstype", errno, image, `unknown file system type "${fstype}"`);
  }
  return new LklError(errno, "mount", { path: what });
}
