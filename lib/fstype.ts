/**
 * Which file system a disk or partition holds, from the magic numbers of
 * its superblock (the way blkid tells them apart).
 *
 * @module
 */

/** The file system types lkl detects, by their kernel names. */
export const FS_TYPES: readonly [
  "ext2",
  "ext3",
  "ext4",
  "vfat",
  "exfat",
  "btrfs",
  "xfs",
  "iso9660",
  "squashfs",
  "f2fs",
] = [
  "ext2",
  "ext3",
  "ext4",
  "vfat",
  "exfat",
  "btrfs",
  "xfs",
  "iso9660",
  "squashfs",
  "f2fs",
] as const;

/** A file system type lkl detects. */
export type FsType = (typeof FS_TYPES)[number];

/** Bytes from the start of the device that {@link detectFsType} needs (btrfs's superblock is at 64 KiB). */
export const PROBE_BYTES = 0x11000;

/** What the superblock says beyond the type. */
export interface FsProbe {
  /** The type, by its kernel name. */
  type: FsType;
  /**
   * ext3/4: the journal holds transactions not yet written back
   * (needs_recovery); btrfs: a log tree holds fsynced writes to replay.
   */
  needsRecovery: boolean;
  /** ext2/3/4: the errors the driver recorded in the superblock, when there are any. */
  recordedErrors?: RecordedErrors;
}

/** One error an ext2/3/4 driver recorded in the superblock. */
export interface RecordedError {
  /** When (ISO 8601), or null when not recorded. */
  time: string | null;
  /** The driver function that met it, e.g. "ext4_lookup". */
  function: string;
  /** Its source line in the driver. */
  line: number;
  /** The inode involved, or 0. */
  inode: number;
  /** The block involved, or 0. */
  block: number;
  /** The kind, e.g. "EFSBADCRC" (ext4's EXT4_ERR_* without the prefix), or null. */
  code: string | null;
}

/**
 * The error history of an ext2/3/4 superblock: what the kernel found
 * before (on any machine), kept until e2fsck clears it.
 */
export interface RecordedErrors {
  /** Errors counted (s_error_count). */
  count: number;
  /** The first one, when recorded. */
  first: RecordedError | null;
  /** The most recent one, when recorded. */
  last: RecordedError | null;
}

const latin1 = new TextDecoder("latin1");

