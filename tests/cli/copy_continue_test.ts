/**
 * cptofs and cpfromfs go on past an entry they cannot copy, as cp -r
 * does: each one is named on stderr with its cause, the rest is copied,
 * and the exit status says something failed. Images made by mkfs, read
 * back by mtools and debugfs, checked by fsck.vfat and e2fsck.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { checkImage, lkl, makeImage, sh, sparseFile, tempDir } from "../helpers/images.ts";

const MTOOLS = { MTOOLS_SKIP_CHECK: "1", LANG: "C.UTF-8" };

/** The names in the FAT directory `path` of `image`, as mtools lists them (mdir -b). */
async function fatNames(image: string, path: string): Promise<string[]> {
  const out = await new Deno.Command("mdir", {
    args: ["-b", "-i", image, `::${path}`],
    env: MTOOLS,
    stdout: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  return text.split("\n").filter((l) => l !== "").map((l) =>
    l.replace(/\/$/, "").replace(/^.*\//, "")
  ).sort();
}

/** The FAT16 layout of `bytes` (a boot sector at 0). */
function fat16(bytes: Uint8Array) {
  const v = new DataView(bytes.buffer);
  const sector = v.getUint16(11, true);
  const reserved = v.getUint16(14, true);
  const fats = bytes[16];
  const fatSectors = v.getUint16(22, true);
  return {
    view: v,
    fats: Array.from({ length: fats }, (_, i) => (reserved + i * fatSectors) * sector),
    root: (reserved + fats * fatSectors) * sector,
    rootEntries: v.getUint16(17, true),
  };
}

/**
 * Breaks the cluster chain of the root file `name` (8.3, upper case) of
 * a FAT16 image after `keep` clusters: the next link reads as a free
 * cluster, which the kernel refuses with EIO.
 */
async function breakChain(image: string, name: string, keep: number): Promise<void> {
  const bytes = await Deno.readFile(image);
  const fat = fat16(bytes);
  const want = name.padEnd(11);
  for (let i = 0; i < fat.rootEntries; i++) {
    const entry = fat.root + i * 32;
    if (new TextDecoder().decode(bytes.subarray(entry, entry + 11)) !== want) continue;
    let cluster = fat.view.getUint16(entry + 26, true);
    for (let k = 0; k < keep; k++) cluster = fat.view.getUint16(fat.fats[0] + cluster * 2, true);
    for (const at of fat.fats) fat.view.setUint16(at + cluster * 2, 0, true);
    await Deno.writeFile(image, bytes);
    return;
  }
  throw new Error(`${name} not in the root directory of ${image}`);
}

function random(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
}

Deno.test("cptofs: names FAT cannot store are named one by one; everything else is copied, exit 1", async () => {
  const dir = await tempDir("copy-names");
  try {
    const src = join(dir, "bad");
    await Deno.mkdir(join(src, "sub"), { recursive: true });
    await Deno.mkdir(join(src, "d?"));
    for (const name of ["aaa", "a:b", "q?", "zzz", "sub/in", "sub/x*y", "d?/lost"]) {
      await Deno.writeTextFile(join(src, name), `${name}\n`);
    }
    const image = join(dir, "vfat.img");
    await makeImage(image, "vfat", 64 << 20);
    const r = await lkl(["cptofs", "-i", image, `${src}/.`, "/"]);
    equal(r.code, 1, r.stderr);
    equal(r.stdout, "");
    const lines = r.stderr.trim().split("\n");
    deepEqual(lines.slice(0, -1).sort(), [
      "lkl: /a:b: the file system cannot store this name (Invalid argument, EINVAL)",
      "lkl: /d?: the file system cannot store this name (Invalid argument, EINVAL)",
      "lkl: /q?: the file system cannot store this name (Invalid argument, EINVAL)",
      "lkl: /sub/x*y: the file system cannot store this name (Invalid argument, EINVAL)",
    ]);
    match(lines[lines.length - 1], /^copied 5 entries, 4 failed, /);
    deepEqual(await fatNames(image, "/"), ["aaa", "sub", "zzz"]);
    deepEqual(await fatNames(image, "/sub"), ["in"]);
    await checkImage(image, "vfat");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cpfromfs: files whose data reads EIO are named and left out; the healthy ones are copied", async () => {
  const dir = await tempDir("copy-eio");
  try {
    const src = join(dir, "src");
    await Deno.mkdir(src);
    const files: Record<string, Uint8Array> = {};
    // R5 travels whole in one record; BIG in several, the first of which is written before the error.
    for (const name of ["R1", "R2", "R5", "R6"]) files[name] = random(20000);
    files.BIG = random(3 << 20);
    for (const [name, data] of Object.entries(files)) await Deno.writeFile(join(src, name), data);
    const image = join(dir, "fat.img");
    await makeImage(image, "vfat", 64 << 20);
    await sh("env", [
      "MTOOLS_SKIP_CHECK=1",
      "mcopy",
      "-i",
      image,
      ...Object.keys(files).map((n) => join(src, n)),
      "::/",
    ]);
    await breakChain(image, "R5", 1);
    await breakChain(image, "BIG", 1200); // clusters of 2 KiB: after 2.4 MiB
    const out = join(dir, "out");
    const r = await lkl(["cpfromfs", "-i", image, "/.", out]);
    equal(r.code, 1, r.stderr);
    const lines = r.stderr.trim().split("\n");
    deepEqual(lines.slice(0, -1).sort(), [
      `lkl: ${out}/BIG: cannot read /BIG: Input/output error (EIO)`,
      `lkl: ${out}/R5: cannot read /R5: Input/output error (EIO)`,
    ]);
    match(lines[lines.length - 1], /^copied 4 entries, 2 failed, /);
    // Nothing left of the two that failed, not even a part.
    deepEqual((await Array.fromAsync(Deno.readDir(out))).map((e) => e.name).sort(), [
      "R1",
      "R2",
      "R6",
    ]);
    for (const name of ["R1", "R2", "R6"]) {
      deepEqual(await Deno.readFile(join(out, name)), files[name], name);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cpfromfs: an existing file without --force is named and kept; the others are copied", async () => {
  const dir = await tempDir("copy-exists");
  try {
    const src = join(dir, "src");
    await Deno.mkdir(join(src, "d"), { recursive: true });
    for (const name of ["a", "b", "c", "d/e"]) await Deno.writeTextFile(join(src, name), name);
    const image = join(dir, "ext4.img");
    await sparseFile(image, 16 << 20);
    await sh("mkfs.ext4", ["-q", "-d", src, image]);
    ok((await sh("debugfs", ["-R", "ls -l /d", image])).includes(" e"));
    const out = join(dir, "out");
    await Deno.mkdir(join(out, "d"), { recursive: true });
    await Deno.writeTextFile(join(out, "b"), "mine\n");
    await Deno.writeTextFile(join(out, "d", "e"), "mine too\n");
    const r = await lkl(["cpfromfs", "-i", image, "/.", out]);
    equal(r.code, 1, r.stderr);
    const lines = r.stderr.trim().split("\n");
    deepEqual(lines.slice(0, -1).sort(), [
      `lkl: ${out}/b: exists already (--force replaces it)`,
      `lkl: ${out}/d/e: exists already (--force replaces it)`,
    ]);
    match(lines[lines.length - 1], /, 2 failed, /);
    equal(await Deno.readTextFile(join(out, "a")), "a");
    equal(await Deno.readTextFile(join(out, "b")), "mine\n");
    equal(await Deno.readTextFile(join(out, "c")), "c");
    equal(await Deno.readTextFile(join(out, "d", "e")), "mine too\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
