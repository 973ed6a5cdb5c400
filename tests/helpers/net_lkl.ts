/**
 * The lkl side of network tests that use the library directly (not the
 * CLI), run inside a test's namespace:
 *
 *   echo TAP ADDR/PREFIX PORT N   attaches TAP, listens on PORT, prints
 *                                 "listening", echoes every connection
 *                                 (all at once) until N have ended, then
 *                                 prints {"served": n, "pendingWaits": k,
 *                                 "maxOpen": m} and halts.
 *
 * @module
 */

import { Kernel, type TcpConn } from "../../mod.ts";

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

if (import.meta.main) {
  const [mode, tap, addr, port, n] = Deno.args;
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
