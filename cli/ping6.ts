// deno-lint-ignore-file explicit-module-boundary-types -- commander-extra-typings infers precise Option types
/**
 * `lkl ping6`: `lkl ping` for IPv6 only, as iputils `ping -6` (the
 * options, output and exit status are ping's: see ping.ts).
 *
 * @module
 */

import { Command } from "@commander-js/extra-typings";
import { type PingOptions, pingOptions, runPing } from "./ping.ts";
import { ExitStatus } from "./report.ts";

/** The `ping6` subcommand. */
export function ping6Command() {
  return pingOptions(
    new Command("ping6")
      .description(
        "send ICMPv6 echo requests from the kernel's stack through a host TAP, like ping -6\n" +
          "exit status: 0 replies came, 1 none came, 2 error",
      ),
  ).action(async (dest, options) => {
    const status = await runPing(dest, options as unknown as PingOptions, 6);
    if (status !== 0) throw new ExitStatus(status);
  });
}
