/**
 * What a script author gets wrong, and what the API does then: writes
 * issued together on one file land one after the other, closing twice at
 * once is fine, "ro" among the options makes a read-only mount, a bad
 * mount option and an image attached twice by this process say so, a
 * cancelled copy makes nothing, and bad arguments are refused clearly.
 * Runs in a process of its own.
 */

import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { copyTree, DiskError, FileTree, Kernel } from "../../mod.ts";
import { rejected, thrown } from "../helpers/assert.ts";
import { makeImage, tempDir } from "../helpers/images.ts";
import { haltTest, sharedKernel } from "../helpers/kernel.ts";

const dir = await tempDir("misuse");
const image = join(dir, "disk.img");
await makeImage(image, "ext4", 32 << 20);
const encoder = new TextEncoder();

Deno.test("Kernel.boot refuses too little or too much memory before booting", async () => {
  for (const memoryMiB of [8, 15, 1e9, 1.5]) {
    const e = await rejected(Kernel.boot({ memoryMiB }), RangeError);
    match(e.message, /^memoryMiB: from 16 to \d+ MiB/);
  }
});

Deno.test("writes issued together on one file land one after the other", async () => {
  const kernel = await sharedKernel();
  await using disk = await kernel.attachDisk(image);
  await using m = await disk.mount();
  {
    using f = await m.open("digits", { write: true, create: true, truncate: true });
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => f.write(encoder.encode(String(i % 10)))),
    );
  }
  equal(await m.readTextFile("digits"), "0123456789".repeat(10));
  {
    using f = await m.open("big", { read: true, write: true, create: true, truncate: true });
    const a = new Uint8Array(100_000).fill(1);
    const b = new Uint8Array(100_000).fill(2);
    await Promise.all([f.write(a), f.write(b)]);
    await f.seek(0);
    const back = new Uint8Array(200_000);
    const reads = await Promise.all([
      f.read(back.subarray(0, 100_000)),
      f.read(back.subarray(100_000)),
    ]);
    deepEqual(reads, [100_000, 100_000]);
    ok(
      back.subarray(0, 100_000).every((x) => x === 1) &&
        back.subarray(100_000).every((x) => x === 2),
    );
  }
  equal((await m.stat("big")).size, 200_000);
});

Deno.test("closing a mount twice at once, and a disk, is fine", async () => {
  const kernel = await sharedKernel();
  const disk = await kernel.attachDisk(image);
  const m = await disk.mount();
  await Promise.all([m.close(), m.close()]);
  equal(m.mounted, false);
  await Promise.all([disk.close(), disk.close()]);
  equal(disk.attached, false);
});

Deno.test('"ro" among the mount options makes a read-only Mount', async () => {
  const kernel = await sharedKernel();
  await using disk = await kernel.attachDisk(image);
  await using m = await disk.mount({ options: "ro" });
  equal(m.readOnly, true);
  const e = await rejected(m.writeTextFile("x", "x"), Error);
  match(e.message, /Read-only file system/);
});

Deno.test("a mount option the driver refuses is a bad-option DiskError, not a wrong fstype", async () => {
  const kernel = await sharedKernel();
  await using disk = await kernel.attachDisk(image);
  const e = await rejected(disk.mount({ options: "bogusopt" }), DiskError);
  equal(e.problem, "bad-option");
  match(e.message, /the ext4 driver refuses the mount options "bogusopt"/);
});

Deno.test("an image attached twice by this process: said so; read-only twice is fine", async () => {
  const kernel = await sharedKernel();
  {
    await using disk = await kernel.attachDisk(image);
    const e = await rejected(kernel.attachDisk(image, { readOnly: true }), DiskError);
    equal(e.problem, "locked");
    match(
      e.message,
      /is already attached in this process \(as .*disk\.img\): close that Disk first/,
    );
    void disk;
  }
  await using a = await kernel.attachDisk(image, { readOnly: true });
  await using b = await kernel.attachDisk(image, { readOnly: true });
  ok(a.attached && b.attached);
  const e = await rejected(kernel.attachDisk(image), DiskError);
  match(e.message, /already attached in this process \(as .*, read-only\)/);
  const empty = await rejected(kernel.attachDisk(""), DiskError);
  equal(empty.message, "no image file given (an empty path)");
});

Deno.test("a copy whose signal is already aborted makes nothing", async () => {
  const kernel = await sharedKernel();
  const src = join(dir, "src");
  await Deno.mkdir(join(src, "sub"), { recursive: true });
  await Deno.writeTextFile(join(src, "sub", "f"), "f\n");
  await using disk = await kernel.attachDisk(image);
  await using m = await disk.mount();
  using host = FileTree.host(src);
  const controller = new AbortController();
  controller.abort();
  await rejects(
    copyTree({ tree: host, path: "." }, { tree: m, path: "aborted" }, {
      signal: controller.signal,
    }),
    (e: unknown) => e instanceof DOMException && e.name === "AbortError",
  );
  await rejects(m.stat("aborted"), /No such file or directory/);
});

Deno.test("open options, times and ids that make no sense are refused", async () => {
  const kernel = await sharedKernel();
  await using disk = await kernel.attachDisk(image);
  await using m = await disk.mount();
  await m.writeTextFile("keep", "kept\n");
  for (const options of [{ truncate: true }, { create: true }, { read: true, createNew: true }]) {
    await rejects(m.open("keep", options), TypeError, JSON.stringify(options));
  }
  equal(await m.readTextFile("keep"), "kept\n", "truncate without write cut the file");
  await rejects(m.utime("keep", NaN, NaN), TypeError);
  await rejects(m.utime("keep", new Date("nonsense"), 0), TypeError);
  for (const [uid, gid] of [[1.5, 2], [-2, 0], [0, 2 ** 32]]) {
    await rejects(m.chown("keep", uid, gid), RangeError);
  }
  thrown(() => m.openSync("keep", { truncate: true }), TypeError);
});

Deno.test("cleanup", async () => {
  await Deno.remove(dir, { recursive: true });
});

haltTest();
