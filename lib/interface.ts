/**
 * A network interface of the kernel, attached to a host TAP: bring it up,
 * give it addresses, read its MTU and counters, wait for IPv6 duplicate
 * address detection, find its link-local or SLAAC address. Addresses and
 * link state go through rtnetlink (as `ip` does); the MTU and the index
 * through interface ioctls (as `ifconfig` does).
 *
 * @module
 */

import { AF, IFA, IFA_F, IFF, NLM_F, RT_SCOPE, RTM, SIOC } from "../ffi/constants.ts";
import { ERRNO } from "../ffi/errno.ts";
import { openLibrary } from "../ffi/library.ts";
import {
  type Attr,
  encodeIfaddrmsg,
  encodeIfinfomsg,
  encodeIfreq,
  ifreqInt,
  setIfreqInt,
  u32Attr,
} from "../ffi/net_structs.ts";
import { SYS } from "../ffi/syscalls.ts";
import { broadcastOf, formatIp, parsePrefix } from "./address.ts";
import { LklError } from "./errors.ts";
import type { Kernel } from "./kernel.ts";
import type { AddressMessage, Netlink } from "./netlink.ts";

/** An address of an interface, as `ip addr` lists it. */
export interface InterfaceAddress {
  /** The address as text ("fd00::2", "10.0.0.2"). */
  address: string;
  /** Prefix length. */
  prefixLength: number;
  /** 4 or 6. */
  family: 4 | 6;
  /** "global", "site", "link" (fe80::/10), "host" (loopback) or "nowhere". */
  scope: "global" | "site" | "link" | "host" | "nowhere";
  /** IPv6: duplicate address detection has not finished; the address is not usable yet. */
  tentative: boolean;
  /** IPv6: duplicate address detection found another host using it. */
  dadFailed: boolean;
  /** Added by hand (not by SLAAC or the kernel). */
  permanent: boolean;
  /** IPv6: still valid but no longer preferred. */
  deprecated: boolean;
}

/** Options of {@link Interface.addAddress}. */
export interface AddAddressOptions {
  /**
   * IPv6 on an interface that is up: resolve only once duplicate address
   * detection has finished (the address is usable), failing if another
   * host has it. Default true. Nothing to wait for with IPv4, with
   * `noDad`, or while the interface is down (DAD starts with up()).
   */
  waitDad?: boolean;
  /** IPv6: skip duplicate address detection (IFA_F_NODAD): usable at once. */
  noDad?: boolean;
  /** How long to wait for DAD, in ms (default 10 000). */
  timeoutMs?: number;
}

/** Which address {@link Interface.waitForAddress} waits for. */
export interface AddressFilter {
  /** 4 or 6 (default 6). */
  family?: 4 | 6;
  /** "link" for fe80::/10, "global" for SLAAC or configured ones (default "global"). */
  scope?: InterfaceAddress["scope"];
  /** Only addresses the kernel made itself (SLAAC, link-local): not permanent. */
  automatic?: boolean;
  /** Give up after this many ms (default 10 000). */
  timeoutMs?: number;
}

/** Packet and byte counters of an interface (/sys/class/net/IF/statistics). */
export interface InterfaceStatistics {
  /** Packets received. */
  rxPackets: number;
  /** Packets sent. */
  txPackets: number;
  /** Bytes received. */
  rxBytes: number;
  /** Bytes sent. */
  txBytes: number;
  /** Receive errors (bad frames). */
  rxErrors: number;
  /** Send errors. */
  txErrors: number;
  /** Packets received but dropped (no buffer, no protocol). */
  rxDropped: number;
  /** Packets dropped before sending. */
  txDropped: number;
}

/** What an interface needs from the network it belongs to. */
export interface InterfaceContext {
  kernel: Kernel;
  netlink: () => Netlink;
  /** An fd for interface ioctls (an AF_INET datagram socket). */
  ioctlFd: () => number;
  /** Forget the interface once removed. */
  removed: (iface: Interface) => void;
}

