/**
 * A kernel socket, nonblocking, with the calls that TCP, UDP and ping
 * sockets share. A call that would block returns EAGAIN at once; the
 * socket then waits for readiness on the kernel's {@link Poller} and
 * tries again. Nothing here holds a thread while it waits.
 *
 * @module
 */

import { EPOLL, MSG, SO, SOCK, SOL } from "../ffi/constants.ts";
import { ERRNO } from "../ffi/errno.ts";
import {
  decodeMsghdrResult,
  decodeSockaddr,
  encodeMsghdr,
  encodeSockaddr,
  SOCKADDR_STORAGE_SIZE,
  type SockaddrIp,
} from "../ffi/net_structs.ts";
import { SYS, syscallName } from "../ffi/syscalls.ts";
import { AddressError, formatIp, type IpAddress, parseIp } from "./address.ts";
import { LklError } from "./errors.ts";
import type { Kernel } from "./kernel.ts";
import type { Poller } from "./poller.ts";

/** A transport address, shaped like Deno.NetAddr. */
export interface NetAddr {
  /** "tcp" or "udp". */
  transport: "tcp" | "udp";
  /** The IP address as text ("10.0.0.2", "fd00::2", "fe80::1%eth0"). */
  hostname: string;
  /** The port. */
  port: number;
}

/** What a datagram or ICMP reply came from. */
export interface SourceAddress {
  /** The IP address as text. */
  hostname: string;
  /** The port (0 for ICMP). */
  port: number;
}

/** A decoded socket address as a {@link NetAddr}, the zone named by `zoneName`. */
export function netAddr(
  transport: "tcp" | "udp",
  sa: SockaddrIp,
  zoneName: (index: number) => string = String,
): NetAddr {
  let hostname = formatIp(sa.address);
  if (sa.scopeId !== 0) hostname += `%${zoneName(sa.scopeId)}`;
  return { transport, hostname, port: sa.port };
}

/** The result of {@link Socket.receiveMessage}. */
export interface ReceivedMessage {
  /** Bytes received into the buffer. */
  bytes: number;
  /** Where it came from. */
  from: SockaddrIp | null;
  /** The control buffer and how much of it the kernel filled. */
  control: Uint8Array;
  controlLength: number;
  /** MSG_* flags of the result (MSG.TRUNC: the datagram was longer than the buffer). */
  flags: number;
}

function validPort(port: number): number {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`a port is a number from 0 to 65535, got ${port}`);
  }
  return port;
}

/**
 * A nonblocking kernel socket. Used by the TCP, UDP and ping classes; its
 * methods throw {@link LklError}s naming the call and what it was about.
 */
export class Socket {
  readonly #kernel: Kernel;
  readonly #poller: Poller;
  #fd: number;
  /** What the socket is about, for error messages ("10.0.0.1 port 80"). */
  about: string;
  // Reused by receiveFrom, which decodes right after each call.
  readonly #nameBuf = new Uint8Array(SOCKADDR_STORAGE_SIZE);
  readonly #nameLen = new Uint32Array(1);

  private constructor(kernel: Kernel, poller: Poller, fd: number, about: string) {
    this.#kernel = kernel;
    this.#poller = poller;
    this.#fd = fd;
    this.about = about;
  }

  /** socket(2): a new nonblocking, close-on-exec socket. */
  static open(
    kernel: Kernel,
    poller: Poller,
    family: number,
    type: number,
    protocol: number,
    about: string,
  ): Socket {
    const fd = kernel.syscallResult(
      SYS.socket,
      family,
      type | SOCK.NONBLOCK | SOCK.CLOEXEC,
      protocol,
    );
    if (fd < 0) throw new LklError(-fd, "socket", { path: about });
    return new Socket(kernel, poller, fd, about);
  }

  /** Wraps an fd that accept4 returned (already nonblocking). */
  static adopt(kernel: Kernel, poller: Poller, fd: number, about: string): Socket {
    return new Socket(kernel, poller, fd, about);
  }

  /** The kernel file descriptor (-1 once closed). */
  get fd(): number {
    return this.#fd;
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  #live(call: string): number {
    if (this.#fd < 0) throw new Deno.errors.BadResource(`${call}: ${this.about} is closed`);
    return this.#fd;
  }

  #fail(nr: number, result: number, about = this.about): never {
    throw new LklError(-result, syscallName(nr) ?? `syscall ${nr}`, { path: about });
  }

