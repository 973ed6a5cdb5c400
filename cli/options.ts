// deno-lint-ignore-file explicit-module-boundary-types -- commander-extra-typings infers precise Option types
/**
 * Options shared by several subcommands, defined once.
 *
 * @module
 */

import { hostMemoryMiB, MIN_MEMORY_MIB } from "../lib/kernel.ts";
import { InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { AddressError, parseIp, parsePrefix } from "../mod.ts";

/** Parses a positive integer option value. */
export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  }
  return n;
}

/** Parses -m: from 16 MiB to the host's memory. */
export function memoryMiB(value: string): number {
  const n = Number(value);
  const most = hostMemoryMiB();
  if (!Number.isSafeInteger(n) || n < MIN_MEMORY_MIB || (most !== null && n > most)) {
    throw new InvalidArgumentError(
      `expected ${MIN_MEMORY_MIB} to ${most ?? "the host's"} MiB (the kernel needs ` +
        `${MIN_MEMORY_MIB} MiB at least${
          most !== null ? "; this host has " + most : ""
        }), got "${value}"`,
    );
  }
  return n;
}

/** `-m, --memory <MiB>`: RAM given to the kernel. */
export function memoryOption() {
  return new Option("-m, --memory <MiB>", "RAM given to the kernel, in MiB (at least 16)")
    .argParser(memoryMiB)
    .default(64);
}

/** `--json`: print the result as JSON on stdout. */
export function jsonOption() {
  return new Option("--json", "print the result as JSON");
}

/** `-v, --verbose`: show the kernel log on stderr as it is printed. */
export function verboseOption() {
  return new Option("-v, --verbose", "show the kernel log on stderr as it is printed");
}

/** `--cmdline <params>`: extra kernel command line parameters. */
export function cmdlineOption() {
  return new Option("--cmdline <params>", "extra kernel command line parameters");
}

/** Parses a non-negative integer option value (ids, partition numbers). */
export function naturalNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError(`expected a number (0 or more), got "${value}"`);
  }
  return n;
}

/** The largest user or group id: 2^32 - 2 ((uid_t)-1 means "leave unchanged" to chown). */
export const MAX_ID = 4294967294;

/** Parses a user or group id (0 to {@link MAX_ID}): a larger one would wrap or mean "no change". */
export function idNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !(n <= MAX_ID)) {
    throw new InvalidArgumentError(`expected an id from 0 to ${MAX_ID}, got "${value}"`);
  }
  return n;
}

/** `-i, --image <file>`: the disk image (required). */
export function imageOption() {
  return new Option(
    "-i, --image <file>",
    "disk image file (raw: a file system, or a disk with MBR/GPT partitions)",
  )
    .makeOptionMandatory();
}

/** `-P, --partition <n>`: which partition of the image. */
export function partitionOption() {
  return new Option(
    "-P, --partition <n>",
    "partition number (1, 2, ...; 0 is the whole disk); default: the only one, or the whole disk",
  ).argParser(naturalNumber);
}

/** `-t, --type <fstype>`: the file system type, instead of detecting it. */
export function fstypeOption() {
  return new Option(
    "-t, --type <fstype>",
    "file system type (ext2/3/4, vfat, exfat, btrfs, xfs, iso9660, squashfs, f2fs); default: detected",
  );
}

/** Parses a number of seconds > 0 (fractions allowed: "0.2"). */
export function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!/^\d*\.?\d+$/.test(value) || !(n > 0)) {
    throw new InvalidArgumentError(`expected a number of seconds above 0, got "${value}"`);
  }
  return n;
}

/** Parses "ADDRESS/PREFIX" (IPv4 or IPv6), keeping the text. */
export function addressWithPrefix(value: string): string {
  try {
    parsePrefix(value);
  } catch (e) {
    if (e instanceof AddressError) throw new InvalidArgumentError(e.message);
    throw e;
  }
  if (!value.includes("/")) {
    throw new InvalidArgumentError(
      `bad address "${value}": give a prefix length, e.g. ${value}/${
        value.includes(":") ? 64 : 24
      }`,
    );
  }
  return value;
}

/** Parses an IP address, keeping the text. */
export function ipAddress(value: string): string {
  try {
    parseIp(value);
  } catch (e) {
    if (e instanceof AddressError) throw new InvalidArgumentError(e.message);
    throw e;
  }
  return value;
}

/** `--tap <IF>`: the host TAP interface (required). */
export function tapOption() {
  return new Option(
    "--tap <IF>",
    "host TAP interface to attach (make one with: ip tuntap add mode tap user $USER name IF)",
  ).makeOptionMandatory();
}

/** `--addr <ADDR/PREFIX>`: the kernel interface's address. */
export function addrOption(description: string) {
  return new Option("--addr <ADDR/PREFIX>", description).argParser(addressWithPrefix);
}

/** `--gw <GW>`: the default gateway. */
export function gwOption() {
  return new Option("--gw <GW>", "default gateway (a route for everything off the link)")
    .argParser(ipAddress);
}

/** `--no-offload`: plain frames across the TAP. */
export function offloadOption() {
  return new Option(
    "--no-offload",
    "no checksum/segmentation offloads across the TAP (plain frames of at most the MTU)",
  );
}
