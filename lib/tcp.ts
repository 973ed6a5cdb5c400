/**
 * TCP connections and listeners of the kernel, shaped like Deno's own
 * (Deno.connect, Deno.listen, Deno.Conn, Deno.Listener): read/write with
 * byte counts, closeWrite for a half-close, web streams, async iteration
 * over accepted connections.
 *
 * @module
 */

import { AF, IPPROTO, IPV6, SHUT, SO, SOCK, SOL, TCP } from "../ffi/constants.ts";
import { LklError } from "./errors.ts";
import type { Kernel } from "./kernel.ts";
import type { Poller } from "./poller.ts";
import { type NetAddr, netAddr, resolveAddress, Socket } from "./socket.ts";

/** Options of {@link Kernel.connect}. */
export interface ConnectOptions {
  /** The address to connect to: an IP literal (default "127.0.0.1"). */
  hostname?: string;
  /** The port. */
  port: number;
  /** Only "tcp" (Deno's option name). */
  transport?: "tcp";
  /** Local address to connect from. */
  localAddress?: { hostname?: string; port?: number };
  /** Gives up (rejecting with the signal's reason) when it aborts. */
  signal?: AbortSignal;
}

/** Options of {@link Kernel.listen}. */
export interface ListenOptions {
  /** The port (0: any free one; see {@link TcpListener.addr}). */
  port: number;
  /**
   * Address to listen on (default "0.0.0.0", as Deno). "::" listens on
   * IPv6 and IPv4 both.
   */
  hostname?: string;
  /** Only "tcp" (Deno's option name). */
  transport?: "tcp";
  /** Length of the queue of connections not yet accepted (default 128). */
  backlog?: number;
  /** SO_REUSEPORT: several listeners share the port (default false). */
  reusePort?: boolean;
}

/** How the TCP classes reach the kernel and name interfaces. */
export interface SocketContext {
  kernel: Kernel;
  poller: Poller;
  /** Interface index of a zone name ("eth0" in "fe80::1%eth0"). */
  interfaceIndex: (name: string) => number;
  /** Interface name of an index, for printing zones. */
  interfaceName: (index: number) => string;
}

const READ_CHUNK = 64 * 1024;

function describe(hostname: string, port: number): string {
  return `${hostname} port ${port}`;
}

/**
 * A TCP connection in the kernel, like Deno.TcpConn. Close it when done
 * (or `using conn = ...`).
 *
 * ```ts
 * import { Kernel } from "../mod.ts";
 * await using kernel = await Kernel.boot();
 * using listener = kernel.listen({ hostname: "127.0.0.1", port: 7000 });
 * using conn = await kernel.connect({ hostname: "127.0.0.1", port: 7000 });
 * await conn.write(new TextEncoder().encode("hello"));
 * await conn.closeWrite();
 * ```
 */
export class TcpConn implements Disposable {
  readonly #socket: Socket;
  readonly #ctx: SocketContext;
  /** The local address. */
  readonly localAddr: NetAddr;
  /** The peer's address. */
  readonly remoteAddr: NetAddr;
  #readable?: ReadableStream<Uint8Array<ArrayBuffer>>;
  #writable?: WritableStream<Uint8Array>;

  /** Wraps a connected socket (use {@link Kernel.connect} or {@link TcpListener.accept}). */
  constructor(socket: Socket, ctx: SocketContext) {
    this.#socket = socket;
    this.#ctx = ctx;
    const local = socket.localAddress();
    const remote = socket.remoteAddress();
    this.localAddr = local
      ? netAddr("tcp", local, ctx.interfaceName)
      : { transport: "tcp", hostname: "", port: 0 };
    this.remoteAddr = remote
      ? netAddr("tcp", remote, ctx.interfaceName)
      : { transport: "tcp", hostname: "", port: 0 };
    socket.about = describe(this.remoteAddr.hostname, this.remoteAddr.port);
  }

  /** The kernel file descriptor (for raw system calls; -1 once closed). */
  get unsafeFd(): number {
    return this.#socket.fd;
  }

  /**
   * Reads into `p`: the byte count, or null at the end of the stream (the
   * peer closed its side). Waits, without blocking the event loop, until
   * data comes.
   */
  async read(p: Uint8Array, signal?: AbortSignal): Promise<number | null> {
    if (p.byteLength === 0) return 0;
    const n = await this.#socket.receive(p, signal);
    return n === 0 ? null : n;
  }

  /** Writes some of `p` (at least one byte) and returns how many were taken. */
  write(p: Uint8Array, signal?: AbortSignal): Promise<number> {
    if (p.byteLength === 0) return Promise.resolve(0);
    return this.#socket.send(p, null, signal);
  }

  /** Writes all of `p`. */
  async writeAll(p: Uint8Array, signal?: AbortSignal): Promise<void> {
    for (let done = 0; done < p.byteLength;) {
      done += await this.#socket.send(p.subarray(done), null, signal);
    }
  }

  /** Half-closes: the peer reads the end of the stream; reading goes on. */
  closeWrite(): Promise<void> {
    this.#socket.shutdown(SHUT.WR);
    return Promise.resolve();
  }

  /** TCP_NODELAY: send small writes at once (default on, as Deno). */
  setNoDelay(noDelay = true): void {
    this.#socket.setOption(SOL.TCP, TCP.NODELAY, noDelay ? 1 : 0);
  }

  /** SO_KEEPALIVE. */
  setKeepAlive(keepAlive = true): void {
    this.#socket.setOption(SOL.SOCKET, SO.KEEPALIVE, keepAlive ? 1 : 0);
  }

  /**
   * Closes the connection. A read or write still waiting rejects with
   * Deno.errors.Interrupted. Closing twice does nothing.
   */
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

