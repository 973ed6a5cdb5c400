/**
 * `lkl cptofs` into ext4, vfat, btrfs and xfs images made by their mkfs:
 * the file system's own checker says the image is clean, the host kernel
 * (a loop mount; mtools for FAT, which this host kernel lacks) reads back
 * the tree lkl wrote, and `lkl cpfromfs` brings
 * it back out unchanged without changing one byte of the image.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import {
  checkImage,
  diffPrints,
  fingerprint,
  IS_ROOT,
  lkl,
  makeImage,
  makeTree,
  type PrintOptions,
  sh,
  sha256,
  sparseFile,
  tempDir,
  TREE_LINKS,
  withLoopMount,
} from "../helpers/images.ts";

/** What each file system can store of the tree, for the comparison. */
const STORES: Record<string, { print: PrintOptions; mountOptions: string }> = {
  ext4: { print: { ignore: ["lost+found"] }, mountOptions: "ro" },
  btrfs: { print: {}, mountOptions: "ro" },
  xfs: { print: {}, mountOptions: "ro,norecovery" },
  // FAT: no modes, owners or symlinks (hard links become copies), mtimes in 2 s steps.
  vfat: {
    print: { modes: false, symlinks: false, mtimeGranularity: 2e9 },
    mountOptions: "ro,utf8",
  },
};

