/**
 * Encoders and decoders for the kernel structures that cross the FFI
 * boundary, on little-endian DataViews, with the 64-bit layouts of the lkl
 * arch.
 *
 * The offsets are written by hand from the uapi headers named beside each
 * structure. A later step compiles a small C program against the headers
 * that the build installs (build/include) and checks these offsets and
 * sizes against the compiler's.
 *
 * @module
 */

import { decodeName, encodeName } from "./cstring.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function viewOf(buf: ArrayBufferView): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

function bytesOf(buf: ArrayBufferView): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Reads a NUL-terminated string of at most `max` bytes at `offset`. */
function readCString(bytes: Uint8Array, offset: number, max: number): string {
  const field = bytes.subarray(offset, offset + max);
  const end = field.indexOf(0);
  return decoder.decode(end < 0 ? field : field.subarray(0, end));
}

/** Reads a NUL-terminated file name (bytes that are not UTF-8 kept: decodeName). */
function readName(bytes: Uint8Array, offset: number, max: number): string {
  const field = bytes.subarray(offset, offset + max);
  const end = field.indexOf(0);
  return decodeName(end < 0 ? field : field.subarray(0, end));
}

/** Writes `text` NUL-terminated into a field of `size` bytes (truncating). */
function writeCString(bytes: Uint8Array, offset: number, size: number, text: string): void {
  const field = bytes.subarray(offset, offset + size);
  field.fill(0);
  field.set(encoder.encode(text).subarray(0, size - 1));
}

// ---------------------------------------------------------------------------
// struct __kernel_timespec (include/uapi/linux/time_types.h): the 64-bit
// timespec used by clock_gettime and nanosleep on 64-bit architectures.
//   0  __kernel_time64_t tv_sec
//   8  long long         tv_nsec
// ---------------------------------------------------------------------------

/** A point in time or a duration, as the kernel's timespec. */
export interface Timespec {
  /** Whole seconds. */
  sec: number;
  /** Nanoseconds, 0 to 999 999 999. */
  nsec: number;
}

/** sizeof(struct __kernel_timespec). */
export const TIMESPEC_SIZE = 16;

/** Writes `ts` into `buf` at `offset` (a new 16-byte buffer when `buf` is omitted). */
export function encodeTimespec(
  ts: Timespec,
  buf: ArrayBufferView = new Uint8Array(TIMESPEC_SIZE),
  offset = 0,
): ArrayBufferView {
  const view = viewOf(buf);
  view.setBigInt64(offset, BigInt(ts.sec), true);
  view.setBigInt64(offset + 8, BigInt(ts.nsec), true);
  return buf;
}

/** Reads a timespec from `buf` at `offset`. */
export function decodeTimespec(buf: ArrayBufferView, offset = 0): Timespec {
  const view = viewOf(buf);
  return {
    sec: Number(view.getBigInt64(offset, true)),
    nsec: Number(view.getBigInt64(offset + 8, true)),
  };
}

/** The timespec for `ms` milliseconds. */
export function timespecFromMs(ms: number): Timespec {
  const sec = Math.floor(ms / 1000);
  return { sec, nsec: Math.round((ms - sec * 1000) * 1e6) };
}

/** A timespec as milliseconds (fractional). */
export function timespecToMs(ts: Timespec): number {
  return ts.sec * 1000 + ts.nsec / 1e6;
}

// ---------------------------------------------------------------------------
// struct statx (include/uapi/linux/stat.h), 256 bytes:
//   0x00 u32 mask, u32 blksize, u64 attributes
//   0x10 u32 nlink, u32 uid, u32 gid, u16 mode, u16 spare
//   0x20 u64 ino, u64 size, u64 blocks, u64 attributes_mask
//   0x40 statx_timestamp atime, btime, ctime, mtime
//        (each: s64 tv_sec, u32 tv_nsec, s32 reserved = 16 bytes)
//   0x80 u32 rdev_major, rdev_minor, dev_major, dev_minor
//   0x90 u64 mnt_id, u32 dio_mem_align, u32 dio_offset_align
//   0xa0 u64 subvol, u32 atomic_write_unit_min, u32 atomic_write_unit_max
//   0xb0 u32 atomic_write_segments_max, u32 spare; 0xb8 u64 spare[9]
// ---------------------------------------------------------------------------

/** sizeof(struct statx). */
export const STATX_SIZE = 256;

