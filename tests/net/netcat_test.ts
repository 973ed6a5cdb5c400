/**
 * `lkl netcat` against the host's socat over a TAP, in a namespace of each
 * test's own: 64 MiB of random data each way with offloads on and off
 * (equal sha256), UDP datagrams both ways, and the end of input with -N.
 */

import { equal, match } from "node:assert/strict";
import { join } from "../helpers/path.ts";
import { Netns, sh, sha256File, tempDir, waitListening, waitUntil } from "../helpers/netns.ts";

const MIB = Number(Deno.env.get("LKL_NET_TEST_MIB") ?? 64);

async function namespaceWithTap(): Promise<Netns> {
  const ns = await Netns.create();
  try {
    await ns.addTap("tap0", { addresses: ["fd00::1/64", "10.77.0.1/24"] });
    return ns;
  } catch (e) {
    await ns.delete();
    throw e;
  }
}

async function randomFile(dir: string, mib: number): Promise<string> {
  const path = join(dir, "data");
  await sh(["sh", "-c", `head -c ${mib}M /dev/urandom > ${path}`]);
  return path;
}

for (const offload of [true, false]) {
  const flags = offload ? [] : ["--no-offload"];
  const label = offload ? "offloads on" : "offloads off";

  Deno.test(`${MIB} MiB lkl -> host through lkl netcat, ${label}: equal sha256`, async () => {
    await using ns = await namespaceWithTap();
    await using dir = await tempDir();
    const data = await randomFile(dir.path, MIB);
    const received = join(dir.path, "received");
    const host = ns.spawn([
      "socat",
      "-u",
      "TCP6-LISTEN:5001,bind=[fd00::1],reuseaddr",
      `OPEN:${received},creat,trunc`,
    ]);
    await waitListening(ns, 5001);
    const lkl = await ns.lkl(
      ["netcat", "--tap", "tap0", "--addr", "fd00::2/64", ...flags, "-N", "fd00::1", "5001"],
      { stdin: { file: data }, timeoutMs: 120_000 },
    ).output;
    equal(lkl.code, 0, lkl.stderr);
    equal((await host.output).code, 0);
    equal(await sha256File(received), await sha256File(data));
  });

  Deno.test(`${MIB} MiB host -> lkl through lkl netcat -l, ${label}: equal sha256`, async () => {
    await using ns = await namespaceWithTap();
    await using dir = await tempDir();
    const data = await randomFile(dir.path, MIB);
    const received = join(dir.path, "received");
    const lkl = ns.lkl(
      ["netcat", "--tap", "tap0", "--addr", "10.77.0.2/24", ...flags, "-v", "-l", "-p", "5002"],
      { stdoutFile: received, stdin: new Uint8Array(0), timeoutMs: 120_000 },
    );
    await waitUntil("lkl listening", () => lkl.stderrSoFar().includes("Listening on"));
    const host = await ns.run(["socat", "-u", `OPEN:${data}`, "TCP4:10.77.0.2:5002"], {
      timeoutMs: 120_000,
    });
    equal(host.code, 0, host.stderr);
    const r = await lkl.output;
    equal(r.code, 0, r.stderr);
    match(r.stderr, /^Listening on :: 5002$/m);
    match(r.stderr, /^Connection received on 10\.77\.0\.1 \d+$/m);
    equal(await sha256File(received), await sha256File(data));
  });
}

Deno.test("UDP: lkl netcat -u sends datagrams to a host echo and prints what comes back", async () => {
  await using ns = await namespaceWithTap();
  const host = ns.spawn(["socat", "-T", "5", "UDP6-LISTEN:5003,bind=[fd00::1]", "EXEC:cat"]);
  await waitListening(ns, 5003, true);
  const text = "one datagram\n";
  const r = await ns.lkl(
    ["netcat", "--tap", "tap0", "--addr", "fd00::2/64", "-u", "-v", "-w", "1", "fd00::1", "5003"],
    { stdin: new TextEncoder().encode(text) },
  ).output;
  equal(r.code, 0, r.stderr);
  equal(r.stdout, text);
  match(r.stderr, /^Connection to fd00::1 5003 port \[udp\/\*\] succeeded!$/m);
  host.child.kill("SIGTERM");
  await host.output;
});

Deno.test("UDP: lkl netcat -u -l prints a host's datagram and answers with its input", async () => {
  await using ns = await namespaceWithTap();
  const lkl = ns.lkl(
    [
      "netcat",
      "--tap",
      "tap0",
      "--addr",
      "10.77.0.2/24",
      "-u",
      "-l",
      "-v",
      "-w",
      "2",
      "-p",
      "5004",
    ],
    { stdin: new TextEncoder().encode("answer\n") },
  );
  await waitUntil("lkl listening", () => lkl.stderrSoFar().includes("Listening on"));
  const host = await ns.run(
    ["socat", "-T", "3", "-", "UDP4:10.77.0.2:5004,bind=10.77.0.1:5005"],
    { stdin: new TextEncoder().encode("question\n") },
  );
  const r = await lkl.output;
  equal(r.code, 0, r.stderr);
  equal(r.stdout, "question\n");
  match(r.stderr, /^Connection received on 10\.77\.0\.1 5005$/m);
  equal(host.stdout, "answer\n");
});

Deno.test("-N half-closes at the end of input: the host answers, then lkl netcat ends", async () => {
  await using ns = await namespaceWithTap();
  const host = ns.spawn([
    "socat",
    "TCP6-LISTEN:5006,bind=[fd00::1],reuseaddr",
    "SYSTEM:cat; echo done",
  ]);
  await waitListening(ns, 5006);
  const r = await ns.lkl(
    ["netcat", "--tap", "tap0", "--addr", "fd00::2/64", "-v", "-N", "fd00::1", "5006"],
    { stdin: new TextEncoder().encode("some input\n") },
  ).output;
  equal(r.code, 0, r.stderr);
  equal(r.stdout, "some input\ndone\n");
  match(r.stderr, /^Connection to fd00::1 5006 port \[tcp\/\*\] succeeded!$/m);
  await host.output;
});

Deno.test("--gw: a host off the link is reached through the gateway", async () => {
  await using ns = await namespaceWithTap();
  // An address of the host's own, not on the TAP's link: only a route reaches it.
  await ns.exec(["ip", "addr", "add", "10.99.5.1/32", "dev", "lo"]);
  const host = ns.spawn(["socat", "-u", "TCP4-LISTEN:5007,bind=10.99.5.1", "-"]);
  await waitListening(ns, 5007);
  const r = await ns.lkl(
    [
      "netcat",
      "--tap",
      "tap0",
      "--addr",
      "10.77.0.2/24",
      "--gw",
      "10.77.0.1",
      "-N",
      "10.99.5.1",
      "5007",
    ],
    { stdin: new TextEncoder().encode("through the gateway\n") },
  ).output;
  equal(r.code, 0, r.stderr);
  equal((await host.output).stdout, "through the gateway\n");
});
