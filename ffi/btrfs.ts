/**
 * The btrfs ioctls a check uses, from include/uapi/linux/btrfs.h: the
 * file system's devices (BTRFS_IOC_FS_INFO) and scrub (BTRFS_IOC_SCRUB,
 * BTRFS_IOC_SCRUB_PROGRESS). Each takes a 1024-byte argument structure.
 *
 * @module
 */

/** _IOC(dir, type, nr, size) of asm-generic/ioctl.h. */
function ioc(dir: number, type: number, nr: number, size: number): number {
  return ((dir << 30) | (size << 16) | (type << 8) | nr) >>> 0;
}

const BTRFS_IOCTL_MAGIC = 0x94;
const READ = 2;
const WRITE = 1;

/** sizeof(struct btrfs_ioctl_scrub_args) and sizeof(struct btrfs_ioctl_fs_info_args). */
export const BTRFS_ARGS_SIZE = 1024;

/** The ioctl request numbers. */
export const BTRFS_IOC = {
  /** _IOWR(0x94, 27, struct btrfs_ioctl_scrub_args): runs a scrub of one device to its end. */
  SCRUB: ioc(READ | WRITE, BTRFS_IOCTL_MAGIC, 27, BTRFS_ARGS_SIZE),
  /** _IOWR(0x94, 29, struct btrfs_ioctl_scrub_args): the progress of a running scrub. */
  SCRUB_PROGRESS: ioc(READ | WRITE, BTRFS_IOCTL_MAGIC, 29, BTRFS_ARGS_SIZE),
  /** _IO(0x94, 28): cancels the running scrub. */
  SCRUB_CANCEL: ioc(0, BTRFS_IOCTL_MAGIC, 28, 0),
  /** _IOR(0x94, 31, struct btrfs_ioctl_fs_info_args). */
  FS_INFO: ioc(READ, BTRFS_IOCTL_MAGIC, 31, BTRFS_ARGS_SIZE),
} as const;

/** btrfs_ioctl_scrub_args.flags: report errors, repair nothing. */
export const BTRFS_SCRUB_READONLY = 1;

/**
 * struct btrfs_scrub_progress (15 u64), at offset 32 of struct
 * btrfs_ioctl_scrub_args (u64 devid, start, end, flags come first).
 */
export interface ScrubProgress {
  dataExtentsScrubbed: number;
  treeExtentsScrubbed: number;
  dataBytesScrubbed: number;
  treeBytesScrubbed: number;
  readErrors: number;
  csumErrors: number;
  verifyErrors: number;
  noCsum: number;
  csumDiscards: number;
  superErrors: number;
  mallocErrors: number;
  uncorrectableErrors: number;
  correctedErrors: number;
  lastPhysical: number;
  unverifiedErrors: number;
}

const PROGRESS_FIELDS: (keyof ScrubProgress)[] = [
  "dataExtentsScrubbed",
  "treeExtentsScrubbed",
  "dataBytesScrubbed",
  "treeBytesScrubbed",
  "readErrors",
  "csumErrors",
  "verifyErrors",
  "noCsum",
  "csumDiscards",
  "superErrors",
  "mallocErrors",
  "uncorrectableErrors",
  "correctedErrors",
  "lastPhysical",
  "unverifiedErrors",
];

/** A struct btrfs_ioctl_scrub_args for device `devid`, the whole range, with `flags`. */
export function encodeScrubArgs(devid: number, flags: number): Uint8Array<ArrayBuffer> {
  const buf = new Uint8Array(BTRFS_ARGS_SIZE);
  const v = new DataView(buf.buffer);
  v.setBigUint64(0, BigInt(devid), true);
  v.setBigUint64(8, 0n, true); // start
  v.setBigUint64(16, 0xffff_ffff_ffff_ffffn, true); // end: (u64)-1
  v.setBigUint64(24, BigInt(flags), true);
  return buf;
}

/** The progress part of a struct btrfs_ioctl_scrub_args. */
export function decodeScrubProgress(buf: Uint8Array): ScrubProgress {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out = {} as ScrubProgress;
  PROGRESS_FIELDS.forEach((name, i) => out[name] = Number(v.getBigUint64(32 + i * 8, true)));
  return out;
}

/** The fields of struct btrfs_ioctl_fs_info_args a scrub needs. */
export interface BtrfsFsInfo {
  /** Highest device id. */
  maxId: number;
  /** Number of devices. */
  numDevices: number;
}

/** Decodes struct btrfs_ioctl_fs_info_args (u64 max_id, u64 num_devices, ...). */
export function decodeFsInfo(buf: Uint8Array): BtrfsFsInfo {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return {
    maxId: Number(v.getBigUint64(0, true)),
    numDevices: Number(v.getBigUint64(8, true)),
  };
}
