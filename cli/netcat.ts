// deno-lint-ignore-file explicit-module-boundary-types -- commander-extra-typings infers precise Option types
/**
 * `lkl netcat`: OpenBSD nc on the kernel's own TCP/IP stack, through a
 * host TAP. Client or listener (-l), TCP or UDP (-u); standard input goes
 * to the socket and the socket to standard output, byte for byte.
 *
 * When it ends follows OpenBSD nc's readwrite(): with -N the end of input
 * half-closes the connection (shutdown SHUT_WR), without it nothing is
 * sent; a connection, the client's or a listener's, lasts until both
 * its input and the network side have ended (after the peer's end, the
 * rest of the input is still sent, then with -N the connection is
 * half-closed), or until it can neither send nor print; with -l -k a
 * connection ends with its peer's side, as in nc. -w SEC bounds the
 * connect and ends a connection idle for SEC seconds.
 *
 * UDP sends each read of the input as one datagram of at most 16 KiB (nc's
 * buffer size). A failed send ends netcat with the error and status 1
 * (with -k, it ends that connection only). Ctrl-C (SIGINT) closes the
 * connection so that the peer sees its end (a FIN, or an RST when the FIN
 * is not acknowledged at once), then halts and exits 130.
 *
 * -k keeps listening: as in OpenBSD nc, connections are served one after
 * the other, not at once (standard input and output are one stream each,
 * and cannot be shared): others wait, already accepted by the kernel, in
 * the listen queue (128 deep here, where nc has 1, so that many clients
 * connecting together are not refused). Input not yet sent when a
 * connection ends goes to the next one. With -u -k, datagrams from any
 * peer are taken, and input goes to the last one heard.
 *
 * @module
 */

import { Command, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import {
  type DatagramConn,
  ERRNO,
  errnoMessage,
  type Kernel,
  LklError,
  type NetAddr,
  parseIp,
  parsePrefix,
  type TcpConn,
} from "../mod.ts";
import { closeForInterrupt } from "./netcat_close.ts";
import { attachTap, networkErrorText } from "./network.ts";
import {
  addrOption,
  cmdlineOption,
  gwOption,
  memoryOption,
  offloadOption,
  positiveSeconds,
  tapOption,
} from "./options.ts";
import { EXIT, ExitError, reportError } from "./report.ts";

/** The options of netcat. */
export interface NetcatOptions {
  tap: string;
  addr?: string;
  gw?: string;
  offload: boolean;
  memory: number;
  cmdline?: string;
  kernelLog?: true;
  listen?: true;
  port?: number;
  udp?: true;
  4?: true;
  6?: true;
  shutdown?: true;
  wait?: number;
  keepListening?: true;
  verbose?: true;
}

/** A read of standard input for TCP. */
const CHUNK = 64 * 1024;
/** A read of standard input for UDP, sent as one datagram: nc's buffer size. */
const DATAGRAM = 16 * 1024;
const READ_BUFFER = 256 * 1024;
const LISTEN_BACKLOG = 128;

/** Parses a port number (0 to 65535). */
export function portNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) {
    throw new InvalidArgumentError(`expected a port number (0 to 65535), got "${value}"`);
  }
  return n;
}

function usage(message: string): never {
  throw new ExitError(EXIT.USAGE, `netcat: ${message}`);
}

/** A PORT argument (commander only checks options). */
function portArgument(value: string): number {
  try {
    return portNumber(value);
  } catch (e) {
    usage((e as Error).message);
  }
}

/** Standard input as chunks; a chunk read but not used stays for the next connection. */
class Input {
  #pending: Promise<Uint8Array | null> | null = null;
  /** True once the end of input was taken. */
  ended = false;
  readonly #size: number;

  /** Reads of at most `size` bytes. */
  constructor(size: number) {
    this.#size = size;
  }

