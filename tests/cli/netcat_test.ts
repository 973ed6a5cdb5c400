/**
 * lkl netcat's command line (no kernel needed: the runs with a kernel are
 * in tests/net/).
 */

import { equal, match } from "node:assert/strict";

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

Deno.test("netcat shows its options", async () => {
  const help = await lkl(["netcat", "--help"]);
  equal(help.code, 0, help.stderr);
  match(
    help.stdout,
    /-l, --listen[\s\S]*-u, --udp[\s\S]*-N, --shutdown[\s\S]*-k, --keep-listening/,
  );
});

Deno.test("netcat usage errors are one line and exit 2", async () => {
  const cases: [string[], string][] = [
    [["10.0.0.1"], "lkl: netcat: give HOST and PORT (or -l to listen)\n"],
    [["-l"], "lkl: netcat: -l needs a port (-p PORT, or PORT)\n"],
    [["-l", "-p", "1", "2"], "lkl: netcat: give the port with -p or as an argument, not both\n"],
    [["-k", "10.0.0.1", "1"], "lkl: netcat: -k needs -l\n"],
    [["-4", "fd00::1", "1"], "lkl: netcat: fd00::1 is not an IPv4 address\n"],
    [
      ["--gw", "fd00::1", "10.0.0.1", "1"],
      "lkl: netcat: --gw fd00::1 is not IPv4 like --addr 10.0.0.2/24\n",
    ],
  ];
  for (const [args, stderr] of cases) {
    const r = await lkl(["netcat", "--tap", "tap0", "--addr", "10.0.0.2/24", ...args]);
    equal(r.code, 2, args.join(" "));
    equal(r.stderr, stderr);
  }
  const port = await lkl(["netcat", "--tap", "tap0", "--addr", "10.0.0.2/24", "10.0.0.1", "70000"]);
  equal(port.code, 2);
  match(port.stderr, /expected a port number \(0 to 65535\), got "70000"/);
});
