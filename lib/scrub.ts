/**
 * A read-only btrfs scrub: the kernel reads every data and metadata block
 * of every device and verifies its checksum, repairing nothing.
 *
 * @module
 */

import {
  BTRFS_ARGS_SIZE,
  BTRFS_IOC,
  BTRFS_SCRUB_READONLY,
  decodeFsInfo,
  decodeScrubProgress,
  encodeScrubArgs,
  type ScrubProgress,
} from "../ffi/btrfs.ts";
import { O } from "../ffi/constants.ts";
import { cString } from "../ffi/cstring.ts";
import { ERRNO } from "../ffi/errno.ts";
import { SYS } from "../ffi/syscalls.ts";
import { LklError } from "./errors.ts";
import type { Kernel } from "./kernel.ts";

/** What a scrub found, summed over the devices. */
export interface ScrubResult {
  /** Devices scrubbed. */
  devices: number;
  /** Data bytes read and verified. */
  dataBytes: number;
  /** Metadata bytes read and verified. */
  treeBytes: number;
  /** Blocks that could not be read. */
  readErrors: number;
  /** Blocks whose checksum did not match. */
  csumErrors: number;
  /** Metadata blocks whose header did not match (wrong bytenr, generation, fsid). */
  verifyErrors: number;
  /** Superblock copies that were bad. */
  superErrors: number;
  /** Errors no good copy could fix (all of them, in a read-only scrub of a single device). */
  uncorrectableErrors: number;
}

/** Options of {@link scrubBtrfs}. */
export interface ScrubOptions {
  /** Called a few times a second with the bytes verified so far. */
  onProgress?: (bytes: number) => void;
  /** Cancels the scrub (BTRFS_IOC_SCRUB_CANCEL). */
  signal?: AbortSignal;
}

function add(total: ScrubResult, p: ScrubProgress): void {
  total.dataBytes += p.dataBytesScrubbed;
  total.treeBytes += p.treeBytesScrubbed;
  total.readErrors += p.readErrors;
  total.csumErrors += p.csumErrors;
  total.verifyErrors += p.verifyErrors;
  total.superErrors += p.superErrors;
  total.uncorrectableErrors += p.uncorrectableErrors;
}

/** Whether a scrub found anything wrong. */
export function scrubFoundErrors(r: ScrubResult): boolean {
  return r.readErrors + r.csumErrors + r.verifyErrors + r.superErrors +
      r.uncorrectableErrors > 0;
}

/**
 * Scrubs the btrfs mounted at `mountPoint` (a kernel path) read-only, one
 * device after the other; the kernel logs each bad block, with the paths
 * of the files using it when it can find them.
 *
 * ```ts
 * import { Kernel, scrubBtrfs } from "../mod.ts";
 * await using kernel = await Kernel.boot();
 * await using disk = await kernel.attachDisk("btrfs.img", { readOnly: true });
 * await using mount = await disk.mount();
 * const result = await scrubBtrfs(kernel, mount.mountPoint);
 * console.log(result.csumErrors);
 * ```
 */
export async function scrubBtrfs(
  kernel: Kernel,
  mountPoint: string,
  options: ScrubOptions = {},
): Promise<ScrubResult> {
  const fd = kernel.syscall(
    SYS.openat,
    -100,
    cString(mountPoint),
    O.RDONLY | O.DIRECTORY | O.CLOEXEC,
    0,
  );
  const total: ScrubResult = {
    devices: 0,
    dataBytes: 0,
    treeBytes: 0,
    readErrors: 0,
    csumErrors: 0,
    verifyErrors: 0,
    superErrors: 0,
    uncorrectableErrors: 0,
  };
  const cancel = () => kernel.syscallResult(SYS.ioctl, fd, BTRFS_IOC.SCRUB_CANCEL, 0);
  options.signal?.addEventListener("abort", cancel);
  try {
    const info = new Uint8Array(BTRFS_ARGS_SIZE);
    kernel.syscall(SYS.ioctl, fd, BTRFS_IOC.FS_INFO, info);
    const { maxId } = decodeFsInfo(info);
    for (let devid = 1; devid <= maxId; devid++) {
      options.signal?.throwIfAborted();
      const args = encodeScrubArgs(devid, BTRFS_SCRUB_READONLY);
      const running = kernel.syscallResultAsync(SYS.ioctl, fd, BTRFS_IOC.SCRUB, args);
      let done = false;
      const finished = running.then(() => {});
      const poll = (async () => {
        const progress = encodeScrubArgs(devid, 0);
        while (!done) {
          let timer: ReturnType<typeof setTimeout> | undefined;
          await Promise.race([finished, new Promise((r) => timer = setTimeout(r, 200))]);
          clearTimeout(timer);
          if (done) break;
          if (kernel.syscallResult(SYS.ioctl, fd, BTRFS_IOC.SCRUB_PROGRESS, progress) >= 0) {
            const p = decodeScrubProgress(progress);
            options.onProgress?.(
              total.dataBytes + total.treeBytes + p.dataBytesScrubbed + p.treeBytesScrubbed,
            );
          }
        }
      })();
      const rc = await running;
      done = true;
      await poll;
      if (rc === -ERRNO.ENODEV) continue; // no device with this id (a removed one)
      if (rc === -ERRNO.ECANCELED) options.signal?.throwIfAborted();
      if (rc < 0) throw new LklError(-rc, "ioctl BTRFS_IOC_SCRUB", { path: mountPoint });
      add(total, decodeScrubProgress(args));
      total.devices++;
      options.onProgress?.(total.dataBytes + total.treeBytes);
    }
  } finally {
    options.signal?.removeEventListener("abort", cancel);
    kernel.syscallResult(SYS.close, fd);
  }
  return total;
}
