/**
 * UDP sockets of the kernel, shaped like Deno.listenDatagram's
 * DatagramConn: send() to an address, receive() the next datagram with its
 * source, or iterate over incoming datagrams.
 *
 * @module
 */

import { AF, IPPROTO, IPV6, SO, SOCK, SOL } from "../ffi/constants.ts";
import { type NetAddr, netAddr, resolveAddress, Socket } from "./socket.ts";
import type { SocketContext } from "./tcp.ts";

/** Options of {@link Network.listenDatagram}. */
export interface DatagramOptions {
  /** Local port (default 0: any free one). */
  port?: number;
  /** Local address (default "0.0.0.0"; "::" takes IPv6 and IPv4). */
  hostname?: string;
  /** Only "udp" (Deno's option name). */
  transport?: "udp";
  /** SO_REUSEADDR (default false). */
  reuseAddress?: boolean;
  /** SO_BROADCAST: allow sending to broadcast addresses (default false). */
  broadcast?: boolean;
}

/** Where a datagram goes: a {@link NetAddr} or just hostname and port. */
export interface DatagramTarget {
  /** An IP address. */
  hostname: string;
  /** A port. */
  port: number;
}

/** The largest UDP payload (64 KiB minus headers), the default receive buffer. */
const MAX_DATAGRAM = 65_535;

/**
 * A UDP socket in the kernel, like Deno.DatagramConn.
 *
 * ```ts
 * import { Kernel } from "../mod.ts";
 * await using kernel = await Kernel.boot();
 * using a = kernel.net.listenDatagram({ hostname: "127.0.0.1", port: 9000 });
 * using b = kernel.net.listenDatagram({ hostname: "127.0.0.1" });
 * await b.send(new TextEncoder().encode("hi"), a.addr);
 * const [data, from] = await a.receive();
 * ```
 */
export class DatagramConn implements Disposable, AsyncIterable<[Uint8Array, NetAddr]> {
  readonly #socket: Socket;
  readonly #ctx: SocketContext;
  readonly #family: 4 | 6;
  #remote: NetAddr | null = null;

  private constructor(socket: Socket, ctx: SocketContext, family: 4 | 6) {
    this.#socket = socket;
    this.#ctx = ctx;
    this.#family = family;
  }

  /**
   * The local address: the port chosen when 0 was asked, and after
   * {@link connect} the source address the kernel picked for the peer.
   */
  get addr(): NetAddr {
    const local = this.#socket.localAddress();
    return local
      ? netAddr("udp", local, this.#ctx.interfaceName)
      : { transport: "udp", hostname: "", port: 0 };
  }

  /** Used by {@link Network.listenDatagram}. */
  static listen(ctx: SocketContext, options: DatagramOptions = {}): DatagramConn {
    const hostname = options.hostname ?? "0.0.0.0";
    const port = options.port ?? 0;
    const local = resolveAddress(hostname, port, ctx.interfaceIndex);
    const family = local.ip.family === 4 ? AF.INET : AF.INET6;
    const about = `UDP ${hostname} port ${port}`;
    const socket = Socket.open(ctx.kernel, ctx.poller, family, SOCK.DGRAM, IPPROTO.UDP, about);
    try {
      if (options.reuseAddress) socket.setOption(SOL.SOCKET, SO.REUSEADDR, 1);
      if (options.broadcast) socket.setOption(SOL.SOCKET, SO.BROADCAST, 1);
      if (family === AF.INET6) socket.setOption(SOL.IPV6, IPV6.V6ONLY, 0);
      socket.bind(local.sockaddr, about);
      return new DatagramConn(socket, ctx, local.ip.family);
    } catch (e) {
      socket.close();
      throw e;
    }
  }

  /** The peer fixed by {@link connect}, or null. */
  get remoteAddr(): NetAddr | null {
    return this.#remote;
  }

  /**
   * connect(2): from now on send() without an address goes to `target`,
   * and only its datagrams are received (an ICMP "port unreachable" from
   * it makes the next call fail with ECONNREFUSED).
   */
  async connect(target: DatagramTarget): Promise<void> {
    const to = resolveAddress(target.hostname, target.port, this.#ctx.interfaceIndex, this.#family);
    this.#socket.about = `UDP ${target.hostname} port ${target.port}`;
    await this.#socket.connect(to.sockaddr);
    this.#remote = { transport: "udp", hostname: target.hostname, port: target.port };
  }

  /**
   * Sends `p` as one datagram to `target` (or to the connected peer).
   * Resolves with the bytes sent.
   */
  send(p: Uint8Array, target?: DatagramTarget): Promise<number> {
    if (!target) return this.#socket.send(p, null);
    const to = resolveAddress(target.hostname, target.port, this.#ctx.interfaceIndex, this.#family);
    return this.#socket.send(p, to.sockaddr);
  }

  /**
   * Waits for the next datagram: its bytes (a view of `p` when given,
   * else of a new 64 KiB buffer; a longer datagram is cut) and its source.
   */
  async receive(p?: Uint8Array, signal?: AbortSignal): Promise<[Uint8Array, NetAddr]> {
    const buf = p ?? new Uint8Array(MAX_DATAGRAM);
    const msg = await this.#socket.receiveFrom(buf, signal);
    const addr = msg.from
      ? netAddr("udp", msg.from, this.#ctx.interfaceName)
      : { transport: "udp" as const, hostname: "", port: 0 };
    return [buf.subarray(0, Math.min(msg.bytes, buf.byteLength)), addr];
  }

  /** Closes the socket; a pending receive rejects with Deno.errors.Interrupted. */
  close(): void {
    this.#socket.close();
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#socket.closed;
  }

  /** Closes at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Yields incoming datagrams until the socket is closed. */
  async *[Symbol.asyncIterator](): AsyncIterator<[Uint8Array, NetAddr]> {
    while (!this.#socket.closed) {
      try {
        yield await this.receive();
      } catch (e) {
        if (this.#socket.closed) return;
        throw e;
      }
    }
  }
}
