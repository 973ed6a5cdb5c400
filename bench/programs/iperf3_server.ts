/**
 * An iperf3 server on lkl's TCP/IP stack, so that the host's stock
 * `iperf3 -c` measures lkl exactly as it measures a native server.
 *
 *   deno run -A bench/programs/iperf3_server.ts TAP ADDR/PREFIX [--no-offload]
 *     [--port 5201] [--tests N]
 *
 * Attaches TAP, prints "ready" on stdout, serves N tests (default 1) one
 * after the other, and halts. It speaks the iperf 3.x control protocol
 * (cookie, parameter exchange, stream creation, results exchange) for one
 * stream: TCP or UDP, either direction (-R), no --bidir. Results it sends
 * back are the receiver's counts iperf3 prints: bytes, and for UDP the
 * packets, lost packets and jitter computed from iperf3's datagram header.
 * LKL_BENCH_LOG=1 echoes the kernel log on stderr.
 *
 * @module
 */

import {
  type DatagramConn,
  Kernel,
  type NetAddr,
  type TcpConn,
  type TcpListener,
} from "../../mod.ts";

/** Control states (iperf_api.h). */
const STATE = {
  TEST_START: 1,
  TEST_RUNNING: 2,
  TEST_END: 4,
  PARAM_EXCHANGE: 9,
  CREATE_STREAMS: 10,
  EXCHANGE_RESULTS: 13,
  DISPLAY_RESULTS: 14,
  IPERF_DONE: 16,
  SERVER_ERROR: -2,
} as const;

const COOKIE_SIZE = 37;
const UDP_CONNECT_REPLY = 0x39383736;

interface Params {
  tcp?: boolean;
  udp?: boolean;
  reverse?: boolean;
  len?: number;
  parallel?: number;
  time?: number;
  bandwidth?: number;
  udp_counters_64bit?: number;
  bidirectional?: boolean;
}

interface StreamCounts {
  bytes: number;
  packets: number;
  errors: number;
  jitter: number;
  seconds: number;
}

/** Reads exactly `n` bytes from `conn`. */
async function readExactly(conn: TcpConn, n: number): Promise<Uint8Array> {
  const buf = new Uint8Array(n);
  for (let got = 0; got < n;) {
    const r = await conn.read(buf.subarray(got));
    if (r === null) throw new Error(`control connection closed after ${got} of ${n} bytes`);
    got += r;
  }
  return buf;
}

async function readState(conn: TcpConn): Promise<number> {
  return new Int8Array((await readExactly(conn, 1)).buffer)[0];
}

async function writeState(conn: TcpConn, state: number): Promise<void> {
  await conn.writeAll(new Uint8Array(new Int8Array([state]).buffer));
}

async function readJson(conn: TcpConn): Promise<unknown> {
  const len = new DataView((await readExactly(conn, 4)).buffer).getUint32(0, false);
  return JSON.parse(new TextDecoder().decode(await readExactly(conn, len)));
}

async function writeJson(conn: TcpConn, value: unknown): Promise<void> {
  const text = new TextEncoder().encode(JSON.stringify(value));
  const head = new Uint8Array(4);
  new DataView(head.buffer).setUint32(0, text.length, false);
  await conn.writeAll(head);
  await conn.writeAll(text);
}

/** Receives a TCP stream until it ends or `stop` aborts. */
async function receiveTcp(conn: TcpConn, len: number, stop: AbortSignal, counts: StreamCounts) {
  const buf = new Uint8Array(Math.max(len, 128 * 1024));
  try {
    for (;;) {
      const n = await conn.read(buf, stop);
      if (n === null) return;
      counts.bytes += n;
    }
  } catch (e) {
    if (!stop.aborted) throw e;
  }
}

/** Sends whole blocks of `len` bytes until `stop` aborts, as iperf3's Nwrite. */
async function sendTcp(conn: TcpConn, len: number, stop: AbortSignal, counts: StreamCounts) {
  const block = new Uint8Array(len).map((_, i) => i & 0xff);
  while (!stop.aborted) {
    await conn.writeAll(block);
    counts.bytes += len;
  }
}

/** iperf3's UDP receiver: counts, losses and jitter from the datagram header. */
async function receiveUdp(
  udp: DatagramConn,
  len: number,
  counts64: boolean,
  stop: AbortSignal,
  counts: StreamCounts,
) {
  const buf = new Uint8Array(Math.max(len, 65536));
  const view = new DataView(buf.buffer);
  let last = 0;
  let prevTransit = 0;
  let first = true;
  try {
    while (!stop.aborted) {
      const [data] = await udp.receive(buf, stop);
      counts.bytes += data.length;
      const sent = view.getUint32(0, false) + view.getUint32(4, false) / 1e6;
      const pcount = counts64 ? Number(view.getBigUint64(8, false)) : view.getUint32(8, false);
      if (pcount >= last + 1) {
        if (pcount > last + 1) counts.errors += pcount - last - 1;
        last = pcount;
      } else {
        counts.errors--; // out of order: iperf3 counts it as not lost after all
      }
      counts.packets = last;
      const transit = Date.now() / 1000 - sent;
      if (!first) {
        const d = Math.abs(transit - prevTransit);
        counts.jitter += (d - counts.jitter) / 16;
      }
      first = false;
      prevTransit = transit;
    }
  } catch (e) {
    if (!stop.aborted) throw e;
  }
}

