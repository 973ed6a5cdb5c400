/**
 * Network namespaces for the network tests: each test makes its own, puts
 * the TAP (and every host peer) in it, runs lkl inside it, and deletes it
 * at the end. Nothing is ever sent outside the namespace: its only links
 * are lo and the TAPs it holds.
 *
 * lkl runs in the namespace as a subprocess (`ip netns exec NS deno run
 * ...`), since a TAP is attached from the namespace of the calling thread.
 * A namespace has no route to the npm registry, so {@link prepareCli}
 * caches the CLI's packages first, and lkl runs with --cached-only.
 *
 * @module
 */

import { REPO } from "./build_output.ts";
import { join } from "./path.ts";

export { REPO };

/** The lkl CLI entry. */
export const CLI: string = join(REPO, "cli", "main.ts");

const decoder = new TextDecoder();
let counter = 0;
let cached = false;

/** Requires root (network namespaces, TAPs); the tests fail clearly without it. */
export function requireRoot(): void {
  if (Deno.uid() !== 0) throw new Error("the network tests need root (ip netns, ip tuntap)");
}

/** `deno cache` of the CLI, outside any namespace (where the registry is reachable). */
export async function prepareCli(): Promise<void> {
  if (cached) return;
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "cache",
      CLI,
      join(REPO, "tests", "helpers", "net_peer.ts"),
      join(REPO, "tests", "helpers", "net_lkl.ts"),
    ],
    cwd: REPO,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) throw new Error(`deno cache failed:\n${decoder.decode(stderr)}`);
  cached = true;
}

/** What a finished command printed. */
export interface Output {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout as bytes. */
  bytes: Uint8Array;
}

/** Options of {@link Netns.run} and {@link Netns.spawn}. */
export interface RunOptions {
  /** Bytes for stdin, or a file to read it from. */
  stdin?: Uint8Array | { file: string };
  /** Write stdout to this file instead of keeping it. */
  stdoutFile?: string;
  /** Kill it after this many ms (default 60 000). */
  timeoutMs?: number;
  /** Extra environment. */
  env?: Record<string, string>;
}

/** A running command in the namespace. */
export interface Running {
  child: Deno.ChildProcess;
  /** Resolves when it ends (killed after its timeout). */
  output: Promise<Output>;
  /** What it printed on stdout so far (not with stdoutFile). */
  stdoutSoFar(): string;
  /** What it printed on stderr so far. */
  stderrSoFar(): string;
}

/** Collects a stream's bytes as they come. */
class Collector {
  readonly chunks: Uint8Array[] = [];
  length = 0;
  async drain(stream: ReadableStream<Uint8Array>): Promise<void> {
    for await (const chunk of stream) {
      this.chunks.push(chunk);
      this.length += chunk.length;
    }
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let pos = 0;
    for (const c of this.chunks) {
      out.set(c, pos);
      pos += c.length;
    }
    return out;
  }
  text(): string {
    return decoder.decode(this.bytes());
  }
}

async function feed(child: Deno.ChildProcess, stdin: RunOptions["stdin"]): Promise<void> {
  if (stdin === undefined) return;
  const writer = child.stdin.getWriter();
  try {
    if (stdin instanceof Uint8Array) {
      await writer.write(stdin);
    } else {
      using file = await Deno.open(stdin.file);
      const buf = new Uint8Array(1 << 20);
      for (;;) {
        const n = await file.read(buf);
        if (n === null) break;
        await writer.write(buf.slice(0, n));
      }
    }
    await writer.close();
  } catch {
    // The command ended without reading all of it: its output says why.
    await writer.abort().catch(() => {});
  }
}

/**
 * A network namespace of its own. Delete it with {@link delete} (or
 * `await using`), which also kills what still runs in it.
 */
export class Netns implements AsyncDisposable {
  /** Its name, e.g. "lkltest1234-1". */
  readonly name: string;
  readonly #children = new Set<Deno.ChildProcess>();

  private constructor(name: string) {
    this.name = name;
  }

  /** Makes a namespace with lo up. */
  static async create(): Promise<Netns> {
    requireRoot();
    await prepareCli();
    const ns = new Netns(`lkltest${Deno.pid}-${++counter}`);
    await sh(["ip", "netns", "add", ns.name]);
    try {
      await ns.exec(["ip", "link", "set", "lo", "up"]);
    } catch (e) {
      await sh(["ip", "netns", "del", ns.name]).catch(() => {});
      throw e;
    }
    return ns;
  }

  /** Runs `cmd` in the namespace; throws when it fails. */
  async exec(cmd: string[]): Promise<string> {
    const out = await this.run(cmd);
    if (out.code !== 0) {
      throw new Error(`${cmd.join(" ")} failed (exit ${out.code}):\n${out.stderr}${out.stdout}`);
    }
    return out.stdout;
  }