/** The tree of a FAT image as mtools reads it (the host kernel here has no vfat). */
async function mcopyBack(image: string, dir: string, print: PrintOptions) {
  const out = join(dir, "mcopy");
  await Deno.mkdir(out);
  const child = await new Deno.Command("mcopy", {
    args: ["-i", image, "-s", "-p", "-m", "::/tree", out],
    env: { LANG: "C.UTF-8", MTOOLS_SKIP_CHECK: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  equal(child.code, 0, new TextDecoder().decode(child.stderr));
  return fingerprint(join(out, "tree"), print);
}

for (const fstype of Object.keys(STORES)) {
  Deno.test(`cptofs into ${fstype}: checker clean, tree read back by another tool, cpfromfs round trip`, async () => {
    if (!IS_ROOT) {
      throw new Error("this test reads the image back with a loop mount, which needs root");
    }
    const dir = await tempDir(`cptofs-${fstype}`);
    try {
      const src = join(dir, "src");
      await makeTree(src);
      const image = join(dir, `${fstype}.img`);
      await makeImage(image, fstype);

      const r = await lkl(["cptofs", "-i", image, "--json", src, "/tree"]);
      equal(r.code, 0, r.stderr);
      const summary = JSON.parse(r.stdout);
      ok(summary.entries >= 20, r.stdout);
      ok(summary.bytes >= (1 << 20), r.stdout);
      equal(summary.status, "copied");
      equal(r.stderr, "", "--json: nothing on stderr but errors");
      if (fstype === "vfat") {
        ok(
          summary.skipped.some((s: string) => s.includes("links/abs")),
          "FAT cannot hold symlinks: noted",
        );
      } else {
        equal(summary.symlinks, 3, r.stdout);
        equal(summary.hardLinks, 1, r.stdout);
      }

      await checkImage(image, fstype); // throws unless clean

      const { print, mountOptions } = STORES[fstype];
      const expected = await fingerprint(src, print);
      const back = fstype === "vfat" ? await mcopyBack(image, dir, print) : await withLoopMount(
        image,
        fstype,
        (mnt) => fingerprint(join(mnt, "tree"), print),
        mountOptions,
      );
      deepEqual(diffPrints(expected, back), []);
      if (fstype !== "vfat") {
        for (const link of TREE_LINKS) ok(back.has(link), `${link} read back`);
        // The sparse file kept its holes.
        await withLoopMount(image, fstype, async (mnt) => {
          const blocks = Number((await Deno.lstat(join(mnt, "tree/sparse"))).blocks);
          ok(blocks * 512 < (1 << 20), `sparse file uses ${blocks * 512} bytes on ${fstype}`);
        }, mountOptions);
      }

      const before = await sha256(image);
      const out = join(dir, "out");
      const back2 = await lkl(["cpfromfs", "-i", image, "-p", "/tree", out]);
      equal(back2.code, 0, back2.stderr);
      equal(await sha256(image), before, "cpfromfs changed the image");
      deepEqual(diffPrints(expected, await fingerprint(out, print)), []);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("cptofs: SRC/. copies the contents; several sources land in a directory; -o and -g set owners", async () => {
  const dir = await tempDir("cptofs-placement");
  try {
    const src = join(dir, "src");
    await Deno.mkdir(join(src, "sub"), { recursive: true });
    await Deno.writeTextFile(join(src, "a.txt"), "a\n");
    await Deno.writeTextFile(join(src, "sub", "b.txt"), "b\n");
    await Deno.writeTextFile(join(dir, "c.txt"), "c\n");
    const image = join(dir, "ext4.img");
    await makeImage(image, "ext4");

    let r = await lkl(["cptofs", "-i", image, "-o", "1234", "-g", "567", `${src}/.`, "/dest"]);
    equal(r.code, 0, r.stderr);
    r = await lkl(["cptofs", "-i", image, src, join(dir, "c.txt"), "/dest"]);
    equal(r.code, 0, r.stderr);
    await checkImage(image, "ext4");

    const out = join(dir, "out");
    r = await lkl(["cpfromfs", "-i", image, "-p", "/dest/.", out]);
    equal(r.code, 0, r.stderr);
    const names = (await Array.fromAsync(Deno.readDir(out))).map((e) => e.name).sort();
    deepEqual(names, ["a.txt", "c.txt", "src", "sub"]);
    equal(await Deno.readTextFile(join(out, "src", "sub", "b.txt")), "b\n");
    const a = await Deno.lstat(join(out, "a.txt"));
    equal(a.uid, 1234);
    equal(a.gid, 567);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cptofs: -o and -g take ids from 0 to 4294967294; larger ones are a usage error, not wrapped", async () => {
  const dir = await tempDir("cptofs-ids");
  try {
    const file = join(dir, "f");
    await Deno.writeTextFile(file, "x\n");
    const image = join(dir, "ext4.img");
    await makeImage(image, "ext4", 16 << 20);
    for (const [flag, id] of [["-o", "99999999999"], ["-o", "4294967296"], ["-g", "4294967295"]]) {
      const r = await lkl(["cptofs", "-i", image, flag, id, file, "/f"]);
      equal(r.code, 2, r.stderr);
      match(
        r.stderr,
        new RegExp(`argument '${id}' is invalid. expected an id from 0 to 4294967294`),
      );
    }
    equal((await sh("debugfs", ["-R", "ls /", image])).includes(" f "), false, "nothing copied");
    const r = await lkl(["cptofs", "-i", image, "-o", "4294967294", "-g", "0", file, "/f"]);
    equal(r.code, 0, r.stderr);
    // debugfs prints ids as signed numbers.
    match(await sh("debugfs", ["-R", "stat /f", image]), /User:\s+-2\s+Group:\s+0\s/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cptofs: a DST ending in / must be a directory: a file is neither replaced nor made there", async () => {
  const dir = await tempDir("cptofs-slash");
  try {
    const src = join(dir, "src");
    await Deno.mkdir(join(src, "d"), { recursive: true });
    await Deno.writeTextFile(join(src, "a.txt"), "in the image\n");
    await Deno.writeTextFile(join(src, "d", "f"), "f\n");
    const image = join(dir, "ext4.img");
    await sparseFile(image, 16 << 20);
    await sh("mkfs.ext4", ["-q", "-d", src, image]);
    const file = join(dir, "a.txt");
    await Deno.writeTextFile(file, "from the host\n");
    for (const dest of ["/a.txt/", "/nd/"]) {
      const r = await lkl(["cptofs", "-i", image, file, dest]);
      equal(r.code, 1, r.stderr);
      match(r.stderr, new RegExp(`^lkl: ${dest}: not a directory$`, "m"));
    }
    equal(await sh("debugfs", ["-R", "cat /a.txt", image]), "in the image\n");
    ok(!(await sh("debugfs", ["-R", "ls /", image])).includes(" nd "), "/nd/ was made");
    // A directory source makes it, as cp -r does.
    const r = await lkl(["cptofs", "-i", image, join(src, "d"), "/nd2/"]);
    equal(r.code, 0, r.stderr);
    equal(await sh("debugfs", ["-R", "cat /nd2/f", image]), "f\n");
    await checkImage(image, "ext4");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
