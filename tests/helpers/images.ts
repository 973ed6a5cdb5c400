/**
 * Disk images made by the real tools (mkfs.*, sfdisk, sgdisk, xorriso,
 * mksquashfs), a source tree holding every kind of entry, fingerprints to
 * compare trees, and the lkl CLI as a subprocess.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";

/** Runs a command; throws with its stderr when it fails. */
export async function sh(
  cmd: string,
  args: string[],
  options: { ok?: number[] } = {},
): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", stdin: "null" })
    .output();
  const ok = options.ok ?? [0];
  if (!ok.includes(out.code)) {
    const err = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    throw new Error(`${cmd} ${args.join(" ")} exited ${out.code}: ${err.trim().slice(-2000)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** A fresh temporary directory. */
export function tempDir(prefix: string): Promise<string> {
  return Deno.makeTempDir({ prefix: `lkl-${prefix}-` });
}

/** A sparse file of `bytes`. */
export async function sparseFile(path: string, bytes: number): Promise<void> {
  using f = await Deno.open(path, { write: true, create: true, truncate: true });
  await f.truncate(bytes);
}

/** The file systems the image tests cover, with how to make and check each. */
export const MKFS: Record<string, { make: string[]; check: string[]; size: number }> = {
  ext4: { make: ["mkfs.ext4", "-q", "-F"], check: ["e2fsck", "-fn"], size: 128 << 20 },
  vfat: { make: ["mkfs.vfat"], check: ["fsck.vfat", "-n"], size: 128 << 20 },
  btrfs: { make: ["mkfs.btrfs", "-q", "-f"], check: ["btrfs", "check"], size: 128 << 20 },
  xfs: { make: ["mkfs.xfs", "-q", "-f"], check: ["xfs_repair", "-n"], size: 320 << 20 },
  exfat: { make: ["mkfs.exfat"], check: ["fsck.exfat", "-n"], size: 64 << 20 },
};

/** Makes an image file of `fstype` (a key of {@link MKFS}). */
export async function makeImage(
  path: string,
  fstype: string,
  size = MKFS[fstype].size,
): Promise<void> {
  await sparseFile(path, size);
  const [cmd, ...args] = MKFS[fstype].make;
  await sh(cmd, [...args, path]);
}

/** Runs the file system's own checker; returns its output (throws when it is not clean). */
export function checkImage(path: string, fstype: string): Promise<string> {
  const [cmd, ...args] = MKFS[fstype].check;
  return sh(cmd, [...args, path]);
}

/** sha256 of a whole file, or of `length` bytes at `offset`. */
export async function sha256(path: string, offset = 0, length?: number): Promise<string> {
  using f = await Deno.open(path);
  const hash = createHash("sha256");
  const size = length ?? (await f.stat()).size - offset;
  await f.seek(offset, Deno.SeekMode.Start);
  const buf = new Uint8Array(1 << 20);
  for (let done = 0; done < size;) {
    const n = await f.read(buf.subarray(0, Math.min(buf.length, size - done)));
    if (n === null) break;
    hash.update(buf.subarray(0, n));
    done += n;
  }
  return hash.digest("hex");
}

function random(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) {
    crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  }
  return out;
}

/** Entries of the source tree that a file system without links cannot hold. */
export const TREE_LINKS = ["links/abs", "links/rel", "links/dangling", "links/hard2"];

/**
 * The source tree of the issue: nested and empty directories, files of 0
 * and 1 byte and 1 MiB of random data, a sparse file, absolute, relative
 * and dangling symlinks, a hard link, names with spaces and UTF-8, modes
 * 0600, 0755, 1777 and 4755, mtimes in the past (with nanoseconds).
 */
export async function makeTree(root: string): Promise<void> {
  const p = (...parts: string[]) => join(root, ...parts);
  await Deno.mkdir(p("nested/deeper/deepest"), { recursive: true });
  await Deno.mkdir(p("empty"));
  await Deno.mkdir(p("sticky"));
  await Deno.mkdir(p("links"));
  await Deno.mkdir(p("name with spaces"));
  await Deno.mkdir(p("ünïcødé ☃"));
  await Deno.writeFile(p("zero"), new Uint8Array());
  await Deno.writeFile(p("one"), new Uint8Array([0x2a]));
  await Deno.writeFile(p("nested/deeper/deepest/random-1MiB"), random(1 << 20));
  await Deno.writeFile(p("name with spaces/a file.txt"), new TextEncoder().encode("spaces\n"));
  await Deno.writeFile(p("ünïcødé ☃/fïlé ✓"), new TextEncoder().encode("utf-8\n"));
  // 8 MiB with data at 1 MiB and at the end: two holes.
  using sparse = await Deno.open(p("sparse"), { write: true, create: true });
  await sparse.seek(1 << 20, Deno.SeekMode.Start);
  await sparse.write(random(4096));
  await sparse.truncate(8 << 20);
  await sparse.seek((8 << 20) - 100, Deno.SeekMode.Start);
  await sparse.write(random(100));
  await Deno.writeFile(p("private"), new TextEncoder().encode("secret\n"));
  await Deno.writeFile(p("tool"), new TextEncoder().encode("#!/bin/sh\necho hi\n"));
  await Deno.writeFile(p("setuid"), new TextEncoder().encode("#!/bin/sh\n"));
  await Deno.writeFile(p("links/target"), new TextEncoder().encode("linked\n"));
  await Deno.symlink("/etc/hostname", p("links/abs"));
  await Deno.symlink("target", p("links/rel"));
  await Deno.symlink("../nowhere/at/all", p("links/dangling"));
  await Deno.link(p("links/target"), p("links/hard2"));
  await Deno.chmod(p("private"), 0o600);
  await Deno.chmod(p("tool"), 0o755);
  await Deno.chmod(p("setuid"), 0o4755);
  await Deno.chmod(p("sticky"), 0o1777);
  // Past mtimes with nanoseconds (touch -h keeps symlinks' own times).
  await sh("find", [
    root,
    "-mindepth",
    "1",
    "-exec",
    "touch",
    "-h",
    "-d",
    "2009-02-13 23:31:30.123456789",
    "{}",
    "+",
  ]);
  await sh("touch", ["-d", "1999-12-31 23:59:58.5", p("one")]);
  await sh("touch", ["-d", "2001-09-09 01:46:40.000000001", p("nested")]);
}

/** One entry of a fingerprint. */
export interface Print {
  type: "file" | "dir" | "symlink" | "other";
  mode?: number;
  size?: number;
  sha256?: string;
  target?: string;
  mtimeNs?: bigint;
}

/** What a comparison leaves out, for file systems that cannot store it. */
export interface PrintOptions {
  /** Compare modes (FAT has none). */
  modes?: boolean;
  /** Keep symlinks (FAT has none). */
  symlinks?: boolean;
  /** mtime granularity in ns: 1 exact, 2e9 for FAT, 1e9 for seconds; 0 leaves mtimes out. */
  mtimeGranularity?: number;
  /** Compare directory mtimes too. */
  dirTimes?: boolean;
  /** Leave out these top-level names (lost+found). */
  ignore?: string[];
}

/** A fingerprint of the tree under `root`: path → type, mode, size, sha256, link target, mtime. */
export async function fingerprint(
  root: string,
  options: PrintOptions = {},
): Promise<Map<string, Print>> {
  const out = new Map<string, Print>();
  const g = BigInt(options.mtimeGranularity ?? 1);
  const stat = async (rel: string): Promise<{ mode: number; mtimeNs: bigint }> => {
    const text = await sh("stat", ["-c", "%f %Y %y", join(root, rel)]);
    const [hexMode, sec] = text.trim().split(" ");
    const frac = text.match(/\.(\d{9})/)?.[1] ?? "0";
    return { mode: parseInt(hexMode, 16), mtimeNs: BigInt(sec) * 1_000_000_000n + BigInt(frac) };
  };
  const walk = async (rel: string) => {
    for await (const entry of Deno.readDir(join(root, rel))) {
      const path = rel === "" ? entry.name : `${rel}/${entry.name}`;
      if (rel === "" && options.ignore?.includes(entry.name)) continue;
      const info = await Deno.lstat(join(root, path));
      const st = await stat(path);
      const p: Print = {
        type: info.isFile
          ? "file"
          : info.isDirectory
          ? "dir"
          : info.isSymlink
          ? "symlink"
          : "other",
      };
      if (p.type === "symlink" && options.symlinks === false) continue;
      if (options.modes !== false && p.type !== "symlink") p.mode = st.mode & 0o7777;
      if (g > 0n && (p.type === "file" || (p.type === "dir" && options.dirTimes !== false))) {
        p.mtimeNs = st.mtimeNs / g * g;
      }
      if (info.isFile) {
        p.size = info.size;
        p.sha256 = await sha256(join(root, path));
      }
      if (info.isSymlink) p.target = await Deno.readLink(join(root, path));
      out.set(path, p);
      if (info.isDirectory) await walk(path);
    }
  };
  await walk("");
  return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The differences between two fingerprints, one line each (empty when equal). */
export function diffPrints(expected: Map<string, Print>, actual: Map<string, Print>): string[] {
  const lines: string[] = [];
  const show = (p: Print | undefined) =>
    p === undefined
      ? "missing"
      : JSON.stringify(p, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
  for (const key of new Set([...expected.keys(), ...actual.keys()])) {
    const a = show(expected.get(key));
    const b = show(actual.get(key));
    if (a !== b) lines.push(`${key}: expected ${a}, got ${b}`);
  }
  return lines;
}

/** A loop mount of `image` (read-only) for the duration of `fn`: the host kernel reads it back. */
export async function withLoopMount<T>(
  image: string,
  fstype: string,
  fn: (dir: string) => Promise<T>,
  options = "ro",
): Promise<T> {
  const dir = await tempDir("loop");
  await sh("mount", ["-t", fstype, "-o", `loop,${options}`, image, dir]);
  try {
    return await fn(dir);
  } finally {
    await sh("umount", [dir]);
    await Deno.remove(dir);
  }
}

const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;

/** What a CLI run gave. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the lkl CLI in a subprocess. */
export async function lkl(args: string[], options: { cwd?: string } = {}): Promise<CliResult> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { NO_COLOR: "1" },
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
  const { code, stdout, stderr } = await child.output();
  clearTimeout(timer);
  return {
    code,
    stdout: new TextDecoder().decode(stdout),
    stderr: new TextDecoder().decode(stderr),
  };
}

/** Whether this process may loop-mount (root). */
export const IS_ROOT: boolean = Deno.uid() === 0;
