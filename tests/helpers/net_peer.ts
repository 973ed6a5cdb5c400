/**
 * Host-side peers of the network tests, run with Deno's own (host) network
 * inside a test's namespace:
 *
 *   clients HOST PORT N BYTES   N connections at once; each sends BYTES
 *                               random bytes, reads as many back, and
 *                               compares. Prints {"ok": n, "failures": [...]}.
 *
 * Every connection has 60 s.
 *
 * @module
 */

async function oneClient(hostname: string, port: number, bytes: number, i: number): Promise<void> {
  const data = new Uint8Array(bytes);
  // getRandomValues fills at most 64 KiB at a time.
  for (let i = 0; i < bytes; i += 65536) crypto.getRandomValues(data.subarray(i, i + 65536));
  // The first 4 bytes name the connection, to tell answers apart in a failure.
  new DataView(data.buffer).setUint32(0, i);
  const signal = AbortSignal.timeout(60_000);
  const conn = await Deno.connect({ hostname, port, signal });
  try {
    const writing = (async () => {
      for (let done = 0; done < bytes;) done += await conn.write(data.subarray(done));
    })();
    const back = new Uint8Array(bytes);
    let got = 0;
    const timer = setTimeout(() => conn.close(), 60_000);
    try {
      while (got < bytes) {
        const n = await conn.read(back.subarray(got));
        if (n === null) throw new Error(`connection ${i}: ended after ${got} of ${bytes} bytes`);
        got += n;
      }
    } finally {
      clearTimeout(timer);
    }
    await writing;
    for (let k = 0; k < bytes; k++) {
      if (back[k] !== data[k]) throw new Error(`connection ${i}: byte ${k} differs`);
    }
  } finally {
    try {
      conn.close();
    } catch {
      // closed by the timer
    }
  }
}

if (import.meta.main) {
  const [mode, hostname, port, n, bytes] = Deno.args;
  if (mode !== "clients") throw new Error(`unknown mode ${mode}`);
  const results = await Promise.allSettled(
    Array.from(
      { length: Number(n) },
      (_, i) => oneClient(hostname, Number(port), Number(bytes), i),
    ),
  );
  const failures = results.flatMap((r) => r.status === "rejected" ? [String(r.reason)] : []);
  console.log(JSON.stringify({ ok: results.length - failures.length, failures }));
}