function text(bytes: Uint8Array, offset: number, length: number): string {
  return latin1.decode(bytes.subarray(offset, offset + length));
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

// ext2/3/4 superblock at 1024: s_magic at +0x38, feature words at +0x5c.
const EXT_COMPAT_HAS_JOURNAL = 0x4;
const EXT_INCOMPAT_RECOVER = 0x4;
const EXT2_INCOMPAT = 0x2 | 0x10; // filetype, meta_bg
const EXT3_INCOMPAT = EXT2_INCOMPAT | EXT_INCOMPAT_RECOVER | 0x8; // + recover, journal_dev
const EXT2_RO_COMPAT = 0x1 | 0x2 | 0x4; // sparse_super, large_file, btree_dir

function probeExt(b: Uint8Array, v: DataView): FsProbe | null {
  if (b.length < 0x468 || v.getUint16(0x438, true) !== 0xef53) return null;
  const compat = v.getUint32(0x45c, true);
  const incompat = v.getUint32(0x460, true);
  const roCompat = v.getUint32(0x464, true);
  const needsRecovery = (incompat & EXT_INCOMPAT_RECOVER) !== 0;
  let type: FsType;
  if ((incompat & ~EXT3_INCOMPAT) !== 0 || (roCompat & ~EXT2_RO_COMPAT) !== 0) type = "ext4";
  else if ((compat & EXT_COMPAT_HAS_JOURNAL) !== 0) type = "ext3";
  else type = "ext2";
  const recordedErrors = extRecordedErrors(b, v);
  return recordedErrors ? { type, needsRecovery, recordedErrors } : { type, needsRecovery };
}

// The error fields of the ext superblock (Documentation/filesystems/ext4/super.rst).
const EXT_SB = 0x400;
const EXT_ERROR_FS = 0x2; // s_state: errors detected
const EXT_ERR_NAMES = [
  null,
  "EIO",
  "ENOMEM",
  "EFSBADCRC",
  "EFSCORRUPTED",
  "ENOSPC",
  "ENOKEY",
  "EROFS",
  "EFBIG",
  "EEXIST",
  "ERANGE",
  "EOVERFLOW",
  "EBUSY",
  "ENOTDIR",
  "ENOTEMPTY",
  "ESHUTDOWN",
  "EFAULT",
];

function extErrorRecord(
  b: Uint8Array,
  v: DataView,
  at: { time: number; timeHi: number; ino: number; line: number; block: number; func: number },
  code: number,
): RecordedError | null {
  const seconds = v.getUint32(EXT_SB + at.time, true) + b[EXT_SB + at.timeHi] * 2 ** 32;
  const func = text(b, EXT_SB + at.func, 32).replace(/\0.*$/s, "");
  if (seconds === 0 && func === "") return null;
  return {
    time: seconds === 0 ? null : new Date(seconds * 1000).toISOString(),
    function: func,
    line: v.getUint32(EXT_SB + at.line, true),
    inode: v.getUint32(EXT_SB + at.ino, true),
    block: Number(v.getBigUint64(EXT_SB + at.block, true)),
    code: EXT_ERR_NAMES[code] ?? (code === 0 ? null : `error ${code}`),
  };
}

function extRecordedErrors(b: Uint8Array, v: DataView): RecordedErrors | undefined {
  if (b.length < EXT_SB + 0x27c) return undefined;
  const state = v.getUint16(EXT_SB + 0x3a, true);
  const count = v.getUint32(EXT_SB + 0x194, true);
  if (count === 0 && (state & EXT_ERROR_FS) === 0) return undefined;
  const first = { time: 0x198, timeHi: 0x278, ino: 0x19c, block: 0x1a0, func: 0x1a8, line: 0x1c8 };
  const last = { time: 0x1cc, timeHi: 0x279, ino: 0x1d0, line: 0x1d4, block: 0x1d8, func: 0x1e0 };
  return {
    count,
    first: extErrorRecord(b, v, first, b[EXT_SB + 0x27a]),
    last: extErrorRecord(b, v, last, b[EXT_SB + 0x27b]),
  };
}

// A FAT boot sector: 0x55aa at 510 and a sane BIOS parameter block (an
// MBR has the signature too, but no BPB).
function isFat(b: Uint8Array, v: DataView): boolean {
  if (b.length < 512 || b[510] !== 0x55 || b[511] !== 0xaa) return false;
  const bytesPerSector = v.getUint16(0x0b, true);
  const sectorsPerCluster = b[0x0d];
  const reserved = v.getUint16(0x0e, true);
  const fats = b[0x10];
  const bpbOk = isPowerOfTwo(bytesPerSector) && bytesPerSector >= 512 && bytesPerSector <= 4096 &&
    isPowerOfTwo(sectorsPerCluster) && reserved > 0 && (fats === 1 || fats === 2);
  const label = text(b, 0x36, 3) === "FAT" || text(b, 0x52, 5) === "FAT32";
  return bpbOk && (label || b[0] === 0xeb || b[0] === 0xe9);
}

/**
 * The file system whose superblock starts `bytes` (the first
 * {@link PROBE_BYTES} of a device, or fewer when it is smaller), or null.
 *
 * ```ts
 * import { detectFsType } from "./fstype.ts";
 * detectFsType(new Uint8Array(4096)); // null: all zeros
 * ```
 */
export function detectFsType(bytes: Uint8Array): FsProbe | null {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const plain = (type: FsType): FsProbe => ({ type, needsRecovery: false });
  if (bytes.length >= 4 && text(bytes, 0, 4) === "XFSB") return plain("xfs");
  if (bytes.length >= 4 && text(bytes, 0, 4) === "hsqs") return plain("squashfs");
  if (bytes.length >= 0x10068 && text(bytes, 0x10040, 8) === "_BHRfS_M") {
    // A log tree root (log_root, at +0x60) means fsynced data to replay.
    return { type: "btrfs", needsRecovery: v.getBigUint64(0x10060, true) !== 0n };
  }
  if (bytes.length >= 0x404 && v.getUint32(0x400, true) === 0xf2f52010) return plain("f2fs");
  const ext = probeExt(bytes, v);
  if (ext) return ext;
  if (bytes.length >= 11 && text(bytes, 3, 8) === "EXFAT   ") return plain("exfat");
  if (bytes.length >= 0x8006 && text(bytes, 0x8001, 5) === "CD001") return plain("iso9660");
  if (isFat(bytes, v)) return plain("vfat");
  return null;
}

/** The kernel's name for a type the user gave ("fat" is "vfat"). */
export function kernelFsType(name: string): string {
  const lower = name.toLowerCase();
  return lower === "fat" || lower === "fat32" || lower === "fat16" ? "vfat" : lower;
}

/** File system types the kernel can only read (iso9660, squashfs). */
export function isReadOnlyFsType(fstype: string): boolean {
  return fstype === "iso9660" || fstype === "squashfs";
}

/** What a file system calls its journal: "journal", "log" (xfs, f2fs), "log tree" (btrfs). */
export function journalName(fstype: string): string {
  if (fstype === "btrfs") return "log tree";
  return fstype === "xfs" || fstype === "f2fs" ? "log" : "journal";
}

/** "an ext4", "a vfat": the type with the article its spoken name takes. */
export function aFsType(type: string): string {
  // Spelled-out letters: "ex" (xfs), "ef" (f2fs), "em" (msdos); vowels.
  return /^([aeiou]|x|f2|ms)/i.test(type) ? `an ${type}` : `a ${type}`;
}

/** Whether a device detected as `detected` may be mounted as `requested`. */
export function compatibleFsType(requested: string, detected: FsType): boolean {
  const ext = ["ext2", "ext3", "ext4"];
  if (ext.includes(requested) && ext.includes(detected)) {
    // ext4 mounts them all; ext2 or ext3 only what has their features.
    return requested === "ext4" || ext.indexOf(detected) <= ext.indexOf(requested);
  }
  if ((requested === "msdos" || requested === "vfat") && detected === "vfat") return true;
  return requested === detected;
}
