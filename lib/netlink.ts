/**
 * rtnetlink: how interfaces, addresses and routes are configured, as `ip`
 * does it. One NETLINK_ROUTE socket per kernel sends requests and reads
 * their acknowledgements or dumps.
 *
 * Every call here is synchronous, on purpose: the kernel handles a
 * NETLINK_ROUTE request inside sendto(2) (the ack is queued before sendto
 * returns), and builds each further part of a dump inside recvfrom(2). So
 * the answer is always there to read, and a nonblocking read that finds
 * nothing means the kernel did not answer, which is reported as an error.
 *
 * @module
 */

import {
  AF,
  IFA,
  MSG,
  NETLINK,
  NLM_F,
  NLMSG,
  NLMSGERR_ATTR,
  RTM,
  SOCK,
  SOL,
} from "../ffi/constants.ts";
import { decodeCString } from "../ffi/cstring.ts";
import { ERRNO } from "../ffi/errno.ts";
import {
  type Attr,
  decodeAttrs,
  decodeIfaddrmsg,
  decodeNlmsghdr,
  encodeNlmsg,
  encodeSockaddrNl,
  type Ifaddrmsg,
  IFADDRMSG_SIZE,
  NLMSGHDR_SIZE,
} from "../ffi/net_structs.ts";
import { SYS } from "../ffi/syscalls.ts";
import { LklError } from "./errors.ts";
import type { Kernel } from "./kernel.ts";

/** One message of a netlink answer. */
export interface NetlinkMessage {
  /** RTM_* or NLMSG_* type. */
  type: number;
  /** NLM_F_* flags. */
  flags: number;
  /** The bytes after the nlmsghdr: the family header, then attributes. */
  payload: Uint8Array;
}

/** The name of an RTM_* request, for error messages ("RTM_NEWADDR"). */
function requestName(type: number): string {
  const entry = Object.entries(RTM).find(([, v]) => v === type);
  return entry ? `RTM_${entry[0]}` : `netlink message ${type}`;
}

/** Room for the largest message part the kernel sends (it sizes dumps to the buffer). */
const RECEIVE_SIZE = 32 * 1024;

/**
 * A NETLINK_ROUTE socket of the kernel.
 *
 * ```ts
 * import { Kernel } from "../mod.ts";
 * import { Netlink } from "./netlink.ts";
 * await using kernel = await Kernel.boot();
 * const netlink = Netlink.open(kernel);
 * console.log(netlink.addresses().length); // lo's 127.0.0.1 and ::1 once lo is up
 * netlink.close();
 * ```
 */
export class Netlink {
  readonly #kernel: Kernel;
  #fd: number;
  #seq = 0;
  readonly #buf = new Uint8Array(RECEIVE_SIZE);
  readonly #kernelAddress = encodeSockaddrNl(0);

  private constructor(kernel: Kernel, fd: number) {
    this.#kernel = kernel;
    this.#fd = fd;
  }

  /** Opens a NETLINK_ROUTE socket, with extended acks (error texts) on. */
  static open(kernel: Kernel): Netlink {
    const fd = kernel.syscall(
      SYS.socket,
      AF.NETLINK,
      SOCK.RAW | SOCK.CLOEXEC | SOCK.NONBLOCK,
      NETLINK.ROUTE,
    );
    const one = new Int32Array([1]);
    kernel.syscallResult(SYS.setsockopt, fd, SOL.NETLINK, NETLINK.EXT_ACK, one, 4);
    const rc = kernel.syscallResult(SYS.bind, fd, encodeSockaddrNl(0), 12);
    if (rc < 0) {
      kernel.syscallResult(SYS.close, fd);
      throw new LklError(-rc, "bind", { path: "netlink socket" });
    }
    return new Netlink(kernel, fd);
  }