  /** The next chunk (null at the end); call {@link take} once it is used. */
  next(): Promise<Uint8Array | null> {
    if (this.ended) return Promise.resolve(null);
    this.#pending ??= (async () => {
      const buf = new Uint8Array(this.#size);
      const n = await Deno.stdin.read(buf);
      return n === null ? null : buf.subarray(0, n);
    })();
    return this.#pending;
  }

  /** Marks the chunk of the last {@link next} as used. */
  take(chunk: Uint8Array | null): void {
    this.#pending = null;
    if (chunk === null) this.ended = true;
  }

  /** Whether a read of standard input is still running (it keeps the process alive). */
  get reading(): boolean {
    return this.#pending !== null;
  }
}

async function writeStdout(data: Uint8Array): Promise<void> {
  for (let done = 0; done < data.length;) done += await Deno.stdout.write(data.subarray(done));
}

function note(options: NetcatOptions, line: string): void {
  if (options.verbose) console.error(line);
}

/** An IPv4 peer of an IPv6 socket ("::ffff:10.0.0.1") as nc shows it ("10.0.0.1"). */
export function peerName(hostname: string): string {
  return hostname.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, "$1");
}

/** The end condition of one connection: OpenBSD nc's readwrite() rules. */
class Session {
  readonly done = new AbortController();
  stdinGone = false;
  netinGone = false;
  netoutGone = false;
  stdoutGone = false;
  /** The error of a send that failed: the session ended on it. */
  error: unknown;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #idleMs: number | undefined;
  /** -l -k: the input is shared by the connections, one ends with its peer. */
  readonly #endsWithPeer: boolean;

  /** Ends on its own rules, or when `stop` aborts (SIGINT). */
  constructor(options: NetcatOptions, stop: AbortSignal) {
    this.#idleMs = options.wait === undefined ? undefined : options.wait * 1000;
    this.#endsWithPeer = (options.listen ?? false) && (options.keepListening ?? false);
    if (stop.aborted) this.end();
    else stop.addEventListener("abort", () => this.end(), { signal: this.done.signal });
    this.activity();
  }

  /** Resolves when the session ends. */
  readonly aborted: Promise<void> = new Promise((resolve) => {
    this.done.signal.addEventListener("abort", () => resolve(), { once: true });
  });