  /**
   * Runs `attempt` until it stops saying EAGAIN, waiting for `events`
   * between tries. Returns its result (>= 0) or throws for -errno.
   */
  async #retry(
    nr: number,
    events: number,
    attempt: (fd: number) => number,
    signal?: AbortSignal,
  ): Promise<number> {
    for (;;) {
      const fd = this.#live(syscallName(nr) ?? "socket call");
      const rc = attempt(fd);
      if (rc >= 0) {
        const turn = this.#poller.fairTurn();
        if (turn) await turn;
        return rc;
      }
      if (rc === -ERRNO.EINTR) continue;
      if (rc !== -ERRNO.EAGAIN) this.#fail(nr, rc);
      await this.#poller.wait(fd, events, signal);
    }
  }

  /** setsockopt(2) of an int option. */
  setOption(level: number, name: number, value: number): void {
    const buf = new Int32Array([value]);
    const rc = this.#kernel.syscallResult(
      SYS.setsockopt,
      this.#live("setsockopt"),
      level,
      name,
      buf,
      4,
    );
    if (rc < 0) this.#fail(SYS.setsockopt, rc);
  }

  /** getsockopt(2) of an int option. */
  getOption(level: number, name: number): number {
    const buf = new Int32Array(1);
    const len = new Uint32Array([4]);
    const rc = this.#kernel.syscallResult(
      SYS.getsockopt,
      this.#live("getsockopt"),
      level,
      name,
      buf,
      len,
    );
    if (rc < 0) this.#fail(SYS.getsockopt, rc);
    return buf[0];
  }

  /** bind(2). */
  bind(address: Uint8Array, about = this.about): void {
    const rc = this.#kernel.syscallResult(
      SYS.bind,
      this.#live("bind"),
      address,
      address.byteLength,
    );
    if (rc < 0) this.#fail(SYS.bind, rc, about);
  }

  /** listen(2). */
  listen(backlog: number): void {
    const rc = this.#kernel.syscallResult(SYS.listen, this.#live("listen"), backlog);
    if (rc < 0) this.#fail(SYS.listen, rc);
  }

  /** connect(2), waiting for a TCP handshake to finish. */
  async connect(address: Uint8Array, signal?: AbortSignal): Promise<void> {
    const k = this.#kernel;
    const rc = k.syscallResult(SYS.connect, this.#live("connect"), address, address.byteLength);
    if (rc === 0) return;
    if (rc !== -ERRNO.EINPROGRESS && rc !== -ERRNO.EINTR) this.#fail(SYS.connect, rc);
    await this.#poller.wait(this.#fd, EPOLL.OUT, signal);
    const error = this.getOption(SOL.SOCKET, SO.ERROR);
    if (error !== 0) this.#fail(SYS.connect, -error);
  }

  /** accept4(2): the new connection's socket and its peer address. */
  async accept(signal?: AbortSignal): Promise<{ fd: number; peer: SockaddrIp | null }> {
    const addr = new Uint8Array(SOCKADDR_STORAGE_SIZE);
    const len = new Uint32Array(1);
    const fd = await this.#retry(SYS.accept4, EPOLL.IN, (fd) => {
      len[0] = addr.byteLength;
      return this.#kernel.syscallResult(
        SYS.accept4,
        fd,
        addr,
        len,
        SOCK.NONBLOCK | SOCK.CLOEXEC,
      );
    }, signal);
    return { fd, peer: decodeSockaddr(addr, len[0]) };
  }

  /** recvfrom(2) into `buf` without an address: bytes read, 0 at end of stream. */
  receive(buf: Uint8Array, signal?: AbortSignal): Promise<number> {
    const k = this.#kernel;
    return this.#retry(
      SYS.recvfrom,
      EPOLL.IN | EPOLL.RDHUP,
      (fd) => k.syscallResult(SYS.recvfrom, fd, buf, buf.byteLength, MSG.DONTWAIT, null, null),
      signal,
    );
  }

  /** sendto(2) of `data` (to `to`, when given): bytes sent, maybe fewer than asked. */
  send(data: Uint8Array, to: Uint8Array | null = null, signal?: AbortSignal): Promise<number> {
    const k = this.#kernel;
    const flags = MSG.DONTWAIT | MSG.NOSIGNAL;
    return this.#retry(
      SYS.sendto,
      EPOLL.OUT,
      (fd) =>
        k.syscallResult(SYS.sendto, fd, data, data.byteLength, flags, to, to?.byteLength ?? 0),
      signal,
    );
  }

  /** recvfrom(2) of one datagram into `buf`, with its source. */
  async receiveFrom(
    buf: Uint8Array,
    signal?: AbortSignal,
  ): Promise<{ bytes: number; from: SockaddrIp | null }> {
    const k = this.#kernel;
    const name = this.#nameBuf;
    const len = this.#nameLen;
    let from: SockaddrIp | null = null;
    const bytes = await this.#retry(SYS.recvfrom, EPOLL.IN, (fd) => {
      len[0] = name.byteLength;
      const rc = k.syscallResult(SYS.recvfrom, fd, buf, buf.byteLength, MSG.DONTWAIT, name, len);
      // Decoded at once: a concurrent receive may reuse the buffer next.
      if (rc >= 0) from = decodeSockaddr(name, len[0]);
      return rc;
    }, signal);
    return { bytes, from };
  }

  /** recvmsg(2) of one datagram into `buf`, with its source and control messages. */
  async receiveMessage(
    buf: Uint8Array,
    controlSize: number,
    signal?: AbortSignal,
  ): Promise<ReceivedMessage> {
    for (;;) {
      const msg = this.tryReceiveMessage(buf, controlSize);
      if (msg) {
        const turn = this.#poller.fairTurn();
        if (turn) await turn;
        return msg;
      }
      await this.waitReadable(signal);
    }
  }

  /**
   * One recvmsg(2) that does not wait: null when nothing is queued.
   * With MSG.ERRQUEUE in `flags` it takes from the error queue (IP_RECVERR).
   */
  tryReceiveMessage(buf: Uint8Array, controlSize: number, flags = 0): ReceivedMessage | null {
    const name = new Uint8Array(SOCKADDR_STORAGE_SIZE);
    const control = new Uint8Array(controlSize);
    for (;;) {
      const fd = this.#live("recvmsg");
      const msg = encodeMsghdr(buf, name, controlSize > 0 ? control : null);
      const rc = this.#kernel.syscallResult(SYS.recvmsg, fd, msg.header, flags | MSG.DONTWAIT);
      if (rc === -ERRNO.EINTR) continue;
      if (rc === -ERRNO.EAGAIN) return null;
      if (rc < 0) this.#fail(SYS.recvmsg, rc);
      const result = decodeMsghdrResult(msg.header);
      return {
        bytes: rc,
        from: decodeSockaddr(name, result.nameLength),
        control,
        controlLength: result.controlLength,
        flags: result.flags,
      };
    }
  }

  /** Waits until the socket has something to read, or an error. */
  async waitReadable(signal?: AbortSignal): Promise<void> {
    await this.#poller.wait(this.#live("recvmsg"), EPOLL.IN, signal);
  }

  /** The pending socket error (SO_ERROR), as a positive errno or 0; reading clears it. */
  takeError(): number {
    return this.getOption(SOL.SOCKET, SO.ERROR);
  }

  /** shutdown(2): SHUT.RD, SHUT.WR or SHUT.RDWR. ENOTCONN (peer gone) is ignored. */
  shutdown(how: number): void {
    const rc = this.#kernel.syscallResult(SYS.shutdown, this.#live("shutdown"), how);
    if (rc < 0 && rc !== -ERRNO.ENOTCONN) this.#fail(SYS.shutdown, rc);
  }

  #name(nr: number): SockaddrIp | null {
    const addr = new Uint8Array(SOCKADDR_STORAGE_SIZE);
    const len = new Uint32Array([addr.byteLength]);
    const rc = this.#kernel.syscallResult(nr, this.#live(syscallName(nr)!), addr, len);
    if (rc < 0) this.#fail(nr, rc);
    return decodeSockaddr(addr, len[0]);
  }

  /** getsockname(2). */
  localAddress(): SockaddrIp | null {
    return this.#name(SYS.getsockname);
  }

  /** getpeername(2). */
  remoteAddress(): SockaddrIp | null {
    return this.#name(SYS.getpeername);
  }

  /**
   * Closes the socket. Calls still waiting on it reject with `error`
   * (an Interrupted error by default). Closing twice does nothing.
   */
  close(error?: unknown): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    this.#poller.forget(fd, error);
    if (!this.#kernel.halted) this.#kernel.syscallResult(SYS.close, fd);
  }
}

