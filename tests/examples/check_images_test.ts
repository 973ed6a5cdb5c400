/**
 * examples/check_images.ts: a batch of images, checked in parallel
 * subprocesses, one JSON report; a damaged image is named with its path.
 *
 * @module
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { extBlockSize, extFirstBlock, overwriteBlock } from "../helpers/damage.ts";
import { sh, sparseFile } from "../helpers/images.ts";
import { REPO } from "../helpers/build_output.ts";

interface Report {
  images: {
    image: string;
    status: string;
    fstype?: string;
    problems?: { path: string | null }[];
  }[];
  summary: { clean: number; damaged: number; errors: number };
}

Deno.test("examples/check_images.ts: clean, damaged and unreadable images in one report", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const clean = join(dir, "clean.img");
    const fat = join(dir, "fat.img");
    const damaged = join(dir, "damaged.img");
    const junk = join(dir, "junk.img");
    for (const image of [clean, fat, damaged]) await sparseFile(image, 64 << 20);
    await sh("mkfs.ext4", ["-q", "-F", clean]);
    await sh("mkfs.vfat", [fat]);
    // A directory with enough entries for a block of its own, then that block overwritten.
    const tree = join(dir, "tree", "photos");
    await Deno.mkdir(tree, { recursive: true });
    for (let i = 0; i < 40; i++) await Deno.writeTextFile(join(tree, `picture-${i}.jpg`), "x");
    await sh("mkfs.ext4", ["-q", "-F", "-O", "metadata_csum", "-d", join(dir, "tree"), damaged]);
    await overwriteBlock(
      damaged,
      await extFirstBlock(damaged, "/photos"),
      await extBlockSize(damaged),
    );
    await Deno.writeTextFile(junk, "this is no disk image");

    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", join(REPO, "examples", "check_images.ts"), clean, fat, damaged, junk],
      stdout: "piped",
      stderr: "piped",
    }).output();
    equal(out.code, 8, new TextDecoder().decode(out.stderr)); // one image could not be checked
    const report: Report = JSON.parse(new TextDecoder().decode(out.stdout));
    deepEqual(report.summary, { clean: 2, damaged: 1, errors: 1 });
    deepEqual(report.images.map((r) => [r.image, r.status]), [
      [clean, "clean"],
      [fat, "clean"],
      [damaged, "damaged"],
      [junk, "error"],
    ]);
    equal(report.images[1].fstype, "vfat");
    const paths = report.images[2].problems!.map((p) => p.path);
    ok(paths.includes("/photos"), `damage reported at ${JSON.stringify(paths)}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
