// deno-lint-ignore-file explicit-module-boundary-types -- commander-extra-typings infers precise Option types
/**
 * `lkl ping` (and `lkl ping6`, in ping6.ts): ICMP echo from the kernel's
 * own stack through a host TAP, printing what iputils `ping` prints: the
 * header line, one line per reply, and the statistics (also on Ctrl-C).
 * Exit status as iputils: 0 when replies came, 1 when none did (or fewer
 * than -c before a -w deadline), 2 on an error.
 *
 * Round-trip times are measured as iputils does: the send time travels
 * in the first 16 payload bytes (so -s below 16 prints no times), and the
 * receive time is the kernel's timestamp of the reply's arrival
 * (SO_TIMESTAMPNS), both on the kernel's CLOCK_REALTIME.
 *
 * @module
 */

import { Command, Option } from "@commander-js/extra-typings";
import {
  type EchoError,
  type EchoReply,
  errnoMessage,
  type Interface,
  LklError,
  needsZone,
  parseIp,
  type PingSocket,
} from "../mod.ts";
import { attachTap, networkErrorText } from "./network.ts";
import {
  addrOption,
  cmdlineOption,
  gwOption,
  memoryOption,
  naturalNumber,
  offloadOption,
  positiveInteger,
  positiveSeconds,
  tapOption,
  verboseOption,
} from "./options.ts";
import { ExitError, ExitStatus } from "./report.ts";

/** Exit status of ping: replies came, none came, or an error. */
export const PING_EXIT = { REPLIES: 0, NO_REPLY: 1, ERROR: 2 } as const;

/** What ping counts while it runs. */
export interface PingStats {
  transmitted: number;
  received: number;
  duplicates: number;
  errors: number;
  /** Round-trip times of the replies, in microseconds (empty without timing). */
  rttsUs: number[];
}

/** The payload bytes before which no time fits (struct timeval is 16 bytes). */
const TIMEVAL_SIZE = 16;
/** Time to wait for a reply after the last request when none came (iputils' -W default). */
const DEFAULT_LINGER_S = 10;
const MAX_SIZE = { 4: 65_507, 6: 65_527 } as const;
/**
 * How long ping6 without --addr waits for a router advertisement's address:
 * the kernel solicits a router three times, 4 s apart (RFC 4861), and the
 * address then passes DAD (1 s).
 */
const SLAAC_WAIT_MS = 10_000;

/** iputils' per-reply time: 3 decimals below 1 ms, 2 below 10, 1 below 100, then none. */
export function formatReplyTime(us: number): string {
  if (us >= 100_000 - 50) return `${Math.floor((us + 500) / 1000)}`;
  if (us >= 10_000 - 5) return (Math.floor((us + 50) / 100) / 10).toFixed(1);
  if (us >= 1000) return (Math.floor((us + 5) / 10) / 100).toFixed(2);
  return (us / 1000).toFixed(3);
}

/** iputils' %g: up to six significant digits, no trailing zeros. */
function formatG(x: number): string {
  return String(Number(x.toPrecision(6)));
}

/** Microseconds as "ms.µµµ", as in the rtt line. */
function msDotUs(us: number): string {
  const whole = Math.floor(us);
  return `${Math.floor(whole / 1000)}.${String(whole % 1000).padStart(3, "0")}`;
}

/** The statistics block printed at the end (without the leading blank line). */
export function formatSummary(dest: string, stats: PingStats, elapsedMs: number): string {
  const lines = [`--- ${dest} ping statistics ---`];
  let line = `${stats.transmitted} packets transmitted, ${stats.received} received`;
  if (stats.duplicates) line += `, +${stats.duplicates} duplicates`;
  if (stats.errors) line += `, +${stats.errors} errors`;
  if (stats.transmitted > 0) {
    const loss = ((stats.transmitted - stats.received) * 100) / stats.transmitted;
    line += `, ${formatG(loss)}% packet loss`;
  }
  line += `, time ${Math.round(elapsedMs)}ms`;
  lines.push(line);
  const rtts = stats.rttsUs;
  if (rtts.length > 0) {
    // Integer microseconds, as iputils computes them.
    const n = rtts.length;
    const sum = rtts.reduce((a, b) => a + b, 0);
    const sum2 = rtts.reduce((a, b) => a + b * b, 0);
    const avg = sum / n;
    const mdev = Math.sqrt(Math.max(0, sum2 / n - avg * avg));
    lines.push(
      `rtt min/avg/max/mdev = ${msDotUs(Math.min(...rtts))}/${msDotUs(avg)}/${
        msDotUs(Math.max(...rtts))
      }/${msDotUs(mdev)} ms`,
    );
  }
  return lines.join("\n");
}

