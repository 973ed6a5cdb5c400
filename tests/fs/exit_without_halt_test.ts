/**
 * A program that ends without halting the kernel: at exit the files it
 * left open are closed, everything is written back and unmounted, so the
 * image is clean and complete; a warning says what happened.
 */

import { equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { checkImage, makeImage, sh, tempDir } from "../helpers/images.ts";

const WRITER = new URL("../helpers/forgetful_writer.ts", import.meta.url).pathname;

async function run(image: string, mode: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", WRITER, image, mode],
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("ending without halt: synced and unmounted, the image clean and complete", async () => {
  const dir = await tempDir("exit-no-halt");
  try {
    const image = join(dir, "disk.img");
    await makeImage(image, "ext4", 32 << 20);
    const r = await run(image, "close-files");
    equal(r.code, 0, r.stderr);
    match(
      r.stderr,
      /the program ended without halting the kernel: 1 of 1 file system\(s\) synced and unmounted;/,
    );
    ok(!(await sh("dumpe2fs", ["-h", image])).includes("needs_recovery"), "journal left dirty");
    await checkImage(image, "ext4");
    equal(await sh("debugfs", ["-R", "cat /written.txt", image]), "written before the end\n");
    equal(await sh("debugfs", ["-R", "cat /open.txt", image]), "in an open file\n");

    // A file left open is closed first: the same clean end.
    const open = join(dir, "open.img");
    await makeImage(open, "ext4", 32 << 20);
    const b = await run(open, "keep-open");
    equal(b.code, 0, b.stderr);
    match(b.stderr, /1 of 1 file system\(s\) synced and unmounted;/);
    ok(!(await sh("dumpe2fs", ["-h", open])).includes("needs_recovery"), "journal left dirty");
    await checkImage(open, "ext4");
    equal(await sh("debugfs", ["-R", "cat /open.txt", open]), "in an open file\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
