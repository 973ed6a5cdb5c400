/**
 * Encoders and decoders for the networking structures that cross the FFI
 * boundary: socket addresses, struct ifreq, epoll_event, struct msghdr and
 * control messages, netlink messages and their attributes, and the ICMP
 * echo header. Little-endian host order, the 64-bit layouts of the lkl
 * arch; network-order fields (ports, ICMP ids) are big-endian.
 *
 * Offsets are written from the uapi headers named beside each structure;
 * tests/unit/net_abi_test.ts compiles a C program against build/include
 * and checks every size, offset and constant used here.
 *
 * @module
 */

import { AF } from "./constants.ts";

function viewOf(buf: ArrayBufferView): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** The address of `buf`'s first byte, for pointers stored inside structures. */
export function addressOf(buf: ArrayBufferView): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf)));
}

// ---------------------------------------------------------------------------
// Socket addresses (include/uapi/linux/in.h, in6.h, netlink.h):
//   sockaddr_in   16: u16 family, be16 port, 4 addr, 8 zero
//   sockaddr_in6  28: u16 family, be16 port, be32 flowinfo, 16 addr, u32 scope_id
//   sockaddr_nl   12: u16 family, u16 pad, u32 pid, u32 groups
// ---------------------------------------------------------------------------

/** sizeof(struct sockaddr_in). */
export const SOCKADDR_IN_SIZE = 16;
/** sizeof(struct sockaddr_in6). */
export const SOCKADDR_IN6_SIZE = 28;
/** sizeof(struct sockaddr_nl). */
export const SOCKADDR_NL_SIZE = 12;
/** sizeof(struct sockaddr_storage): room for any address. */
export const SOCKADDR_STORAGE_SIZE = 128;

/** An IPv4 or IPv6 socket address, decoded. */
export interface SockaddrIp {
  /** AF.INET or AF.INET6. */
  family: number;
  /** 4 or 16 bytes, network order. */
  address: Uint8Array;
  /** Port, host order. */
  port: number;
  /** IPv6 scope (interface index of a link-local address); 0 otherwise. */
  scopeId: number;
}

/**
 * Encodes a sockaddr_in (4-byte `address`) or sockaddr_in6 (16 bytes),
 * chosen by the length of `address`.
 */
export function encodeSockaddr(address: Uint8Array, port: number, scopeId = 0): Uint8Array {
  if (address.length === 4) {
    const buf = new Uint8Array(SOCKADDR_IN_SIZE);
    const v = viewOf(buf);
    v.setUint16(0, AF.INET, true);
    v.setUint16(2, port, false);
    buf.set(address, 4);
    return buf;
  }
  if (address.length === 16) {
    const buf = new Uint8Array(SOCKADDR_IN6_SIZE);
    const v = viewOf(buf);
    v.setUint16(0, AF.INET6, true);
    v.setUint16(2, port, false);
    buf.set(address, 8);
    v.setUint32(24, scopeId, true);
    return buf;
  }
  throw new RangeError(`an IP address has 4 or 16 bytes, got ${address.length}`);
}

/** Decodes a sockaddr_in or sockaddr_in6 of `length` bytes; null for other families. */
export function decodeSockaddr(
  buf: Uint8Array,
  length: number = buf.byteLength,
): SockaddrIp | null {
  if (length < 2) return null;
  const v = viewOf(buf);
  const family = v.getUint16(0, true);
  if (family === AF.INET && length >= 8) {
    return { family, address: buf.slice(4, 8), port: v.getUint16(2, false), scopeId: 0 };
  }
  if (family === AF.INET6 && length >= 24) {
    return {
      family,
      address: buf.slice(8, 24),
      port: v.getUint16(2, false),
      scopeId: length >= 28 ? v.getUint32(24, true) : 0,
    };
  }
  return null;
}

/** Encodes a sockaddr_nl (pid 0: the kernel). */
export function encodeSockaddrNl(pid = 0, groups = 0): Uint8Array {
  const buf = new Uint8Array(SOCKADDR_NL_SIZE);
  const v = viewOf(buf);
  v.setUint16(0, AF.NETLINK, true);
  v.setUint32(4, pid, true);
  v.setUint32(8, groups, true);
  return buf;
}

// ---------------------------------------------------------------------------
// struct ifreq (include/uapi/linux/if.h), 40 bytes: char ifr_name[16],
// then a 24-byte union at 16: int ifr_mtu / ifr_ifindex, short ifr_flags,
// struct sockaddr ifr_hwaddr (u16 family at 16, sa_data at 18).
// ---------------------------------------------------------------------------

