/**
 * A TCP request/response benchmark (netperf's TCP_RR): one connection,
 * one small request and one small response at a time, as many as fit in
 * the time given. The same client measures a server on the host's stack
 * and one on lkl's.
 *
 *   tcp_rr.ts server native PORT [REQ RESP]
 *   tcp_rr.ts server lkl PORT TAP ADDR/PREFIX [--no-offload] [REQ RESP]
 *     prints "ready", answers every REQ-byte request (default 1) with
 *     RESP bytes (default 1), serves one connection and ends
 *   tcp_rr.ts client HOST PORT SECONDS [REQ RESP]
 *     prints {"transactions", "seconds", "perSecond", "p50Us", "p99Us"}
 *
 * @module
 */

import { Kernel } from "../../mod.ts";

interface Conn {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  close(): void;
}

async function readExactly(conn: Conn, buf: Uint8Array): Promise<boolean> {
  for (let got = 0; got < buf.length;) {
    const n = await conn.read(buf.subarray(got));
    if (n === null) return false;
    got += n;
  }
  return true;
}

async function writeAll(conn: Conn, buf: Uint8Array): Promise<void> {
  for (let done = 0; done < buf.length;) done += await conn.write(buf.subarray(done));
}

async function serve(conn: Conn, req: number, resp: number): Promise<void> {
  const request = new Uint8Array(req);
  const response = new Uint8Array(resp).fill(0x72);
  try {
    while (await readExactly(conn, request)) await writeAll(conn, response);
  } finally {
    conn.close();
  }
}

async function client(hostname: string, port: number, seconds: number, req: number, resp: number) {
  const conn = await Deno.connect({ hostname, port });
  conn.setNoDelay(true);
  const request = new Uint8Array(req).fill(0x71);
  const response = new Uint8Array(resp);
  const times: number[] = [];
  // A short warm-up, not counted.
  for (let i = 0; i < 100; i++) {
    await writeAll(conn, request);
    await readExactly(conn, response);
  }
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    await writeAll(conn, request);
    if (!(await readExactly(conn, response))) throw new Error("the server closed the connection");
    const t = performance.now();
    times.push(t - now);
    now = t;
  }
  conn.close();
  const elapsed = (now - start) / 1000;
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] * 1000;
  console.log(JSON.stringify({
    transactions: times.length,
    seconds: elapsed,
    perSecond: times.length / elapsed,
    p50Us: at(0.5),
    p99Us: at(0.99),
  }));
}

if (import.meta.main) {
  const args = Deno.args.filter((a) => a !== "--no-offload");
  const offload = !Deno.args.includes("--no-offload");
  const [mode, kind] = args;
  if (mode === "client") {
    const [, host, port, seconds, req, resp] = args;
    await client(host, Number(port), Number(seconds), Number(req ?? 1), Number(resp ?? 1));
  } else if (mode === "server" && kind === "native") {
    const [, , port, req, resp] = args;
    using listener = Deno.listen({ hostname: "0.0.0.0", port: Number(port) });
    console.log("ready");
    const conn = await listener.accept();
    conn.setNoDelay(true);
    await serve(conn, Number(req ?? 1), Number(resp ?? 1));
  } else if (mode === "server" && kind === "lkl") {
    const [, , port, tap, addr, req, resp] = args;
    await using kernel = await Kernel.boot({ memoryMiB: 128, quiet: true });
    const iface = await kernel.addTap(tap, { offload });
    await iface.up();
    await iface.addAddress(addr);
    using listener = kernel.listen({ hostname: "::", port: Number(port) });
    console.log("ready");
    await serve(await listener.accept(), Number(req ?? 1), Number(resp ?? 1));
  } else {
    console.error("usage: tcp_rr.ts server native|lkl ... | client HOST PORT SECONDS [REQ RESP]");
    Deno.exit(2);
  }
}
