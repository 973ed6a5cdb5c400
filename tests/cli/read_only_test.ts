/**
 * Read-only work on images that cannot be mounted as they are: a journal
 * (or log) that needs recovery is read without replaying it, with a
 * warning, by mount-shell -r and cpfromfs, and the image does not change; an iso9660 image refuses writes
 * with a clear error, not "permission denied".
 */

import { equal, match } from "node:assert/strict";
import { join } from "node:path";
import { crashWriter } from "../helpers/damage.ts";
import { lkl, makeImage, sh, sha256, tempDir } from "../helpers/images.ts";

Deno.test("mount-shell -r and cpfromfs read ext4 and xfs images whose journal needs recovery, unchanged", async () => {
  const dir = await tempDir("ro-recovery");
  try {
    for (
      const [fstype, size, word] of [["ext4", 32 << 20, "journal"], [
        "xfs",
        320 << 20,
        "log",
      ]] as const
    ) {
      const image = join(dir, `${fstype}.img`);
      await makeImage(image, fstype, size);
      await crashWriter(image, fstype);
      const before = await sha256(image);
      const r = await lkl(["mount-shell", "-r", "-i", image, "-c", "ls -d /; df"]);
      equal(r.code, 0, r.stderr);
      equal(r.stdout.split("\n")[0], "/");
      match(
        r.stderr,
        new RegExp(
          `^mount-shell: warning: the ${fstype} ${word} of .* needs recovery; this is the file system without it`,
        ),
      );
      equal(await sha256(image), before, `${fstype}: the image changed`);
      const out = join(dir, `${fstype}-out`);
      const c = await lkl(["cpfromfs", "-i", image, "/.", out]);
      equal(c.code, 0, c.stderr);
      match(
        c.stderr,
        new RegExp(`^lkl: warning: the ${fstype} ${word} of .* needs recovery; copying`, "m"),
      );
      equal(await sha256(image), before, `${fstype}: cpfromfs changed the image`);
      // Read-write, the kernel replays it: the committed file is there.
      const rw = await lkl(["mount-shell", "-i", image, "-c", "cat /committed.txt"]);
      equal(rw.code, 0, rw.stderr);
      equal(rw.stdout, "in the journal\n");
      equal(rw.stderr, "");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writing into an iso9660 image: a clear error naming the read-only type", async () => {
  const dir = await tempDir("ro-iso");
  try {
    const src = join(dir, "src");
    await Deno.mkdir(src);
    await Deno.writeTextFile(join(src, "a.txt"), "a\n");
    const iso = join(dir, "cd.iso");
    await sh("xorriso", ["-as", "mkisofs", "-quiet", "-R", "-J", "-o", iso, src]);
    const before = await sha256(iso);
    for (
      const args of [
        ["cptofs", "-i", iso, join(src, "a.txt"), "/b.txt"],
        ["mount-shell", "-i", iso, "-c", "ls"],
      ]
    ) {
      const r = await lkl(args);
      equal(r.code === 0, false, r.stderr);
      match(r.stderr, /iso9660 is a read-only file system type: it can be read, not written/);
    }
    const r = await lkl(["mount-shell", "-r", "-i", iso, "-c", "cat /a.txt"]);
    equal(r.code, 0, r.stderr);
    equal(r.stdout, "a\n");
    equal(await sha256(iso), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
