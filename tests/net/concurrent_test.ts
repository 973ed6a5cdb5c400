/**
 * Many TCP connections at once to lkl, in a namespace of each test's own:
 * 50 host clients each get their own data back, from an echo server
 * written with the library (all connections served at once, one pool
 * thread waiting for all of them), and from `lkl netcat -l -k` whose
 * output is looped back into its input (served one after the other, as
 * OpenBSD nc does, the others waiting in the listen queue).
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "../helpers/path.ts";
import { CLI, Netns, sh, tempDir, waitUntil } from "../helpers/netns.ts";

const CLIENTS = 50;

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

async function clients(ns: Netns, host: string, port: number, bytes: number) {
  const r = await ns.deno("net_peer.ts", [
    "clients",
    host,
    String(port),
    String(CLIENTS),
    String(bytes),
  ], {
    timeoutMs: 120_000,
  }).output;
  equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { ok: number; failures: string[] };
}

Deno.test(`${CLIENTS} connections at once to a library echo server each get their data back`, async () => {
  await using ns = await namespaceWithTap();
  const lkl = ns.deno("net_lkl.ts", ["echo", "tap0", "fd00::2/64", "7000", String(CLIENTS)], {
    timeoutMs: 120_000,
  });
  await waitUntil("lkl listening", () => lkl.stdoutSoFar().includes("listening"));
  const result = await clients(ns, "fd00::2", 7000, 256 * 1024);
  deepEqual(result, { ok: CLIENTS, failures: [] });
  const r = await lkl.output;
  equal(r.code, 0, r.stderr);
  const summary = JSON.parse(r.stdout.split("\n")[1]);
  equal(summary.served, CLIENTS);
  ok(summary.maxOpen > 1, `connections were not served at once: ${r.stdout}`);
});

Deno.test(`${CLIENTS} connections at once to lkl netcat -l -k, output looped to input, each get their data back`, async () => {
  await using ns = await namespaceWithTap();
  await using dir = await tempDir();
  const fifo = join(dir.path, "loop");
  await sh(["mkfifo", fifo]);
  // stdin read-write, so opening it does not wait for a writer.
  const lkl = ns.spawn([
    "sh",
    "-c",
    `exec "$0" run -A --cached-only "$1" netcat --tap tap0 --addr 10.77.0.2/24 -v -l -k -p 7001 <>"$2" >"$2"`,
    Deno.execPath(),
    CLI,
    fifo,
  ], { timeoutMs: 180_000 });
  await waitUntil("lkl listening", () => lkl.stderrSoFar().includes("Listening on"));
  const result = await clients(ns, "10.77.0.2", 7001, 16 * 1024);
  deepEqual(result, { ok: CLIENTS, failures: [] });
  const received = lkl.stderrSoFar().match(/^Connection received on /gm) ?? [];
  equal(received.length, CLIENTS, lkl.stderrSoFar());
  lkl.child.kill("SIGTERM");
  await lkl.output;
});
