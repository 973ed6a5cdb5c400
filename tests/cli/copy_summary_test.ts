/**
 * What cptofs and cpfromfs say at the end: entries skipped on purpose
 * are counted apart from those copied; with --json, stdout has the
 * report (also when entries failed, or the copy stopped) and stderr only
 * the errors, each naming its path in full. Images made by mkfs.ext4.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { checkImage, lkl, makeImage, sh, sparseFile, tempDir } from "../helpers/images.ts";

/** An ext4 image made by mkfs.ext4 -d from a tree with a file, a FIFO and a device node. */
async function imageWithNodes(dir: string): Promise<string> {
  const src = join(dir, "src");
  await Deno.mkdir(src);
  await Deno.writeTextFile(join(src, "a"), "a\n");
  await sh("mkfifo", [join(src, "fifo")]);
  await sh("mknod", [join(src, "null"), "c", "1", "3"]);
  const image = join(dir, "ext4.img");
  await sparseFile(image, 16 << 20);
  await sh("mkfs.ext4", ["-q", "-d", src, image]);
  return image;
}

Deno.test("cpfromfs: skipped special files are counted as skipped, not as copied", async () => {
  const dir = await tempDir("copy-skipped");
  try {
    const image = await imageWithNodes(dir);
    const out = join(dir, "out");
    const r = await lkl(["cpfromfs", "-i", image, "/.", out]);
    equal(r.code, 0, r.stderr);
    // The root, lost+found and a: three copied; the FIFO and the node skipped.
    match(r.stderr, /^copied 3 entries, 2 skipped, [\d.]+ MiB in /m);
    deepEqual((await Array.fromAsync(Deno.readDir(out))).map((e) => e.name).sort(), [
      "a",
      "lost+found",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cpfromfs --json: the report on stdout, stderr empty when all went well, only the errors when not", async () => {
  const dir = await tempDir("copy-json");
  try {
    const image = await imageWithNodes(dir);
    const out = join(dir, "out");
    let r = await lkl(["cpfromfs", "-i", image, "--json", "/.", out]);
    equal(r.code, 0, r.stderr);
    equal(r.stderr, "");
    let report = JSON.parse(r.stdout);
    equal(report.status, "copied");
    equal(report.exitCode, 0);
    equal(report.entries, 3);
    equal(report.skippedEntries, 2);
    deepEqual(report.failures, []);

    // Again: a exists already.
    r = await lkl(["cpfromfs", "-i", image, "--json", "/.", out]);
    equal(r.code, 1, r.stderr);
    equal(r.stderr, `lkl: ${out}/a: exists already (--force replaces it)\n`);
    report = JSON.parse(r.stdout);
    equal(report.status, "failed");
    equal(report.exitCode, 1);
    equal(report.failed, 1);
    deepEqual(report.failures, [
      { path: `${out}/a`, cause: "exists already (--force replaces it)", code: "EEXIST" },
    ]);

    r = await lkl(["cpfromfs", "-i", image, "--json", "/nonexist", out]);
    equal(r.code, 1, r.stderr);
    equal(r.stderr, "lkl: /nonexist: no such file or directory\n");
    deepEqual(JSON.parse(r.stdout).failures, [
      { path: "/nonexist", cause: "no such file or directory", code: "ENOENT" },
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cptofs --json into a full image: a report with status stopped, the file named from /", async () => {
  const dir = await tempDir("copy-json-full");
  try {
    const image = join(dir, "small.img");
    await makeImage(image, "ext4", 8 << 20);
    const src = join(dir, "src");
    await Deno.mkdir(join(src, "sub"), { recursive: true });
    await Deno.writeTextFile(join(src, "a-small"), "fits\n");
    await Deno.writeFile(join(src, "sub", "b-big"), new Uint8Array(16 << 20).fill(7));
    const r = await lkl(["cptofs", "-i", image, "--json", src, "/"]);
    equal(r.code, 6, r.stderr);
    equal(r.stderr, `lkl: ${image} is full: no space left writing /src/sub/b-big\n`);
    const report = JSON.parse(r.stdout);
    equal(report.status, "stopped");
    equal(report.exitCode, 6);
    match(report.error, /is full: no space left writing \/src\/sub\/b-big$/);
    // What was copied before it stopped is counted (a-small at least; it was 0 before).
    ok(report.entries >= 1 && report.bytes >= 5, JSON.stringify(report));
    await checkImage(image, "ext4");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
