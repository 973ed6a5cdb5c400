/**
 * lkl ping's output and exit status, as iputils ping prints and decides
 * them, and its help (no kernel needed: the runs with a kernel are in
 * tests/net/ping_test.ts).
 */

import { equal, match } from "node:assert/strict";
import { formatReplyTime, formatSummary, pingExitStatus, type PingStats } from "../../cli/ping.ts";

function stats(partial: Partial<PingStats>): PingStats {
  return { transmitted: 0, received: 0, duplicates: 0, errors: 0, rttsUs: [], ...partial };
}

Deno.test("reply times have iputils' precision: 3, 2, 1 or 0 decimals", () => {
  equal(formatReplyTime(46), "0.046");
  equal(formatReplyTime(999), "0.999");
  equal(formatReplyTime(1234), "1.23");
  equal(formatReplyTime(12_345), "12.3");
  equal(formatReplyTime(123_456), "123");
});

Deno.test("the statistics block: counts, %g loss, time, rtt in ms with 3 decimals", () => {
  equal(
    formatSummary("fd00::1", stats({ transmitted: 3, received: 3, rttsUs: [50, 61, 58] }), 2043.4),
    [
      "--- fd00::1 ping statistics ---",
      "3 packets transmitted, 3 received, 0% packet loss, time 2043ms",
      "rtt min/avg/max/mdev = 0.050/0.056/0.061/0.004 ms",
    ].join("\n"),
  );
  equal(
    formatSummary("10.0.0.1", stats({ transmitted: 3, received: 2, rttsUs: [1000, 3000] }), 10),
    [
      "--- 10.0.0.1 ping statistics ---",
      "3 packets transmitted, 2 received, 33.3333% packet loss, time 10ms",
      "rtt min/avg/max/mdev = 1.000/2.000/3.000/1.000 ms",
    ].join("\n"),
  );
  match(
    formatSummary("x", stats({ transmitted: 4, received: 0, duplicates: 1, errors: 2 }), 1),
    /^4 packets transmitted, 0 received, \+1 duplicates, \+2 errors, 100% packet loss, time 1ms$/m,
  );
});

Deno.test("exit status: 0 with replies, 1 without, 1 with fewer than -c by a -w deadline", () => {
  equal(pingExitStatus(stats({ transmitted: 5, received: 1 })), 0);
  equal(pingExitStatus(stats({ transmitted: 5, received: 0 })), 1);
  equal(pingExitStatus(stats({ transmitted: 5, received: 4 }), 5, 10), 1);
  equal(pingExitStatus(stats({ transmitted: 5, received: 4 }), 5), 0);
});

async function lkl(args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../cli/main.ts", import.meta.url).pathname, ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code,
    stdout: new TextDecoder().decode(stdout),
    stderr: new TextDecoder().decode(stderr),
  };
}

Deno.test("ping and ping6 show their options; a missing --tap is a usage error", async () => {
  for (
    const [command, options] of [
      ["ping", /--tap <IF>[\s\S]*-c, --count[\s\S]*-W, --timeout[\s\S]*-w, --deadline[\s\S]*-4/],
      ["ping6", /--addr <ADDR\/PREFIX>[\s\S]*-i, --interval[\s\S]*-s, --size[\s\S]*-q, --quiet/],
    ] as const
  ) {
    const help = await lkl([command, "--help"]);
    equal(help.code, 0, help.stderr);
    match(help.stdout, options);
  }
  const r = await lkl(["ping6", "fd00::1"]);
  equal(r.code, 2);
  match(r.stderr, /required option '--tap <IF>' not specified/);
});
