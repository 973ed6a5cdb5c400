/**
 * The kernel's network: TAP interfaces, routes, and the sockets of its own
 * TCP/IP stack. Get it as `kernel.net` (the common calls are also on
 * {@link Kernel}: addTap, addRoute, connect, listen).
 *
 * @module
 */

import {
  AF,
  IFF,
  NLM_F,
  RT_SCOPE,
  RT_TABLE,
  RTA,
  RTM,
  RTN,
  RTPROT,
  SIOC,
  SOCK,
} from "../ffi/constants.ts";
import { cString } from "../ffi/cstring.ts";
import { ERRNO } from "../ffi/errno.ts";
import { openLibrary } from "../ffi/library.ts";
import {
  type Attr,
  encodeIfinfomsg,
  encodeIfreq,
  encodeRtmsg,
  ifreqInt,
  u32Attr,
} from "../ffi/net_structs.ts";
import { LKL_NET_OFFLOAD } from "../ffi/symbols.ts";
import { SYS } from "../ffi/syscalls.ts";
import { AddressError, networkOf, parseIp, parsePrefix } from "./address.ts";
import { LklError } from "./errors.ts";
import { Interface, type InterfaceContext } from "./interface.ts";
import type { Kernel } from "./kernel.ts";
import { Netlink } from "./netlink.ts";
import { PingSocket, type PingSocketOptions } from "./ping.ts";
import { Poller } from "./poller.ts";
import {
  type ConnectOptions,
  type ListenOptions,
  type SocketContext,
  TcpConn,
  TcpListener,
} from "./tcp.ts";
import { DatagramConn, type DatagramOptions } from "./udp.ts";

/** Options of {@link Kernel.addTap}. */
export interface TapOptions {
  /** Ethernet address "02:00:00:00:00:01" (default: a random locally administered one). */
  mac?: string;
  /**
   * Checksum offload, TSO and mergeable receive buffers across the TAP
   * (default true). Off: plain frames of at most the MTU, every checksum
   * computed in the kernel.
   */
  offload?: boolean;
  /**
   * Create the TAP when it does not exist (needs CAP_NET_ADMIN; it goes
   * away again on removal). Default false: a missing TAP is an error.
   */
  create?: boolean;
}

/** A route for {@link Kernel.addRoute}. */
export interface Route {
  /** "default", or a destination prefix ("10.1.0.0/16", "fd01::/64"). */
  to: string;
  /** The gateway's address; without one the destination is on the link. */
  via?: string;
  /** The interface (default: the kernel picks the one that reaches `via`). */
  interface?: Interface | string;
  /** Route metric (priority); lower wins. */
  metric?: number;
}

/** Why a TAP could not be attached. */
export type TapProblem =
  | "missing" // no such TAP on the host
  | "busy" // another process has it attached
  | "permission" // no access to /dev/net/tun or to this TAP
  | "no-tun" // /dev/net/tun does not exist
  | "not-a-tap"; // the interface is not a TAP (a TUN, a veth...)

/**
 * A TAP that could not be attached: the message names the TAP and the
 * cause, e.g. "tap0 is in use by another process".
 *
 * ```ts
 * import { Kernel, TapError } from "../mod.ts";
 * await using kernel = await Kernel.boot();
 * try {
 *   await kernel.addTap("tap0");
 * } catch (e) {
 *   if (e instanceof TapError && e.problem === "busy") console.error(e.message);
 * }
 * ```
 */
export class TapError extends LklError {
  /** What went wrong, for programs. */
  readonly problem: TapProblem;
  /** The TAP's name. */
  readonly tap: string;

  /** A `problem` with TAP `tap` (errno `errno`), `message` being the whole text. */
  constructor(problem: TapProblem, errno: number, tap: string, message: string) {
    super(errno, "lkl_net_add_tap", { path: tap, detail: message });
    this.message = message;
    this.name = "TapError";
    this.problem = problem;
    this.tap = tap;
  }
}

const MAC_PATTERN = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i;

/**
 * Parses "02:00:00:00:00:01" into 6 bytes; refuses multicast and all-zero
 * addresses (an {@link AddressError}).
 *
 * ```ts
 * import { parseMac } from "./net.ts";
 * parseMac("02:00:00:00:00:01"); // Uint8Array [2, 0, 0, 0, 0, 1]
 * ```
 */
