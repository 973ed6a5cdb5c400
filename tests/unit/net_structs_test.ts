import { deepEqual, equal, throws } from "node:assert/strict";
import { AF, IFA, NLM_F, RTM } from "../../ffi/constants.ts";
import {
  decodeAttrs,
  decodeControlMessages,
  decodeEpollEvent,
  decodeIcmpEcho,
  decodeIfaddrmsg,
  decodeNlmsghdr,
  decodeSockaddr,
  encodeEpollEvent,
  encodeIcmpEcho,
  encodeIfaddrmsg,
  encodeIfreq,
  encodeMsghdr,
  encodeNlmsg,
  encodeSockaddr,
  EPOLL_EVENT_SIZE,
  MSGHDR_SIZE,
  NLMSGHDR_SIZE,
  u32Attr,
} from "../../ffi/net_structs.ts";

Deno.test("sockaddr_in and sockaddr_in6 round trip, port in network order", () => {
  const v4 = encodeSockaddr(new Uint8Array([10, 0, 0, 2]), 0x1234);
  equal(v4.length, 16);
  deepEqual([...v4.subarray(0, 8)], [2, 0, 0x12, 0x34, 10, 0, 0, 2]);
  deepEqual(decodeSockaddr(v4), {
    family: AF.INET,
    address: new Uint8Array([10, 0, 0, 2]),
    port: 0x1234,
    scopeId: 0,
  });
  const addr6 = new Uint8Array(16).fill(0xab);
  const v6 = encodeSockaddr(addr6, 80, 3);
  equal(v6.length, 28);
  equal(new DataView(v6.buffer).getUint32(24, true), 3);
  deepEqual(decodeSockaddr(v6), { family: AF.INET6, address: addr6, port: 80, scopeId: 3 });
  equal(decodeSockaddr(new Uint8Array([1, 0, 0, 0])), null);
  throws(() => encodeSockaddr(new Uint8Array(5), 1), RangeError);
});

Deno.test("ifreq: the name NUL-terminated in 16 bytes, 40 in all", () => {
  const req = encodeIfreq("eth0");
  equal(req.length, 40);
  deepEqual([...req.subarray(0, 5)], [101, 116, 104, 48, 0]);
  throws(() => encodeIfreq("a-name-far-too-long"), RangeError);
  throws(() => encodeIfreq(""), RangeError);
});

Deno.test("epoll_event: events and a 32-bit tag", () => {
  const buf = encodeEpollEvent(0x4000_0001, 42);
  equal(buf.length, EPOLL_EVENT_SIZE);
  deepEqual(decodeEpollEvent(buf), { events: 0x4000_0001, data: 42 });
});

Deno.test("netlink: a message with a family header and aligned attributes", () => {
  const body = encodeIfaddrmsg({
    family: AF.INET6,
    prefixLength: 64,
    flags: 0,
    scope: 0,
    index: 2,
  });
  const msg = encodeNlmsg(RTM.NEWADDR, NLM_F.REQUEST | NLM_F.ACK, 9, body, [
    { type: IFA.LOCAL, data: new Uint8Array(16).fill(1) },
    { type: IFA.LABEL, data: new Uint8Array([1, 2, 3]) }, // padded to 8
    u32Attr(IFA.FLAGS, 0x80),
  ]);
  equal(msg.length, 16 + 8 + 20 + 8 + 8);
  deepEqual(decodeNlmsghdr(msg), {
    length: msg.length,
    type: RTM.NEWADDR,
    flags: NLM_F.REQUEST | NLM_F.ACK,
    seq: 9,
    pid: 0,
  });
  deepEqual(decodeIfaddrmsg(msg, NLMSGHDR_SIZE), {
    family: AF.INET6,
    prefixLength: 64,
    flags: 0,
    scope: 0,
    index: 2,
  });
  const attrs = decodeAttrs(msg, NLMSGHDR_SIZE + 8, msg.length);
  deepEqual(attrs.map((a) => [a.type, a.data.length]), [[IFA.LOCAL, 16], [IFA.LABEL, 3], [
    IFA.FLAGS,
    4,
  ]]);
});

Deno.test("msghdr points at one iovec over the data; control messages decode", () => {
  const data = new Uint8Array(100);
  const msg = encodeMsghdr(data, new Uint8Array(28), new Uint8Array(64));
  equal(msg.header.length, MSGHDR_SIZE);
  const h = new DataView(msg.header.buffer);
  equal(h.getInt32(8, true), 28);
  equal(h.getBigUint64(24, true), 1n);
  equal(h.getBigUint64(40, true), 64n);
  equal(new DataView(msg.iov.buffer).getBigUint64(8, true), 100n);
  // Two cmsgs: an int (len 20, padded to 24) and a 16-byte timespec.
  const control = new Uint8Array(64);
  const c = new DataView(control.buffer);
  c.setBigUint64(0, 20n, true);
  c.setInt32(8, 41, true);
  c.setInt32(12, 52, true);
  c.setInt32(16, 64, true);
  c.setBigUint64(24, 32n, true);
  c.setInt32(32, 1, true);
  c.setInt32(36, 35, true);
  const cmsgs = decodeControlMessages(control, 56);
  deepEqual(cmsgs.map((m) => [m.level, m.type, m.data.length]), [[41, 52, 4], [1, 35, 16]]);
});

Deno.test("ICMP echo header: id and sequence in network order", () => {
  const packet = new Uint8Array(8);
  encodeIcmpEcho(packet, 128, 0x1234, 7);
  deepEqual([...packet], [128, 0, 0, 0, 0, 7, 0x12, 0x34]);
  deepEqual(decodeIcmpEcho(packet), { type: 128, code: 0, id: 7, seq: 0x1234 });
});
