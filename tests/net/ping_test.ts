/**
 * ICMP echo both ways over a TAP, in a namespace of each test's own: the
 * host's ping reaches lkl's address, and `lkl ping` / `lkl ping6` reach
 * the host's TAP address, without loss; and lkl's output and exit status
 * are iputils'.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "../helpers/path.ts";
import { Netns, type Running, tempDir, waitUntil } from "../helpers/netns.ts";

const HOST6 = "fd00::1";
const LKL6 = "fd00::2";
const HOST4 = "10.77.0.1";
const LKL4 = "10.77.0.2";

async function namespaceWithTap(): Promise<Netns> {
  const ns = await Netns.create();
  try {
    await ns.addTap("tap0", { addresses: [`${HOST6}/64`, `${HOST4}/24`] });
    return ns;
  } catch (e) {
    await ns.delete();
    throw e;
  }
}

/** An lkl that holds both addresses until its stdin ends (netcat listening on a port nobody uses). */
async function lklHolding(ns: Netns, addr: string): Promise<Running> {
  const lkl = ns.lkl(["netcat", "--tap", "tap0", "--addr", addr, "-v", "-l", "-p", "9"], {
    stdin: new Uint8Array(0),
  });
  await waitUntil("lkl listening", () => lkl.stderrSoFar().includes("Listening on"));
  return lkl;
}

function stats(text: string): { transmitted: number; received: number; loss: string } {
  const m = text.match(/^(\d+) packets transmitted, (\d+) received, .*?([\d.]+)% packet loss/m);
  ok(m, `no statistics line in:\n${text}`);
  return { transmitted: Number(m[1]), received: Number(m[2]), loss: m[3] };
}

Deno.test("the host's ping -6 reaches lkl's address without loss", async () => {
  await using ns = await namespaceWithTap();
  const lkl = await lklHolding(ns, `${LKL6}/64`);
  const ping = await ns.run(["ping", "-6", "-c", "10", "-i", "0.05", "-W", "2", LKL6]);
  equal(ping.code, 0, ping.stdout + ping.stderr);
  const s = stats(ping.stdout);
  equal(s.transmitted, 10);
  equal(s.received, 10);
  lkl.child.kill("SIGTERM");
  await lkl.output;
});

Deno.test("the host's ping (IPv4) reaches lkl's address without loss", async () => {
  await using ns = await namespaceWithTap();
  const lkl = await lklHolding(ns, `${LKL4}/24`);
  const ping = await ns.run(["ping", "-c", "10", "-i", "0.05", "-W", "2", LKL4]);
  equal(ping.code, 0, ping.stdout + ping.stderr);
  equal(stats(ping.stdout).received, 10);
  lkl.child.kill("SIGTERM");
  await lkl.output;
});