  /**
   * The incoming bytes as a stream; it ends at the end of the TCP stream.
   * Cancelling it shuts reading down (the connection stays open for
   * writing).
   */
  get readable(): ReadableStream<Uint8Array<ArrayBuffer>> {
    const socket = this.#socket;
    return this.#readable ??= new ReadableStream({
      type: "bytes",
      autoAllocateChunkSize: READ_CHUNK,
      async pull(controller: ReadableByteStreamController) {
        const request = controller.byobRequest!;
        const view = request.view as Uint8Array<ArrayBuffer>;
        const target = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
        let n: number;
        try {
          n = await socket.receive(target);
        } catch (e) {
          if (socket.closed) {
            controller.close();
            request.respond(0);
            return;
          }
          throw e;
        }
        if (n === 0) {
          controller.close();
          request.respond(0);
        } else {
          request.respond(n);
        }
      },
      cancel() {
        if (!socket.closed) socket.shutdown(SHUT.RD);
      },
    });
  }

  /**
   * A stream that writes to the connection. Closing it half-closes the
   * connection (closeWrite; Deno's closes it entirely), so the answer can
   * still be read; aborting it closes the connection.
   */
  get writable(): WritableStream<Uint8Array> {
    return this.#writable ??= new WritableStream<Uint8Array>({
      write: (chunk) => this.writeAll(chunk),
      close: () => this.closeWrite(),
      abort: () => this.close(),
    });
  }

  /** Used by {@link Kernel.connect}. */
  static async connect(ctx: SocketContext, options: ConnectOptions): Promise<TcpConn> {
    const hostname = options.hostname ?? "127.0.0.1";
    const target = resolveAddress(hostname, options.port, ctx.interfaceIndex);
    const family = target.ip.family === 4 ? AF.INET : AF.INET6;
    const about = describe(hostname, options.port);
    const socket = Socket.open(ctx.kernel, ctx.poller, family, SOCK.STREAM, IPPROTO.TCP, about);
    try {
      socket.setOption(SOL.TCP, TCP.NODELAY, 1);
      if (options.localAddress) {
        const local = resolveAddress(
          options.localAddress.hostname ?? (family === AF.INET ? "0.0.0.0" : "::"),
          options.localAddress.port ?? 0,
          ctx.interfaceIndex,
          target.ip.family,
        );
        socket.setOption(SOL.SOCKET, SO.REUSEADDR, 1);
        socket.bind(local.sockaddr, `local address for ${about}`);
      }
      await socket.connect(target.sockaddr, options.signal);
      return new TcpConn(socket, ctx);
    } catch (e) {
      socket.close();
      throw e;
    }
  }
}

/**
 * A listening TCP socket in the kernel, like Deno.TcpListener: accept()
 * one connection, or iterate over them with `for await`. Close it (or
 * `using`) to stop: a pending accept rejects, an iteration ends.
 *
 * ```ts
 * import { Kernel } from "../mod.ts";
 * await using kernel = await Kernel.boot();
 * using listener = kernel.listen({ port: 8080 });
 * for await (const conn of listener) {
 *   await conn.readable.pipeTo(conn.writable); // echo
 *   break;
 * }
 * ```
 */
export class TcpListener implements Disposable, AsyncIterable<TcpConn> {
  readonly #socket: Socket;
  readonly #ctx: SocketContext;
  /** The address listened on (the port chosen, when 0 was asked). */
  readonly addr: NetAddr;

  private constructor(socket: Socket, ctx: SocketContext) {
    this.#socket = socket;
    this.#ctx = ctx;
    const local = socket.localAddress();
    this.addr = local
      ? netAddr("tcp", local, ctx.interfaceName)
      : { transport: "tcp", hostname: "", port: 0 };
  }

  /** Used by {@link Kernel.listen}. */
  static listen(ctx: SocketContext, options: ListenOptions): TcpListener {
    const hostname = options.hostname ?? "0.0.0.0";
    const target = resolveAddress(hostname, options.port, ctx.interfaceIndex);
    const family = target.ip.family === 4 ? AF.INET : AF.INET6;
    const about = describe(hostname, options.port);
    const socket = Socket.open(ctx.kernel, ctx.poller, family, SOCK.STREAM, IPPROTO.TCP, about);
    try {
      socket.setOption(SOL.SOCKET, SO.REUSEADDR, 1);
      if (options.reusePort) socket.setOption(SOL.SOCKET, SO.REUSEPORT, 1);
      if (family === AF.INET6) socket.setOption(SOL.IPV6, IPV6.V6ONLY, 0);
      socket.bind(target.sockaddr, about);
      socket.listen(options.backlog ?? 128);
      return new TcpListener(socket, ctx);
    } catch (e) {
      socket.close();
      throw e;
    }
  }

  /** Waits for the next connection. */
  async accept(signal?: AbortSignal): Promise<TcpConn> {
    const { fd } = await this.#socket.accept(signal);
    const socket = Socket.adopt(this.#ctx.kernel, this.#ctx.poller, fd, "accepted connection");
    try {
      socket.setOption(SOL.TCP, TCP.NODELAY, 1);
      return new TcpConn(socket, this.#ctx);
    } catch (e) {
      socket.close();
      throw e;
    }
  }

  /** Stops listening; a pending accept rejects with Deno.errors.Interrupted. */
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

  /** Yields accepted connections until the listener is closed. */
  async *[Symbol.asyncIterator](): AsyncIterator<TcpConn> {
    while (!this.#socket.closed) {
      try {
        yield await this.accept();
      } catch (e) {
        if (this.#socket.closed) return;
        // The peer gave up before we took it: wait for the next one.
        if (e instanceof LklError && (e.code === "ECONNABORTED" || e.code === "EPROTO")) continue;
        throw e;
      }
    }
  }
}
