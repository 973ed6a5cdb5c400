/**
 * xfs buffers larger than a page: without an MMU the kernel cannot map
 * scattered pages contiguously (vm_map_ram), so linux/patches/0001 gives
 * them contiguous pages. Directory blocks of 16 KiB (mkfs.xfs -n size=)
 * and a 60 KiB xattr value (remote attribute blocks) are written and read
 * back through the kernel; xfs_repair -n agrees that the image is clean.
 */

import { deepEqual, equal } from "node:assert/strict";
import { join } from "node:path";
import { checkImage, lkl, sh, sparseFile, tempDir } from "../helpers/images.ts";
import { haltTest, sharedKernel } from "../helpers/kernel.ts";

const dir = await tempDir("xfs-buffers");

Deno.test("xfs with 16 KiB directory blocks and a 60 KiB xattr: written, read back, clean", async () => {
  try {
    const image = join(dir, "xfs.img");
    await sparseFile(image, 320 << 20);
    await sh("mkfs.xfs", ["-q", "-f", "-n", "size=16384", image]);
    const kernel = await sharedKernel();
    const names = Array.from({ length: 600 }, (_, i) => `entry-${String(i).padStart(4, "0")}`);
    const value = new Uint8Array(60 << 10);
    crypto.getRandomValues(value.subarray(0, 65536));
    {
      await using disk = await kernel.attachDisk(image);
      await using mount = await disk.mount();
      await mount.mkdir("big");
      for (const name of names) await mount.writeTextFile(`big/${name}`, name);
      await mount.setXattr("big", "user.blob", value);
    }
    await checkImage(image, "xfs");
    {
      await using disk = await kernel.attachDisk(image, { readOnly: true });
      await using mount = await disk.mount();
      const listed: string[] = [];
      for await (const entry of mount.readDir("big")) listed.push(entry.name);
      deepEqual(listed.sort(), names);
      equal(await mount.readTextFile("big/entry-0599"), "entry-0599");
      deepEqual(await mount.getXattr("big", "user.blob"), value);
    }
    // The whole check, in a kernel of its own: fsck reads every block.
    const r = await lkl(["fsck", "-i", image, "--read-data"]);
    equal(r.code, 0, r.stdout + r.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

haltTest();