const SCOPES: Record<number, InterfaceAddress["scope"]> = {
  [RT_SCOPE.UNIVERSE]: "global",
  [RT_SCOPE.SITE]: "site",
  [RT_SCOPE.LINK]: "link",
  [RT_SCOPE.HOST]: "host",
  [RT_SCOPE.NOWHERE]: "nowhere",
};

const DEFAULT_TIMEOUT_MS = 10_000;
const POLL_MS = 25;

function toInterfaceAddress(m: AddressMessage): InterfaceAddress {
  return {
    address: formatIp(m.address),
    prefixLength: m.prefixLength,
    family: m.family === AF.INET ? 4 : 6,
    scope: SCOPES[m.scope] ?? "global",
    tentative: (m.allFlags & IFA_F.TENTATIVE) !== 0,
    dadFailed: (m.allFlags & IFA_F.DADFAILED) !== 0,
    permanent: (m.allFlags & IFA_F.PERMANENT) !== 0,
    deprecated: (m.allFlags & IFA_F.DEPRECATED) !== 0,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A kernel network interface on a host TAP. Get one from
 * {@link Kernel.addTap}; remove it with {@link remove} (or `await using`).
 *
 * ```ts
 * import { Kernel } from "../mod.ts";
 * await using kernel = await Kernel.boot();
 * await using eth0 = await kernel.addTap("tap0");
 * await eth0.up();
 * await eth0.addAddress("fd00::2/64"); // waits for duplicate address detection
 * await eth0.addAddress("10.0.0.2/24");
 * kernel.addRoute({ to: "default", via: "10.0.0.1" });
 * ```
 */
export class Interface implements AsyncDisposable {
  readonly #ctx: InterfaceContext;
  #removed = false;
  /** The kernel's name for it, e.g. "eth0". */
  readonly name: string;
  /** Its interface index in the kernel. */
  readonly index: number;
  /** The host TAP it is attached to. */
  readonly tap: string;
  /** The device id of liblkl (lkl_net_add_tap). */
  readonly id: number;
  /** Its Ethernet address, "02:12:34:56:78:9a". */
  readonly mac: string;
  /** Whether frames cross the TAP with checksum and segmentation offloads. */
  readonly offload: boolean;

  /** Used by {@link Network.addTap}. */
  constructor(
    ctx: InterfaceContext,
    init: { name: string; index: number; tap: string; id: number; mac: string; offload: boolean },
  ) {
    this.#ctx = ctx;
    this.name = init.name;
    this.index = init.index;
    this.tap = init.tap;
    this.id = init.id;
    this.mac = init.mac;
    this.offload = init.offload;
  }

  #live(what: string): void {
    if (this.#removed) {
      throw new LklError(ERRNO.ENODEV, what, {
        path: this.name,
        detail: "the interface was removed",
      });
    }
  }

  #ifreq(request: number, value?: number): number {
    const req = encodeIfreq(this.name);
    if (value !== undefined) setIfreqInt(req, value);
    const rc = this.#ctx.kernel.syscallResult(SYS.ioctl, this.#ctx.ioctlFd(), request, req);
    if (rc < 0) throw new LklError(-rc, "ioctl", { path: this.name });
    return ifreqInt(req);
  }

  #setLink(flags: number, change: number, attrs: Attr[] = []): void {
    this.#live("up");
    this.#ctx.netlink().request(
      RTM.NEWLINK,
      0,
      encodeIfinfomsg(this.index, flags, change),
      attrs,
      this.name,
    );
  }

  /** Brings the interface up (IFF_UP). IPv6 then makes its link-local address. */
  up(): Promise<void> {
    this.#setLink(IFF.UP, IFF.UP);
    return Promise.resolve();
  }

  /** Takes the interface down. */
  down(): Promise<void> {
    this.#setLink(0, IFF.UP);
    return Promise.resolve();
  }

  /** Whether it is up (IFF_UP). */
  get isUp(): boolean {
    this.#live("flags");
    return (this.#ifreq(SIOC.GIFFLAGS) & 0xffff & IFF.UP) !== 0;
  }

  /** Its MTU (SIOCGIFMTU). */
  get mtu(): number {
    this.#live("mtu");
    return this.#ifreq(SIOC.GIFMTU);
  }

  /**
   * Sets the MTU (SIOCSIFMTU). It may not exceed the TAP's MTU at attach
   * time (EINVAL), nor go below 68 (IPv4) or 1280 (IPv6 turns off).
   */
  setMtu(mtu: number): void {
    this.#live("mtu");
    if (!Number.isInteger(mtu) || mtu <= 0) throw new RangeError(`bad MTU ${mtu}`);
    try {
      this.#ifreq(SIOC.SIFMTU, mtu);
    } catch (e) {
      if (!(e instanceof LklError) || e.code !== "EINVAL") throw e;
      throw new LklError(e.errno, "SIOCSIFMTU", {
        path: this.name,
        detail:
          `MTU ${mtu} refused: it may not exceed the TAP's MTU when attached, nor go below 68`,
      });
    }
  }

  /**
   * Adds `prefix` ("fd00::2/64", "10.0.0.2/24"), as `ip addr add` does
   * (IPv4 with its broadcast address). With IPv6 on an up interface it
   * waits for duplicate address detection unless told not to (see
   * {@link AddAddressOptions}).
   */
  async addAddress(prefix: string, options: AddAddressOptions = {}): Promise<void> {
    this.#live("addAddress");
    const { address, prefixLength } = parsePrefix(prefix);
    const v6 = address.family === 6;
    const attrs: Attr[] = [
      { type: IFA.LOCAL, data: address.bytes },
      { type: IFA.ADDRESS, data: address.bytes },
    ];
    if (!v6 && prefixLength < 31) {
      attrs.push({ type: IFA.BROADCAST, data: broadcastOf(address, prefixLength) });
    }
    const flags = v6 && options.noDad ? IFA_F.NODAD : 0;
    if (flags) attrs.push(u32Attr(IFA.FLAGS, flags));
    this.#ctx.netlink().request(
      RTM.NEWADDR,
      NLM_F.CREATE | NLM_F.EXCL,
      encodeIfaddrmsg({
        family: v6 ? AF.INET6 : AF.INET,
        prefixLength,
        flags,
        scope: RT_SCOPE.UNIVERSE,
        index: this.index,
      }),
      attrs,
      `${prefix} on ${this.name}`,
    );
    if (v6 && !options.noDad && (options.waitDad ?? true) && this.isUp) {
      const text = formatIp(address.bytes);
      await this.#waitFor(
        (list) => list.find((a) => a.address === text),
        `duplicate address detection of ${text}`,
        options.timeoutMs,
      );
    }
  }

  /** Removes an address given as "ADDRESS/PREFIX". */
  removeAddress(prefix: string): void {
    this.#live("removeAddress");
    const { address, prefixLength } = parsePrefix(prefix);
    this.#ctx.netlink().request(
      RTM.DELADDR,
      0,
      encodeIfaddrmsg({
        family: address.family === 6 ? AF.INET6 : AF.INET,
        prefixLength,
        flags: 0,
        scope: 0,
        index: this.index,
      }),
      [{ type: IFA.LOCAL, data: address.bytes }],
      `${prefix} on ${this.name}`,
    );
  }

  /** Its addresses now (an RTM_GETADDR dump), IPv4 first. */
  addresses(): InterfaceAddress[] {
    this.#live("addresses");
    return this.#ctx.netlink().addresses()
      .filter((m) => m.index === this.index)
      .map(toInterfaceAddress)
      .sort((a, b) => a.family - b.family);
  }

  /**
   * Polls the addresses every 25 ms until `pick` finds one that is
   * usable (not tentative); throws when DAD failed or time ran out.
   */
  async #waitFor(
    pick: (list: InterfaceAddress[]) => InterfaceAddress | undefined,
    what: string,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<InterfaceAddress> {
    const deadline = performance.now() + timeoutMs;
    let last: InterfaceAddress | undefined;
    for (;;) {
      last = pick(this.addresses());
      if (last?.dadFailed) {
        throw new LklError(ERRNO.EADDRINUSE, what, {
          detail: `another host on the link uses ${last.address} (duplicate address detected)`,
        });
      }
      if (last && !last.tentative) return last;
      if (performance.now() >= deadline) {
        const state = last ? `${last.address} is still tentative` : "no such address yet";
        throw new LklError(ERRNO.ETIMEDOUT, what, {
          detail: `not done after ${timeoutMs} ms (${state})`,
        });
      }
      await sleep(POLL_MS);
    }
  }

  /**
   * Waits for a usable address of the kind `filter` says: by default a
   * global IPv6 one (configured, or made by SLAAC from a router
   * advertisement). Resolves with it once DAD has finished.
   */
  waitForAddress(filter: AddressFilter = {}): Promise<InterfaceAddress> {
    const family = filter.family ?? 6;
    const scope = filter.scope ?? "global";
    return this.#waitFor(
      (list) => {
        const ok = list.filter((a) =>
          a.family === family && a.scope === scope && (!filter.automatic || !a.permanent)
        );
        return ok.find((a) => !a.tentative) ?? ok[0];
      },
      `${this.name}: waiting for a ${scope} IPv${family} address`,
      filter.timeoutMs,
    );
  }

  /**
   * The IPv6 link-local address (fe80::/10) that the kernel makes when the
   * interface comes up, once duplicate address detection has passed.
   */
  linkLocal(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<InterfaceAddress> {
    return this.waitForAddress({ family: 6, scope: "link", timeoutMs });
  }

  /** Waits until no IPv6 address of the interface is tentative any more. */
  async waitForDad(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const list = this.addresses().filter((a) => a.family === 6);
      const failed = list.find((a) => a.dadFailed);
      if (failed) {
        throw new LklError(ERRNO.EADDRINUSE, `${this.name}: duplicate address detection`, {
          detail: `another host on the link uses ${failed.address} (duplicate address detected)`,
        });
      }
      const pending = list.filter((a) => a.tentative).map((a) => a.address);
      if (pending.length === 0) return;
      if (performance.now() >= deadline) {
        throw new LklError(ERRNO.ETIMEDOUT, `${this.name}: duplicate address detection`, {
          detail: `not done after ${timeoutMs} ms (still tentative: ${pending.join(", ")})`,
        });
      }
      await sleep(POLL_MS);
    }
  }

  /** Its packet counters. */
  statistics(): InterfaceStatistics {
    this.#live("statistics");
    const read = (name: string) =>
      Number(
        this.#ctx.kernel.fs.readTextFile(`/sys/class/net/${this.name}/statistics/${name}`).trim(),
      );
    return {
      rxPackets: read("rx_packets"),
      txPackets: read("tx_packets"),
      rxBytes: read("rx_bytes"),
      txBytes: read("tx_bytes"),
      rxErrors: read("rx_errors"),
      txErrors: read("tx_errors"),
      rxDropped: read("rx_dropped"),
      txDropped: read("tx_dropped"),
    };
  }

  /** True once removed. */
  get removed(): boolean {
    return this.#removed;
  }

  /**
   * Detaches it from the kernel (lkl_net_remove): the interface and its
   * addresses and routes go away, and the TAP is released. Twice does
   * nothing.
   */
  async remove(): Promise<void> {
    if (this.#removed) return;
    this.#removed = true;
    this.#ctx.removed(this);
    if (this.#ctx.kernel.halted) return;
    const rc = await openLibrary().symbols.lkl_net_remove_async(this.id);
    if (rc < 0 && rc !== -ERRNO.ENODEV) {
      throw new LklError(-rc, "lkl_net_remove", { path: this.tap });
    }
  }

  /** Removes it at the end of an `await using` block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.remove();
  }
}
