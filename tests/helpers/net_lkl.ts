/**
 * The lkl side of network tests that use the library directly (not the
 * CLI), run inside a test's namespace:
 *
 *   echo TAP ADDR/PREFIX PORT N   attaches TAP, listens on PORT, prints
 *                                 "listening", echoes every connection
 *                                 (all at once) until N have ended, then
 *                                 prints {"served": n, "maxOpen": m} and
 *                                 halts.
 *   interface TAP                 exercises the Interface API against the
 *                                 host side that interface_test.ts makes,
 *                                 and prints one JSON object of findings.
 *
 * @module
 */

import { Kernel, TapError, type TcpConn } from "../../mod.ts";

async function echo(conn: TcpConn): Promise<void> {
  const buf = new Uint8Array(64 * 1024);
  try {
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      await conn.writeAll(buf.subarray(0, n));
    }
  } finally {
    conn.close();
  }
}

/** What `interface` mode finds; tests/net/interface_test.ts checks it. */
async function exerciseInterface(tap: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  await using kernel = await Kernel.boot({ memoryMiB: 64 });
  const missing = await kernel.addTap("nosuchtap").catch((e) => e);
  out.missing = missing instanceof TapError ? [missing.problem, missing.message] : String(missing);
  const iface = await kernel.addTap(tap, { mac: "02:00:00:77:00:02", offload: false });
  out.name = iface.name;
  out.mac = iface.mac;
  out.offload = iface.offload;
  out.upBefore = iface.isUp;
  out.mtu = iface.mtu;
  iface.setMtu(1400);
  out.mtuLowered = iface.mtu;
  out.mtuTooHigh = (() => {
    try {
      iface.setMtu(9000);
      return "accepted";
    } catch (e) {
      return (e as Error).message;
    }
  })();
  iface.setMtu(1500);
  await iface.up();
  out.upAfter = iface.isUp;
  const start = performance.now();
  const linkLocal = await iface.linkLocal();
  out.linkLocal = [linkLocal.address, linkLocal.prefixLength, linkLocal.scope, linkLocal.tentative];
  await iface.addAddress("fd00::2/64");
  out.dadMs = Math.round(performance.now() - start);
  await iface.addAddress("fd00::3/64", { noDad: true });
  await iface.addAddress("10.77.0.2/24");
  out.addresses = iface.addresses().map((a) =>
    `${a.address}/${a.prefixLength} ${a.scope}${a.tentative ? " tentative" : ""}${
      a.permanent ? "" : " dynamic"
    }`
  );
  out.duplicate = await iface.addAddress("10.77.0.2/24").then(() => "accepted", (e) => e.message);
  iface.removeAddress("fd00::3/64");
  out.afterRemove = iface.addresses().map((a) => a.address);
  // The host holds 10.99.5.1 and fd01::1 behind its TAP address (on lo).
  out.unreachableBefore = await kernel.net.ping("10.99.5.1", 500).then(
    () => "reached",
    (e) => e.code,
  );
  kernel.addRoute({ to: "default", via: "10.77.0.1" });
  kernel.addRoute({ to: "fd01::/64", via: "fd00::1", interface: iface });
  out.reachedViaGateway = await kernel.net.ping("10.99.5.1").then(() => true, (e) => e.message);
  out.reachedViaRoute = await kernel.net.ping("fd01::1").then(() => true, (e) => e.message);
  out.badGateway = (() => {
    try {
      kernel.addRoute({ to: "10.98.0.0/16", via: "10.200.0.1" });
      return "accepted";
    } catch (e) {
      return (e as Error).message;
    }
  })();
  const stats = iface.statistics();
  out.counted = stats.rxPackets > 0 && stats.txPackets > 0 && stats.rxErrors === 0;
  await iface.remove();
  out.removed = iface.removed;
  out.afterRemoval = kernel.fs.readdir("/sys/class/net").map((e) => e.name)
    .filter((n) => !n.startsWith(".")).sort();
  return out;
}

if (import.meta.main) {
  const [mode, tap, addr, port, n] = Deno.args;
  if (mode === "interface") {
    console.log(JSON.stringify(await exerciseInterface(tap)));
    Deno.exit(0);
  }
  if (mode !== "echo") throw new Error(`unknown mode ${mode}`);
  await using kernel = await Kernel.boot({ memoryMiB: 128 });
  const iface = await kernel.addTap(tap);
  await iface.up();
  await iface.addAddress(addr);
  using listener = kernel.listen({ hostname: "::", port: Number(port) });
  console.log("listening");
  const want = Number(n);
  let open = 0;
  let maxOpen = 0;
  let served = 0;
  const sessions: Promise<void>[] = [];
  while (served + open < want) {
    const conn = await listener.accept();
    open++;
    maxOpen = Math.max(maxOpen, open);
    sessions.push(
      echo(conn).finally(() => {
        open--;
        served++;
      }),
    );
  }
  await Promise.all(sessions);
  console.log(JSON.stringify({ served, maxOpen }));
}
