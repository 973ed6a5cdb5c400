/**
 * What the network commands say when something is wrong, each in a
 * namespace of its own: a missing or busy TAP, no permission on
 * /dev/net/tun or on the TAP, a bad address, an unreachable host. Each
 * is one specific line on stderr and a non-zero exit status (netcat: 1,
 * ping: 2, as nc and iputils; 2 for a bad command line).
 */

import { equal, match } from "node:assert/strict";
import { join } from "../helpers/path.ts";
import { CLI, Netns, sh, tempDir, waitUntil } from "../helpers/netns.ts";

async function namespaceWithTap(): Promise<Netns> {
  const ns = await Netns.create();
  try {
    await ns.addTap("tap0", { addresses: ["10.77.0.1/24", "fd00::1/64"] });
    return ns;
  } catch (e) {
    await ns.delete();
    throw e;
  }
}

function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split("\n");
  equal(lines.length, 1, `expected one line on stderr, got:\n${stderr}`);
  return lines[0];
}

Deno.test("a missing TAP: netcat exits 1, ping6 exits 2, saying how to make one", async () => {
  await using ns = await namespaceWithTap();
  const nc = await ns.lkl(["netcat", "--tap", "nosuch", "--addr", "10.77.0.2/24", "10.77.0.1", "1"])
    .output;
  equal(nc.code, 1);
  equal(
    oneLine(nc.stderr),
    'lkl: nosuch: no such TAP on the host (make it with "ip tuntap add mode tap user $USER name nosuch")',
  );
  const ping = await ns.lkl(["ping6", "--tap", "nosuch", "-c", "1", "fd00::1"]).output;
  equal(ping.code, 2);
  match(oneLine(ping.stderr), /^lkl: nosuch: no such TAP on the host/);
  equal(ping.stdout, "");
});

Deno.test("a TAP another process has attached is busy", async () => {
  await using ns = await namespaceWithTap();
  const holder = ns.lkl([
    "netcat",
    "--tap",
    "tap0",
    "--addr",
    "10.77.0.2/24",
    "-v",
    "-l",
    "-p",
    "9",
  ], {
    stdin: new Uint8Array(0),
  });
  await waitUntil("the first lkl listening", () => holder.stderrSoFar().includes("Listening on"));
  const r = await ns.lkl(["netcat", "--tap", "tap0", "--addr", "10.77.0.3/24", "10.77.0.1", "1"])
    .output;
  equal(r.code, 1);
  equal(oneLine(r.stderr), "lkl: tap0 is in use by another process");
  holder.child.kill("SIGTERM");
  await holder.output;
});

/**
 * Runs lkl as root without any capability (so without CAP_DAC_OVERRIDE
 * and CAP_NET_ADMIN), in the namespace's own mount namespace where
 * /dev/net/tun is `tun` when given.
 */
function withoutCapabilities(ns: Netns, args: string[], tun?: string) {
  const bind = tun ? `mount --bind "${tun}" /dev/net/tun && ` : "";
  return ns.spawn([
    "sh",
    "-c",
    `${bind}exec setpriv --inh-caps=-all --bounding-set=-all "$0" run -A --cached-only "$@"`,
    Deno.execPath(),
    CLI,
    ...args,
  ]).output;
}

Deno.test("no permission to open /dev/net/tun", async () => {
  await using ns = await namespaceWithTap();
  await using dir = await tempDir();
  const tun = join(dir.path, "tun");
  // The tun device, but for another user only.
  await sh(["mknod", "-m", "600", tun, "c", "10", "200"]);
  await sh(["chown", "65534", tun]);
  const r = await withoutCapabilities(
    ns,
    ["netcat", "--tap", "tap0", "--addr", "10.77.0.2/24", "10.77.0.1", "1"],
    tun,
  );
  equal(r.code, 1, r.stderr);
  equal(oneLine(r.stderr), "lkl: tap0: permission denied opening /dev/net/tun");
});

Deno.test("no permission to attach a TAP that belongs to another user", async () => {
  await using ns = await Netns.create();
  await ns.addTap("taptheirs", { user: 65534, addresses: ["10.77.0.1/24"] });
  const r = await withoutCapabilities(ns, [
    "ping",
    "--tap",
    "taptheirs",
    "--addr",
    "10.77.0.2/24",
    "-c",
    "1",
    "10.77.0.1",
  ]);
  equal(r.code, 2, r.stderr);
  equal(
    oneLine(r.stderr),
    'lkl: taptheirs: not allowed to attach this TAP (it belongs to another user; make one with "ip tuntap add mode tap user $USER name taptheirs")',
  );
});

Deno.test("bad addresses are usage errors (exit 2) that quote the address", async () => {
  await using ns = await namespaceWithTap();
  const cases: [string[], RegExp][] = [
    [
      ["netcat", "--tap", "tap0", "--addr", "fd00::zz/64", "fd00::1", "1"],
      /bad address "fd00::zz\/64": "zz" is not a hex group/,
    ],
    [
      ["netcat", "--tap", "tap0", "--addr", "10.77.0.2", "10.77.0.1", "1"],
      /bad address "10\.77\.0\.2": give a prefix length, e\.g\. 10\.77\.0\.2\/24/,
    ],
    [
      ["netcat", "--tap", "tap0", "--addr", "10.77.0.2/33", "10.77.0.1", "1"],
      /bad address "10\.77\.0\.2\/33": the prefix length must be a number from 0 to 32/,
    ],
    [
      ["netcat", "--tap", "tap0", "--addr", "10.77.0.2/24", "example.com", "80"],
      /bad address "example\.com": not an IP address \(the kernel has no name resolver/,
    ],
    [
      ["ping6", "--tap", "tap0", "fd00::1::2"],
      /bad address "fd00::1::2": "::" may appear only once/,
    ],
  ];
  for (const [args, expected] of cases) {
    const r = await ns.lkl(args).output;
    equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    match(oneLine(r.stderr), expected);
  }
});

Deno.test("an unreachable host: netcat exits 1, ping exits 2, saying so", async () => {
  await using ns = await namespaceWithTap();
  const nc = await ns.lkl(["netcat", "--tap", "tap0", "--addr", "10.77.0.2/24", "10.99.0.1", "80"])
    .output;
  equal(nc.code, 1);
  equal(
    oneLine(nc.stderr),
    "lkl: netcat: connect to 10.99.0.1 port 80 (tcp) failed: Network is unreachable",
  );
  const ping = await ns.lkl([
    "ping6",
    "--tap",
    "tap0",
    "--addr",
    "fd00::2/64",
    "-c",
    "1",
    "fd01::1",
  ])
    .output;
  equal(ping.code, 2);
  equal(oneLine(ping.stderr), "lkl: ping: connect: Network is unreachable");
});

Deno.test("a refused connection is exit 1 with nc's words", async () => {
  await using ns = await namespaceWithTap();
  const r = await ns.lkl(["netcat", "--tap", "tap0", "--addr", "10.77.0.2/24", "10.77.0.1", "1"])
    .output;
  equal(r.code, 1);
  equal(
    oneLine(r.stderr),
    "lkl: netcat: connect to 10.77.0.1 port 1 (tcp) failed: Connection refused",
  );
});
