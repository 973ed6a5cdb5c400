/**
 * Read-only work on images that cannot be mounted as they are: a journal
 * (or log) that needs recovery is read without replaying it, with a
 * warning, by mount-shell -r and cpfromfs, and the image does not change;
 * iso9660 and squashfs images refuse writes as read-only types.
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

Deno.test("iso9660 and squashfs alike: cptofs refused (7), mount-shell read-only, fsck --repair checks (0)", async () => {
  const dir = await tempDir("ro-types");
  try {
    const src = join(dir, "src");
    await Deno.mkdir(src);
    await Deno.writeTextFile(join(src, "a.txt"), "a\n");
    const iso = join(dir, "cd.iso");
    await sh("xorriso", ["-as", "mkisofs", "-quiet", "-R", "-J", "-o", iso, src]);
    const sqfs = join(dir, "tree.sqfs");
    await sh("mksquashfs", [src, sqfs, "-noappend", "-quiet", "-no-progress"]);
    for (const [image, fstype] of [[iso, "iso9660"], [sqfs, "squashfs"]]) {
      const before = await sha256(image);
      const c = await lkl(["cptofs", "-i", image, join(src, "a.txt"), "/b.txt"]);
      equal(c.code, 7, `${fstype} cptofs: ${c.stderr}`);
      match(
        c.stderr,
        new RegExp(`${fstype} is a read-only file system type: it can be read, not written`),
      );
      // mount-shell opens it read-only, as mount(8) does, and refuses writes.
      const m = await lkl(["mount-shell", "-i", image, "-c", "ls; mkdir x"]);
      equal(m.code, 1, `${fstype} mount-shell: ${m.stderr}`);
      equal(m.stdout, "a.txt\n");
      match(
        m.stderr,
        new RegExp(`^mount-shell: ${fstype} can only be read: .* is opened read-only$`, "m"),
      );
      match(m.stderr, /mkdir: refused: the image is open read-only/);
      const f = await lkl(["fsck", "-i", image, "--repair"]);
      equal(f.code, 0, `${fstype} fsck --repair: ${f.stdout}${f.stderr}`);
      equal(await sha256(image), before, `${fstype} changed`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
