/**
 * The socket API on the kernel's loopback interface: nothing here leaves
 * the kernel (it has no other interface), so no namespace is needed.
 * TCP and UDP shaped like Deno's, ping sockets, many connections waiting
 * at once on one poller, close and abort waking waiters, errors.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { LklError, type TcpConn } from "../../mod.ts";
import { rejected } from "../helpers/assert.ts";
import { haltTest, sharedKernel, within } from "../helpers/kernel.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function readAll(conn: TcpConn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(64 * 1024);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    chunks.push(buf.slice(0, n));
  }
  const out = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

async function echo(conn: TcpConn): Promise<void> {
  const buf = new Uint8Array(16 * 1024);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    await conn.writeAll(buf.subarray(0, n));
  }
  await conn.closeWrite();
  conn.close();
}

Deno.test("TCP on 127.0.0.1: port 0 picks one, data both ways, closeWrite ends the peer's stream", async () => {
  const kernel = await sharedKernel();
  using listener = kernel.listen({ hostname: "127.0.0.1", port: 0 });
  equal(listener.addr.hostname, "127.0.0.1");
  ok(listener.addr.port > 0);
  const accepted = listener.accept();
  using client = await kernel.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  using server = await accepted;
  deepEqual(client.remoteAddr, {
    transport: "tcp",
    hostname: "127.0.0.1",
    port: listener.addr.port,
  });
  deepEqual(server.remoteAddr, client.localAddr);
  await client.writeAll(encoder.encode("hello"));
  await client.closeWrite();
  equal(decoder.decode(await readAll(server)), "hello");
  await server.writeAll(encoder.encode("and back"));
  server.close();
  equal(decoder.decode(await readAll(client)), "and back");
});

Deno.test("TCP on ::, reached over IPv6 and over IPv4 (mapped)", async () => {
  const kernel = await sharedKernel();
  using listener = kernel.listen({ hostname: "::", port: 7101 });
  for (const [hostname, seen] of [["::1", "::1"], ["127.0.0.1", "::ffff:127.0.0.1"]]) {
    const accepted = listener.accept();
    using client = await kernel.connect({ hostname, port: 7101 });
    using server = await accepted;
    equal(server.remoteAddr.hostname, seen);
    equal(client.remoteAddr.hostname, hostname);
  }
});

Deno.test("web streams: 4 MiB through readable/writable, with an echo at the other end", async () => {
  const kernel = await sharedKernel();
  using listener = kernel.listen({ hostname: "127.0.0.1", port: 0 });
  const serving = listener.accept().then((conn) => conn.readable.pipeTo(conn.writable));
  using client = await kernel.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  const data = new Uint8Array(4 << 20).map((_, i) => (i * 7) & 0xff);
  const sending = new Blob([data]).stream().pipeTo(client.writable);
  const back = new Uint8Array(await new Response(client.readable).arrayBuffer());
  await sending;
  await serving;
  equal(back.length, data.length);
  ok(back.every((b, i) => b === data[i]), "the echoed bytes differ");
});

Deno.test("200 connections at once, each echoed, while the event loop keeps running", async () => {
  const kernel = await sharedKernel();
  using listener = kernel.listen({ hostname: "127.0.0.1", port: 0, backlog: 256 });
  // The server answers each connection only after a timer of the event
  // loop fired, while the 200 clients wait for their answers: if waiting
  // on sockets blocked the loop, no answer would ever come.
  let timers = 0;
  const served = (async () => {
    const sessions: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      const conn = await listener.accept();
      sessions.push(
        new Promise((resolve) => setTimeout(resolve, 1)).then(() => {
          timers++;
          return echo(conn);
        }),
      );
    }
    await Promise.all(sessions);
  })();
  // All connect first, then all write: every connection waits at the same time.
  const conns = await Promise.all(
    Array.from(
      { length: 200 },
      () => kernel.connect({ hostname: "127.0.0.1", port: listener.addr.port }),
    ),
  );
  const results = await within(
    30_000,
    "200 echoes",
    Promise.all(conns.map(async (conn, i) => {
      const text = `connection ${i} `.repeat(100);
      await conn.writeAll(encoder.encode(text));
      await conn.closeWrite();
      const back = decoder.decode(await readAll(conn));
      conn.close();
      return back === text;
    })),
  );
  await served;
  ok(results.every((r) => r), "some connection got other data back");
  equal(timers, 200);
});

Deno.test("closing a connection wakes its pending read; an abort signal does too", async () => {
  const kernel = await sharedKernel();
  using listener = kernel.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = listener.accept();
  using client = await kernel.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  using server = await accepted;
  // First an abort (the peer is still there), then a close.
  const controller = new AbortController();
  const serverRead = server.read(new Uint8Array(10), controller.signal);
  setTimeout(() => controller.abort(new Error("stop")), 50);
  const e = await within(2000, "the aborted read", rejected(serverRead, Error));
  const reading = client.read(new Uint8Array(10));
  setTimeout(() => client.close(), 50);
  await within(2000, "the read after close", rejected(reading, Deno.errors.Interrupted));
  equal(e.message, "stop");
});

Deno.test("closing a listener ends accept() and for-await over it", async () => {
  const kernel = await sharedKernel();
  const listener = kernel.listen({ hostname: "127.0.0.1", port: 0 });
  const iterating = (async () => {
    let n = 0;
    for await (const conn of listener) {
      conn.close();
      n++;
    }
    return n;
  })();
  (await kernel.connect({ hostname: "127.0.0.1", port: listener.addr.port })).close();
  await new Promise((r) => setTimeout(r, 50));
  listener.close();
  equal(await within(2000, "the iteration", iterating), 1);
});

Deno.test("listening on a port in use fails with EADDRINUSE, naming the address", async () => {
  const kernel = await sharedKernel();
  using first = kernel.listen({ hostname: "127.0.0.1", port: 7102 });
  let error: unknown;
  try {
    kernel.listen({ hostname: "127.0.0.1", port: 7102 });
  } catch (e) {
    error = e;
  }
  ok(error instanceof LklError, String(error));
  equal(error.code, "EADDRINUSE");
  equal(error.message, "bind 127.0.0.1 port 7102: Address already in use (EADDRINUSE)");
  ok(!first.closed);
});

Deno.test("connecting to a closed port is refused (ECONNREFUSED)", async () => {
  const kernel = await sharedKernel();
  const e = await rejected(kernel.connect({ hostname: "::1", port: 7103 }), LklError);
  equal(e.code, "ECONNREFUSED");
  match(e.message, /^connect ::1 port 7103: /);
});

Deno.test("UDP: send, receive with the source, iterate, connect", async () => {
  const kernel = await sharedKernel();
  using a = kernel.net.listenDatagram({ hostname: "127.0.0.1", port: 7104 });
  using b = kernel.net.listenDatagram({ hostname: "127.0.0.1" });
  equal(await b.send(encoder.encode("first"), a.addr), 5);
  const [data, from] = await a.receive();
  equal(decoder.decode(data), "first");
  deepEqual(from, b.addr);
  await b.connect({ hostname: "127.0.0.1", port: 7104 });
  deepEqual(b.remoteAddr, { transport: "udp", hostname: "127.0.0.1", port: 7104 });
  await b.send(encoder.encode("second"));
  await b.send(encoder.encode("third"));
  const got: string[] = [];
  for await (const [d] of a) {
    got.push(decoder.decode(d));
    if (got.length === 2) break;
  }
  deepEqual(got, ["second", "third"]);
});

Deno.test("a loop of sends that never wait does not starve timers or other sockets", async () => {
  const kernel = await sharedKernel();
  using sink = kernel.net.listenDatagram({ hostname: "127.0.0.1" });
  using sender = kernel.net.listenDatagram({ hostname: "127.0.0.1" });
  using other = kernel.net.listenDatagram({ hostname: "127.0.0.1" });
  // The kernel drops what the sink cannot queue: a send never has to wait.
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 10);
  const otherReceived = other.receive();
  setTimeout(() => void sender.send(encoder.encode("wake"), other.addr), 50);
  const start = performance.now();
  let sent = 0;
  while (performance.now() - start < 300) {
    await sender.send(new Uint8Array(64), sink.addr);
    sent++;
  }
  clearInterval(ticker);
  const [data] = await within(1000, "the other socket's datagram", otherReceived);
  equal(decoder.decode(data), "wake");
  ok(sent > 100, `only ${sent} sends`);
  // Starved, a 10 ms timer would not tick at all in the loop; on a busy
  // machine it ticks less than the 30 times it could, so ask for a few.
  ok(ticks >= 3, `the timer ticked ${ticks} times in 300 ms`);
});

Deno.test("ping sockets: ICMP and ICMPv6 echo on loopback, with TTL and kernel timestamps", async () => {
  const kernel = await sharedKernel();
  for (const [family, host] of [[4, "127.0.0.1"], [6, "::1"]] as const) {
    using ping = kernel.net.openPing({ family });
    const payload = encoder.encode("0123456789abcdef");
    const before = ping.now();
    await ping.send(host, 7, payload);
    const reply = await within(2000, `echo reply from ${host}`, ping.receive());
    if (reply.kind !== "reply") throw new Error(`an ICMP error instead of a reply: ${reply}`);
    equal(reply.seq, 7);
    equal(reply.from, host);
    equal(reply.ttl, 64);
    equal(reply.bytes, 8 + payload.length);
    deepEqual(reply.payload, payload);
    ok(
      reply.receivedMs !== null && reply.receivedMs >= before - 1,
      `timestamp ${reply.receivedMs}`,
    );
  }
  const rtt = await kernel.net.ping("::1");
  ok(rtt >= 0 && rtt < 2000);
});

Deno.test("interface names and indexes: lo is up with 127.0.0.1", async () => {
  const kernel = await sharedKernel();
  equal(kernel.net.interfaceIndex("lo"), 1);
  equal(kernel.net.interfaceName(1), "lo");
  const e = (() => {
    try {
      kernel.net.interfaceIndex("nosuch0");
    } catch (e) {
      return e;
    }
  })();
  ok(e instanceof LklError);
  equal(e.code, "ENODEV");
});

Deno.test("a pending accept is rejected when the kernel halts", async () => {
  const kernel = await sharedKernel();
  const listener = kernel.listen({ hostname: "127.0.0.1", port: 0 });
  const accepting = listener.accept();
  accepting.catch(() => {});
  await new Promise((r) => setTimeout(r, 20));
  await kernel.halt();
  await within(5000, "the accept after halt", rejected(accepting, Error));
});

haltTest();