Deno.test("lkl ping6 reaches the host without loss and prints what ping -6 prints", async () => {
  await using ns = await namespaceWithTap();
  const r = await ns.lkl([
    "ping6",
    "--tap",
    "tap0",
    "--addr",
    `${LKL6}/64`,
    "-c",
    "10",
    "-i",
    "0.05",
    HOST6,
  ]).output;
  equal(r.code, 0, r.stdout + r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  equal(lines[0], `PING ${HOST6}(${HOST6}) from ${LKL6} eth0: 56 data bytes`);
  const replies = lines.filter((l) => l.startsWith("64 bytes from"));
  equal(replies.length, 10, r.stdout);
  replies.forEach((line, i) => {
    match(
      line,
      new RegExp(`^64 bytes from ${HOST6}: icmp_seq=${i + 1} ttl=64 time=\\d+\\.\\d+ ms$`),
    );
  });
  equal(lines[11], "");
  equal(lines[12], `--- ${HOST6} ping statistics ---`);
  match(lines[13], /^10 packets transmitted, 10 received, 0% packet loss, time \d+ms$/);
  match(lines[14], /^rtt min\/avg\/max\/mdev = \d+\.\d{3}\/\d+\.\d{3}\/\d+\.\d{3}\/\d+\.\d{3} ms$/);
  equal(lines.length, 15);
  equal(r.stderr, "");
});

Deno.test("lkl ping reaches the host over IPv4 without loss", async () => {
  await using ns = await namespaceWithTap();
  const r = await ns.lkl([
    "ping",
    "--tap",
    "tap0",
    "--addr",
    `${LKL4}/24`,
    "-c",
    "10",
    "-i",
    "0.05",
    HOST4,
  ]).output;
  equal(r.code, 0, r.stdout + r.stderr);
  match(
    r.stdout,
    new RegExp(
      `^PING ${HOST4} \\(${HOST4}\\) from ${LKL4} eth0: 56\\(84\\) bytes of data\\.$`,
      "m",
    ),
  );
  equal(stats(r.stdout).received, 10);
  match(r.stdout, new RegExp(`^64 bytes from ${HOST4}: icmp_seq=10 ttl=64 time=`, "m"));
});

Deno.test("lkl ping6 without --addr uses its link-local address (after DAD)", async () => {
  await using ns = await namespaceWithTap();
  // The host's TAP has no link-local address before something attaches
  // it (no carrier): give it a fixed one, usable at once.
  await ns.exec(["ip", "addr", "add", "fe80::1/64", "dev", "tap0", "nodad"]);
  const r = await ns.lkl(["ping6", "--tap", "tap0", "-c", "3", "-i", "0.1", "fe80::1"]).output;
  equal(r.code, 0, r.stdout + r.stderr);
  match(r.stdout, /^PING fe80::1\(fe80::1\) from fe80::[0-9a-f:]+ eth0: 56 data bytes$/m);
  match(r.stdout, /^64 bytes from fe80::1%eth0: icmp_seq=3 ttl=64 time=/m);
  equal(stats(r.stdout).received, 3);
});

/** The host side as a router: radvd advertises `prefix` on tap0, as a LAN's router would. */
async function advertise(ns: Netns, dir: string, prefix: string): Promise<Running> {
  const conf = join(dir, "radvd.conf");
  await Deno.writeTextFile(
    conf,
    `interface tap0 {\n  AdvSendAdvert on;\n  MinRtrAdvInterval 3;\n  MaxRtrAdvInterval 4;\n` +
      `  prefix ${prefix} { AdvOnLink on; AdvAutonomous on; };\n};\n`,
  );
  await ns.exec(["sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1"]);
  const radvd = ns.spawn(["radvd", "-n", "-C", conf, "-p", join(dir, "radvd.pid"), "-m", "stderr"]);
  await waitUntil("radvd started", async () => {
    try {
      await Deno.stat(join(dir, "radvd.pid"));
      return true;
    } catch {
      return false;
    }
  });
  return radvd;
}

Deno.test("lkl ping6 without --addr takes the SLAAC address a router advertisement gives", async () => {
  await using ns = await namespaceWithTap();
  await using dir = await tempDir();
  const radvd = await advertise(ns, dir.path, "fd00:5::/64");
  await ns.exec(["ip", "addr", "add", "fd00:5::1/64", "dev", "tap0", "nodad"]);
  const r = await ns.lkl(["ping6", "--tap", "tap0", "-c", "3", "-i", "0.1", "fd00:5::1"]).output;
  equal(r.code, 0, r.stdout + r.stderr);
  // EUI-64 from the interface's MAC, in the advertised prefix.
  match(
    r.stdout,
    /^PING fd00:5::1\(fd00:5::1\) from fd00:5::[0-9a-f]{1,4}:[0-9a-f]{1,2}ff:fe[0-9a-f]{2}:[0-9a-f]{1,4} eth0: 56 data bytes$/m,
  );
  equal(stats(r.stdout).received, 3);
  radvd.child.kill("SIGTERM");
  await radvd.output;
});

Deno.test("lkl ping6 without --addr and without a router says to give --addr", async () => {
  await using ns = await namespaceWithTap();
  const r = await ns.lkl(["ping6", "--tap", "tap0", "-c", "1", "fd00:9::1"]).output;
  equal(r.code, 2, r.stdout + r.stderr);
  equal(
    r.stderr.trim(),
    "lkl: ping: connect: Network is unreachable (no router advertised a prefix on eth0 within 10 s: give --addr ADDR/PREFIX)",
  );
});

Deno.test("lkl ping6 --addr reaches link-local and ff02::1 destinations, with or without a zone", async () => {
  await using ns = await namespaceWithTap();
  await ns.exec(["ip", "addr", "add", "fe80::1/64", "dev", "tap0", "nodad"]);
  for (const dest of ["fe80::1", "fe80::1%eth0", "ff02::1", "ff02::1%eth0"]) {
    const r = await ns.lkl([
      "ping6",
      "--tap",
      "tap0",
      "--addr",
      `${LKL6}/64`,
      "-c",
      "2",
      "-i",
      "0.1",
      dest,
    ]).output;
    equal(r.code, 0, `${dest}: ${r.stdout}${r.stderr}`);
    equal(stats(r.stdout).received, 2, `${dest}: ${r.stdout}`);
  }
});

Deno.test("lkl ping6 exits 1 when no reply comes, and prints 100% loss", async () => {
  await using ns = await namespaceWithTap();
  await ns.exec(["sysctl", "-q", "-w", "net.ipv6.icmp.echo_ignore_all=1"]);
  const r = await ns.lkl([
    "ping6",
    "--tap",
    "tap0",
    "--addr",
    `${LKL6}/64`,
    "-c",
    "2",
    "-i",
    "0.1",
    "-W",
    "1",
    HOST6,
  ]).output;
  equal(r.code, 1, r.stdout + r.stderr);
  match(r.stdout, /^2 packets transmitted, 0 received, 100% packet loss, time \d+ms$/m);
  ok(!r.stdout.includes("rtt "), r.stdout);
});

Deno.test("an address nobody has: lkl ping and ping6 print the unreachable errors the host's ping prints", async () => {
  await using ns = await namespaceWithTap();
  for (
    const [family, self, host, absent] of [
      [6, LKL6, HOST6, "fd00::99"],
      [4, LKL4, HOST4, "10.77.0.99"],
    ] as const
  ) {
    const args = ["-c", "2", "-i", "0.2", "-W", "6", absent];
    // One after the other: two neighbour solicitations for one address at once confuse the count.
    const theirs = await ns.run(["ping", `-${family}`, ...args]);
    const ours = await ns.lkl([
      family === 6 ? "ping6" : "ping",
      "--tap",
      "tap0",
      "--addr",
      `${self}/${family === 6 ? 64 : 24}`,
      ...args,
    ]).output;
    equal(theirs.code, 1, theirs.stdout + theirs.stderr);
    equal(ours.code, 1, ours.stdout + ours.stderr);
    // Neighbour discovery fails on both sides: each reports it from its own address.
    const fromLines = (text: string, who: string) =>
      text.split("\n").filter((l) => l.startsWith("From ")).map((l) => l.replace(who, "SELF"));
    const expected = fromLines(theirs.stdout, host);
    equal(expected.length, 2, theirs.stdout);
    deepEqual(fromLines(ours.stdout, self), expected);
    match(
      ours.stdout,
      /^2 packets transmitted, 0 received, \+2 errors, 100% packet loss, time \d+ms$/m,
    );
  }
});

Deno.test("Ctrl-C stops lkl ping6 and prints the statistics; -s below 16 prints no times", async () => {
  await using ns = await namespaceWithTap();
  const ping = ns.lkl([
    "ping6",
    "--tap",
    "tap0",
    "--addr",
    `${LKL6}/64`,
    "-i",
    "0.05",
    "-s",
    "8",
    HOST6,
  ]);
  await waitUntil(
    "three replies",
    () => (ping.stdoutSoFar().match(/icmp_seq=/g) ?? []).length >= 3,
  );
  ping.child.kill("SIGINT");
  const r = await ping.output;
  equal(r.code, 0, r.stdout + r.stderr);
  match(r.stdout, /^PING fd00::1\(fd00::1\) from fd00::2 eth0: 8 data bytes$/m);
  match(r.stdout, /^16 bytes from fd00::1: icmp_seq=1 ttl=64$/m);
  match(r.stdout, /^--- fd00::1 ping statistics ---$/m);
  const s = stats(r.stdout);
  ok(s.received >= 3 && s.received <= s.transmitted, r.stdout);
  ok(!r.stdout.includes("rtt "), "no rtt line without timing");
});

Deno.test("-w deadline ends lkl ping; -q prints only the header and statistics", async () => {
  await using ns = await namespaceWithTap();
  const start = performance.now();
  const r = await ns.lkl([
    "ping6",
    "--tap",
    "tap0",
    "--addr",
    `${LKL6}/64`,
    "-q",
    "-i",
    "0.1",
    "-w",
    "1",
    HOST6,
  ]).output;
  const ms = performance.now() - start;
  equal(r.code, 0, r.stdout + r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  equal(lines.length, 5, r.stdout);
  ok(stats(r.stdout).received >= 5, r.stdout);
  ok(ms < 15_000, `took ${ms} ms`);
});