  /** Runs `cmd` in the namespace and returns what it printed, whatever its status. */
  run(cmd: string[], options: RunOptions = {}): Promise<Output> {
    return this.spawn(cmd, options).output;
  }

  /** Starts `cmd` in the namespace. */
  spawn(cmd: string[], options: RunOptions = {}): Running {
    const child = new Deno.Command("ip", {
      args: ["netns", "exec", this.name, ...cmd],
      cwd: REPO,
      env: { NO_COLOR: "1", ...options.env },
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#children.add(child);
    const timeoutMs = options.timeoutMs ?? 60_000;
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }, timeoutMs);
    const fed = feed(child, options.stdin);
    const out = new Collector();
    const err = new Collector();
    const output = (async () => {
      await Promise.all([
        (async () => {
          if (options.stdoutFile) {
            using file = await Deno.open(options.stdoutFile, {
              write: true,
              create: true,
              truncate: true,
            });
            // Chunk by chunk: pipeTo with preventClose may resolve before the last write lands.
            for await (const chunk of child.stdout) {
              for (let done = 0; done < chunk.length;) {
                done += await file.write(chunk.subarray(done));
              }
            }
          } else {
            await out.drain(child.stdout);
          }
        })(),
        err.drain(child.stderr),
        fed,
      ]);
      const status = await child.status;
      clearTimeout(timer);
      this.#children.delete(child);
      const bytes = out.bytes();
      return { code: status.code, stdout: decoder.decode(bytes), stderr: err.text(), bytes };
    })();
    return { child, output, stdoutSoFar: () => out.text(), stderrSoFar: () => err.text() };
  }

  /** Runs the lkl CLI in the namespace. */
  lkl(args: string[], options: RunOptions = {}): Running {
    return this.spawn([Deno.execPath(), "run", "-A", "--cached-only", CLI, ...args], options);
  }

  /** Runs a Deno script of tests/helpers in the namespace. */
  deno(script: string, args: string[], options: RunOptions = {}): Running {
    return this.spawn(
      [
        Deno.execPath(),
        "run",
        "-A",
        "--cached-only",
        join(REPO, "tests", "helpers", script),
        ...args,
      ],
      options,
    );
  }

  /**
   * Makes TAP `name` (owned by `user`, when given), with `addresses`
   * (IPv6 ones without duplicate address detection) and up.
   */
  async addTap(
    name: string,
    options: { addresses?: string[]; user?: number; mtu?: number } = {},
  ): Promise<void> {
    const user = options.user === undefined ? [] : ["user", String(options.user)];
    await this.exec(["ip", "tuntap", "add", "mode", "tap", ...user, "name", name]);
    for (const a of options.addresses ?? []) {
      await this.exec(["ip", "addr", "add", a, "dev", name, ...(a.includes(":") ? ["nodad"] : [])]);
    }
    if (options.mtu) await this.exec(["ip", "link", "set", name, "mtu", String(options.mtu)]);
    await this.exec(["ip", "link", "set", name, "up"]);
  }

  /** Kills what still runs in the namespace and deletes it. */
  async delete(): Promise<void> {
    for (const child of this.#children) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
    }
    await sh(["ip", "netns", "pids", this.name]).then(async (pids) => {
      for (const pid of pids.split(/\s+/).filter((p) => p !== "")) {
        await sh(["kill", "-9", pid]).catch(() => {});
      }
    }).catch(() => {});
    await sh(["ip", "netns", "del", this.name]);
  }

  /** Deletes the namespace at the end of an `await using` block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.delete();
  }
}

/** Runs a host command (outside any namespace); throws when it fails. */
export async function sh(cmd: string[]): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(`${cmd.join(" ")} failed (exit ${code}): ${decoder.decode(stderr)}`);
  }
  return decoder.decode(stdout);
}

/** Waits until `predicate` holds, polling every 50 ms; throws after `timeoutMs`. */
export async function waitUntil(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await predicate())) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The hex sha256 of `data`. */
export async function sha256(data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The hex sha256 of a file (sha256sum). */
export async function sha256File(path: string): Promise<string> {
  return (await sh(["sha256sum", path])).split(" ")[0];
}

/** A temporary directory, removed at the end of an `await using` block. */
export async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "lkl-net-test-" });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

/** Waits until a host process in `ns` listens on TCP (or UDP) `port`. */
export async function waitListening(ns: Netns, port: number, udp = false): Promise<void> {
  await waitUntil(`a host listener on port ${port}`, async () => {
    const out = await ns.run(["ss", udp ? "-Hlun" : "-Hltn", `sport = :${port}`]);
    return out.stdout.trim() !== "";
  });
}
