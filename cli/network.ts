/**
 * What the network commands (ping, ping6, netcat) share: boot a kernel,
 * attach the TAP, bring it up with its address and gateway, and turn
 * failures into one clear line and the command's exit code.
 *
 * @module
 */

import {
  AddressError,
  type Interface,
  Kernel,
  LklError,
  parseIp,
  parsePrefix,
  TapError,
} from "../mod.ts";
import { ExitError } from "./report.ts";

/** The options every network command has. */
export interface NetworkOptions {
  tap: string;
  addr?: string;
  gw?: string;
  offload: boolean;
  memory: number;
  verbose?: true;
  cmdline?: string;
}

/** A booted kernel with the TAP attached and configured. */
export interface Attached {
  kernel: Kernel;
  iface: Interface;
}

/**
 * The one-line text for a failure of a network command, without the
 * program name: TAP problems, bad addresses and kernel errors say what and
 * why; anything else is its message.
 */
export function networkErrorText(error: unknown): string {
  if (error instanceof TapError || error instanceof AddressError) return error.message;
  if (error instanceof LklError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Boots a kernel and attaches `options.tap`: up, with `options.addr`
 * (waiting for IPv6 duplicate address detection) and a default route via
 * `options.gw`. Any failure halts the kernel and throws an
 * {@link ExitError} with `exitCode`.
 */
export async function attachTap(options: NetworkOptions, exitCode: number): Promise<Attached> {
  let kernel: Kernel | undefined;
  try {
    if (options.addr && options.gw) {
      const a = parsePrefix(options.addr).address.family;
      if (parseIp(options.gw).family !== a) {
        throw new AddressError(options.gw, `the gateway is not IPv${a} like --addr`);
      }
    }
    kernel = await Kernel.boot({
      memoryMiB: options.memory,
      cmdline: options.cmdline,
      quiet: !options.verbose,
      logFd: options.verbose ? 2 : undefined,
    });
    const iface = await kernel.addTap(options.tap, { offload: options.offload });
    await iface.up();
    if (options.addr) await iface.addAddress(options.addr);
    if (options.gw) kernel.addRoute({ to: "default", via: options.gw, interface: iface });
    return { kernel, iface };
  } catch (e) {
    await kernel?.halt().catch(() => {});
    if (e instanceof ExitError) throw e;
    throw new ExitError(exitCode, networkErrorText(e), { cause: e });
  }
}
