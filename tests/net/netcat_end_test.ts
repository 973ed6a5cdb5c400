/**
 * How `lkl netcat` ends, against the host's socat and OpenBSD nc over a TAP,
 * in a namespace of each test's own: a file sent over UDP arrives whole
 * (datagrams of at most 16 KiB), a listener whose peer half-closes still
 * sends all of its input, a failed send ends netcat with status 1, and
 * Ctrl-C closes the connection so that the peer ends too.
 */

import { equal, match, notEqual } from "node:assert/strict";
import { join } from "../helpers/path.ts";
import { Netns, sh, sha256File, tempDir, waitListening, waitUntil } from "../helpers/netns.ts";

async function namespaceWithTap(): Promise<Netns> {
  const ns = await Netns.create();
  try {
    await ns.addTap("tap0", { addresses: ["10.77.0.1/24"] });
    return ns;
  } catch (e) {
    await ns.delete();
    throw e;
  }
}

async function randomFile(dir: string, name: string, kib: number): Promise<string> {
  const path = join(dir, name);
  await sh(["sh", "-c", `head -c ${kib}K /dev/urandom > ${path}`]);
  return path;
}

const LKL = ["netcat", "--tap", "tap0", "--addr", "10.77.0.2/24"];

Deno.test("UDP: a 200 KB file sent by lkl netcat -u arrives whole and in order", async () => {
  await using ns = await namespaceWithTap();
  await using dir = await tempDir();
  const data = await randomFile(dir.path, "data", 200);
  const received = join(dir.path, "received");
  // -b: socat reads 8 KiB of a datagram by default and drops the rest.
  const host = ns.spawn([
    "socat",
    "-u",
    "-b",
    "65536",
    "-T",
    "3",
    "UDP4-RECV:5001,bind=10.77.0.1",
    `OPEN:${received},creat,trunc`,
  ]);
  await waitListening(ns, 5001, true);
  const r = await ns.lkl([...LKL, "-u", "-w", "1", "10.77.0.1", "5001"], {
    stdin: { file: data },
  }).output;
  equal(r.code, 0, r.stderr);
  equal(r.stderr, "");
  equal((await host.output).code, 0);
  equal(await sha256File(received), await sha256File(data));
});

Deno.test("UDP: lkl netcat -u -l answers a peer with a 200 KB file, whole and in order", async () => {
  await using ns = await namespaceWithTap();
  await using dir = await tempDir();
  const data = await randomFile(dir.path, "data", 200);
  const received = join(dir.path, "received");
  const lkl = ns.lkl([...LKL, "-u", "-l", "-v", "-w", "2", "-p", "5004"], {
    stdin: { file: data },
  });
  await waitUntil("lkl listening", () => lkl.stderrSoFar().includes("Listening on"));
  // -t: socat's input ends at once; it takes the answer for 5 s more.
  const host = await ns.run(
    [
      "socat",
      "-b",
      "65536",
      "-t",
      "5",
      "-",
      "UDP4:10.77.0.2:5004,bind=10.77.0.1:5005",
    ],
    { stdin: new TextEncoder().encode("hello\n"), stdoutFile: received },
  );
  equal(host.code, 0, host.stderr);
  const r = await lkl.output;
  equal(r.code, 0, r.stderr);
  equal(r.stdout, "hello\n");
  match(r.stderr, /^Connection received on 10\.77\.0\.1 5005$/m);
  equal(await sha256File(received), await sha256File(data));
});

Deno.test("TCP: -N -l still sends all its input after the peer half-closes (16 MiB each way)", async () => {
  await using ns = await namespaceWithTap();
  await using dir = await tempDir();
  const fromLkl = await randomFile(dir.path, "from-lkl", 16 * 1024);
  const fromHost = await randomFile(dir.path, "from-host", 16 * 1024);
  const lklGot = join(dir.path, "lkl-got");
  const hostGot = join(dir.path, "host-got");
  const lkl = ns.lkl([...LKL, "-v", "-N", "-l", "-p", "6000"], {
    stdin: { file: fromLkl },
    stdoutFile: lklGot,
    timeoutMs: 120_000,
  });
  await waitUntil("lkl listening", () => lkl.stderrSoFar().includes("Listening on"));
  const host = await ns.run(["nc", "-N", "10.77.0.2", "6000"], {
    stdin: { file: fromHost },
    stdoutFile: hostGot,
    timeoutMs: 120_000,
  });
  const r = await lkl.output;
  equal(r.code, 0, r.stderr);
  equal(host.code, 0, host.stderr);
  equal(await sha256File(lklGot), await sha256File(fromHost));
  equal(await sha256File(hostGot), await sha256File(fromLkl));
});

Deno.test("TCP: a send that fails ends lkl netcat with the error and status 1", async () => {
  await using ns = await namespaceWithTap();
  await using dir = await tempDir();
  const data = await randomFile(dir.path, "data", 16 * 1024);
  // The host closes the connection at once: lkl's data is answered with an RST.
  const host = ns.spawn(["socat", "TCP4-LISTEN:5010,bind=10.77.0.1,reuseaddr", "SYSTEM:exit 0"]);
  await waitListening(ns, 5010);
  const r = await ns.lkl([...LKL, "10.77.0.1", "5010"], { stdin: { file: data } }).output;
  equal(r.code, 1, r.stderr);
  match(r.stderr, /^lkl: netcat: write failed: (Broken pipe|Connection reset by peer)/m);
  await host.output;
});

for (const side of ["client", "listener"] as const) {
  Deno.test(`SIGINT: the host's nc ends when lkl netcat (${side}) is interrupted`, async () => {
    await using ns = await namespaceWithTap();
    // The host's nc would run for 10 s if it never saw the end of the connection.
    const hostTimeout = 10_000;
    let host;
    let lkl;
    if (side === "client") {
      host = ns.spawn(["nc", "-l", "10.77.0.1", "5020"], { timeoutMs: hostTimeout });
      await waitListening(ns, 5020);
      lkl = ns.lkl([...LKL, "-v", "10.77.0.1", "5020"]);
    } else {
      lkl = ns.lkl([...LKL, "-v", "-l", "-p", "5020"]);
      await waitUntil("lkl listening", () => lkl!.stderrSoFar().includes("Listening on"));
      host = ns.spawn(["nc", "10.77.0.2", "5020"], { timeoutMs: hostTimeout });
    }
    await waitUntil("an established connection", async () => {
      const out = await ns.run(["ss", "-Htn", "state", "established"]);
      return out.stdout.includes(":5020");
    });
    lkl.child.kill("SIGINT");
    const r = await lkl.output;
    equal(r.code, 130, r.stderr);
    const h = await host.output;
    // Killed (SIGKILL, 137) after its timeout when it never saw the end.
    notEqual(h.code, 137, "the host's nc did not see the connection end");
    equal(h.code, 0, h.stderr);
  });
}