/** sizeof(struct ifreq). */
export const IFREQ_SIZE = 40;
/** IFNAMSIZ: interface names have at most 15 bytes. */
export const IFNAMSIZ = 16;
/** Offset of the ifreq union (ifr_mtu, ifr_flags, ifr_ifindex, ifr_hwaddr). */
export const IFREQ_UNION = 16;

/** A struct ifreq naming interface `name`, the union zeroed. */
export function encodeIfreq(name: string): Uint8Array {
  const bytes = new TextEncoder().encode(name);
  if (bytes.length === 0 || bytes.length >= IFNAMSIZ) {
    throw new RangeError(`an interface name has 1 to 15 bytes: "${name}"`);
  }
  const buf = new Uint8Array(IFREQ_SIZE);
  buf.set(bytes);
  return buf;
}

/** The int at the ifreq union (ifr_mtu, ifr_ifindex). */
export function ifreqInt(buf: Uint8Array): number {
  return viewOf(buf).getInt32(IFREQ_UNION, true);
}

/** Sets the int of the ifreq union. */
export function setIfreqInt(buf: Uint8Array, value: number): void {
  viewOf(buf).setInt32(IFREQ_UNION, value, true);
}

/** The six bytes of ifr_hwaddr.sa_data (an Ethernet address). */
export function ifreqHwaddr(buf: Uint8Array): Uint8Array {
  return buf.slice(IFREQ_UNION + 2, IFREQ_UNION + 8);
}

// ---------------------------------------------------------------------------
// struct epoll_event (include/uapi/linux/eventpoll.h): u32 events, u64
// data. Packed (12 bytes) when the kernel is compiled for an x86-64 host,
// as liblkl.so is there: the header packs it whenever __x86_64__ is set.
// ---------------------------------------------------------------------------

/** sizeof(struct epoll_event) in this build of the kernel. */
export const EPOLL_EVENT_SIZE: number = Deno.build.arch === "x86_64" ? 12 : 16;
const EPOLL_DATA = Deno.build.arch === "x86_64" ? 4 : 8;

/** Writes an epoll_event (`data` is a 32-bit tag: the low half of the u64). */
export function encodeEpollEvent(
  events: number,
  data: number,
  buf: Uint8Array = new Uint8Array(EPOLL_EVENT_SIZE),
  offset = 0,
): Uint8Array {
  const v = viewOf(buf);
  v.setUint32(offset, events >>> 0, true);
  v.setUint32(offset + EPOLL_DATA, data >>> 0, true);
  v.setUint32(offset + EPOLL_DATA + 4, 0, true);
  return buf;
}

/** Reads the events and the 32-bit data tag of the epoll_event at `offset`. */
export function decodeEpollEvent(
  buf: Uint8Array,
  offset = 0,
): { events: number; data: number } {
  const v = viewOf(buf);
  return { events: v.getUint32(offset, true), data: v.getUint32(offset + EPOLL_DATA, true) };
}

// ---------------------------------------------------------------------------
// struct msghdr (include/linux/socket.h, the 64-bit user layout), 56 bytes:
//   0 void *msg_name, 8 int msg_namelen, 16 struct iovec *msg_iov,
//   24 size_t msg_iovlen, 32 void *msg_control, 40 size_t msg_controllen,
//   48 unsigned msg_flags
// struct iovec (include/uapi/linux/uio.h), 16: void *base, size_t len
// struct cmsghdr (include/linux/socket.h), 16 then data: size_t cmsg_len,
//   int cmsg_level, int cmsg_type; each padded to 8 bytes.
// ---------------------------------------------------------------------------

/** sizeof(struct msghdr). */
export const MSGHDR_SIZE = 56;
/** sizeof(struct iovec). */
export const IOVEC_SIZE = 16;
/** sizeof(struct cmsghdr): where the data of a control message starts. */
export const CMSGHDR_SIZE = 16;

/**
 * The buffers of one sendmsg/recvmsg call: a msghdr pointing at an iovec
 * over `data`, at `name` (or none) and at `control` (or none). The
 * returned object holds every buffer: keep it referenced until the call
 * returns, since the kernel reads the pointers.
 */
export interface Msghdr {
  /** The struct msghdr to pass. */
  header: Uint8Array;
  /** The one iovec it points at. */
  iov: Uint8Array;
  /** The buffers pointed at. */
  data: Uint8Array;
  name: Uint8Array | null;
  control: Uint8Array | null;
}

