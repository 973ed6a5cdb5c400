/**
 * copyTree in both directions, with the source read on a worker thread
 * and on the copying thread: every kind of entry, data larger than one
 * ring record and in holes, owners, xattrs, nanosecond times; and a copy
 * that fails midway stops its reader and leaves no fd open. Runs in a
 * process of its own.
 */

import { deepEqual, equal, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { copyTree, FileTree, LklError } from "../../mod.ts";
import {
  diffPrints,
  fingerprint,
  IS_ROOT,
  makeImage,
  makeTree,
  tempDir,
} from "../helpers/images.ts";
import { haltTest, sharedKernel } from "../helpers/kernel.ts";

const dir = await tempDir("copy");

/** The tree of the issue, and what a copy handles in more than one record. */
async function makeBigTree(root: string): Promise<void> {
  await makeTree(root);
  const random = (n: number) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
    return out;
  };
  await Deno.mkdir(join(root, "sizes"));
  for (const n of [(256 << 10) - 1, 256 << 10, (256 << 10) + 1, (5 << 20) + 3]) {
    await Deno.writeFile(join(root, "sizes", `f${n}`), random(n));
  }
  using tree = FileTree.host(root);
  await tree.setXattr("one", "user.note", "on a file");
  await tree.setXattr("nested", "user.note", "on a directory");
  if (IS_ROOT) await Deno.chown(join(root, "tool"), 1234, 567);
}

async function xattr(root: string, path: string): Promise<string> {
  using tree = FileTree.host(root);
  return new TextDecoder().decode((await tree.getXattr(path, "user.note")) ?? new Uint8Array());
}

for (const worker of [true, false]) {
  Deno.test(`copyTree into an image and back out (${worker ? "worker" : "one thread"})`, async () => {
    const kernel = await sharedKernel();
    const src = join(dir, `src-${worker}`);
    await makeBigTree(src);
    const image = join(dir, `copy-${worker}.img`);
    await makeImage(image, "ext4", 64 << 20);
    const out = join(dir, `out-${worker}`);
    await Deno.mkdir(out);
    {
      await using disk = await kernel.attachDisk(image);
      await using mount = await disk.mount();
      using host = FileTree.host(src);
      const stats = await copyTree({ tree: host, path: "." }, { tree: mount, path: "tree" }, {
        xattrs: true,
        worker,
      });
      equal(stats.hardLinks, 1);
      equal(stats.symlinks, 3);
      deepEqual(stats.skipped, []);
      const info = await mount.lstat("tree/tool");
      if (IS_ROOT) deepEqual([info.uid, info.gid], [1234, 567]);
      equal(
        new TextDecoder().decode((await mount.getXattr("tree/one", "user.note"))!),
        "on a file",
      );
      using back = FileTree.host(out);
      const progress: number[] = [];
      const stats2 = await copyTree({ tree: mount, path: "tree" }, { tree: back, path: "tree" }, {
        xattrs: true,
        worker,
        onProgress: (p) => progress.push(p.entries),
      });
      equal(stats2.entries, stats.entries);
      equal(stats2.bytes, stats.bytes);
      ok(progress.length >= stats.entries, "progress after each entry");
    }
    // Before anything reads the copies (a read moves their atime).
    const [a, b] = await Promise.all([
      Deno.lstat(join(src, "tool")),
      Deno.lstat(join(out, "tree", "tool")),
    ]);
    deepEqual([b.uid, b.gid, b.mode], [a.uid, a.gid, a.mode]);
    equal(b.atime?.getTime(), Date.UTC(2009, 1, 13, 23, 31, 30, 123));
    deepEqual(diffPrints(await fingerprint(src), await fingerprint(join(out, "tree"))), []);
    equal(await xattr(out, "tree/one"), "on a file");
    equal(await xattr(out, "tree/nested"), "on a directory");
    // The sparse file kept its holes.
    ok((await Deno.lstat(join(out, "tree", "sparse"))).blocks! * 512 < 1 << 20);
  });
}

Deno.test("a copy that fails midway stops its reader: no fd of the mount is left open", async () => {
  const kernel = await sharedKernel();
  const src = join(dir, "src-fail");
  await makeBigTree(src);
  const image = join(dir, "fail.img");
  await makeImage(image, "ext4", 64 << 20);
  await using disk = await kernel.attachDisk(image);
  const mount = await disk.mount();
  using host = FileTree.host(src);
  await copyTree({ tree: host, path: "." }, { tree: mount, path: "." });
  // Again, without overwriting: the first file there stops it.
  await rejects(
    copyTree({ tree: host, path: "." }, { tree: mount, path: "." }),
    (e) => e instanceof LklError && e.code === "EEXIST",
  );
  // Overwriting replaces files and links, and merges into directories.
  await Deno.writeTextFile(join(src, "one"), "changed\n");
  await copyTree({ tree: host, path: "." }, { tree: mount, path: "." }, { overwrite: true });
  equal(await mount.readTextFile("one"), "changed\n");
  equal(await mount.readLink("links/rel"), "target");
  // Out, into a directory holding one of the files.
  const out = join(dir, "out-fail");
  await Deno.mkdir(join(out, "nested", "deeper", "deepest"), { recursive: true });
  await Deno.writeTextFile(join(out, "nested", "deeper", "deepest", "random-1MiB"), "mine\n");
  using back = FileTree.host(out);
  await rejects(
    copyTree({ tree: mount, path: "." }, { tree: back, path: "." }),
    (e) => e instanceof LklError && e.code === "EEXIST",
  );
  equal(await Deno.readTextFile(join(out, "nested", "deeper", "deepest", "random-1MiB")), "mine\n");
  // Cancelled through its signal after a few entries: rejects with the reason.
  const controller = new AbortController();
  let seen = 0;
  const reason = new Error("cancelled by the test");
  await Deno.mkdir(join(dir, "out-cancel"));
  using cancelled = FileTree.host(join(dir, "out-cancel"));
  await rejects(
    copyTree({ tree: mount, path: "." }, { tree: cancelled, path: "." }, {
      signal: controller.signal,
      onProgress: () => {
        if (++seen === 3) controller.abort(reason);
      },
    }),
    (e) => e === reason,
  );
  await mount.close(); // EBUSY if the reader had left a file or directory open
});

haltTest();
