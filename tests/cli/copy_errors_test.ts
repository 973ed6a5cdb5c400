/**
 * Every error of cptofs and cpfromfs is one specific line on stderr and
 * its documented exit status: missing image, no image, unknown and wrong
 * file system type, partition out of range, a full image (left clean), a
 * host permission denied, and an image locked by another process.
 */

import { deepEqual, equal, match } from "node:assert/strict";
import { join } from "node:path";
import { checkImage, lkl, makeImage, sh, sparseFile, tempDir } from "../helpers/images.ts";

const HOLD = new URL("../helpers/hold_image.ts", import.meta.url).pathname;

/**
 * Entries that were not copied (the copy went on): one line each on
 * stderr, in any order, then the summary; nothing on stdout.
 */
function failedEntries(
  r: { code: number; stdout: string; stderr: string },
  code: number,
  expected: string[],
): void {
  equal(r.code, code, r.stderr);
  equal(r.stdout, "");
  const lines = r.stderr.trim().split("\n");
  deepEqual(lines.slice(0, -1).sort(), expected.sort(), r.stderr);
  match(lines[lines.length - 1], new RegExp(`^copied \\d+ entries, ${expected.length} failed, `));
}

/** One line on stderr, nothing on stdout, and the exit status. */
function oneLine(
  r: { code: number; stdout: string; stderr: string },
  code: number,
  pattern: RegExp,
): void {
  equal(r.code, code, r.stderr);
  equal(r.stdout, "");
  const lines = r.stderr.trim().split("\n");
  equal(lines.length, 1, r.stderr);
  match(lines[0], pattern);
}

Deno.test("copy errors: image problems are exit 4 with the cause named", async () => {
  const dir = await tempDir("errors");
  try {
    const file = join(dir, "file");
    await Deno.writeTextFile(file, "x\n");
    const ext4 = join(dir, "ext4.img");
    await makeImage(ext4, "ext4", 16 << 20);

    oneLine(
      await lkl(["cptofs", "-i", join(dir, "missing.img"), file, "/"]),
      4,
      /missing\.img: no such image file/,
    );
    oneLine(
      await lkl(["cpfromfs", "-i", join(dir, "missing.img"), "/x", dir]),
      4,
      /no such image file/,
    );
    oneLine(await lkl(["cptofs", "-i", file, file, "/"]), 4, /file: not a disk image/);
    const noise = join(dir, "noise.img");
    await Deno.writeFile(noise, crypto.getRandomValues(new Uint8Array(65536)));
    oneLine(
      await lkl(["cptofs", "-i", noise, file, "/"]),
      4,
      /noise\.img: not a recognized file system/,
    );
    oneLine(
      await lkl(["cptofs", "-i", ext4, "-t", "nosuchfs", file, "/"]),
      4,
      /unknown file system type "nosuchfs"/,
    );
    oneLine(
      await lkl(["cptofs", "-i", ext4, "-t", "btrfs", file, "/"]),
      4,
      /not a btrfs file system \(it holds ext4\)/,
    );
    oneLine(
      await lkl(["cptofs", "-i", ext4, "-P", "3", file, "/"]),
      4,
      /has no partition 3 \(it has no partition table\)/,
    );
    failedEntries(
      await lkl(["cpfromfs", "-i", ext4, "/nothing/here", join(dir, "out")]),
      1,
      ["lkl: /nothing/here: no such file or directory"],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("copy errors: a full image stops at the file that did not fit, exit 6, image still clean", async () => {
  const dir = await tempDir("full");
  try {
    const image = join(dir, "small.img");
    await makeImage(image, "ext4", 8 << 20);
    const src = join(dir, "src");
    await Deno.mkdir(src);
    await Deno.writeTextFile(join(src, "a-small"), "fits\n");
    const big = new Uint8Array(16 << 20);
    crypto.getRandomValues(big.subarray(0, 65536));
    await Deno.writeFile(join(src, "b-big"), big);
    const r = await lkl(["cptofs", "-i", image, join(src, "a-small"), join(src, "b-big"), "/"]);
    oneLine(r, 6, /small\.img is full: no space left writing \/b-big$/);
    await checkImage(image, "ext4");
    const out = join(dir, "out");
    const back = await lkl(["cpfromfs", "-i", image, "/a-small", out]);
    equal(back.code, 0, back.stderr);
    equal(await Deno.readTextFile(out), "fits\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("copy errors: host permission denied is exit 7", async () => {
  const dir = await tempDir("perm");
  const locked = join(dir, "locked");
  try {
    const src = join(dir, "src");
    await Deno.mkdir(src);
    await Deno.writeTextFile(join(src, "f"), "x\n");
    const image = join(dir, "img");
    await sparseFile(image, 16 << 20);
    await sh("mkfs.ext4", ["-q", "-d", src, image]);
    await Deno.mkdir(locked);
    // Immutable: even root may not create files in it.
    await sh("chattr", ["+i", locked]);
    failedEntries(await lkl(["cpfromfs", "-i", image, "/f", locked]), 7, [
      `lkl: ${locked}/f: permission denied (openat)`,
    ]);
  } finally {
    await sh("chattr", ["-i", locked]).catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("copy errors: an image another lkl process has attached is locked, exit 5", async () => {
  const dir = await tempDir("lock");
  try {
    const image = join(dir, "img");
    await makeImage(image, "ext4", 16 << 20);
    const holder = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", HOLD, image],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = holder.stdout.getReader();
    const first = await reader.read();
    equal(new TextDecoder().decode(first.value).trim(), "attached");
    try {
      oneLine(await lkl(["cptofs", "-i", image, dir, "/"]), 5, /img is locked by another process/);
      oneLine(
        await lkl(["cpfromfs", "-i", image, "/", join(dir, "out")]),
        5,
        /locked by another process/,
      );
    } finally {
      await holder.stdin.close();
      reader.releaseLock();
      await holder.stdout.cancel();
      equal((await holder.status).code, 0);
    }
    const r = await lkl(["cpfromfs", "-i", image, "/.", join(dir, "out")]);
    equal(r.code, 0, r.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