/** Builds the {@link Msghdr} of a one-buffer sendmsg/recvmsg. */
export function encodeMsghdr(
  data: Uint8Array,
  name: Uint8Array | null = null,
  control: Uint8Array | null = null,
): Msghdr {
  const iov = new Uint8Array(IOVEC_SIZE);
  const iv = viewOf(iov);
  iv.setBigUint64(0, data.byteLength ? addressOf(data) : 0n, true);
  iv.setBigUint64(8, BigInt(data.byteLength), true);
  const header = new Uint8Array(MSGHDR_SIZE);
  const h = viewOf(header);
  if (name) {
    h.setBigUint64(0, addressOf(name), true);
    h.setInt32(8, name.byteLength, true);
  }
  h.setBigUint64(16, addressOf(iov), true);
  h.setBigUint64(24, 1n, true);
  if (control) {
    h.setBigUint64(32, addressOf(control), true);
    h.setBigUint64(40, BigInt(control.byteLength), true);
  }
  return { header, iov, data, name, control };
}

/** After recvmsg: msg_namelen, msg_controllen and msg_flags as the kernel left them. */
export function decodeMsghdrResult(
  header: Uint8Array,
): { nameLength: number; controlLength: number; flags: number } {
  const h = viewOf(header);
  return {
    nameLength: h.getInt32(8, true),
    controlLength: Number(h.getBigUint64(40, true)),
    flags: h.getUint32(48, true),
  };
}

/** One control message (cmsg) of recvmsg. */
export interface ControlMessage {
  /** cmsg_level, e.g. SOL.SOCKET. */
  level: number;
  /** cmsg_type, e.g. SO.TIMESTAMPNS. */
  type: number;
  /** Its data bytes. */
  data: Uint8Array;
}

/** The control messages in the first `length` bytes of `control`. */
export function decodeControlMessages(control: Uint8Array, length: number): ControlMessage[] {
  const v = viewOf(control);
  const out: ControlMessage[] = [];
  let pos = 0;
  while (pos + CMSGHDR_SIZE <= length) {
    const len = Number(v.getBigUint64(pos, true));
    if (len < CMSGHDR_SIZE || pos + len > length) break;
    out.push({
      level: v.getInt32(pos + 8, true),
      type: v.getInt32(pos + 12, true),
      data: control.slice(pos + CMSGHDR_SIZE, pos + len),
    });
    pos += (len + 7) & ~7;
  }
  return out;
}

/**
 * An error of the socket's error queue (IP_RECVERR / IPV6_RECVERR): struct
 * sock_extended_err (include/uapi/linux/errqueue.h), 16 bytes: u32 errno,
 * u8 origin, u8 type, u8 code, u8 pad, u32 info, u32 data; then the
 * address of whoever reported it (SO_EE_OFFENDER).
 */
export interface ExtendedError {
  /** The errno it stands for (EHOSTUNREACH...). */
  errno: number;
  /** SO_EE_ORIGIN: 1 local, 2 ICMP, 3 ICMPv6. */
  origin: number;
  /** The ICMP type and code, for ICMP origins. */
  type: number;
  code: number;
  /** Extra (the MTU of "packet too big"). */
  info: number;
  /** Who sent the ICMP error. */
  offender: SockaddrIp | null;
}

/** Decodes the data of an IP_RECVERR / IPV6_RECVERR control message. */
export function decodeExtendedError(data: Uint8Array): ExtendedError | null {
  if (data.byteLength < 16) return null;
  const v = viewOf(data);
  return {
    errno: v.getUint32(0, true),
    origin: data[4],
    type: data[5],
    code: data[6],
    info: v.getUint32(8, true),
    offender: decodeSockaddr(data.subarray(16), data.byteLength - 16),
  };
}

// ---------------------------------------------------------------------------
// Netlink (include/uapi/linux/netlink.h, rtnetlink.h, if_link.h, if_addr.h):
//   nlmsghdr   16: u32 len, u16 type, u16 flags, u32 seq, u32 pid
//   nlmsgerr   after the header: int error, then the request's nlmsghdr...
//   ifinfomsg  16: u8 family, u8 pad, u16 type, s32 index, u32 flags, u32 change
//   ifaddrmsg   8: u8 family, u8 prefixlen, u8 flags, u8 scope, u32 index
//   rtmsg      12: u8 family, dst_len, src_len, tos, table, protocol, scope,
//                  type, u32 flags
//   rtattr      4: u16 len, u16 type, then the payload; 4-byte aligned
// ---------------------------------------------------------------------------

