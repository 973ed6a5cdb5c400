/**
 * A file system of a disk image, mounted in the kernel under /mnt, with
 * the file API of {@link FileTree}. Closing it syncs and unmounts.
 *
 * @module
 */

import { MNT, O } from "../ffi/constants.ts";
import { cString } from "../ffi/cstring.ts";
import { ERRNO } from "../ffi/errno.ts";
import { SYS } from "../ffi/syscalls.ts";
import { LklError } from "./errors.ts";
import type { Kernel } from "./kernel.ts";
import { kernelSystem } from "./system.ts";
import { FileTree } from "./tree.ts";

/** Options of {@link Disk.mount}. */
export interface MountOptions {
  /**
   * Partition number (1, 2...), or 0 for the whole disk. Default: the
   * whole disk when it has no partition table, its only partition when it
   * has one; with several, choosing one is required.
   */
  partition?: number;
  /** File system type ("ext4", "vfat", ...); default: detected from the superblock. */
  fstype?: string;
  /** Mount read-only (MS_RDONLY). Default: read-only when the disk was attached so. */
  readOnly?: boolean;
  /** File-system-specific options, as mount(8) -o takes them (e.g. "noload", "discard"). */
  options?: string;
  /**
   * On a read-only disk whose journal (or log) needs recovery, mount it
   * without replaying it (ext4 noload, xfs and f2fs norecovery, btrfs
   * rescue=nologreplay) instead of failing: the file system as of its last
   * checkpoint, without the changes still in the journal.
   * {@link Mount.recoverySkipped} says when that happened. Default false.
   */
  skipRecovery?: boolean;
}

/**
 * A mounted file system: its files through the {@link FileTree} API, paths
 * relative to its root and unable to leave it. `await using` unmounts it.
 *
 * ```ts
 * import { Kernel } from "../mod.ts";
 * await using kernel = await Kernel.boot();
 * await using disk = await kernel.attachDisk("disk.img");
 * await using mount = await disk.mount({ partition: 1 });
 * console.log(mount.fstype, await mount.readTextFile("etc/hostname"));
 * ```
 */
export class Mount extends FileTree {
  readonly #kernel: Kernel;
  readonly #onClose: (mount: Mount) => void;
  #mounted = true;
  #closing: Promise<void> | null = null;
  readonly #cancelAtExit: () => void;
  /** Where the kernel has it mounted, e.g. "/mnt/vda1". */
  readonly mountPoint: string;
  /** The file system type it is mounted as, e.g. "ext4". */
  readonly fstype: string;
  /** Whether it is mounted read-only. */
  readonly readOnly: boolean;
  /** The kernel block device, e.g. "vda1". */
  readonly device: string;
  /** True when the journal needed recovery and was skipped ({@link MountOptions.skipRecovery}). */
  readonly recoverySkipped: boolean;

  /** Use {@link Disk.mount}: this wraps a mount that already exists. */
  constructor(
    kernel: Kernel,
    init: {
      mountPoint: string;
      fstype: string;
      readOnly: boolean;
      device: string;
      label: string;
      recoverySkipped?: boolean;
    },
    onClose: (mount: Mount) => void,
  ) {
    const sys = kernelSystem(kernel);
    const fd = sys.openat(-100, cString(init.mountPoint), O.PATH | O.DIRECTORY | O.CLOEXEC, 0);
    if (fd < 0) throw new LklError(-fd, "openat", { path: init.mountPoint });
    super(sys, fd, init.mountPoint, init.label);
    this.#kernel = kernel;
    this.#onClose = onClose;
    this.mountPoint = init.mountPoint;
    this.fstype = init.fstype;
    this.readOnly = init.readOnly;
    this.device = init.device;
    this.recoverySkipped = init.recoverySkipped ?? false;
    this.#cancelAtExit = kernel.onExit(() => this.#unmountAtExit());
  }

  /** At the end of a program that did not halt: close its files, unmount, synchronously. */
  #unmountAtExit(): boolean {
    if (!this.#mounted) return true;
    this.closeFiles();
    super.close();
    const rc = this.#kernel.syscallResult(SYS.umount2, cString(this.mountPoint), 0);
    if (rc === 0) this.#mounted = false;
    return rc === 0;
  }

  /** Whether it is still mounted. */
  get mounted(): boolean {
    return this.#mounted;
  }

  /** Writes everything of this file system to the image (syncfs), without unmounting. */
  async sync(): Promise<void> {
    if (!this.#mounted || this.readOnly) return;
    const fd = this.#kernel.syscall(
      SYS.openat,
      -100,
      cString(this.mountPoint),
      O.RDONLY | O.DIRECTORY | O.CLOEXEC,
      0,
    );
    try {
      await this.#kernel.syscallAsync(SYS.syncfs, fd);
    } finally {
      this.#kernel.syscallResult(SYS.close, fd);
    }
  }

  /**
   * Syncs and unmounts. Fails with EBUSY while files opened through it are
   * still open. Closing twice (even at once) does nothing more.
   */
  override close(): Promise<void> {
    this.#closing ??= this.#unmount().finally(() => this.#closing = null);
    return this.#closing;
  }

  /**
   * Closes the files still open through it, then unmounts: what halt does,
   * so that no image is left with a dirty journal.
   */
  closeForHalt(): Promise<void> {
    this.closeFiles();
    return this.close();
  }

  async #unmount(): Promise<void> {
    if (!this.#mounted) return;
    await this.sync();
    super.close(); // the root fd would keep the mount busy
    const target = cString(this.mountPoint);
    const rc = await this.#kernel.syscallResultAsync(SYS.umount2, target, 0);
    if (rc === -ERRNO.EBUSY) {
      throw new LklError(ERRNO.EBUSY, "umount", {
        path: this.label,
        detail: "files of this mount are still open; close them first",
      });
    }
    if (rc < 0) throw new LklError(-rc, "umount", { path: this.label });
    this.#mounted = false;
    this.#cancelAtExit();
    this.#kernel.syscallResult(SYS.unlinkat, -100, target, 0x200); // AT_REMOVEDIR: the mount point
    this.#onClose(this);
  }

  /** Unmounts, when all else failed: detaches it lazily (MNT_DETACH) after a sync. */
  async forceClose(): Promise<void> {
    if (!this.#mounted) return;
    try {
      await this.close();
    } catch {
      await this.#kernel.syscallResultAsync(SYS.umount2, cString(this.mountPoint), MNT.DETACH);
      this.#mounted = false;
      this.#cancelAtExit();
      this.#onClose(this);
    }
  }

  /** Unmounts at the end of an `await using` block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** `using` cannot wait for an unmount: use `await using`. */
  override [Symbol.dispose](): void {
    throw new TypeError(
      "a Mount is closed asynchronously: use `await using`, or `await mount.close()`",
    );
  }
}
