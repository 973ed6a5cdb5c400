/**
 * ICMP and ICMPv6 echo through the kernel's ping sockets (SOCK_DGRAM with
 * IPPROTO_ICMP or IPPROTO_ICMPV6): no raw sockets, no privileges. The
 * kernel fills in the echo identifier and the checksum, and hands back
 * only the replies to this socket's identifier.
 *
 * @module
 */

import {
  AF,
  CLOCK,
  ICMP,
  IP,
  IPPROTO,
  IPV6,
  MSG,
  SO,
  SO_EE_ORIGIN,
  SOCK,
  SOL,
} from "../ffi/constants.ts";
import { ERRNO } from "../ffi/errno.ts";
import {
  decodeControlMessages,
  decodeExtendedError,
  decodeIcmpEcho,
  encodeIcmpEcho,
  ICMP_HEADER_SIZE,
} from "../ffi/net_structs.ts";
import { decodeTimespec, timespecToMs } from "../ffi/structs.ts";
import { LklError } from "./errors.ts";
import { netAddr, type ReceivedMessage, resolveAddress, Socket } from "./socket.ts";
import type { SocketContext } from "./tcp.ts";

/** Options of {@link Network.openPing}. */
export interface PingSocketOptions {
  /** 4 (ICMP) or 6 (ICMPv6). */
  family: 4 | 6;
  /** Source address to send from (default: the kernel's choice). */
  source?: string;
}

/** One echo reply. */
export interface EchoReply {
  /** What this is: a reply (see {@link EchoError} for the other kind). */
  kind: "reply";
  /** Its sequence number (16 bits). */
  seq: number;
  /** Its echo identifier (this socket's). */
  id: number;
  /** Size of the ICMP message: 8 header bytes plus the payload, as ping prints it. */
  bytes: number;
  /** Who answered ("fe80::1%eth0" for a link-local address, as ping prints it). */
  from: string;
  /** Its IP TTL or IPv6 hop limit, when the kernel said. */
  ttl: number | null;
  /** The payload that came back. */
  payload: Uint8Array;
  /**
   * When the kernel received it, in ms of the kernel's CLOCK_REALTIME
   * (SO_TIMESTAMPNS), or null. Compare with {@link PingSocket.now}.
   */
  receivedMs: number | null;
}

/**
 * An ICMP error about one of this socket's requests (destination
 * unreachable, time exceeded...), as the kernel queued it (IP_RECVERR):
 * from a router on the way, or from the kernel itself (no neighbour
 * answered).
 */
export interface EchoError {
  /** What this is: an error about a request. */
  kind: "error";
  /** The sequence number of the request it is about. */
  seq: number;
  /** Who reported it ("" when unknown). */
  from: string;
  /** The ICMP (or ICMPv6) type; -1 for an error of the kernel itself (not ICMP). */
  type: number;
  /** The ICMP (or ICMPv6) code; -1 for an error of the kernel itself. */
  code: number;
  /** The errno it stands for (EHOSTUNREACH...). */
  errno: number;
  /** Extra data: the MTU of "packet too big" / "fragmentation needed". */
  info: number;
}

/** Errnos that a pending ICMP error makes recvmsg and sendmsg return once. */
const ICMP_ERRNOS: ReadonlySet<number> = new Set([
  ERRNO.EHOSTUNREACH,
  ERRNO.ENETUNREACH,
  ERRNO.ECONNREFUSED,
  ERRNO.EMSGSIZE,
  ERRNO.EPROTO,
  ERRNO.EHOSTDOWN,
  ERRNO.EACCES,
  ERRNO.ENOPROTOOPT,
]);

/** Room for the control messages of one reply (hop limit, timestamp). */
const CONTROL_SIZE = 128;
/** The largest echo payload taken back. */
const MAX_REPLY = 65_535;

/**
 * A ping socket of the kernel.
 *
 * ```ts
 * import { Kernel } from "../mod.ts";
 * await using kernel = await Kernel.boot();
 * using ping = kernel.net.openPing({ family: 4 });
 * await ping.send("127.0.0.1", 1, new Uint8Array(56));
 * const reply = await ping.receive();
 * if (reply.kind === "reply") console.log(reply.seq, reply.ttl); // 1 64
 * else console.log(reply.seq, reply.from, reply.type, reply.code); // an ICMP error
 * ```
 */
export class PingSocket implements Disposable {
  readonly #socket: Socket;
  readonly #ctx: SocketContext;
  readonly #buf = new Uint8Array(MAX_REPLY);
  readonly #packet = new Uint8Array(MAX_REPLY);
  /** 4 or 6. */
  readonly family: 4 | 6;

  private constructor(socket: Socket, ctx: SocketContext, family: 4 | 6) {
    this.#socket = socket;
    this.#ctx = ctx;
    this.family = family;
  }

  /** Used by {@link Network.openPing} (which allows ping sockets first). */
  static open(ctx: SocketContext, options: PingSocketOptions): PingSocket {
    const v6 = options.family === 6;
    const socket = Socket.open(
      ctx.kernel,
      ctx.poller,
      v6 ? AF.INET6 : AF.INET,
      SOCK.DGRAM,
      v6 ? IPPROTO.ICMPV6 : IPPROTO.ICMP,
      v6 ? "ICMPv6 ping socket" : "ICMP ping socket",
    );
    try {
      if (v6) {
        socket.setOption(SOL.IPV6, IPV6.RECVHOPLIMIT, 1);
        socket.setOption(SOL.IPV6, IPV6.RECVERR, 1);
      } else {
        socket.setOption(SOL.IP, IP.RECVTTL, 1);
        socket.setOption(SOL.IP, IP.RECVERR, 1);
      }
      socket.setOption(SOL.SOCKET, SO.TIMESTAMPNS, 1);
      if (options.source !== undefined) {
        const src = resolveAddress(options.source, 0, ctx.interfaceIndex, options.family);
        socket.bind(src.sockaddr, `source address ${options.source}`);
      }
      return new PingSocket(socket, ctx, options.family);
    } catch (e) {
      socket.close();
      throw e;
    }
  }