  /** Data moved: the idle timer starts again. */
  activity(): void {
    if (this.#idleMs === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.end(), this.#idleMs);
  }

  /**
   * Ends the session when nc would: both inputs gone, or both outputs; with
   * -l -k also when the peer's side ends, as nc does, since the input
   * (which may never end) then goes to the next connection. (A single
   * listener sends the rest of its input after the peer's end, where nc
   * may drop it.)
   */
  check(): void {
    if (
      (this.stdinGone && this.netinGone) || (this.netoutGone && this.stdoutGone) ||
      (this.#endsWithPeer && this.netinGone)
    ) {
      this.end();
    }
  }

  end(): void {
    clearTimeout(this.#timer);
    this.done.abort();
  }
}

/** The two directions of one connection, until the session ends. */
async function pump(
  session: Session,
  input: Input,
  options: NetcatOptions,
  send: (chunk: Uint8Array, signal: AbortSignal) => Promise<void>,
  halfClose: () => Promise<void>,
  receive: (buf: Uint8Array, signal: AbortSignal) => Promise<number | null>,
): Promise<void> {
  const signal = session.done.signal;
  const toNet = async () => {
    while (!signal.aborted) {
      const chunk = await Promise.race([input.next(), session.aborted.then(() => undefined)]);
      if (chunk === undefined || signal.aborted) return;
      input.take(chunk);
      if (chunk === null) {
        session.stdinGone = true;
        if (options.shutdown) await halfClose().catch(() => {});
        session.netoutGone = true;
        session.check();
        return;
      }
      session.activity();
      try {
        await send(chunk, signal);
      } catch (e) {
        if (signal.aborted) return;
        // Nothing more can be sent: the transfer failed, netcat ends with the error.
        session.error = e;
        session.netoutGone = true;
        session.end();
        return;
      }
    }
  };
  const toStdout = async () => {
    const buf = new Uint8Array(READ_BUFFER);
    while (!signal.aborted) {
      let n: number | null;
      try {
        n = await receive(buf, signal);
      } catch (e) {
        if (signal.aborted) return;
        if (!(e instanceof LklError)) throw e;
        note(options, `netcat: read: ${errnoMessage(e.errno)}`);
        n = null;
      }
      if (n === null) {
        session.netinGone = true;
        session.stdoutGone = true;
        session.check();
        return;
      }
      session.activity();
      try {
        await writeStdout(buf.subarray(0, n));
      } catch {
        session.stdoutGone = true;
        session.check();
        return;
      }
    }
  };
  if (input.ended) {
    session.stdinGone = true;
    session.netoutGone = true;
  }
  const tasks = [input.ended ? Promise.resolve() : toNet(), toStdout()];
  tasks.forEach((t) => t.catch(() => session.end()));
  session.check();
  await session.aborted;
  await Promise.allSettled(tasks);
}

/** The error of a failed send, as the line netcat ends with. */
function writeFailure(e: unknown): ExitError {
  const cause = e instanceof LklError ? errnoMessage(e.errno) : networkErrorText(e);
  return new ExitError(EXIT.FAILURE, `netcat: write failed: ${cause}`, { cause: e });
}

/** Runs one TCP connection; resolves with the error of a failed send, if any. */
async function tcpSession(
  conn: TcpConn,
  input: Input,
  options: NetcatOptions,
  stop: AbortSignal,
): Promise<unknown> {
  const session = new Session(options, stop);
  await pump(
    session,
    input,
    options,
    (chunk, signal) => conn.writeAll(chunk, signal),
    () => conn.closeWrite(),
    (buf, signal) => conn.read(buf, signal),
  );
  return session.error;
}

/** Runs UDP until the session ends; throws when a send failed. */
async function udpSession(
  udp: DatagramConn,
  input: Input,
  options: NetcatOptions,
  stop: AbortSignal,
  peer: () => NetAddr | undefined,
  heard: (from: NetAddr) => void,
): Promise<void> {
  const session = new Session(options, stop);
  await pump(
    session,
    input,
    options,
    async (chunk) => {
      const to = peer();
      if (udp.remoteAddr) await udp.send(chunk);
      else if (to) await udp.send(chunk, to);
    },
    () => Promise.resolve(),
    async (buf, signal) => {
      const [data, from] = await udp.receive(buf, signal);
      heard(from);
      return data.length;
    },
  );
  if (session.error !== undefined) throw writeFailure(session.error);
}

function failure(what: string, e: unknown): ExitError {
  const cause = e instanceof LklError ? errnoMessage(e.errno) : networkErrorText(e);
  return new ExitError(EXIT.FAILURE, `netcat: ${what} failed: ${cause}`, { cause: e });
}

async function client(
  kernel: Kernel,
  host: string,
  port: number,
  options: NetcatOptions,
  input: Input,
  stop: AbortSignal,
): Promise<void> {
  const proto = options.udp ? "udp" : "tcp";
  const what = `connect to ${host} port ${port} (${proto})`;
  const localAddress = options.port === undefined ? undefined : { port: options.port };
  if (options.udp) {
    const family = parseIp(host).family;
    let udp: DatagramConn;
    try {
      udp = kernel.net.listenDatagram({
        hostname: family === 4 ? "0.0.0.0" : "::",
        port: options.port ?? 0,
      });
      await udp.connect({ hostname: host, port });
    } catch (e) {
      throw failure(what, e);
    }
    try {
      note(options, `Connection to ${host} ${port} port [udp/*] succeeded!`);
      await udpSession(udp, input, options, stop, () => undefined, () => {});
    } finally {
      udp.close();
    }
    return;
  }
  let conn: TcpConn;
  try {
    const timeout = options.wait === undefined
      ? undefined
      : AbortSignal.timeout(options.wait * 1000);
    const signal = timeout ? AbortSignal.any([stop, timeout]) : stop;
    conn = await kernel.connect({ hostname: host, port, localAddress, signal }).catch((e) => {
      if (timeout?.aborted && !stop.aborted) throw new LklError(ERRNO.ETIMEDOUT, "connect");
      throw e;
    });
  } catch (e) {
    if (stop.aborted) return;
    throw failure(what, e);
  }
  try {
    note(options, `Connection to ${host} ${port} port [tcp/*] succeeded!`);
    const error = await tcpSession(conn, input, options, stop);
    if (stop.aborted) await closeForInterrupt(kernel, conn);
    else if (error !== undefined) throw writeFailure(error);
  } finally {
    conn.close();
  }
}

async function listener(
  kernel: Kernel,
  host: string,
  port: number,
  options: NetcatOptions,
  input: Input,
  stop: AbortSignal,
): Promise<void> {
  const proto = options.udp ? "udp" : "tcp";
  const what = `bind to ${host} port ${port} (${proto})`;
  if (options.udp) {
    let udp: DatagramConn;
    try {
      udp = kernel.net.listenDatagram({ hostname: host, port });
    } catch (e) {
      throw failure(what, e);
    }
    try {
      note(options, `Listening on ${udp.addr.hostname} ${udp.addr.port}`);
      // The first datagram names the peer (nc connects to it, unless -k).
      const buf = new Uint8Array(READ_BUFFER);
      let first: Uint8Array, from: NetAddr;
      try {
        [first, from] = await udp.receive(buf, stop);
      } catch (e) {
        if (stop.aborted) return;
        throw e;
      }
      note(options, `Connection received on ${peerName(from.hostname)} ${from.port}`);
      await writeStdout(first);
      let last: NetAddr = from;
      if (!options.keepListening) await udp.connect(from);
      await udpSession(udp, input, options, stop, () => last, (f) => last = f);
    } finally {
      udp.close();
    }
    return;
  }
  let server;
  try {
    server = kernel.listen({ hostname: host, port, backlog: LISTEN_BACKLOG });
  } catch (e) {
    throw failure(what, e);
  }
  try {
    note(options, `Listening on ${server.addr.hostname} ${server.addr.port}`);
    do {
      let conn: TcpConn;
      try {
        conn = await server.accept(stop);
      } catch (e) {
        if (stop.aborted) return;
        throw e;
      }
      try {
        const peer = conn.remoteAddr;
        note(options, `Connection received on ${peerName(peer.hostname)} ${peer.port}`);
        const error = await tcpSession(conn, input, options, stop);
        if (stop.aborted) {
          await closeForInterrupt(kernel, conn);
          return;
        }
        if (error !== undefined) {
          // With -k the failed connection ends, and the next one is served.
          if (!options.keepListening) throw writeFailure(error);
          reportError(writeFailure(error));
        }
      } finally {
        conn.close();
      }
    } while (options.keepListening);
  } finally {
    server.close();
  }
}

/** Runs netcat with its positional arguments; returns when it is done. */
export async function runNetcat(args: string[], options: NetcatOptions): Promise<void> {
  if (options[4] && options[6]) usage("-4 and -6 together");
  let host: string | undefined;
  let port: number | undefined;
  if (args.length > 2) usage(`too many arguments: ${args.join(" ")}`);
  if (options.listen) {
    if (args.length === 2) [host, port] = [args[0], portArgument(args[1])];
    else if (args.length === 1) port = portArgument(args[0]);
    if (port !== undefined && options.port !== undefined) {
      usage("give the port with -p or as an argument, not both");
    }
    port ??= options.port;
    if (port === undefined) usage("-l needs a port (-p PORT, or PORT)");
    host ??= options[4] ? "0.0.0.0" : "::";
  } else {
    if (options.keepListening) usage("-k needs -l");
    if (args.length !== 2) usage("give HOST and PORT (or -l to listen)");
    host = args[0];
    port = portArgument(args[1]);
  }
  let family: 4 | 6;
  try {
    family = parseIp(host).family;
  } catch (e) {
    throw new ExitError(EXIT.USAGE, `netcat: ${networkErrorText(e)}`);
  }
  if ((options[4] && family === 6) || (options[6] && family === 4)) {
    usage(`${host} is not an IPv${options[4] ? 4 : 6} address`);
  }
  if (!options.addr) usage("--addr ADDR/PREFIX is required");
  // A bad command line, as a bad --addr is (attachTap would make it a failure, status 1).
  if (options.gw) {
    const v = parsePrefix(options.addr).address.family;
    if (parseIp(options.gw).family !== v) {
      usage(`--gw ${options.gw} is not IPv${v} like --addr ${options.addr}`);
    }
  }

  const { kernel } = await attachTap(
    { ...options, verbose: options.kernelLog },
    EXIT.FAILURE,
  );
  const input = new Input(options.udp ? DATAGRAM : CHUNK);
  // Ctrl-C: the connection is closed so that the peer sees its end, then the kernel halts.
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  Deno.addSignalListener("SIGINT", onSigint);
  let error: unknown;
  try {
    try {
      if (options.listen) await listener(kernel, host, port, options, input, stop.signal);
      else await client(kernel, host, port, options, input, stop.signal);
    } finally {
      await kernel.halt();
    }
  } catch (e) {
    error = e ?? new Error("netcat failed");
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
  }
  if (stop.signal.aborted) Deno.exit(130);
  // A read of a terminal or pipe that never ends would keep the process alive.
  if (error !== undefined) {
    if (input.reading) Deno.exit(reportError(error));
    throw error;
  }
  if (input.reading) Deno.exit(0);
}

/** The `netcat` subcommand. */
export function netcatCommand() {
  return new Command("netcat")
    .description(
      "OpenBSD nc on the kernel's own TCP/IP stack, through a host TAP\n" +
        "(stdin to the socket, the socket to stdout; -k serves connections one at a time, as nc)",
    )
    .argument("[HOST]", "address to connect to (with -l: the address to listen on)")
    .argument("[PORT]", "port to connect to (with -l: to listen on)")
    .addOption(tapOption())
    .addOption(addrOption("the kernel interface's address (required)"))
    .addOption(gwOption())
    .addOption(offloadOption())
    .addOption(new Option("-l, --listen", "listen for a connection instead of connecting"))
    .addOption(
      new Option("-p, --port <PORT>", "with -l: the port to listen on; else the source port")
        .argParser(portNumber),
    )
    .addOption(new Option("-u, --udp", "UDP instead of TCP"))
    .addOption(new Option("-4", "IPv4 only"))
    .addOption(new Option("-6", "IPv6 only"))
    .addOption(
      new Option("-N, --shutdown", "at the end of input, shut the connection down for writing"),
    )
    .addOption(
      new Option(
        "-w, --wait <SEC>",
        "give up connecting, or end an idle connection, after SEC seconds",
      )
        .argParser(positiveSeconds),
    )
    .addOption(
      new Option("-k, --keep-listening", "with -l: accept another connection after each one"),
    )
    .addOption(new Option("-v, --verbose", "report connections on stderr"))
    .addOption(memoryOption())
    .addOption(cmdlineOption())
    .addOption(new Option("--kernel-log", "show the kernel log on stderr as it is printed"))
    .action(async (host, port, options) => {
      const args = [host, port].filter((a): a is string => a !== undefined);
      await runNetcat(args, options as unknown as NetcatOptions);
    });
}
