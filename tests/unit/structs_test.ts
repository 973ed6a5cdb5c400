import { deepEqual, equal, throws } from "node:assert/strict";
import { DT, S, STATX } from "../../ffi/constants.ts";
import {
  decodeDirents,
  decodeStatx,
  decodeTimespec,
  decodeUtsname,
  encodeDirents,
  encodeStatx,
  encodeTimespec,
  encodeUtsname,
  type Statx,
  STATX_SIZE,
  TIMESPEC_SIZE,
  timespecFromMs,
  timespecToMs,
  UTSNAME_SIZE,
} from "../../ffi/structs.ts";

Deno.test("timespec: 16 bytes, round trip, ms conversions", () => {
  equal(TIMESPEC_SIZE, 16);
  const buf = encodeTimespec({ sec: 1_700_000_000, nsec: 123_456_789 });
  equal(buf.byteLength, 16);
  const view = new DataView(buf.buffer);
  equal(view.getBigInt64(0, true), 1_700_000_000n);
  equal(view.getBigInt64(8, true), 123_456_789n);
  deepEqual(decodeTimespec(buf), { sec: 1_700_000_000, nsec: 123_456_789 });
  deepEqual(timespecFromMs(1500.25), { sec: 1, nsec: 500_250_000 });
  equal(timespecToMs({ sec: 2, nsec: 5_000_000 }), 2005);
});

Deno.test("timespec: encodes at an offset inside a larger buffer", () => {
  const buf = new Uint8Array(40);
  encodeTimespec({ sec: 7, nsec: 9 }, buf.subarray(8), 8);
  deepEqual(decodeTimespec(buf, 16), { sec: 7, nsec: 9 });
});

function sampleStatx(): Statx {
  return {
    mask: STATX.BASIC_STATS | STATX.BTIME,
    blksize: 4096,
    attributes: 0x20n,
    nlink: 2,
    uid: 1000,
    gid: 1001,
    mode: S.IFREG | 0o640,
    ino: 0x1234_5678_9abcn,
    size: 1 << 20,
    blocks: 2048,
    attributesMask: 0x3874n,
    atime: { sec: 1_700_000_001, nsec: 1 },
    btime: { sec: 1_700_000_002, nsec: 2 },
    ctime: { sec: 1_700_000_003, nsec: 3 },
    mtime: { sec: -1, nsec: 999_999_999 },
    rdevMajor: 8,
    rdevMinor: 1,
    devMajor: 254,
    devMinor: 3,
    mntId: 42n,
    dioMemAlign: 512,
    dioOffsetAlign: 4096,
    subvol: 5n,
    atomicWriteUnitMin: 4096,
    atomicWriteUnitMax: 65536,
    atomicWriteSegmentsMax: 1,
  };
}

Deno.test("statx: round trip of every field", () => {
  const st = sampleStatx();
  const buf = encodeStatx(st);
  equal(buf.byteLength, STATX_SIZE);
  deepEqual(decodeStatx(buf), st);
});

Deno.test("statx: offsets of include/uapi/linux/stat.h", () => {
  const buf = encodeStatx(sampleStatx()) as Uint8Array;
  const v = new DataView(buf.buffer);
  equal(v.getUint32(0x00, true), STATX.BASIC_STATS | STATX.BTIME); // stx_mask
  equal(v.getUint32(0x10, true), 2); // stx_nlink
  equal(v.getUint16(0x1c, true), S.IFREG | 0o640); // stx_mode
  equal(v.getBigUint64(0x28, true), 1n << 20n); // stx_size
  equal(v.getBigInt64(0x40, true), 1_700_000_001n); // stx_atime.tv_sec
  equal(v.getUint32(0x48, true), 1); // stx_atime.tv_nsec
  equal(v.getBigInt64(0x70, true), -1n); // stx_mtime.tv_sec
  equal(v.getUint32(0x88, true), 254); // stx_dev_major
  equal(v.getBigUint64(0x90, true), 42n); // stx_mnt_id
  equal(v.getUint32(0xb0, true), 1); // stx_atomic_write_segments_max
});

Deno.test("statx: a short buffer is refused", () => {
  throws(() => decodeStatx(new Uint8Array(100)), RangeError);
});

Deno.test("utsname: six 65-byte fields, round trip", () => {
  equal(UTSNAME_SIZE, 390);
  const uts = {
    sysname: "Linux",
    nodename: "(none)",
    release: "6.12.117",
    version: "#1 Fri Nov 28 2025",
    machine: "lkl",
    domainname: "(none)",
  };
  const buf = encodeUtsname(uts) as Uint8Array;
  equal(buf[65 * 2], "6".charCodeAt(0)); // release starts at 130
  deepEqual(decodeUtsname(buf), uts);
});

Deno.test("utsname: a field filled to 64 bytes with no NUL before the next", () => {
  const buf = new Uint8Array(UTSNAME_SIZE);
  buf.fill("x".charCodeAt(0), 0, 65); // no terminator inside sysname
  equal(decodeUtsname(buf).sysname.length, 65);
});

Deno.test("dirent64: decode what getdents64 lays out", () => {
  const entries = [
    { ino: 1n, off: 10n, type: DT.DIR, name: "." },
    { ino: 2n, off: 20n, type: DT.DIR, name: ".." },
    { ino: 77n, off: 0x7fff_ffff_ffff_ffffn, type: DT.REG, name: "a-much-longer-file-name.txt" },
  ];
  const buf = encodeDirents(entries);
  equal(buf.byteLength % 8, 0);
  const v = new DataView(buf.buffer);
  equal(v.getUint16(16, true), 24); // d_reclen of "." : 19 + 2 rounded up to 8
  equal(buf[18], DT.DIR); // d_type
  equal(buf[19], ".".charCodeAt(0)); // d_name
  deepEqual(decodeDirents(buf), entries);
  deepEqual(decodeDirents(buf, 48), entries.slice(0, 2));
});

Deno.test("dirent64: a corrupt d_reclen is refused", () => {
  const buf = encodeDirents([{ ino: 1n, off: 1n, type: DT.REG, name: "x" }]);
  new DataView(buf.buffer).setUint16(16, 0, true);
  throws(() => decodeDirents(buf), RangeError);
});