  /** The kernel's CLOCK_REALTIME in ms: the clock of {@link EchoReply.receivedMs}. */
  now(): number {
    return timespecToMs(this.#ctx.kernel.clockGettime(CLOCK.REALTIME));
  }

  /** The echo identifier the kernel gave this socket (0 before the first send). */
  get id(): number {
    return this.#socket.localAddress()?.port ?? 0;
  }

  /** Sends an echo request with sequence number `seq` and `payload` to `to`. */
  async send(to: string, seq: number, payload: Uint8Array): Promise<void> {
    const dest = resolveAddress(to, 0, this.#ctx.interfaceIndex, this.family);
    const length = ICMP_HEADER_SIZE + payload.byteLength;
    const packet = length <= this.#packet.length
      ? this.#packet.subarray(0, length)
      : new Uint8Array(length);
    encodeIcmpEcho(packet, this.family === 6 ? ICMP.V6_ECHO_REQUEST : ICMP.ECHO, seq);
    packet.set(payload, ICMP_HEADER_SIZE);
    this.#socket.about = `ping ${to}`;
    // An ICMP error about an earlier request would fail this send once:
    // its details wait in the error queue, for receive().
    this.#socket.takeError();
    await this.#socket.send(packet, dest.sockaddr);
  }

  /**
   * Waits for the next echo reply, or the next ICMP error about a request
   * (anything else is skipped).
   */
  async receive(signal?: AbortSignal): Promise<EchoReply | EchoError> {
    for (;;) {
      const error = this.#nextError();
      if (error) return error;
      let msg;
      try {
        msg = this.#socket.tryReceiveMessage(this.#buf, CONTROL_SIZE);
      } catch (e) {
        // A pending ICMP error, returned once: its details are in the error queue.
        if (e instanceof LklError && ICMP_ERRNOS.has(e.errno)) continue;
        throw e;
      }
      if (!msg) {
        await this.#socket.waitReadable(signal);
        continue;
      }
      const reply = this.#reply(msg);
      if (reply) return reply;
    }
  }

  /** The next error of the error queue that is about one of our requests, or null. */
  #nextError(): EchoError | null {
    for (;;) {
      const msg = this.#socket.tryReceiveMessage(this.#buf, CONTROL_SIZE, MSG.ERRQUEUE);
      if (!msg) return null;
      const level = this.family === 6 ? SOL.IPV6 : SOL.IP;
      const type = this.family === 6 ? IPV6.RECVERR : IP.RECVERR;
      const cmsg = decodeControlMessages(msg.control, msg.controlLength)
        .find((c) => c.level === level && c.type === type);
      const ee = cmsg ? decodeExtendedError(cmsg.data) : null;
      if (!ee || msg.bytes < ICMP_HEADER_SIZE) continue;
      const icmp = ee.origin === SO_EE_ORIGIN.ICMP || ee.origin === SO_EE_ORIGIN.ICMP6;
      return {
        kind: "error",
        seq: decodeIcmpEcho(this.#buf).seq,
        from: ee.offender ? netAddr("udp", ee.offender, this.#ctx.interfaceName).hostname : "",
        type: icmp ? ee.type : -1,
        code: icmp ? ee.code : -1,
        errno: ee.errno,
        info: ee.info,
      };
    }
  }

  /** The echo reply in `msg`, or null when it is something else. */
  #reply(msg: ReceivedMessage): EchoReply | null {
    const replyType = this.family === 6 ? ICMP.V6_ECHO_REPLY : ICMP.ECHO_REPLY;
    if (msg.bytes < ICMP_HEADER_SIZE) return null;
    const head = decodeIcmpEcho(this.#buf);
    if (head.type !== replyType) return null;
    let ttl: number | null = null;
    let receivedMs: number | null = null;
    for (const c of decodeControlMessages(msg.control, msg.controlLength)) {
      const view = new DataView(c.data.buffer, c.data.byteOffset, c.data.byteLength);
      if (
        (c.level === SOL.IPV6 && c.type === IPV6.HOPLIMIT) ||
        (c.level === SOL.IP && c.type === IP.TTL)
      ) {
        if (c.data.byteLength >= 4) ttl = view.getInt32(0, true);
      } else if (c.level === SOL.SOCKET && c.type === SO.TIMESTAMPNS && c.data.byteLength >= 16) {
        receivedMs = timespecToMs(decodeTimespec(c.data));
      }
    }
    return {
      kind: "reply",
      seq: head.seq,
      id: head.id,
      bytes: msg.bytes,
      from: msg.from ? netAddr("udp", msg.from, this.#ctx.interfaceName).hostname : "",
      ttl,
      payload: this.#buf.slice(ICMP_HEADER_SIZE, msg.bytes),
      receivedMs,
    };
  }

  /** Closes the socket; a pending receive rejects with Deno.errors.Interrupted. */
  close(): void {
    this.#socket.close();
  }

  /** Closes at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.close();
  }
}
