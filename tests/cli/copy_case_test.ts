/**
 * cptofs into a file system that ignores case (vfat, exfat): a source
 * name that the image takes for one this copy made already ("a.txt"
 * after "A.txt", "docs" after "Docs") is named as not copied, the first
 * is kept, the rest is copied, exit 1. Read back with mtools (FAT) and
 * checked with fsck.vfat / fsck.exfat.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { checkImage, lkl, makeImage, sh, tempDir } from "../helpers/images.ts";

for (const fstype of ["vfat", "exfat"]) {
  Deno.test(`cptofs into ${fstype}: names that differ only in case are reported, the first kept`, async () => {
    const dir = await tempDir(`copy-case-${fstype}`);
    try {
      const src = join(dir, "case");
      await Deno.mkdir(join(src, "Docs"), { recursive: true });
      await Deno.mkdir(join(src, "docs"));
      await Deno.writeTextFile(join(src, "A.txt"), "A.txt\n");
      await Deno.writeTextFile(join(src, "a.txt"), "a.txt\n");
      await Deno.writeTextFile(join(src, "Docs", "x"), "x\n");
      await Deno.writeTextFile(join(src, "docs", "y"), "y\n");
      await Deno.writeTextFile(join(src, "other"), "other\n");
      const image = join(dir, `${fstype}.img`);
      await makeImage(image, fstype, 64 << 20);

      const r = await lkl(["cptofs", "-i", image, `${src}/.`, "/"]);
      equal(r.code, 1, r.stderr);
      const lines = r.stderr.trim().split("\n");
      equal(lines.length, 3, r.stderr);
      match(lines[2], /^copied \d+ entries, 2 failed, /);
      // The host lists a directory in no set order: either name may come first.
      const taken = new Map<string, string>();
      for (const line of lines.slice(0, 2)) {
        const m = line.match(
          /^lkl: \/(\S+): the file system already holds (\S+) under that name \(it ignores case\); not copied$/,
        );
        ok(m, line);
        taken.set(m[1].toLowerCase(), m[2]);
      }
      deepEqual([...taken.keys()].sort(), ["a.txt", "docs"]);
      await checkImage(image, fstype);

      // What the image holds, by another tool for FAT; by cpfromfs for exfat.
      const kept = taken.get("a.txt")!;
      const keptDir = taken.get("docs")!;
      if (fstype === "vfat") {
        const env = ["MTOOLS_SKIP_CHECK=1", "LANG=C.UTF-8"];
        equal(await sh("env", [...env, "mtype", "-i", image, "::/a.txt"]), `${kept}\n`);
        equal(await sh("env", [...env, "mtype", "-i", image, "::/other"]), "other\n");
        const listed = await sh("env", [...env, "mdir", "-b", "-i", image, "::/docs"]);
        deepEqual(listed.trim().split("\n").map((l) => l.replace(/^.*\//, "")), [
          keptDir === "Docs" ? "x" : "y",
        ]);
      } else {
        const out = join(dir, "out");
        const back = await lkl(["cpfromfs", "-i", image, "/.", out]);
        equal(back.code, 0, back.stderr);
        deepEqual(
          (await Array.fromAsync(Deno.readDir(out))).map((e) => e.name).sort(),
          [
            keptDir,
            kept,
            "other",
          ].sort(),
        );
        equal(await Deno.readTextFile(join(out, kept)), `${kept}\n`);
        deepEqual((await Array.fromAsync(Deno.readDir(join(out, keptDir)))).map((e) => e.name), [
          keptDir === "Docs" ? "x" : "y",
        ]);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
