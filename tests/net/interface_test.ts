/**
 * The Interface API on a TAP, in a namespace of its own: attach (and a
 * missing TAP), MAC, MTU, up, link-local address, IPv6 duplicate address
 * detection, addresses listed and removed, routes through a gateway to
 * addresses the host holds behind its TAP address, counters, removal.
 * The lkl side runs tests/helpers/net_lkl.ts in the namespace.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { Netns } from "../helpers/netns.ts";

Deno.test("an interface: MAC, MTU, up, link-local, DAD, addresses, routes, removal", async () => {
  await using ns = await Netns.create();
  await ns.addTap("tap0", { addresses: ["10.77.0.1/24", "fd00::1/64"] });
  // Off the link, reached only through a route: addresses of the host's own.
  await ns.exec(["ip", "addr", "add", "10.99.5.1/32", "dev", "lo"]);
  await ns.exec(["ip", "addr", "add", "fd01::1/128", "dev", "lo"]);
  const r = await ns.deno("net_lkl.ts", ["interface", "tap0"]).output;
  equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
  equal(out.missing[0], "missing");
  match(out.missing[1], /^nosuchtap: no such TAP on the host/);
  equal(out.name, "eth0");
  equal(out.mac, "02:00:00:77:00:02");
  equal(out.offload, false);
  equal(out.upBefore, false);
  equal(out.mtu, 1500);
  equal(out.mtuLowered, 1400);
  equal(
    out.mtuTooHigh,
    "SIOCSIFMTU eth0: MTU 9000 refused: it may not exceed the TAP's MTU when attached, nor go below 68 (EINVAL)",
  );
  equal(out.upAfter, true);
  // EUI-64 from the MAC: 02:00:00:77:00:02 -> 0000:00ff:fe77:0002.
  deepEqual(out.linkLocal, ["fe80::ff:fe77:2", 64, "link", false]);
  ok(out.dadMs < 10_000);
  ok(out.addresses.includes("10.77.0.2/24 global"), out.addresses);
  ok(out.addresses.includes("fd00::2/64 global"), out.addresses);
  ok(out.addresses.includes("fd00::3/64 global"), out.addresses);
  ok(out.addresses.some((a: string) => a.startsWith("fe80::ff:fe77:2/64 link")), out.addresses);
  match(out.duplicate, /RTM_NEWADDR 10\.77\.0\.2\/24 on eth0: .*\(EEXIST\)/);
  ok(!out.afterRemove.includes("fd00::3"), out.afterRemove);
  ok(out.afterRemove.includes("fd00::2"), out.afterRemove);
  equal(out.unreachableBefore, "ENETUNREACH");
  equal(out.reachedViaGateway, true);
  equal(out.reachedViaRoute, true);
  match(
    out.badGateway,
    /^RTM_NEWROUTE route 10\.98\.0\.0\/16 via 10\.200\.0\.1: .*\(ENETUNREACH\)$/,
  );
  equal(out.counted, true);
  equal(out.removed, true);
  deepEqual(out.afterRemoval, ["lo"]);
});
