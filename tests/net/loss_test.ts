/**
 * TCP through a lossy link, in a namespace of each test's own: the host's
 * side of the TAP drops 1% of the frames (see lossy()), and 16 MiB still
 * arrive intact, in each direction.
 */

import { equal, ok } from "node:assert/strict";
import { join } from "../helpers/path.ts";
import { Netns, sh, sha256File, tempDir, waitListening, waitUntil } from "../helpers/netns.ts";

const MIB = 16;

async function nftAvailable(ns: Netns): Promise<boolean> {
  return (await ns.run(["nft", "--version"]).catch(() => ({ code: 1 }))).code === 0;
}

/**
 * Makes tap0 lose 1% of the frames the host sends into it (tc netem, or
 * nftables where the host kernel has no netem) and, with nftables, 1% of
 * those coming out of it. The host sends wire-sized frames (no GSO), so
 * that a frame lost is one packet. Returns how to count the frames lost.
 */
async function lossy(ns: Netns): Promise<() => Promise<number>> {
  await ns.exec(["ip", "link", "set", "tap0", "gso_max_segs", "1"]);
  const counts: (() => Promise<number>)[] = [];
  const netem = await ns.run(["tc", "qdisc", "add", "dev", "tap0", "root", "netem", "loss", "1%"]);
  const nft = await nftAvailable(ns);
  if (netem.code === 0) {
    counts.push(async () => {
      const text = await ns.exec(["tc", "-s", "qdisc", "show", "dev", "tap0"]);
      return Number(text.match(/dropped (\d+)/)?.[1] ?? 0);
    });
  } else if (!nft) {
    throw new Error(`neither tc netem (${netem.stderr.trim()}) nor nft is available`);
  }
  if (nft) {
    await ns.exec(["nft", "add", "table", "netdev", "lossy"]);
    const hooks = netem.code === 0 ? ["ingress"] : ["egress", "ingress"];
    for (const hook of hooks) {
      await ns.exec([
        "nft",
        `add chain netdev lossy ${hook} { type filter hook ${hook} device tap0 priority 0 ; }`,
      ]);
      await ns.exec([
        "nft",
        `add rule netdev lossy ${hook} numgen random mod 100 < 1 counter drop`,
      ]);
    }
    counts.push(async () => {
      const text = await ns.exec(["nft", "list", "table", "netdev", "lossy"]);
      return [...text.matchAll(/packets (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    });
  }
  return async () => (await Promise.all(counts.map((c) => c()))).reduce((a, b) => a + b, 0);
}

async function namespace(): Promise<{ ns: Netns; dropped: () => Promise<number> }> {
  const ns = await Netns.create();
  try {
    await ns.addTap("tap0", { addresses: ["10.77.0.1/24"] });
    return { ns, dropped: await lossy(ns) };
  } catch (e) {
    await ns.delete();
    throw e;
  }
}

Deno.test(`${MIB} MiB host -> lkl arrive intact with 1% of the frames to lkl lost`, async () => {
  const { ns, dropped } = await namespace();
  await using _ = ns;
  await using dir = await tempDir();
  const data = join(dir.path, "data");
  const received = join(dir.path, "received");
  await sh(["sh", "-c", `head -c ${MIB}M /dev/urandom > ${data}`]);
  const lkl = ns.lkl(
    ["netcat", "--tap", "tap0", "--addr", "10.77.0.2/24", "-v", "-l", "-p", "5010"],
    { stdoutFile: received, stdin: new Uint8Array(0), timeoutMs: 150_000 },
  );
  await waitUntil("lkl listening", () => lkl.stderrSoFar().includes("Listening on"));
  const host = await ns.run(["socat", "-u", `OPEN:${data}`, "TCP4:10.77.0.2:5010"], {
    timeoutMs: 150_000,
  });
  equal(host.code, 0, host.stderr);
  equal((await lkl.output).code, 0);
  equal(await sha256File(received), await sha256File(data));
  // About 1% of some 11 600 frames.
  const n = await dropped();
  ok(n >= 20, `only ${n} frames were dropped: the loss was not applied`);
});

Deno.test(`${MIB} MiB lkl -> host arrive intact through the same lossy link, offloads off`, async () => {
  const { ns, dropped } = await namespace();
  await using _ = ns;
  await using dir = await tempDir();
  const data = join(dir.path, "data");
  const received = join(dir.path, "received");
  await sh(["sh", "-c", `head -c ${MIB}M /dev/urandom > ${data}`]);
  const host = ns.spawn([
    "socat",
    "-u",
    "TCP4-LISTEN:5011,reuseaddr",
    `OPEN:${received},creat,trunc`,
  ], {
    timeoutMs: 150_000,
  });
  await waitListening(ns, 5011);
  const lkl = await ns.lkl(
    [
      "netcat",
      "--tap",
      "tap0",
      "--addr",
      "10.77.0.2/24",
      "--no-offload",
      "-N",
      "10.77.0.1",
      "5011",
    ],
    { stdin: { file: data }, timeoutMs: 150_000 },
  ).output;
  equal(lkl.code, 0, lkl.stderr);
  equal((await host.output).code, 0);
  equal(await sha256File(received), await sha256File(data));
  const n = await dropped();
  ok(n >= 20, `only ${n} frames were dropped: the loss was not applied`);
});
