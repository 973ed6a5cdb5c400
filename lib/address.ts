/**
 * IP addresses as text: parsing IPv4 and IPv6 literals (with an optional
 * `%zone`) and prefixes ("fd00::2/64"), and printing them the way `ip`
 * and `ping` do (RFC 5952 for IPv6). There is no name resolution in the
 * kernel: hosts are always given as addresses.
 *
 * @module
 */

/** 4 for IPv4, 6 for IPv6. */
export type IpFamily = 4 | 6;

/** A parsed IP address. */
export interface IpAddress {
  /** 4 or 6. */
  family: IpFamily;
  /** The address in network order: 4 or 16 bytes. */
  bytes: Uint8Array;
  /** The zone of a scoped IPv6 address ("eth0" in "fe80::1%eth0"), if given. */
  zone?: string;
}

/** An address with a prefix length, as in "10.0.0.2/24". */
export interface IpPrefix {
  /** The address as given (host bits kept). */
  address: IpAddress;
  /** Prefix length: 0-32 for IPv4, 0-128 for IPv6. */
  prefixLength: number;
}

/**
 * Text that is not an IP address (or prefix). The message quotes the text
 * and says what is wrong with it.
 *
 * ```ts
 * import { AddressError, parseIp } from "./address.ts";
 * try {
 *   parseIp("fd00::zz");
 * } catch (e) {
 *   console.log(e instanceof AddressError, (e as Error).message);
 * }
 * ```
 */
export class AddressError extends Error {
  /** The text that was given. */
  readonly text: string;
  /** What is wrong with it. */
  readonly reason: string;

  /** `text` is not an address because of `reason`. */
  constructor(text: string, reason: string) {
    super(`bad address "${text}": ${reason}`);
    this.name = "AddressError";
    this.text = text;
    this.reason = reason;
  }
}

function parseIpv4(text: string): Uint8Array | string {
  const parts = text.split(".");
  if (parts.length !== 4) return "an IPv4 address has four numbers separated by dots";
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) {
      return `"${p}" is not a number from 0 to 255`;
    }
    if (p.length > 1 && p.startsWith("0")) {
      return `"${p}" has a leading zero (octal is not accepted)`;
    }
    bytes[i] = Number(p);
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | string {
  let head = text;
  let v4tail: Uint8Array | null = null;
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".")) {
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (typeof v4 === "string") return v4;
    v4tail = v4;
    head = text.slice(0, lastColon + 1);
    if (head.endsWith(":") && !head.endsWith("::")) head = head.slice(0, -1);
  }
  const groupsWanted = v4tail ? 6 : 8;
  const halves = head.split("::");
  if (halves.length > 2) return `"::" may appear only once`;
  const parseGroups = (s: string): number[] | string => {
    if (s === "") return [];
    const out: number[] = [];
    for (const g of s.split(":")) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) {
        return g === "" ? 'an empty group (use "::" once)' : `"${g}" is not a hex group`;
      }
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const left = parseGroups(halves[0]);
  if (typeof left === "string") return left;
  let groups: number[];
  if (halves.length === 2) {
    const right = parseGroups(halves[1]);
    if (typeof right === "string") return right;
    const missing = groupsWanted - left.length - right.length;
    if (missing < 1) return "too many groups";
    groups = [...left, ...new Array(missing).fill(0), ...right];
  } else {
    groups = left;
    if (groups.length !== groupsWanted) {
      return `an IPv6 address has ${groupsWanted} groups, this has ${groups.length}`;
    }
  }
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  if (v4tail) bytes.set(v4tail, 12);
  return bytes;
}

/**
 * Parses an IPv4 ("10.0.0.2") or IPv6 ("fd00::2", "fe80::1%eth0")
 * address. Throws an {@link AddressError}; host names are refused.
 *
 * ```ts
 * import { parseIp } from "./address.ts";
 * parseIp("fd00::2").family; // 6
 * ```
 */
export function parseIp(text: string): IpAddress {
  if (text === "") throw new AddressError(text, "empty");
  if (text.includes(":")) {
    const [addr, zone, ...rest] = text.split("%");
    if (rest.length > 0 || zone === "") throw new AddressError(text, "bad zone after %");
    const bytes = parseIpv6(addr.startsWith("[") && addr.endsWith("]") ? addr.slice(1, -1) : addr);
    if (typeof bytes === "string") throw new AddressError(text, bytes);
    return zone === undefined ? { family: 6, bytes } : { family: 6, bytes, zone };
  }
  if (/^[\d.]+$/.test(text)) {
    const bytes = parseIpv4(text);
    if (typeof bytes === "string") throw new AddressError(text, bytes);
    return { family: 4, bytes };
  }
  throw new AddressError(
    text,
    "not an IP address (the kernel has no name resolver: give an IPv4 or IPv6 address)",
  );
}