/** sizeof(struct nlmsghdr). */
export const NLMSGHDR_SIZE = 16;
/** sizeof(struct ifinfomsg). */
export const IFINFOMSG_SIZE = 16;
/** sizeof(struct ifaddrmsg). */
export const IFADDRMSG_SIZE = 8;
/** sizeof(struct rtmsg). */
export const RTMSG_SIZE = 12;
/** sizeof(struct rtattr). */
export const RTATTR_SIZE = 4;

/** NLMSG_ALIGN / RTA_ALIGN: rounds up to 4 bytes. */
export function align4(n: number): number {
  return (n + 3) & ~3;
}

/** A netlink message header. */
export interface Nlmsghdr {
  /** Length of the whole message, header included. */
  length: number;
  /** Message type (NLMSG_* or RTM_*). */
  type: number;
  /** NLM_F_* flags. */
  flags: number;
  /** Sequence number. */
  seq: number;
  /** Port id of the sender (0: the kernel). */
  pid: number;
}

/** Decodes the nlmsghdr at `offset`. */
export function decodeNlmsghdr(buf: Uint8Array, offset = 0): Nlmsghdr {
  const v = viewOf(buf);
  return {
    length: v.getUint32(offset, true),
    type: v.getUint16(offset + 4, true),
    flags: v.getUint16(offset + 6, true),
    seq: v.getUint32(offset + 8, true),
    pid: v.getUint32(offset + 12, true),
  };
}

/** A netlink attribute: type and payload. */
export interface Attr {
  /** Attribute type (IFA_*, RTA_*, IFLA_*...). */
  type: number;
  /** Payload bytes. */
  data: Uint8Array;
}

/** A u32 attribute payload (host order). */
export function u32Attr(type: number, value: number): Attr {
  const data = new Uint8Array(4);
  viewOf(data).setUint32(0, value >>> 0, true);
  return { type, data };
}

/** A NUL-terminated string attribute payload. */
export function stringAttr(type: number, value: string): Attr {
  const bytes = new TextEncoder().encode(value);
  const data = new Uint8Array(bytes.length + 1);
  data.set(bytes);
  return { type, data };
}

/**
 * A whole netlink message: header (length filled in), the fixed family
 * header `body`, then `attrs`, each aligned to 4 bytes.
 */
export function encodeNlmsg(
  type: number,
  flags: number,
  seq: number,
  body: Uint8Array,
  attrs: readonly Attr[] = [],
): Uint8Array {
  let length = NLMSGHDR_SIZE + align4(body.length);
  for (const a of attrs) length += align4(RTATTR_SIZE + a.data.length);
  const buf = new Uint8Array(length);
  const v = viewOf(buf);
  v.setUint32(0, length, true);
  v.setUint16(4, type, true);
  v.setUint16(6, flags, true);
  v.setUint32(8, seq, true);
  v.setUint32(12, 0, true);
  buf.set(body, NLMSGHDR_SIZE);
  let pos = NLMSGHDR_SIZE + align4(body.length);
  for (const a of attrs) {
    v.setUint16(pos, RTATTR_SIZE + a.data.length, true);
    v.setUint16(pos + 2, a.type, true);
    buf.set(a.data, pos + RTATTR_SIZE);
    pos += align4(RTATTR_SIZE + a.data.length);
  }
  return buf;
}

/** The attributes in `buf` from `start` to `end` (type without the nested/byte-order bits). */
export function decodeAttrs(buf: Uint8Array, start: number, end: number): Attr[] {
  const v = viewOf(buf);
  const out: Attr[] = [];
  let pos = start;
  while (pos + RTATTR_SIZE <= end) {
    const len = v.getUint16(pos, true);
    if (len < RTATTR_SIZE || pos + len > end) break;
    out.push({
      type: v.getUint16(pos + 2, true) & 0x3fff,
      data: buf.slice(pos + RTATTR_SIZE, pos + len),
    });
    pos += align4(len);
  }
  return out;
}

/** A struct ifinfomsg: which link, and which flags to change. */
export function encodeIfinfomsg(
  index: number,
  flags = 0,
  change = 0,
  family: number = AF.UNSPEC,
): Uint8Array {
  const buf = new Uint8Array(IFINFOMSG_SIZE);
  const v = viewOf(buf);
  v.setUint8(0, family);
  v.setInt32(4, index, true);
  v.setUint32(8, flags >>> 0, true);
  v.setUint32(12, change >>> 0, true);
  return buf;
}