export function parseMac(text: string): Uint8Array {
  if (!MAC_PATTERN.test(text)) {
    throw new AddressError(text, "an Ethernet address is six hex bytes separated by colons");
  }
  const bytes = new Uint8Array(text.split(":").map((b) => parseInt(b, 16)));
  if (bytes[0] & 1) throw new AddressError(text, "a multicast address cannot be an interface's");
  if (bytes.every((b) => b === 0)) throw new AddressError(text, "all zeros");
  return bytes;
}

/** Whether the host has an interface `name` (null: cannot tell). */
function hostHasInterface(name: string): boolean | null {
  try {
    Deno.statSync(`/sys/class/net/${name}`);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    return null;
  }
}

function tapError(errno: number, tap: string): LklError {
  switch (errno) {
    case ERRNO.EBUSY:
      return new TapError("busy", errno, tap, `${tap} is in use by another process`);
    case ERRNO.EACCES:
      return new TapError(
        "permission",
        errno,
        tap,
        `${tap}: permission denied opening /dev/net/tun`,
      );
    case ERRNO.EPERM:
      return new TapError(
        "permission",
        errno,
        tap,
        `${tap}: not allowed to attach this TAP (it belongs to another user; ` +
          `make one with "ip tuntap add mode tap user $USER name ${tap}")`,
      );
    case ERRNO.ENOENT:
      return new TapError("no-tun", errno, tap, `${tap}: /dev/net/tun does not exist`);
    case ERRNO.EINVAL:
      return new TapError("not-a-tap", errno, tap, `${tap} is not a TAP interface`);
    default:
      return new LklError(errno, "lkl_net_add_tap", { path: tap });
  }
}

/**
 * The network of one kernel (`kernel.net`).
 *
 * ```ts
 * import { Kernel } from "../mod.ts";
 * await using kernel = await Kernel.boot();
 * const eth0 = await kernel.net.addTap("tap0");
 * await eth0.up();
 * await eth0.addAddress("10.0.0.2/24");
 * using udp = kernel.net.listenDatagram({ port: 5353 });
 * ```
 */
export class Network {
  readonly #kernel: Kernel;
  readonly #poller: Poller;
  #netlink: Netlink | null = null;
  #ioctlFd = -1;
  #loopbackUp = false;
  #pingAllowed = false;
  readonly #interfaces = new Set<Interface>();
  readonly #ctx: SocketContext;
  readonly #ifaceCtx: InterfaceContext;

