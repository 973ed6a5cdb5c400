/**
 * Damaging images on purpose, the way a bad disk would, for fsck tests:
 * overwrite an ext4 block found with debugfs, flip a byte of a btrfs
 * file's data found by a marker, leave an ext4 journal needing recovery
 * by killing a writer.
 *
 * @module
 */

import { sh } from "./images.ts";

/** The block size of an ext2/3/4 image (dumpe2fs -h). */
export async function extBlockSize(image: string): Promise<number> {
  const out = await sh("dumpe2fs", ["-h", image]);
  const m = out.match(/^Block size:\s+(\d+)$/m);
  if (!m) throw new Error(`no block size in dumpe2fs -h ${image}`);
  return Number(m[1]);
}

/** The first data block of `path` in an ext4 image (debugfs "blocks"). */
export async function extFirstBlock(image: string, path: string): Promise<number> {
  const out = await sh("debugfs", ["-R", `blocks ${path}`, image]);
  const block = Number(out.trim().split(/\s+/)[0]);
  if (!Number.isInteger(block) || block <= 0) throw new Error(`debugfs blocks ${path}: ${out}`);
  return block;
}

/** The inode table block holding the inode of `path` (debugfs "imap"). */
export async function extInodeBlock(image: string, path: string): Promise<number> {
  const out = await sh("debugfs", ["-R", `imap ${path}`, image]);
  const m = out.match(/located at block (\d+),/);
  if (!m) throw new Error(`debugfs imap ${path}: ${out}`);
  return Number(m[1]);
}

/** Overwrites block `block` (of `blockSize` bytes) of `image` with bytes from a seeded generator. */
export async function overwriteBlock(
  image: string,
  block: number,
  blockSize: number,
): Promise<void> {
  const junk = new Uint8Array(blockSize);
  let seed = 0x1234567;
  for (let i = 0; i < junk.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    junk[i] = seed >>> 24;
  }
  using f = await Deno.open(image, { write: true });
  await f.seek(block * blockSize, Deno.SeekMode.Start);
  await f.write(junk);
}

/** Flips the byte `at` bytes after the only occurrence of `marker` in `image`; returns its offset. */
export async function flipByteAfter(image: string, marker: string, at: number): Promise<number> {
  const bytes = await Deno.readFile(image);
  const needle = new TextEncoder().encode(marker);
  const found: number[] = [];
  for (let i = bytes.indexOf(needle[0]); i >= 0; i = bytes.indexOf(needle[0], i + 1)) {
    if (needle.every((b, j) => bytes[i + j] === b)) found.push(i);
  }
  if (found.length !== 1) throw new Error(`${marker} found ${found.length} times in ${image}`);
  const offset = found[0] + at;
  using f = await Deno.open(image, { read: true, write: true });
  const one = new Uint8Array(1);
  await f.seek(offset, Deno.SeekMode.Start);
  await f.read(one);
  one[0] ^= 0xff;
  await f.seek(offset, Deno.SeekMode.Start);
  await f.write(one);
  return offset;
}

const WRITER = new URL("./crash_writer.ts", import.meta.url).pathname;

/**
 * Leaves `image` as a crash would: a writer commits to the log of its
 * `fstype` file system (ext4, xfs or f2fs; see crash_writer.ts) and is
 * killed (SIGKILL).
 */
export async function crashWriter(image: string, fstype = "ext4"): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", WRITER, image, fstype],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  const first = await reader.read();
  const line = new TextDecoder().decode(first.value).trim();
  child.kill("SIGKILL");
  reader.releaseLock();
  await child.stdout.cancel();
  await child.status;
  if (line !== "ready") throw new Error(`crash_writer said ${JSON.stringify(line)}`);
}