/** A decoded struct statx. Fields not in `mask` hold whatever the kernel left (usually 0). */
export interface Statx {
  /** STATX_* bits saying which fields are filled in. */
  mask: number;
  /** Preferred I/O block size. */
  blksize: number;
  /** STATX_ATTR_* flags. */
  attributes: bigint;
  /** Number of hard links. */
  nlink: number;
  /** Owner user id. */
  uid: number;
  /** Owner group id. */
  gid: number;
  /** File type and permission bits (S_IF* | mode). */
  mode: number;
  /** Inode number. */
  ino: bigint;
  /** Size in bytes (exact up to 2^53). */
  size: number;
  /** Allocated 512-byte blocks. */
  blocks: number;
  /** STATX_ATTR_* flags the file system supports. */
  attributesMask: bigint;
  /** Last access. */
  atime: Timespec;
  /** Creation (when STATX_BTIME is in mask). */
  btime: Timespec;
  /** Last status change. */
  ctime: Timespec;
  /** Last modification. */
  mtime: Timespec;
  /** Device number of a device file: major. */
  rdevMajor: number;
  /** Device number of a device file: minor. */
  rdevMinor: number;
  /** Device holding the file: major. */
  devMajor: number;
  /** Device holding the file: minor. */
  devMinor: number;
  /** Mount id. */
  mntId: bigint;
  /** Direct I/O memory alignment. */
  dioMemAlign: number;
  /** Direct I/O file offset alignment. */
  dioOffsetAlign: number;
  /** Subvolume id (btrfs, bcachefs). */
  subvol: bigint;
  /** Smallest atomic write unit, bytes. */
  atomicWriteUnitMin: number;
  /** Largest atomic write unit, bytes. */
  atomicWriteUnitMax: number;
  /** Most segments in one atomic write. */
  atomicWriteSegmentsMax: number;
}

function decodeStatxTimestamp(view: DataView, offset: number): Timespec {
  return {
    sec: Number(view.getBigInt64(offset, true)),
    nsec: view.getUint32(offset + 8, true),
  };
}

function encodeStatxTimestamp(view: DataView, offset: number, ts: Timespec): void {
  view.setBigInt64(offset, BigInt(ts.sec), true);
  view.setUint32(offset + 8, ts.nsec, true);
  view.setInt32(offset + 12, 0, true);
}

/** Decodes a struct statx from `buf` (at least 256 bytes). */
export function decodeStatx(buf: ArrayBufferView): Statx {
  if (buf.byteLength < STATX_SIZE) {
    throw new RangeError(`struct statx needs ${STATX_SIZE} bytes, got ${buf.byteLength}`);
  }
  const v = viewOf(buf);
  return {
    mask: v.getUint32(0x00, true),
    blksize: v.getUint32(0x04, true),
    attributes: v.getBigUint64(0x08, true),
    nlink: v.getUint32(0x10, true),
    uid: v.getUint32(0x14, true),
    gid: v.getUint32(0x18, true),
    mode: v.getUint16(0x1c, true),
    ino: v.getBigUint64(0x20, true),
    size: Number(v.getBigUint64(0x28, true)),
    blocks: Number(v.getBigUint64(0x30, true)),
    attributesMask: v.getBigUint64(0x38, true),
    atime: decodeStatxTimestamp(v, 0x40),
    btime: decodeStatxTimestamp(v, 0x50),
    ctime: decodeStatxTimestamp(v, 0x60),
    mtime: decodeStatxTimestamp(v, 0x70),
    rdevMajor: v.getUint32(0x80, true),
    rdevMinor: v.getUint32(0x84, true),
    devMajor: v.getUint32(0x88, true),
    devMinor: v.getUint32(0x8c, true),
    mntId: v.getBigUint64(0x90, true),
    dioMemAlign: v.getUint32(0x98, true),
    dioOffsetAlign: v.getUint32(0x9c, true),
    subvol: v.getBigUint64(0xa0, true),
    atomicWriteUnitMin: v.getUint32(0xa8, true),
    atomicWriteUnitMax: v.getUint32(0xac, true),
    atomicWriteSegmentsMax: v.getUint32(0xb0, true),
  };
}

/** Encodes `st` as a struct statx (spare fields zero); the inverse of {@link decodeStatx}. */
export function encodeStatx(
  st: Statx,
  buf: ArrayBufferView = new Uint8Array(STATX_SIZE),
): ArrayBufferView {
  if (buf.byteLength < STATX_SIZE) {
    throw new RangeError(`struct statx needs ${STATX_SIZE} bytes, got ${buf.byteLength}`);
  }
  bytesOf(buf).fill(0, 0, STATX_SIZE);
  const v = viewOf(buf);
  v.setUint32(0x00, st.mask, true);
  v.setUint32(0x04, st.blksize, true);
  v.setBigUint64(0x08, st.attributes, true);
  v.setUint32(0x10, st.nlink, true);
  v.setUint32(0x14, st.uid, true);
  v.setUint32(0x18, st.gid, true);
  v.setUint16(0x1c, st.mode, true);
  v.setBigUint64(0x20, st.ino, true);
  v.setBigUint64(0x28, BigInt(st.size), true);
  v.setBigUint64(0x30, BigInt(st.blocks), true);
  v.setBigUint64(0x38, st.attributesMask, true);
  encodeStatxTimestamp(v, 0x40, st.atime);
  encodeStatxTimestamp(v, 0x50, st.btime);
  encodeStatxTimestamp(v, 0x60, st.ctime);
  encodeStatxTimestamp(v, 0x70, st.mtime);
  v.setUint32(0x80, st.rdevMajor, true);
  v.setUint32(0x84, st.rdevMinor, true);
  v.setUint32(0x88, st.devMajor, true);
  v.setUint32(0x8c, st.devMinor, true);
  v.setBigUint64(0x90, st.mntId, true);
  v.setUint32(0x98, st.dioMemAlign, true);
  v.setUint32(0x9c, st.dioOffsetAlign, true);
  v.setBigUint64(0xa0, st.subvol, true);
  v.setUint32(0xa8, st.atomicWriteUnitMin, true);
  v.setUint32(0xac, st.atomicWriteUnitMax, true);
  v.setUint32(0xb0, st.atomicWriteSegmentsMax, true);
  return buf;
}