/** A decoded struct ifinfomsg. */
export interface Ifinfomsg {
  family: number;
  /** ARPHRD_* device type. */
  type: number;
  index: number;
  /** IFF_* flags. */
  flags: number;
}

/** Decodes the ifinfomsg at `offset`. */
export function decodeIfinfomsg(buf: Uint8Array, offset: number): Ifinfomsg {
  const v = viewOf(buf);
  return {
    family: v.getUint8(offset),
    type: v.getUint16(offset + 2, true),
    index: v.getInt32(offset + 4, true),
    flags: v.getUint32(offset + 8, true),
  };
}

/** A decoded (or to be encoded) struct ifaddrmsg. */
export interface Ifaddrmsg {
  /** AF.INET or AF.INET6. */
  family: number;
  /** Prefix length. */
  prefixLength: number;
  /** Low 8 bits of the IFA_F_* flags (IFA_FLAGS holds all of them). */
  flags: number;
  /** RT_SCOPE_*. */
  scope: number;
  /** Interface index. */
  index: number;
}

/** Encodes a struct ifaddrmsg. */
export function encodeIfaddrmsg(m: Ifaddrmsg): Uint8Array {
  const buf = new Uint8Array(IFADDRMSG_SIZE);
  const v = viewOf(buf);
  v.setUint8(0, m.family);
  v.setUint8(1, m.prefixLength);
  v.setUint8(2, m.flags & 0xff);
  v.setUint8(3, m.scope);
  v.setUint32(4, m.index, true);
  return buf;
}

/** Decodes the ifaddrmsg at `offset`. */
export function decodeIfaddrmsg(buf: Uint8Array, offset: number): Ifaddrmsg {
  const v = viewOf(buf);
  return {
    family: v.getUint8(offset),
    prefixLength: v.getUint8(offset + 1),
    flags: v.getUint8(offset + 2),
    scope: v.getUint8(offset + 3),
    index: v.getUint32(offset + 4, true),
  };
}

/** A struct rtmsg. */
export interface Rtmsg {
  family: number;
  /** Prefix length of the destination (0: default route). */
  dstLength: number;
  /** RT_TABLE_*. */
  table: number;
  /** RTPROT_*. */
  protocol: number;
  /** RT_SCOPE_*. */
  scope: number;
  /** RTN_*. */
  type: number;
}

/** Encodes a struct rtmsg (src_len, tos and flags 0). */
export function encodeRtmsg(m: Rtmsg): Uint8Array {
  const buf = new Uint8Array(RTMSG_SIZE);
  buf.set([m.family, m.dstLength, 0, 0, m.table, m.protocol, m.scope, m.type]);
  return buf;
}

/** Decodes the rtmsg at `offset`. */
export function decodeRtmsg(buf: Uint8Array, offset: number): Rtmsg {
  return {
    family: buf[offset],
    dstLength: buf[offset + 1],
    table: buf[offset + 4],
    protocol: buf[offset + 5],
    scope: buf[offset + 6],
    type: buf[offset + 7],
  };
}

// ---------------------------------------------------------------------------
// ICMP / ICMPv6 echo header (include/uapi/linux/icmp.h, icmpv6.h), 8 bytes:
//   u8 type, u8 code, be16 checksum, be16 id, be16 sequence
// A ping socket fills in the checksum and the id (its "port").
// ---------------------------------------------------------------------------

/** Size of the ICMP echo header. */
export const ICMP_HEADER_SIZE = 8;

/** A decoded ICMP echo header. */
export interface IcmpEcho {
  type: number;
  code: number;
  id: number;
  seq: number;
}

/** Writes an echo header of `type` and `seq` at the start of `packet`. */
export function encodeIcmpEcho(packet: Uint8Array, type: number, seq: number, id = 0): void {
  const v = viewOf(packet);
  v.setUint8(0, type);
  v.setUint8(1, 0);
  v.setUint16(2, 0, false);
  v.setUint16(4, id, false);
  v.setUint16(6, seq & 0xffff, false);
}

/** Reads the echo header at the start of `packet`. */
export function decodeIcmpEcho(packet: Uint8Array): IcmpEcho {
  const v = viewOf(packet);
  return {
    type: v.getUint8(0),
    code: v.getUint8(1),
    id: v.getUint16(4, false),
    seq: v.getUint16(6, false),
  };
}