/** iputils' exit status: 1 without replies, or with fewer than `count` by a deadline. */
export function pingExitStatus(stats: PingStats, count?: number, deadline?: number): number {
  if (stats.received === 0) return PING_EXIT.NO_REPLY;
  if (deadline !== undefined && count !== undefined && stats.received < count) {
    return PING_EXIT.NO_REPLY;
  }
  return PING_EXIT.REPLIES;
}

/** The options of ping and ping6. */
export interface PingOptions {
  tap: string;
  addr?: string;
  gw?: string;
  offload: boolean;
  memory: number;
  verbose?: true;
  cmdline?: string;
  count?: number;
  interval: number;
  size: number;
  timeout?: number;
  deadline?: number;
  quiet?: true;
}

const encoder = new TextEncoder();

function out(line: string): void {
  Deno.stdout.writeSync(encoder.encode(line + "\n"));
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** The payload of request `seq`: the kernel's send time, then bytes 16, 17, ... (mod 256). */
function payloadFor(size: number, sentMs: number): Uint8Array {
  const p = new Uint8Array(size);
  for (let i = TIMEVAL_SIZE; i < size; i++) p[i] = i & 0xff;
  if (size >= TIMEVAL_SIZE) {
    const v = new DataView(p.buffer);
    const sec = Math.floor(sentMs / 1000);
    v.setBigInt64(0, BigInt(sec), true);
    v.setBigInt64(8, BigInt(Math.round((sentMs - sec * 1000) * 1000)), true);
  }
  return p;
}

function sentTimeOf(payload: Uint8Array): number {
  const v = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return Number(v.getBigInt64(0, true)) * 1000 + Number(v.getBigInt64(8, true)) / 1000;
}

/**
 * A global destination without --addr needs a global source: waits for the
 * address SLAAC makes from a router advertisement (router solicitation right
 * after link-local DAD, the advertisement, then DAD of the new address).
 * Without a router on the link it goes on with the link-local address, and
 * the route lookup then says whether the destination is reachable at all.
 */
async function slaacAddress(iface: Interface): Promise<boolean> {
  try {
    await iface.waitForAddress({ family: 6, scope: "global", timeoutMs: SLAAC_WAIT_MS });
    return true;
  } catch (e) {
    if (e instanceof LklError && e.code === "ETIMEDOUT") return false;
    throw e;
  }
}

const UNREACH_V4: Record<number, string> = {
  0: "Destination Net Unreachable",
  1: "Destination Host Unreachable",
  2: "Destination Protocol Unreachable",
  3: "Destination Port Unreachable",
  5: "Source Route Failed",
  6: "Destination Net Unknown",
  7: "Destination Host Unknown",
  8: "Source Host Isolated",
  9: "Destination Net Prohibited",
  10: "Destination Host Prohibited",
  11: "Destination Net Unreachable for Type of Service",
  12: "Destination Host Unreachable for Type of Service",
  13: "Packet filtered",
  14: "Precedence Violation",
  15: "Precedence Cutoff",
};

const UNREACH_V6: Record<number, string> = {
  0: "No route",
  1: "Administratively prohibited",
  2: "Beyond scope of source address",
  3: "Address unreachable",
  4: "Port unreachable",
  5: "Source address failed ingress/egress policy",
  6: "Reject route to destination",
};

/** What iputils ping prints after "From ADDR icmp_seq=N " for an ICMP error. */
export function icmpErrorText(family: 4 | 6, type: number, code: number, info: number): string {
  if (family === 4) {
    switch (type) {
      case 3:
        if (code === 4) return `Frag needed and DF set (mtu = ${info})`;
        return UNREACH_V4[code] ?? `Dest Unreachable, Bad Code: ${code}`;
      case 4:
        return "Source Quench";
      case 11:
        return code === 0
          ? "Time to live exceeded"
          : code === 1
          ? "Frag reassembly time exceeded"
          : `Time exceeded, Bad Code: ${code}`;
      case 12:
        return `Parameter problem: pointer = ${info}`;
    }
    return `Bad ICMP type: ${type}`;
  }
  switch (type) {
    case 1:
      return `Destination unreachable: ${UNREACH_V6[code] ?? `Unknown code ${code}`}`;
    case 2:
      return `Packet too big: mtu=${info}`;
    case 3:
      return `Time exceeded: ${
        code === 0 ? "Hop limit" : code === 1 ? "Defragmentation failure" : `Unknown code ${code}`
      }`;
    case 4:
      return `Parameter problem: ${
        ["Wrong header field", "Unknown header", "Unknown option"][code] ?? `Unknown code ${code}`
      } at ${info}`;
  }
  return `Bad ICMP type: ${type}`;
}

/** Runs ping to `dest` and returns the exit status (errors throw ExitError 2). */
export async function runPing(dest: string, options: PingOptions, family?: 4 | 6): Promise<number> {
  let target;
  try {
    target = parseIp(dest);
  } catch (e) {
    throw new ExitError(PING_EXIT.ERROR, `ping: ${networkErrorText(e)}`);
  }
  if (family !== undefined && target.family !== family) {
    throw new ExitError(PING_EXIT.ERROR, `ping: ${dest} is not an IPv${family} address`);
  }
  const v = target.family;
  if (options.size > MAX_SIZE[v]) {
    throw new ExitError(PING_EXIT.ERROR, `ping: -s ${options.size}: at most ${MAX_SIZE[v]} bytes`);
  }
  if (v === 4 && !options.addr) {
    throw new ExitError(
      PING_EXIT.ERROR,
      "ping: IPv4 needs --addr ADDR/PREFIX (the interface has no IPv4 address otherwise)",
    );
  }
  if (options.addr && parseIp(options.addr.split("/")[0]).family !== v) {
    throw new ExitError(
      PING_EXIT.ERROR,
      `ping: --addr ${options.addr} is not IPv${v} like ${dest}`,
    );
  }

  const { kernel, iface } = await attachTap(options, PING_EXIT.ERROR);
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  Deno.addSignalListener("SIGINT", onSigint);
  let socket: PingSocket | undefined;
  try {
    let destText = dest;
    let hint = "";
    try {
      if (v === 6 && !options.addr) {
        await iface.linkLocal();
        if (!needsZone(target) && !(await slaacAddress(iface))) {
          hint = ` (no router advertised a prefix on ${iface.name} within ${
            SLAAC_WAIT_MS / 1000
          } s: give --addr ADDR/PREFIX)`;
        }
      }
      // fe80::/10 and ff02::/16 only mean something on one link: the TAP's.
      if (needsZone(target) && target.zone === undefined) destText = `${dest}%${iface.name}`;
      // What iputils does first: a UDP connect finds the route and the source address.
      using probe = kernel.net.listenDatagram({ hostname: v === 4 ? "0.0.0.0" : "::" });
      await probe.connect({ hostname: destText, port: 1025 });
      // A link-local source keeps its zone for the bind below; printed without.
      const sourceWithZone = probe.addr.hostname;
      const source = sourceWithZone.replace(/%.*$/, "");
      const data = v === 4
        ? `${options.size}(${options.size + 28}) bytes of data.`
        : `${options.size} data bytes`;
      out(
        v === 4
          ? `PING ${dest} (${dest}) from ${source} ${iface.name}: ${data}`
          : `PING ${dest}(${dest}) from ${source} ${iface.name}: ${data}`,
      );
      socket = kernel.net.openPing({
        family: v,
        source: options.addr ? sourceWithZone : undefined,
      });
    } catch (e) {
      const text = e instanceof LklError && e.syscall === "connect"
        ? `connect: ${errnoMessage(e.errno)}${hint}`
        : networkErrorText(e);
      throw new ExitError(PING_EXIT.ERROR, `ping: ${text}`, { cause: e });
    }

    const stats: PingStats = { transmitted: 0, received: 0, duplicates: 0, errors: 0, rttsUs: [] };
    const seen = new Set<number>();
    const timing = options.size >= TIMEVAL_SIZE;
    let maxRttUs = 0;
    const start = performance.now();
    // iputils' "time": from the first request to the last one sent.
    let lastSent = start;
    const deadlineTimer = options.deadline === undefined
      ? undefined
      : setTimeout(() => stop.abort(), options.deadline * 1000);
    const sock = socket;

    const onReply = (reply: EchoReply) => {
      let timeText = "";
      const dup = seen.has(reply.seq);
      if (dup) {
        stats.duplicates++;
      } else {
        seen.add(reply.seq);
        stats.received++;
      }
      if (timing && reply.payload.length >= TIMEVAL_SIZE) {
        const received = reply.receivedMs ?? sock.now();
        const us = Math.max(0, Math.round((received - sentTimeOf(reply.payload)) * 1000));
        if (!dup) {
          stats.rttsUs.push(us);
          maxRttUs = Math.max(maxRttUs, us);
        }
        timeText = ` time=${formatReplyTime(us)} ms`;
      }
      if (!options.quiet) {
        const ttl = reply.ttl === null ? "" : ` ttl=${reply.ttl}`;
        out(
          `${reply.bytes} bytes from ${reply.from}: icmp_seq=${reply.seq}${ttl}${timeText}${
            dup ? " (DUP!)" : ""
          }`,
        );
      }
      if (options.count !== undefined && stats.received >= options.count) stop.abort();
    };

    const onError = (error: EchoError) => {
      stats.errors++;
      if (error.type < 0) {
        console.error(`ping: local error: ${errnoMessage(error.errno)}`);
      } else if (!options.quiet) {
        out(
          `From ${error.from} icmp_seq=${error.seq} ${
            icmpErrorText(v, error.type, error.code, error.info)
          }`,
        );
      }
      // As iputils: -c N counts errors as answers too.
      if (options.count !== undefined && stats.received + stats.errors >= options.count) {
        stop.abort();
      }
    };

    const receiving = (async () => {
      while (!stop.signal.aborted) {
        try {
          const answer = await sock.receive(stop.signal);
          if (answer.kind === "reply") onReply(answer);
          else onError(answer);
        } catch (e) {
          if (stop.signal.aborted) return;
          throw e;
        }
      }
    })();
    receiving.catch(() => stop.abort());

    const sending = (async () => {
      for (let seq = 1; !stop.signal.aborted; seq++) {
        const sentMs = timing ? sock.now() : 0;
        try {
          await sock.send(destText, seq & 0xffff, payloadFor(options.size, sentMs));
        } catch (e) {
          stats.errors++;
          const why = e instanceof LklError ? errnoMessage(e.errno) : networkErrorText(e);
          console.error(`ping: sendmsg: ${why}`);
        }
        stats.transmitted++;
        lastSent = performance.now();
        if (options.count !== undefined && stats.transmitted >= options.count) break;
        await sleep(options.interval * 1000, stop.signal);
      }
      if (stop.signal.aborted || options.deadline !== undefined) return;
      // iputils: after the last request, wait 2 x the slowest reply (at least
      // the interval) when replies came, else -W seconds.
      const lingerMs = stats.received > 0
        ? Math.max((2 * maxRttUs) / 1000, options.interval * 1000)
        : (options.timeout ?? DEFAULT_LINGER_S) * 1000;
      await sleep(lingerMs, stop.signal);
      stop.abort();
    })();

    await sending;
    await new Promise<void>((resolve) => {
      if (stop.signal.aborted) resolve();
      else stop.signal.addEventListener("abort", () => resolve(), { once: true });
    });
    clearTimeout(deadlineTimer);
    await receiving.catch((e) => {
      throw new ExitError(PING_EXIT.ERROR, `ping: ${networkErrorText(e)}`, { cause: e });
    });
    const elapsed = lastSent - start;
    out("");
    out(formatSummary(dest, stats, elapsed));
    return pingExitStatus(stats, options.count, options.deadline);
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
    socket?.close();
    await kernel.halt();
  }
}

/** The options and arguments ping and ping6 share. */
export function pingOptions(command: Command) {
  return command
    .argument("<DEST>", "address to ping (IPv6 link-local ones are on the TAP's link)")
    .addOption(tapOption())
    .addOption(
      addrOption(
        "the interface's address (default for IPv6: the SLAAC one when a router advertises a prefix within 10 s, else link-local)",
      ),
    )
    .addOption(gwOption())
    .addOption(offloadOption())
    .addOption(
      new Option("-c, --count <N>", "stop after N replies (or N requests and the wait)")
        .argParser(positiveInteger),
    )
    .addOption(
      new Option("-i, --interval <SEC>", "seconds between requests").argParser(positiveSeconds)
        .default(1),
    )
    .addOption(
      new Option("-s, --size <BYTES>", "payload bytes per request").argParser(naturalNumber)
        .default(56),
    )
    .addOption(
      new Option(
        "-W, --timeout <SEC>",
        `seconds to wait for a reply after the last request when none came (default ${DEFAULT_LINGER_S})`,
      ).argParser(positiveSeconds),
    )
    .addOption(
      new Option("-w, --deadline <SEC>", "stop after this many seconds, whatever happens")
        .argParser(positiveSeconds),
    )
    .addOption(new Option("-q, --quiet", "print only the header and the statistics"))
    .addOption(memoryOption())
    .addOption(cmdlineOption())
    .addOption(verboseOption());
}

/** The `ping` subcommand: IPv4 or IPv6 by the address (or -4 / -6). */
export function pingCommand() {
  const command = pingOptions(
    new Command("ping")
      .description(
        "send ICMP echo requests from the kernel's stack through a host TAP, like iputils ping\n" +
          "exit status: 0 replies came, 1 none came, 2 error",
      ),
  )
    .addOption(new Option("-4", "IPv4 only").conflicts("6"))
    .addOption(new Option("-6", "IPv6 only"));
  return command.action(async (dest, options) => {
    const opts = options as unknown as PingOptions & { 4?: true; 6?: true };
    const family = opts[4] ? 4 : opts[6] ? 6 : undefined;
    const status = await runPing(dest, opts, family);
    if (status !== 0) throw new ExitStatus(status);
  });
}
