/**
 * The network benchmarks (`deno task bench net`): the reference study's
 * table, reproduced over our TAP path, all in one run.
 *
 *   lkl      a TAP in namespace L; lkl (TypeScript, bench/programs/) on
 *            one side, the host's tools on the other
 *   native   two namespaces joined by a veth pair: the host's stack on
 *            both sides (the reference of every ratio)
 *   slirp    slirp4netns, the userspace TCP/IP stack users would pick
 *            otherwise: the host tools in namespace T behind slirp4netns
 *            running in S (the second reference)
 *
 * Streams are the host's iperf3 (against bench/programs/iperf3_server.ts
 * for lkl), request/response is bench/programs/tcp_rr.ts (a Deno client;
 * the server on the host's stack or on lkl's, and also in C on liblkl to
 * show what the TypeScript side costs), ping RTT is `lkl ping6` against
 * the host's `ping -6` over the same TAP. Offloads on and off for lkl, TSO
 * on and off (ethtool) for the veth. Everything happens in namespaces of
 * our own, deleted at the end; nothing else is contacted.
 *
 * @module
 */

import { join } from "node:path";
import { deno, median, REPO, type Row, type Suite } from "./suite.ts";

const decoder = new TextDecoder();
const BUILD = join(REPO, "build");
const PROGRAMS = join(REPO, "bench", "programs");
const PREFIX = `lklbench${Deno.pid}`;

/** Runs a command (in namespace `ns` when given) and returns its stdout; throws on failure. */
async function sh(cmd: string[], ns?: string): Promise<string> {
  const full = ns ? ["ip", "netns", "exec", ns, ...cmd] : cmd;
  const out = await new Deno.Command(full[0], {
    args: full.slice(1),
    stdout: "piped",
    stderr: "piped",
    cwd: REPO,
  }).output();
  if (!out.success) {
    throw new Error(`${full.join(" ")} failed (${out.code}): ${decoder.decode(out.stderr).trim()}`);
  }
  return decoder.decode(out.stdout);
}

/** A background process in a namespace, killed at the end. */
class Background {
  readonly child: Deno.ChildProcess;
  #out = "";
  #err = "";
  readonly done: Promise<Deno.CommandStatus>;

