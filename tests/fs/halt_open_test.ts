/**
 * Halting with files still open: halt closes them, unmounts cleanly (no
 * journal left to recover), and resolves; closing a file after the halt
 * does nothing; halting twice at once is fine; attaching after the halt
 * says the kernel is halted. Runs in a process of its own (halt is final).
 */

import { equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { LklError } from "../../mod.ts";
import { rejected } from "../helpers/assert.ts";
import { checkImage, makeImage, sh, tempDir } from "../helpers/images.ts";
import { sharedKernel } from "../helpers/kernel.ts";

Deno.test("halt with a file open: closed, unmounted cleanly, journal clean", async () => {
  const dir = await tempDir("halt-open");
  try {
    const image = join(dir, "disk.img");
    await makeImage(image, "ext4", 32 << 20);
    const kernel = await sharedKernel();
    const disk = await kernel.attachDisk(image);
    const m = await disk.mount();
    const f = await m.open("open.txt", { write: true, create: true });
    await f.write(new TextEncoder().encode("written, never closed\n"));
    const d = m.openDirectory(".");
    await Promise.all([kernel.halt(), kernel.halt()]);
    ok(kernel.halted);
    equal(m.mounted, false);
    equal(disk.attached, false);
    f.close(); // nothing to do any more
    d.close();
    const e = await rejected(kernel.attachDisk(image), LklError);
    equal(e.code, "ENODEV");
    match(e.message, /kernel is halted/);
    ok(!(await sh("dumpe2fs", ["-h", image])).includes("needs_recovery"), "journal left dirty");
    await checkImage(image, "ext4");
    equal(await sh("debugfs", ["-R", "cat /open.txt", image]), "written, never closed\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