  #send(type: number, flags: number, body: Uint8Array, attrs: readonly Attr[]): number {
    if (this.#fd < 0) throw new Deno.errors.BadResource("the netlink socket is closed");
    const seq = ++this.#seq;
    const msg = encodeNlmsg(type, flags | NLM_F.REQUEST, seq, body, attrs);
    const rc = this.#kernel.syscallResult(
      SYS.sendto,
      this.#fd,
      msg,
      msg.length,
      0,
      this.#kernelAddress,
      this.#kernelAddress.length,
    );
    if (rc < 0) throw new LklError(-rc, "sendto", { path: requestName(type) });
    return seq;
  }

  /** Reads the messages of the next datagram that answer `seq`. */
  #receive(type: number, seq: number): NetlinkMessage[] {
    for (;;) {
      const n = this.#kernel.syscallResult(
        SYS.recvfrom,
        this.#fd,
        this.#buf,
        this.#buf.length,
        MSG.DONTWAIT,
        null,
        null,
      );
      if (n === -ERRNO.EAGAIN) {
        throw new LklError(ERRNO.ETIMEDOUT, requestName(type), {
          detail: "the kernel did not answer the netlink request",
        });
      }
      if (n < 0) throw new LklError(-n, "recvfrom", { path: requestName(type) });
      const out: NetlinkMessage[] = [];
      for (let pos = 0; pos + NLMSGHDR_SIZE <= n;) {
        const h = decodeNlmsghdr(this.#buf, pos);
        if (h.length < NLMSGHDR_SIZE || pos + h.length > n) break;
        if (h.seq === seq) {
          out.push({
            type: h.type,
            flags: h.flags,
            payload: this.#buf.slice(pos + NLMSGHDR_SIZE, pos + h.length),
          });
        }
        pos += (h.length + 3) & ~3;
      }
      // Answers to older requests (none are left unread normally) are skipped.
      if (out.length > 0) return out;
    }
  }

  /** Throws the error an NLMSG_ERROR message carries, if any (0 is an ack). */
  #checkAck(type: number, msg: NetlinkMessage, what?: string): void {
    const view = new DataView(msg.payload.buffer, msg.payload.byteOffset);
    const error = view.getInt32(0, true);
    if (error === 0) return;
    let detail: string | undefined;
    if (msg.flags & NLM_F.ACK_TLVS) {
      // After the error: the request's header (and its payload unless capped).
      const requestLength = msg.flags & NLM_F.CAPPED ? NLMSGHDR_SIZE : view.getUint32(4, true);
      const start = 4 + ((requestLength + 3) & ~3);
      const text = decodeAttrs(msg.payload, start, msg.payload.length)
        .find((a) => a.type === NLMSGERR_ATTR.MSG);
      if (text) detail = decodeCString(text.data);
    }
    throw new LklError(-error, requestName(type), { path: what, detail });
  }

  /**
   * Sends a request and waits for its ack; throws an {@link LklError}
   * whose message names `what` the request was about and includes the
   * kernel's own explanation when it gives one.
   */
  request(
    type: number,
    flags: number,
    body: Uint8Array,
    attrs: readonly Attr[] = [],
    what?: string,
  ): void {
    const seq = this.#send(type, flags | NLM_F.ACK, body, attrs);
    for (;;) {
      for (const msg of this.#receive(type, seq)) {
        if (msg.type === NLMSG.ERROR) return this.#checkAck(type, msg, what);
      }
    }
  }

  /** Sends a dump request and returns every message of the answer. */
  dump(type: number, body: Uint8Array, attrs: readonly Attr[] = []): NetlinkMessage[] {
    const seq = this.#send(type, NLM_F.DUMP, body, attrs);
    const out: NetlinkMessage[] = [];
    for (;;) {
      for (const msg of this.#receive(type, seq)) {
        if (msg.type === NLMSG.DONE) return out;
        if (msg.type === NLMSG.ERROR) {
          this.#checkAck(type, msg);
          return out;
        }
        out.push(msg);
      }
    }
  }

  /** Every address of every interface (RTM_GETADDR dump), decoded. */
  addresses(family: number = AF.UNSPEC): AddressMessage[] {
    const body = new Uint8Array(IFADDRMSG_SIZE);
    body[0] = family;
    return this.dump(RTM.GETADDR, body)
      .filter((m) => m.type === RTM.NEWADDR)
      .map(decodeAddressMessage);
  }

  /** Closes the socket. */
  close(): void {
    if (this.#fd < 0) return;
    if (!this.#kernel.halted) this.#kernel.syscallResult(SYS.close, this.#fd);
    this.#fd = -1;
  }
}

/** An RTM_NEWADDR message, decoded. */
export interface AddressMessage extends Ifaddrmsg {
  /** IFA_LOCAL or else IFA_ADDRESS: the interface's own address. */
  address: Uint8Array;
  /** All IFA_F_* flags (IFA_FLAGS when present). */
  allFlags: number;
}

/** Decodes an RTM_NEWADDR message. */
export function decodeAddressMessage(msg: NetlinkMessage): AddressMessage {
  const head = decodeIfaddrmsg(msg.payload, 0);
  const attrs = decodeAttrs(msg.payload, IFADDRMSG_SIZE, msg.payload.length);
  const get = (t: number) => attrs.find((a) => a.type === t)?.data;
  const flagsAttr = get(IFA.FLAGS);
  const allFlags = flagsAttr && flagsAttr.length >= 4
    ? new DataView(flagsAttr.buffer, flagsAttr.byteOffset).getUint32(0, true)
    : head.flags;
  return {
    ...head,
    address: get(IFA.LOCAL) ?? get(IFA.ADDRESS) ?? new Uint8Array(0),
    allFlags,
  };
}