  constructor(cmd: string[], ns: string) {
    this.child = new Deno.Command("ip", {
      args: ["netns", "exec", ns, ...cmd],
      cwd: REPO,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const collect = async (stream: ReadableStream<Uint8Array>, into: (s: string) => void) => {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) into(chunk);
    };
    const reading = Promise.all([
      collect(this.child.stdout, (s) => this.#out += s),
      collect(this.child.stderr, (s) => this.#err += s),
    ]);
    this.done = reading.then(() => this.child.status);
  }

  /** Waits (at most 30 s) until stdout has `text`. */
  async ready(text = "ready"): Promise<void> {
    const deadline = performance.now() + 30_000;
    while (!this.#out.includes(text)) {
      if (performance.now() > deadline) {
        throw new Error(`no "${text}" after 30 s: ${this.#err.trim()}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  get stderr(): string {
    return this.#err;
  }

  async stop(): Promise<void> {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // already ended
    }
    await this.done.catch(() => {});
  }
}

/** Waits until `predicate` holds (at most 20 s). */
async function waitFor(what: string, predicate: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + 20_000;
  while (!(await predicate())) {
    if (performance.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function listening(ns: string, port: number): Promise<void> {
  await waitFor(`a listener on port ${port} in ${ns}`, async () => {
    return (await sh(["ss", "-Hltn", `sport = :${port}`], ns)).trim() !== "";
  });
}

/** The namespaces of one run; all deleted by {@link cleanup}. */
const namespaces: string[] = [];
const background: Background[] = [];

async function namespace(name: string): Promise<string> {
  const ns = `${PREFIX}${name}`;
  await sh(["ip", "netns", "add", ns]);
  namespaces.push(ns);
  await sh(["ip", "link", "set", "lo", "up"], ns);
  return ns;
}

function start(cmd: string[], ns: string): Background {
  const b = new Background(cmd, ns);
  background.push(b);
  return b;
}

async function cleanup(): Promise<void> {
  for (const b of background.splice(0)) await b.stop();
  for (const ns of namespaces.splice(0)) {
    await sh(["ip", "netns", "del", ns]).catch(() => {});
  }
}

/** What one iperf3 run measured (the receiver's view). */
interface Stream {
  mbits: number;
  /** Datagrams that arrived per second (UDP). */
  pps?: number;
  lossPercent?: number;
}

/** Runs the iperf3 client in `ns` against `host` and reads the receiver's figures. */
async function iperf3(ns: string, host: string, seconds: number, args: string[]): Promise<Stream> {
  // deno-lint-ignore no-explicit-any
  const json: any = JSON.parse(
    await sh(["iperf3", "-c", host, "-t", String(seconds), "-J", ...args], ns),
  );
  if (json.error) throw new Error(`iperf3 ${args.join(" ")}: ${json.error}`);
  const sum = json.end.sum_received;
  if (args.includes("-u")) {
    const arrived = sum.packets - sum.lost_packets;
    return {
      mbits: sum.bits_per_second / 1e6,
      pps: arrived / sum.seconds,
      lossPercent: sum.lost_percent,
    };
  }
  return { mbits: sum.bits_per_second / 1e6 };
}

/** One RR run: transactions per second and the median transaction. */
interface Rr {
  perSecond: number;
  p50Us: number;
}

async function tcpRr(ns: string, host: string, port: number, seconds: number): Promise<Rr> {
  const out = await sh(
    [
      deno(),
      "run",
      "-A",
      "--cached-only",
      join(PROGRAMS, "tcp_rr.ts"),
      "client",
      host,
      String(port),
      String(seconds),
    ],
    ns,
  );
  return JSON.parse(out.trim().split("\n").pop()!);
}

/** The iperf3 measurements of one setup. */
type StreamKind =
  | "tcp to"
  | "tcp from"
  | "udp64 to"
  | "udp1024 to"
  | "udp64 from"
  | "udp1024 from";

const STREAM_ARGS: Record<StreamKind, string[]> = {
  "tcp to": [],
  "tcp from": ["-R"],
  "udp64 to": ["-u", "-b", "0", "-l", "64"],
  "udp1024 to": ["-u", "-b", "0", "-l", "1024"],
  "udp64 from": ["-u", "-b", "0", "-l", "64", "-R"],
  "udp1024 from": ["-u", "-b", "0", "-l", "1024", "-R"],
};
const KINDS = Object.keys(STREAM_ARGS) as StreamKind[];

interface SetupResult {
  streams: Record<StreamKind, Stream>;
  /** One TCP_RR run against this setup's server (the namespaces stay until cleanup). */
  rr: (seconds: number) => Promise<Rr>;
  /** One TCP_RR run against a C server on liblkl (lkl only). */
  rrC?: (seconds: number) => Promise<Rr>;
}

/** Starts `server` in `serverNs`, runs the RR client from `clientNs` against it. */
async function rrOnce(
  server: string[],
  serverNs: string,
  clientNs: string,
  host: string,
  port: number,
  seconds: number,
): Promise<Rr> {
  const b = start(server, serverNs);
  await b.ready();
  try {
    return await tcpRr(clientNs, host, port, seconds);
  } finally {
    await b.done;
  }
}

const RR_PROGRAM = [deno(), "run", "-A", "--cached-only", join(PROGRAMS, "tcp_rr.ts"), "server"];

/** lkl on a TAP in its own namespace, offloads on or off. */
async function measureLkl(offload: boolean, seconds: number): Promise<SetupResult> {
  const ns = await namespace(offload ? "lkl" : "lklnooff");
  await sh(["ip", "tuntap", "add", "mode", "tap", "name", "tap0"], ns);
  await sh(["ip", "addr", "add", "10.77.0.1/24", "dev", "tap0"], ns);
  await sh(["ip", "link", "set", "tap0", "up"], ns);
  const flag = offload ? [] : ["--no-offload"];
  const server = start([
    deno(),
    "run",
    "-A",
    "--cached-only",
    join(PROGRAMS, "iperf3_server.ts"),
    "tap0",
    "10.77.0.2/24",
    "--tests",
    String(KINDS.length),
    ...flag,
  ], ns);
  await server.ready();
  const streams = {} as Record<StreamKind, Stream>;
  for (const kind of KINDS) {
    streams[kind] = await iperf3(ns, "10.77.0.2", seconds, STREAM_ARGS[kind]);
  }
  await server.done;
  return {
    streams,
    rr: (t) =>
      rrOnce(
        [...RR_PROGRAM, "lkl", "7000", "tap0", "10.77.0.2/24", ...flag],
        ns,
        ns,
        "10.77.0.2",
        7000,
        t,
      ),
    rrC: (t) =>
      rrOnce(
        [join(BUILD, "bench", "tcp_rr_lkl"), "tap0", "10.77.0.2", offload ? "1" : "0", "7001"],
        ns,
        ns,
        "10.77.0.2",
        7001,
        t,
      ),
  };
}

/** Two namespaces over a veth pair: the host's stack on both sides. */
async function measureNative(tso: boolean, seconds: number): Promise<SetupResult> {
  const a = await namespace(tso ? "a" : "anotso");
  const b = await namespace(tso ? "b" : "bnotso");
  await sh([
    "ip",
    "link",
    "add",
    "va",
    "netns",
    a,
    "type",
    "veth",
    "peer",
    "name",
    "vb",
    "netns",
    b,
  ]);
  await sh(["ip", "addr", "add", "10.88.0.1/24", "dev", "va"], a);
  await sh(["ip", "addr", "add", "10.88.0.2/24", "dev", "vb"], b);
  for (const [ns, dev] of [[a, "va"], [b, "vb"]]) {
    if (!tso) await sh(["ethtool", "-K", dev, "tso", "off"], ns);
    await sh(["ip", "link", "set", dev, "up"], ns);
  }
  const server = start(["iperf3", "-s"], b);
  await listening(b, 5201);
  const streams = {} as Record<StreamKind, Stream>;
  for (const kind of KINDS) {
    streams[kind] = await iperf3(a, "10.88.0.2", seconds, STREAM_ARGS[kind]);
  }
  await server.stop();
  return {
    streams,
    rr: (t) => rrOnce([...RR_PROGRAM, "native", "7000"], b, a, "10.88.0.2", 7000, t),
  };
}

/** slirp4netns: the host tools in T reach S's loopback through slirp's 10.0.2.2. */
async function measureSlirp(seconds: number): Promise<SetupResult> {
  const s = await namespace("s");
  const t = await namespace("t");
  const slirp = start([
    "slirp4netns",
    "--configure",
    "--mtu=1500",
    "--disable-dns",
    "--netns-type=path",
    `/run/netns/${t}`,
    "tap0",
  ], s);
  await waitFor("slirp4netns's tap0", async () => {
    return (await sh(["ip", "-4", "addr", "show", "dev", "tap0"], t).catch(() => "")).includes(
      "10.0.2.100",
    );
  });
  const server = start(["iperf3", "-s"], s);
  await listening(s, 5201);
  const streams = {} as Record<StreamKind, Stream>;
  for (const kind of KINDS) streams[kind] = await iperf3(t, "10.0.2.2", seconds, STREAM_ARGS[kind]);
  await server.stop();
  // slirp4netns keeps running until cleanup, for the RR runs.
  void slirp;
  return {
    streams,
    rr: (secs) => rrOnce([...RR_PROGRAM, "native", "7000"], s, t, "10.0.2.2", 7000, secs),
  };
}

/** ping RTT over one TAP: lkl ping6 to the host, and the host's ping -6 to lkl. */
async function measurePing(
  run: number,
  count: number,
  interval: string,
): Promise<{ lkl: number; host: number }> {
  const ns = await namespace(`ping${run}`);
  await sh(["ip", "tuntap", "add", "mode", "tap", "name", "tap0"], ns);
  await sh(["ip", "addr", "add", "fd00::1/64", "dev", "tap0", "nodad"], ns);
  await sh(["ip", "link", "set", "tap0", "up"], ns);
  const cli = [deno(), "run", "-A", "--cached-only", join(REPO, "cli", "main.ts")];
  const avg = (text: string) => {
    const m = text.match(/rtt min\/avg\/max\/mdev = [\d.]+\/([\d.]+)\//);
    if (!m) throw new Error(`no rtt line in: ${text}`);
    return Number(m[1]);
  };
  const lkl = avg(
    await sh([
      ...cli,
      "ping6",
      "--tap",
      "tap0",
      "--addr",
      "fd00::2/64",
      "-q",
      "-c",
      String(count),
      "-i",
      interval,
      "fd00::1",
    ], ns),
  );
  // An lkl holding fd00::2 for the host to ping.
  const holder = start([
    ...cli,
    "netcat",
    "--tap",
    "tap0",
    "--addr",
    "fd00::2/64",
    "-v",
    "-l",
    "-p",
    "9",
  ], ns);
  await waitFor(
    "lkl holding fd00::2",
    () => Promise.resolve(holder.stderr.includes("Listening on")),
  );
  const host = avg(
    await sh(["ping", "-6", "-q", "-c", String(count), "-i", interval, "fd00::2"], ns),
  );
  await holder.stop();
  return { lkl, host };
}

async function buildCServer(): Promise<void> {
  await Deno.mkdir(join(BUILD, "bench"), { recursive: true });
  await sh([
    "gcc",
    "-std=gnu11",
    "-O2",
    "-Wall",
    "-Wextra",
    "-I",
    join(REPO, "linux", "host"),
    join(REPO, "bench", "c", "tcp_rr_lkl.c"),
    "-o",
    join(BUILD, "bench", "tcp_rr_lkl"),
    "-L",
    BUILD,
    "-llkl",
    `-Wl,-rpath,${BUILD}`,
  ]);
}

const LABEL: Record<StreamKind, string> = {
  "tcp to": "TCP_STREAM host -> stack",
  "tcp from": "TCP_STREAM stack -> host",
  "udp64 to": "UDP_STREAM 64 B host -> stack",
  "udp1024 to": "UDP_STREAM 1024 B host -> stack",
  "udp64 from": "UDP_STREAM 64 B stack -> host",
  "udp1024 from": "UDP_STREAM 1024 B stack -> host",
};

function streamRows(
  kind: StreamKind,
  lkl: SetupResult,
  native: SetupResult,
  slirp: SetupResult | undefined,
  suffix: string,
): Row[] {
  const ours = lkl.streams[kind];
  const ref = native.streams[kind];
  const rows: Row[] = [];
  const tcpTo = kind === "tcp to" || kind === "tcp from";
  const details = (s: Stream, r: Stream) => ({
    ...(s.lossPercent !== undefined ? { lklLossPercent: Number(s.lossPercent.toFixed(1)) } : {}),
    ...(r.lossPercent !== undefined ? { nativeLossPercent: Number(r.lossPercent.toFixed(1)) } : {}),
    ...(slirp ? { slirp4netns: Number(slirp.streams[kind].mbits.toFixed(1)) } : {}),
  });
  const target = tcpTo && suffix === "offloads on"
    ? { text: "lkl/native >= 0.4", min: 0.4 }
    : undefined;
  rows.push({
    name: `${LABEL[kind]}, ${suffix}`,
    unit: "Mbit/s",
    value: ours.mbits,
    referenceName: "native veth",
    reference: ref.mbits,
    lowerIsBetter: false,
    target: target?.text,
    met: target ? ours.mbits / ref.mbits >= target.min : undefined,
    details: details(ours, ref),
  });
  if (ours.pps !== undefined && ref.pps !== undefined) {
    rows.push({
      name: `${LABEL[kind]}, ${suffix}`,
      unit: "packets/s",
      value: ours.pps,
      referenceName: "native veth",
      reference: ref.pps,
      lowerIsBetter: false,
      details: slirp?.streams[kind].pps
        ? { slirp4netns: Math.round(slirp.streams[kind].pps!) }
        : {},
    });
  }
  if (slirp && tcpTo && suffix === "offloads on") {
    rows.push({
      name: `${LABEL[kind]}, offloads on, against slirp4netns`,
      unit: "Mbit/s",
      value: ours.mbits,
      referenceName: "slirp4netns",
      reference: slirp.streams[kind].mbits,
      lowerIsBetter: false,
      target: "lkl/slirp4netns >= 5",
      met: ours.mbits / slirp.streams[kind].mbits >= 5,
    });
  }
  return rows;
}

/** The suite: `deno task bench net` (needs root: namespaces, TAPs, veths). */
export const suite: Suite = {
  name: "net",
  description:
    "lkl over a TAP against native veth and slirp4netns: iperf3 streams, TCP_RR, ping6 RTT",
  async run({ quick }) {
    if (Deno.uid() !== 0) throw new Error("the network benchmarks need root (ip netns, TAPs)");
    const seconds = quick ? 1 : 4;
    const RR_ROUNDS = quick ? 1 : 5;
    const RR_SECONDS = quick ? 1 : 2;
    await sh([
      deno(),
      "cache",
      join(REPO, "cli", "main.ts"),
      join(PROGRAMS, "iperf3_server.ts"),
      join(PROGRAMS, "tcp_rr.ts"),
    ]);
    await buildCServer();
    const rows: Row[] = [];
    const notes: string[] = [];
    try {
      const slirp = await measureSlirp(seconds);
      let slirpRr: Rr | undefined;
      for (const offload of [true, false]) {
        const suffix = offload ? "offloads on" : "offloads off";
        const native = await measureNative(offload, seconds);
        const lkl = await measureLkl(offload, seconds);
        for (const kind of KINDS) rows.push(...streamRows(kind, lkl, native, slirp, suffix));
        // Request/response is the most sensitive to other load on the machine: the
        // setups take turns, several rounds, and the medians are compared.
        const runs: Record<"native" | "lkl" | "c" | "slirp", Rr[]> = {
          native: [],
          lkl: [],
          c: [],
          slirp: [],
        };
        for (let round = 0; round < RR_ROUNDS; round++) {
          runs.native.push(await native.rr(RR_SECONDS));
          runs.lkl.push(await lkl.rr(RR_SECONDS));
          runs.c.push(await lkl.rrC!(RR_SECONDS));
          if (!slirpRr) runs.slirp.push(await slirp.rr(RR_SECONDS));
        }
        const mid = (list: Rr[]) => ({
          perSecond: median(list.map((r) => r.perSecond)),
          p50Us: median(list.map((r) => r.p50Us)),
        });
        slirpRr ??= mid(runs.slirp);
        const ours = mid(runs.lkl);
        const ref = mid(runs.native);
        const c = mid(runs.c);
        rows.push({
          name: `TCP_RR 1 B, ${suffix}`,
          unit: "transactions/s",
          value: ours.perSecond,
          referenceName: "native veth",
          reference: ref.perSecond,
          lowerIsBetter: false,
          target: offload ? "lkl/native >= 0.5" : undefined,
          met: offload ? ours.perSecond / ref.perSecond >= 0.5 : undefined,
          details: {
            rounds: RR_ROUNDS,
            lklP50Us: Math.round(ours.p50Us),
            nativeP50Us: Math.round(ref.p50Us),
            cServerOnLiblkl: Math.round(c.perSecond),
            cServerP50Us: Math.round(c.p50Us),
            cOverNative: Number((c.perSecond / ref.perSecond).toFixed(2)),
            slirp4netns: Math.round(slirpRr.perSecond),
            lklRuns: runs.lkl.map((r) => Math.round(r.perSecond)).join(" "),
            nativeRuns: runs.native.map((r) => Math.round(r.perSecond)).join(" "),
          },
        });
      }
      const pings = [];
      for (let i = 0; i < (quick ? 1 : 3); i++) {
        pings.push(await measurePing(i, quick ? 50 : 200, "0.01"));
      }
      const lklRtt = median(pings.map((p) => p.lkl));
      const hostRtt = median(pings.map((p) => p.host));
      rows.push({
        name: "ping6 RTT over the same TAP, 10 ms apart",
        unit: "ms",
        value: lklRtt,
        referenceName: "host ping -6 to lkl",
        reference: hostRtt,
        lowerIsBetter: true,
        target: "lkl/host <= 2",
        met: lklRtt / hostRtt <= 2,
      });
      notes.push(
        `iperf3 ${seconds} s per stream, one stream; UDP at -b 0 (as fast as the sender can), ` +
          "figures are what arrived at the receiver",
        "lkl's side is TypeScript on the library (bench/programs/); native and slirp4netns " +
          "run iperf3 -s and a Deno server on the host's stack; TCP_RR's client is the same " +
          "Deno program for all",
        `slirp4netns: ${slirp.streams["tcp to"].mbits.toFixed(0)} Mbit/s to, ${
          slirp.streams["tcp from"].mbits.toFixed(0)
        } Mbit/s from`,
        `TCP_RR: ${RR_ROUNDS} rounds of ${RR_SECONDS} s, the setups in turn, medians; ` +
          "cServerOnLiblkl is the same server in C on liblkl (bench/c/tcp_rr_lkl.c)",
      );
    } finally {
      await cleanup();
    }
    return { suite: "net", rows, notes };
  },
};