// ---------------------------------------------------------------------------
// struct new_utsname (include/uapi/linux/utsname.h): six char[65] fields,
// 390 bytes: sysname, nodename, release, version, machine, domainname.
// ---------------------------------------------------------------------------

/** Length of one utsname field, __NEW_UTS_LEN + 1. */
export const UTSNAME_FIELD = 65;
/** sizeof(struct new_utsname). */
export const UTSNAME_SIZE = 6 * UTSNAME_FIELD;

/** A decoded struct new_utsname. */
export interface Utsname {
  /** "Linux". */
  sysname: string;
  /** Host name of the kernel (not the host's). */
  nodename: string;
  /** Kernel release, e.g. "6.12.117". */
  release: string;
  /** Build number and date, e.g. "#1 Fri Nov 28 19:00:00 UTC 2025". */
  version: string;
  /** Architecture name, e.g. "lkl". */
  machine: string;
  /** NIS domain name. */
  domainname: string;
}

const UTSNAME_FIELDS = [
  "sysname",
  "nodename",
  "release",
  "version",
  "machine",
  "domainname",
] as const;

/** Decodes a struct new_utsname. */
export function decodeUtsname(buf: ArrayBufferView): Utsname {
  if (buf.byteLength < UTSNAME_SIZE) {
    throw new RangeError(`struct new_utsname needs ${UTSNAME_SIZE} bytes, got ${buf.byteLength}`);
  }
  const bytes = bytesOf(buf);
  const out = {} as Utsname;
  UTSNAME_FIELDS.forEach((name, i) => {
    out[name] = readCString(bytes, i * UTSNAME_FIELD, UTSNAME_FIELD);
  });
  return out;
}

/** Encodes a struct new_utsname (fields longer than 64 bytes are cut). */
export function encodeUtsname(
  uts: Utsname,
  buf: ArrayBufferView = new Uint8Array(UTSNAME_SIZE),
): ArrayBufferView {
  const bytes = bytesOf(buf);
  UTSNAME_FIELDS.forEach((name, i) => {
    writeCString(bytes, i * UTSNAME_FIELD, UTSNAME_FIELD, uts[name]);
  });
  return buf;
}

// ---------------------------------------------------------------------------
// struct linux_dirent64 (include/linux/dirent.h), as getdents64 returns
// them back to back, each padded to 8 bytes:
//   0  u64 d_ino, 8 s64 d_off, 16 u16 d_reclen, 18 u8 d_type, 19 char d_name[]
// ---------------------------------------------------------------------------

/** One directory entry of getdents64. */
export interface Dirent64 {
  /** Inode number. */
  ino: bigint;
  /** Opaque position of the next entry. */
  off: bigint;
  /** One of the DT_* values. */
  type: number;
  /** File name (no path). */
  name: string;
}

const DIRENT_NAME = 19;

/** Decodes the first `length` bytes of a getdents64 buffer. */
export function decodeDirents(buf: ArrayBufferView, length: number = buf.byteLength): Dirent64[] {
  const view = viewOf(buf);
  const bytes = bytesOf(buf);
  const out: Dirent64[] = [];
  let pos = 0;
  while (pos < length) {
    if (pos + DIRENT_NAME > length) throw new RangeError(`truncated linux_dirent64 at ${pos}`);
    const reclen = view.getUint16(pos + 16, true);
    if (reclen < DIRENT_NAME + 1 || pos + reclen > length) {
      throw new RangeError(`bad linux_dirent64 d_reclen ${reclen} at ${pos}`);
    }
    out.push({
      ino: view.getBigUint64(pos, true),
      off: view.getBigInt64(pos + 8, true),
      type: view.getUint8(pos + 18),
      name: readName(bytes, pos + DIRENT_NAME, reclen - DIRENT_NAME),
    });
    pos += reclen;
  }
  return out;
}

/** Encodes entries the way getdents64 lays them out (for tests and fakes). */
export function encodeDirents(entries: readonly Dirent64[]): Uint8Array {
  const names = entries.map((e) => encodeName(e.name));
  const lengths = names.map((n) => (DIRENT_NAME + n.length + 1 + 7) & ~7);
  const out = new Uint8Array(lengths.reduce((a, b) => a + b, 0));
  const view = viewOf(out);
  let pos = 0;
  entries.forEach((e, i) => {
    view.setBigUint64(pos, e.ino, true);
    view.setBigInt64(pos + 8, e.off, true);
    view.setUint16(pos + 16, lengths[i], true);
    view.setUint8(pos + 18, e.type);
    out.set(names[i], pos + DIRENT_NAME);
    pos += lengths[i];
  });
  return out;
}
