/**
 * `lkl cpfromfs`: ISO 9660 (Rock Ridge, Joliet) and squashfs images made
 * by xorriso and mksquashfs copy out as they went in; copy-out safety
 * (symlinks, odd names, setuid bits, existing files).
 */

import { deepEqual, equal, match, notEqual, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import {
  diffPrints,
  fingerprint,
  lkl,
  makeTree,
  sh,
  sha256,
  sparseFile,
  tempDir,
} from "../helpers/images.ts";

Deno.test("cpfromfs: an ISO 9660 image with Rock Ridge and Joliet copies out as it went in", async () => {
  const dir = await tempDir("iso");
  try {
    const src = join(dir, "src");
    await makeTree(src);
    const image = join(dir, "tree.iso");
    await sh("xorriso", ["-as", "mkisofs", "-quiet", "-R", "-J", "-o", image, src]);
    const before = await sha256(image);
    const out = join(dir, "out");
    const r = await lkl(["cpfromfs", "-i", image, "-p", "/.", out]);
    equal(r.code, 0, r.stderr);
    equal(await sha256(image), before);
    // Rock Ridge: modes, symlinks, mtimes (to the second).
    const print = { mtimeGranularity: 1e9, dirTimes: false };
    deepEqual(diffPrints(await fingerprint(src, print), await fingerprint(out, print)), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cpfromfs: a Joliet-only ISO keeps long UTF-8 names", async () => {
  const dir = await tempDir("joliet");
  try {
    const src = join(dir, "src");
    await Deno.mkdir(join(src, "ünïcødé ☃"), { recursive: true });
    await Deno.writeTextFile(join(src, "ünïcødé ☃", "a long name with spaces.txt"), "joliet\n");
    const image = join(dir, "joliet.iso");
    await sh("xorriso", ["-as", "mkisofs", "-quiet", "-J", "-o", image, src]);
    const out = join(dir, "out");
    const r = await lkl(["cpfromfs", "-i", image, "/.", out]);
    equal(r.code, 0, r.stderr);
    equal(
      await Deno.readTextFile(join(out, "ünïcødé ☃", "a long name with spaces.txt")),
      "joliet\n",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const compression of ["gzip", "xz", "zstd"]) {
  Deno.test(`cpfromfs: a squashfs image (${compression}) copies out as it went in`, async () => {
    const dir = await tempDir("squashfs");
    try {
      const src = join(dir, "src");
      await makeTree(src);
      const image = join(dir, "tree.sqfs");
      await sh("mksquashfs", [
        src,
        image,
        "-noappend",
        "-quiet",
        "-no-progress",
        "-comp",
        compression,
      ]);
      const before = await sha256(image);
      const out = join(dir, "out");
      const r = await lkl(["cpfromfs", "-i", image, "-p", "--json", "/.", out]);
      equal(r.code, 0, r.stderr);
      equal(JSON.parse(r.stdout).symlinks, 3);
      equal(await sha256(image), before);
      const print = { mtimeGranularity: 1e9 };
      deepEqual(diffPrints(await fingerprint(src, print), await fingerprint(out, print)), []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("cpfromfs: nothing lands outside DST whatever the image holds; setuid dropped unless -p", async () => {
  const dir = await tempDir("escape");
  try {
    const victim = join(dir, "victim");
    await Deno.mkdir(victim);
    const src = join(dir, "src");
    await Deno.mkdir(join(src, "dir"), { recursive: true });
    await Deno.writeTextFile(join(src, "dir", "f"), "inside\n");
    await Deno.symlink("../../../../../../../../.." + victim, join(src, "up"));
    await Deno.symlink(victim, join(src, "abs"));
    await Deno.symlink("..", join(src, "dir", "parent"));
    for (const odd of ["-dash", "new\nline", "back\\slash", "..dots", " space "]) {
      await Deno.writeTextFile(join(src, odd), odd);
    }
    await Deno.writeTextFile(join(src, "setuid"), "#!/bin/sh\n");
    await Deno.chmod(join(src, "setuid"), 0o6755);
    const image = join(dir, "evil.img");
    await sparseFile(image, 32 << 20);
    await sh("mkfs.ext4", ["-q", "-d", src, image]);

    const out = join(dir, "out");
    let r = await lkl(["cpfromfs", "-i", image, "/.", out]);
    equal(r.code, 0, r.stderr);
    deepEqual([...Deno.readDirSync(victim)], [], "something was written outside DST");
    ok((await Deno.lstat(join(out, "up"))).isSymlink);
    ok((await Deno.lstat(join(out, "abs"))).isSymlink);
    equal(await Deno.readLink(join(out, "abs")), victim);
    equal(await Deno.readTextFile(join(out, "new\nline")), "new\nline");
    equal((await Deno.lstat(join(out, "setuid"))).mode! & 0o7777, 0o755);

    // Paths through the image's own symlinks stay inside the image.
    r = await lkl(["cpfromfs", "-i", image, "/abs/.", join(dir, "out-abs")]);
    notEqual(r.code, 0);
    match(r.stderr, /no such file or directory/i);
    deepEqual([...Deno.readDirSync(victim)], []);

    // A symlink already in DST where the image has a directory: refused, not followed.
    const out2 = join(dir, "out2");
    await Deno.mkdir(out2);
    await Deno.symlink(victim, join(out2, "dir"));
    r = await lkl(["cpfromfs", "-i", image, "--force", "/.", out2]);
    notEqual(r.code, 0);
    match(r.stderr, /dir: exists and is not a directory/);
    deepEqual([...Deno.readDirSync(victim)], []);

    // -p keeps setuid and setgid.
    const out3 = join(dir, "out3");
    r = await lkl(["cpfromfs", "-i", image, "-p", "/setuid", out3]);
    equal(r.code, 0, r.stderr);
    equal((await Deno.lstat(out3)).mode! & 0o7777, 0o6755);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cpfromfs: existing host files are kept unless --force", async () => {
  const dir = await tempDir("force");
  try {
    const src = join(dir, "src");
    await Deno.mkdir(src);
    await Deno.writeTextFile(join(src, "file"), "from the image\n");
    const image = join(dir, "img");
    await sparseFile(image, 16 << 20);
    await sh("mkfs.ext4", ["-q", "-d", src, image]);
    const out = join(dir, "out");
    await Deno.mkdir(out);
    await Deno.writeTextFile(join(out, "file"), "mine\n");
    let r = await lkl(["cpfromfs", "-i", image, "/file", out]);
    equal(r.code, 1);
    match(r.stderr, /^lkl: .*\/out\/file: exists already \(--force replaces it\)$/m);
    equal(await Deno.readTextFile(join(out, "file")), "mine\n");
    r = await lkl(["cpfromfs", "-i", image, "--force", "/file", out]);
    equal(r.code, 0, r.stderr);
    equal(await Deno.readTextFile(join(out, "file")), "from the image\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cpfromfs: a DST ending in / must be a directory: no file is made or replaced there", async () => {
  const dir = await tempDir("cpfromfs-slash");
  try {
    const src = join(dir, "src");
    await Deno.mkdir(join(src, "d"), { recursive: true });
    await Deno.writeTextFile(join(src, "a.txt"), "a\n");
    await Deno.writeTextFile(join(src, "d", "f"), "f\n");
    const image = join(dir, "img");
    await sparseFile(image, 16 << 20);
    await sh("mkfs.ext4", ["-q", "-d", src, image]);
    const mine = join(dir, "mine");
    await Deno.writeTextFile(mine, "mine\n");
    for (const dest of [join(dir, "nd") + "/", mine + "/"]) {
      const r = await lkl(["cpfromfs", "-i", image, "--force", "/a.txt", dest]);
      equal(r.code, 1, r.stderr);
      match(r.stderr, new RegExp(`^lkl: ${dest}: not a directory$`, "m"));
    }
    equal(await Deno.readTextFile(mine), "mine\n");
    await rejects(Deno.lstat(join(dir, "nd")), Deno.errors.NotFound);
    // A directory source makes it, as cp -r does.
    const r = await lkl(["cpfromfs", "-i", image, "/d", join(dir, "nd2") + "/"]);
    equal(r.code, 0, r.stderr);
    equal(await Deno.readTextFile(join(dir, "nd2", "f")), "f\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
