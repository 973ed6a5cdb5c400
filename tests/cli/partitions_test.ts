/**
 * Partitioned images (MBR made by sfdisk, GPT made by sgdisk), two
 * partitions each: copying into partition 2 leaves partition 1
 * byte-identical, and the file lands where the checker finds it.
 */

import { equal, match } from "node:assert/strict";
import { join } from "node:path";
import { checkImage, lkl, sh, sha256, sparseFile, tempDir } from "../helpers/images.ts";

const MiB = 1 << 20;
const P1 = { start: 1 * MiB, size: 32 * MiB };
const P2 = { start: 33 * MiB, size: 62 * MiB };

/** Writes `fs` (a file system image) into `image` at `offset`. */
async function place(image: string, fs: string, offset: number): Promise<void> {
  await sh("dd", [
    `if=${fs}`,
    `of=${image}`,
    "bs=1M",
    `seek=${offset / MiB}`,
    "conv=notrunc,sparse",
    "status=none",
  ]);
}

/** An image with a partition table of `label` and two file systems: vfat in 1, ext4 in 2. */
async function partitioned(dir: string, label: "mbr" | "gpt"): Promise<string> {
  const image = join(dir, `${label}.img`);
  await sparseFile(image, 96 * MiB);
  if (label === "mbr") {
    const script = `label: dos\nstart=${P1.start / 512}, size=${P1.size / 512}, type=c\n` +
      `start=${P2.start / 512}, size=${P2.size / 512}, type=83\n`;
    const child = new Deno.Command("sfdisk", {
      args: ["-q", image],
      stdin: "piped",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(script));
    await writer.close();
    const status = await child.output();
    equal(status.code, 0, new TextDecoder().decode(status.stderr));
  } else {
    await sh("sgdisk", [
      `-n=1:${P1.start / 512}:+${P1.size / 1024}K`,
      `-n=2:${P2.start / 512}:+${P2.size / 1024}K`,
      image,
    ]);
  }
  const fat = join(dir, "p1.fs");
  await sparseFile(fat, P1.size);
  await sh("mkfs.vfat", [fat]);
  await sh("mcopy", ["-i", fat, join(dir, "note.txt"), "::/note.txt"]);
  await place(image, fat, P1.start);
  const ext4 = join(dir, "p2.fs");
  await sparseFile(ext4, P2.size);
  await sh("mkfs.ext4", ["-q", ext4]);
  await place(image, ext4, P2.start);
  return image;
}

for (const label of ["mbr", "gpt"] as const) {
  Deno.test(`${label}: cptofs into partition 2 leaves partition 1 byte-identical`, async () => {
    const dir = await tempDir(`part-${label}`);
    try {
      await Deno.writeTextFile(join(dir, "note.txt"), "partition one\n");
      const image = await partitioned(dir, label);
      const p1Before = await sha256(image, P1.start, P1.size);
      const payload = join(dir, "payload");
      await Deno.writeFile(payload, crypto.getRandomValues(new Uint8Array(65536)));

      // Several partitions: choosing is required.
      let r = await lkl(["cptofs", "-i", image, payload, "/"]);
      equal(r.code, 4);
      match(r.stderr, /has 2 partitions \(1, 2\): choose one/);

      r = await lkl(["cptofs", "-i", image, "-P", "2", payload, "/"]);
      equal(r.code, 0, r.stderr);
      equal(await sha256(image, P1.start, P1.size), p1Before, "partition 1 changed");

      // The checker of partition 2 says clean, and the file is there.
      const p2 = join(dir, "p2.check");
      await sh("dd", [
        `if=${image}`,
        `of=${p2}`,
        "bs=1M",
        `skip=${P2.start / MiB}`,
        `count=${P2.size / MiB}`,
        "status=none",
      ]);
      await checkImage(p2, "ext4");
      const dump = await sh("debugfs", ["-R", "cat /payload", p2]);
      equal(dump.length > 0, true);
      const out = join(dir, "out");
      r = await lkl(["cpfromfs", "-i", image, "-P", "2", "/payload", out]);
      equal(r.code, 0, r.stderr);
      equal(await sha256(out), await sha256(payload));
      // And partition 1 reads back through lkl too (vfat, detected).
      r = await lkl(["cpfromfs", "-i", image, "-P", "1", "/note.txt", join(dir, "note.out")]);
      equal(r.code, 0, r.stderr);
      equal(await Deno.readTextFile(join(dir, "note.out")), "partition one\n");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