/**
 * Parses "ADDRESS/PREFIX" ("fd00::2/64", "10.0.0.2/24"). Without a
 * prefix, the whole address is meant (/32 or /128).
 *
 * ```ts
 * import { parsePrefix } from "./address.ts";
 * parsePrefix("10.0.0.2/24").prefixLength; // 24
 * ```
 */
export function parsePrefix(text: string): IpPrefix {
  const slash = text.indexOf("/");
  const addrText = slash < 0 ? text : text.slice(0, slash);
  let address: IpAddress;
  try {
    address = parseIp(addrText);
  } catch (e) {
    if (e instanceof AddressError) throw new AddressError(text, e.reason);
    throw e;
  }
  const max = address.family === 4 ? 32 : 128;
  if (slash < 0) return { address, prefixLength: max };
  const p = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(p) || Number(p) > max) {
    throw new AddressError(text, `the prefix length must be a number from 0 to ${max}`);
  }
  return { address, prefixLength: Number(p) };
}

/**
 * Formats 4 or 16 address bytes: dotted IPv4, or IPv6 in the RFC 5952
 * form (lower case, the longest run of two or more zero groups as "::").
 *
 * ```ts
 * import { formatIp } from "./address.ts";
 * formatIp(new Uint8Array([10, 0, 0, 2])); // "10.0.0.2"
 * ```
 */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join(".");
  if (bytes.length !== 16) {
    throw new RangeError(`an IP address has 4 or 16 bytes, got ${bytes.length}`);
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i] << 8) | bytes[i + 1]);
  // IPv4-mapped addresses print as ::ffff:a.b.c.d.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes.subarray(12).join(".")}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/** The text of `address` with its zone, if any ("fe80::1%eth0"). */
export function formatAddress(address: IpAddress): string {
  const text = formatIp(address.bytes);
  return address.zone === undefined ? text : `${text}%${address.zone}`;
}

/**
 * True for IPv6 link-local addresses (fe80::/10).
 *
 * ```ts
 * import { isLinkLocal, parseIp } from "./address.ts";
 * isLinkLocal(parseIp("fe80::1")); // true
 * ```
 */
export function isLinkLocal(address: IpAddress): boolean {
  return address.family === 6 && address.bytes[0] === 0xfe && (address.bytes[1] & 0xc0) === 0x80;
}

/**
 * True for the IPv6 addresses that only mean something on one link, so
 * that a socket needs to know which (a zone, "%eth0"): link-local unicast
 * (fe80::/10) and multicast of interface-local or link-local scope
 * (ff01::/16, ff02::/16, e.g. ff02::1, all nodes).
 *
 * ```ts
 * import { needsZone, parseIp } from "./address.ts";
 * needsZone(parseIp("ff02::1")); // true
 * needsZone(parseIp("ff05::2")); // false: site scope
 * ```
 */
export function needsZone(address: IpAddress): boolean {
  if (isLinkLocal(address)) return true;
  const scope = address.bytes[1] & 0x0f;
  return address.family === 6 && address.bytes[0] === 0xff && (scope === 1 || scope === 2);
}

/** True for 0.0.0.0 and ::. */
export function isUnspecified(address: IpAddress): boolean {
  return address.bytes.every((b) => b === 0);
}

/** The address with every bit after the first `prefixLength` cleared. */
export function networkOf(address: IpAddress, prefixLength: number): Uint8Array {
  const out = address.bytes.slice();
  for (let bit = prefixLength; bit < out.length * 8; bit++) {
    out[bit >> 3] &= ~(0x80 >> (bit & 7));
  }
  return out;
}

/** The IPv4 broadcast address of a prefix: every host bit set. */
export function broadcastOf(address: IpAddress, prefixLength: number): Uint8Array {
  const out = address.bytes.slice();
  for (let bit = prefixLength; bit < out.length * 8; bit++) out[bit >> 3] |= 0x80 >> (bit & 7);
  return out;
}