/** iperf3's UDP sender, unpaced (-b 0) or paced at `bandwidth` bit/s. */
async function sendUdp(
  udp: DatagramConn,
  len: number,
  bandwidth: number,
  counts64: boolean,
  stop: AbortSignal,
  counts: StreamCounts,
) {
  const buf = new Uint8Array(len);
  const view = new DataView(buf.buffer);
  const start = performance.now();
  let pcount = 0;
  try {
    while (!stop.aborted) {
      if (bandwidth > 0) {
        const due = (counts.bytes * 8) / bandwidth * 1000;
        const ahead = due - (performance.now() - start);
        if (ahead > 1) await new Promise((r) => setTimeout(r, ahead));
      }
      const now = Date.now();
      view.setUint32(0, Math.floor(now / 1000), false);
      view.setUint32(4, (now % 1000) * 1000, false);
      pcount++;
      if (counts64) view.setBigUint64(8, BigInt(pcount), false);
      else view.setUint32(8, pcount, false);
      counts.bytes += await udp.send(buf);
      counts.packets = pcount;
    }
  } catch (e) {
    if (!stop.aborted) throw e;
  }
}

/** Serves one iperf3 test whose control connection is `control`. */
async function serveTest(
  kernel: Kernel,
  listener: TcpListener,
  control: TcpConn,
  port: number,
): Promise<string> {
  const cookie = new TextDecoder().decode(await readExactly(control, COOKIE_SIZE));
  await writeState(control, STATE.PARAM_EXCHANGE);
  const params = await readJson(control) as Params;
  if ((params.parallel ?? 1) !== 1 || params.bidirectional) {
    await writeState(control, STATE.SERVER_ERROR);
    throw new Error("only one stream, one direction");
  }
  const udpMode = params.udp === true;
  const len = params.len ?? (udpMode ? 1460 : 128 * 1024);
  const counts64 = (params.udp_counters_64bit ?? 0) !== 0;
  let udp: DatagramConn | undefined;
  if (udpMode) udp = kernel.net.listenDatagram({ hostname: "::", port });
  await writeState(control, STATE.CREATE_STREAMS);

  let stream: TcpConn | undefined;
  if (udpMode) {
    // The client's first datagram names it; we connect and answer.
    const [, from] = await udp!.receive(new Uint8Array(64));
    await udp!.connect(from as NetAddr);
    const reply = new Uint8Array(4);
    new DataView(reply.buffer).setUint32(0, UDP_CONNECT_REPLY, true);
    await udp!.send(reply);
  } else {
    for (;;) {
      const conn = await listener.accept();
      const theirs = new TextDecoder().decode(await readExactly(conn, COOKIE_SIZE));
      if (theirs === cookie) {
        stream = conn;
        break;
      }
      conn.close();
    }
  }

  const counts: StreamCounts = { bytes: 0, packets: 0, errors: 0, jitter: 0, seconds: 0 };
  const stop = new AbortController();
  await writeState(control, STATE.TEST_START);
  await writeState(control, STATE.TEST_RUNNING);
  const start = performance.now();
  const sending = params.reverse === true;
  const data = udpMode
    ? sending
      ? sendUdp(udp!, len, params.bandwidth ?? 0, counts64, stop.signal, counts)
      : receiveUdp(udp!, len, counts64, stop.signal, counts)
    : sending
    ? sendTcp(stream!, len, stop.signal, counts)
    : receiveTcp(stream!, len, stop.signal, counts);
  data.catch(() => stop.abort());

  // The client says when the time is up.
  for (;;) {
    const state = await readState(control);
    if (state === STATE.TEST_END) break;
  }
  stop.abort();
  await data.catch(() => {});
  // As iperf3's server: the streams close at TEST_END. A client reading
  // in -R mode may be waiting in a blocking read for the rest of a block.
  stream?.close();
  udp?.close();
  counts.seconds = (performance.now() - start) / 1000;
  await writeState(control, STATE.EXCHANGE_RESULTS);
  await readJson(control); // the client's own counts
  await writeJson(control, {
    cpu_util_total: 0,
    cpu_util_user: 0,
    cpu_util_system: 0,
    sender_has_retransmits: sending ? 0 : -1,
    congestion_used: "cubic",
    streams: [{
      id: 1,
      bytes: counts.bytes,
      retransmits: -1,
      jitter: counts.jitter,
      errors: counts.errors,
      omitted_errors: 0,
      packets: counts.packets,
      omitted_packets: 0,
      start_time: 0,
      end_time: counts.seconds,
    }],
  });
  await writeState(control, STATE.DISPLAY_RESULTS);
  await readState(control).catch(() => STATE.IPERF_DONE); // IPERF_DONE
  control.close();
  return `${udpMode ? "udp" : "tcp"} ${sending ? "send" : "receive"}: ${counts.bytes} bytes`;
}

if (import.meta.main) {
  const args = [...Deno.args];
  const flag = (name: string) => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    const value = args[i + 1];
    args.splice(i, 2);
    return value;
  };
  const offload = !args.includes("--no-offload");
  if (!offload) args.splice(args.indexOf("--no-offload"), 1);
  const port = Number(flag("--port") ?? 5201);
  const tests = Number(flag("--tests") ?? 1);
  const [tap, addr] = args;
  const verbose = Deno.env.get("LKL_BENCH_LOG") === "1";
  await using kernel = await Kernel.boot({
    memoryMiB: 256,
    quiet: !verbose,
    logFd: verbose ? 2 : undefined,
  });
  const iface = await kernel.addTap(tap, { offload });
  await iface.up();
  await iface.addAddress(addr);
  using listener = kernel.listen({ hostname: "::", port });
  console.log("ready");
  for (let i = 0; i < tests; i++) {
    const control = await listener.accept();
    console.error(await serveTest(kernel, listener, control, port));
  }
}