  /** The network of `kernel` (use `kernel.net`). */
  constructor(kernel: Kernel) {
    this.#kernel = kernel;
    this.#poller = new Poller(kernel);
    this.#ctx = {
      kernel,
      poller: this.#poller,
      interfaceIndex: (name) => this.interfaceIndex(name),
      interfaceName: (index) => this.interfaceName(index),
    };
    this.#ifaceCtx = {
      kernel,
      netlink: () => this.#netlinkOf(),
      ioctlFd: () => this.#ioctl(),
      removed: (iface) => this.#interfaces.delete(iface),
    };
    kernel.onHalt(() => this.close());
  }

  #netlinkOf(): Netlink {
    if (!this.#netlink) {
      this.#netlink = Netlink.open(this.#kernel);
      this.#bringUpLoopback();
    }
    return this.#netlink;
  }

  #ioctl(): number {
    if (this.#ioctlFd < 0) {
      this.#ioctlFd = this.#kernel.syscall(SYS.socket, AF.INET, SOCK.DGRAM | SOCK.CLOEXEC, 0);
    }
    return this.#ioctlFd;
  }

  /** lo, so that 127.0.0.1 and ::1 work (the kernel boots with it down). */
  #bringUpLoopback(): void {
    if (this.#loopbackUp) return;
    this.#loopbackUp = true;
    const up = encodeIfinfomsg(this.interfaceIndex("lo"), IFF.UP, IFF.UP);
    this.#netlink!.request(RTM.NEWLINK, 0, up, [], "lo");
  }

  /** Makes sure lo is up before a socket is used. */
  #sockets(): SocketContext {
    this.#netlinkOf();
    return this.#ctx;
  }

  /** The interfaces attached with {@link addTap} and not removed. */
  get interfaces(): readonly Interface[] {
    return [...this.#interfaces];
  }

  /**
   * The kernel interface index of `name`: a kernel name ("eth0", "lo") or
   * the host TAP of an attached interface.
   */
  interfaceIndex(name: string): number {
    for (const iface of this.#interfaces) if (iface.tap === name) return iface.index;
    const req = encodeIfreq(name);
    const rc = this.#kernel.syscallResult(SYS.ioctl, this.#ioctl(), SIOC.GIFINDEX, req);
    if (rc < 0) {
      throw new LklError(-rc, "SIOCGIFINDEX", { path: name, detail: "no such interface" });
    }
    return ifreqInt(req);
  }

  /** The kernel name of interface `index` ("eth0"), or the index as text. */
  interfaceName(index: number): string {
    const req = new Uint8Array(40);
    new DataView(req.buffer).setInt32(16, index, true);
    const rc = this.#kernel.syscallResult(SYS.ioctl, this.#ioctl(), SIOC.GIFNAME, req);
    if (rc < 0) return String(index);
    const end = req.indexOf(0);
    return new TextDecoder().decode(req.subarray(0, end < 0 ? 16 : end));
  }

  /**
   * Attaches the host TAP `tap` as a new kernel interface (down, without
   * addresses). See {@link TapOptions}; failures are {@link TapError}s.
   */
  async addTap(tap: string, options: TapOptions = {}): Promise<Interface> {
    const offload = options.offload ?? true;
    const mac = options.mac === undefined ? null : parseMac(options.mac);
    if (!/^[^\s/:%]{1,15}$/.test(tap)) {
      throw new TapError("not-a-tap", ERRNO.EINVAL, tap, `"${tap}" is not a valid interface name`);
    }
    if (!options.create && hostHasInterface(tap) === false) {
      throw new TapError(
        "missing",
        ERRNO.ENODEV,
        tap,
        `${tap}: no such TAP on the host (make it with "ip tuntap add mode tap user $USER name ${tap}")`,
      );
    }
    this.#netlinkOf();
    const name = cString(tap);
    // lkl_net_add_tap reads name and mac on a pool thread; both stay referenced until it returns.
    const id = await openLibrary().symbols.lkl_net_add_tap_async(
      name,
      mac,
      offload ? LKL_NET_OFFLOAD : 0,
    );
    void name;
    void mac;
    if (id < 0) throw tapError(-id, tap);
    try {
      const kernelName = this.#findInterface(id);
      const fs = this.#kernel.fs;
      const iface = new Interface(this.#ifaceCtx, {
        name: kernelName,
        index: this.interfaceIndex(kernelName),
        tap,
        id,
        mac: fs.readTextFile(`/sys/class/net/${kernelName}/address`).trim(),
        offload,
      });
      this.#interfaces.add(iface);
      return iface;
    } catch (e) {
      await openLibrary().symbols.lkl_net_remove_async(id);
      throw e;
    }
  }

  /** The kernel's name for network device `id` (lkl.h says where it is in sysfs). */
  #findInterface(id: number): string {
    const fs = this.#kernel.fs;
    const device = `/sys/devices/platform/virtio-mmio.${id}`;
    const virtio = fs.readdir(device).find((e) => e.name.startsWith("virtio"));
    if (!virtio) throw new LklError(ERRNO.ENODEV, "lkl_net_add_tap", { path: device });
    const net = fs.readdir(`${device}/${virtio.name}/net`).find((e) => !e.name.startsWith("."));
    if (!net) {
      throw new LklError(ERRNO.ENODEV, "lkl_net_add_tap", { path: `${device}/${virtio.name}/net` });
    }
    return net.name;
  }

  /**
   * Adds a route, as `ip route add` does: `{ to: "default", via:
   * "10.0.0.1" }`, or `{ to: "10.1.0.0/16", via, interface }`, or an
   * on-link prefix with only an interface.
   */
  addRoute(route: Route): void {
    const via = route.via === undefined ? undefined : parseIp(route.via);
    let family: 4 | 6;
    let dst: Uint8Array | null = null;
    let dstLength = 0;
    if (route.to === "default") {
      if (!via) {
        throw new AddressError(route.to, "a default route needs a gateway (via)");
      }
      family = via.family;
    } else {
      const p = parsePrefix(route.to);
      family = p.address.family;
      dstLength = p.prefixLength;
      dst = networkOf(p.address, p.prefixLength);
      if (via && via.family !== family) {
        throw new AddressError(route.via!, `the gateway is not IPv${family} like ${route.to}`);
      }
    }
    const attrs: Attr[] = [];
    if (dst) attrs.push({ type: RTA.DST, data: dst });
    if (via) attrs.push({ type: RTA.GATEWAY, data: via.bytes });
    const ifname = typeof route.interface === "string" ? route.interface : route.interface?.name;
    const oif = ifname !== undefined
      ? this.interfaceIndex(ifname)
      : via?.zone !== undefined
      ? this.interfaceIndex(via.zone)
      : undefined;
    if (oif !== undefined) attrs.push(u32Attr(RTA.OIF, oif));
    if (!via && oif === undefined) {
      throw new AddressError(route.to, "a route needs a gateway (via) or an interface");
    }
    if (route.metric !== undefined) attrs.push(u32Attr(RTA.PRIORITY, route.metric));
    const what = `${route.to}${route.via ? ` via ${route.via}` : ""}${
      ifname ? ` dev ${ifname}` : ""
    }`;
    this.#netlinkOf().request(
      RTM.NEWROUTE,
      NLM_F.CREATE | NLM_F.EXCL,
      encodeRtmsg({
        family: family === 4 ? AF.INET : AF.INET6,
        dstLength,
        table: RT_TABLE.MAIN,
        protocol: RTPROT.STATIC,
        scope: via ? RT_SCOPE.UNIVERSE : RT_SCOPE.LINK,
        type: RTN.UNICAST,
      }),
      attrs,
      `route ${what}`,
    );
  }

  /** Opens a TCP connection (see {@link ConnectOptions}). */
  connect(options: ConnectOptions): Promise<TcpConn> {
    return TcpConn.connect(this.#sockets(), options);
  }

  /** Listens for TCP connections (see {@link ListenOptions}). */
  listen(options: ListenOptions): TcpListener {
    return TcpListener.listen(this.#sockets(), options);
  }

  /** A UDP socket bound to `options.hostname` and `options.port`. */
  listenDatagram(options: DatagramOptions = {}): DatagramConn {
    return DatagramConn.listen(this.#sockets(), options);
  }

  /**
   * A ping socket. The first one lets every group of the kernel open ping
   * sockets (net.ipv4.ping_group_range, which covers IPv6 too).
   */
  openPing(options: PingSocketOptions): PingSocket {
    const ctx = this.#sockets();
    if (!this.#pingAllowed) {
      this.setSysctl("net.ipv4.ping_group_range", "0 2147483647");
      this.#pingAllowed = true;
    }
    return PingSocket.open(ctx, options);
  }

  /**
   * Sends one echo request to `hostname` and resolves with the round-trip
   * time in ms; rejects after `timeoutMs` (default 2000) without a reply,
   * or with the errno of an ICMP error about the request (unreachable...).
   */
  async ping(hostname: string, timeoutMs = 2000): Promise<number> {
    const family = parseIp(hostname).family;
    using socket = this.openPing({ family });
    const start = performance.now();
    await socket.send(hostname, 1, new Uint8Array(56));
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      for (;;) {
        const reply = await socket.receive(signal);
        if (reply.seq !== 1) continue;
        if (reply.kind === "reply") return performance.now() - start;
        throw new LklError(reply.errno, "ping", {
          path: hostname,
          detail: `ICMP error from ${
            reply.from || "the kernel"
          } (type ${reply.type}, code ${reply.code})`,
        });
      }
    } catch (e) {
      if (signal.aborted) {
        throw new LklError(ERRNO.ETIMEDOUT, "ping", {
          path: hostname,
          detail: `no reply in ${timeoutMs} ms`,
        });
      }
      throw e;
    }
  }

  /** Writes a sysctl: `setSysctl("net.ipv4.ip_forward", "1")` writes /proc/sys/net/ipv4/ip_forward. */
  setSysctl(name: string, value: string): void {
    this.#kernel.fs.writeFile(
      `/proc/sys/${name.replaceAll(".", "/")}`,
      new TextEncoder().encode(value),
    );
  }

  /** Reads a sysctl (trimmed). */
  sysctl(name: string): string {
    return this.#kernel.fs.readTextFile(`/proc/sys/${name.replaceAll(".", "/")}`).trim();
  }

  /**
   * Stops waiting sockets and closes the network's own sockets; the
   * kernel runs this at halt. Interfaces and sockets go with the kernel.
   */
  async close(): Promise<void> {
    await this.#poller.close();
    this.#netlink?.close();
    this.#netlink = null;
    if (this.#ioctlFd >= 0 && !this.#kernel.halted) {
      this.#kernel.syscallResult(SYS.close, this.#ioctlFd);
    }
    this.#ioctlFd = -1;
  }
}