/** What address families a literal resolves to, for a socket. */
export interface ResolvedAddress {
  /** The parsed address. */
  ip: IpAddress;
  /** The sockaddr to pass to the kernel. */
  sockaddr: Uint8Array;
}

/**
 * Parses `hostname` (an IP literal, "fe80::1%eth0" with a zone) and
 * `port` into a sockaddr; `index` turns a zone name into an interface
 * index. An IPv4 address is mapped into IPv6 when `family` is 6.
 */
export function resolveAddress(
  hostname: string,
  port: number,
  index: (zone: string) => number,
  family?: 4 | 6,
): ResolvedAddress {
  let ip = parseIp(hostname);
  if (family === 6 && ip.family === 4) {
    const bytes = new Uint8Array(16);
    bytes[10] = bytes[11] = 0xff;
    bytes.set(ip.bytes, 12);
    ip = { family: 6, bytes };
  } else if (family === 4 && ip.family === 6) {
    throw new AddressError(hostname, "an IPv6 address where IPv4 was asked for");
  }
  const scope = ip.zone === undefined
    ? 0
    : /^\d+$/.test(ip.zone)
    ? Number(ip.zone)
    : index(ip.zone);
  return { ip, sockaddr: encodeSockaddr(ip.bytes, validPort(port), scope) };
}
