/**
 * Run as a subprocess by the fsck tests: boots a kernel, mounts the image
 * given as the first argument read-write (as the type given second, ext4
 * by default), makes its log hold something to recover, prints "ready" and
 * waits to be killed: the image is left as a crash leaves it.
 *
 * - ext4: a file committed to the journal (syncfs) and an unlinked file
 *   kept open (an orphan inode);
 * - xfs: a file committed to the log (syncfs), and no unmount record;
 * - f2fs: a checkpoint (syncfs), then a file fsynced after it, which only
 *   roll-forward recovery brings back.
 *
 * @module
 */

import { Kernel } from "../../mod.ts";

const [image, fstype = "ext4"] = Deno.args;
const kernel = await Kernel.boot({ quiet: true });
const disk = await kernel.attachDisk(image);
const mount = await disk.mount({ fstype });
await mount.writeTextFile("committed.txt", "in the journal\n");
if (fstype === "ext4") {
  const orphan = await mount.open("orphan", { write: true, create: true });
  await orphan.write(new Uint8Array(100_000).fill(7));
  await mount.remove("orphan");
}
await mount.sync();
if (fstype === "f2fs") {
  const file = await mount.open("fsynced.txt", { write: true, create: true });
  await file.write(new TextEncoder().encode("after the checkpoint\n"));
  await file.sync();
}
console.log("ready");
setInterval(() => {}, 60_000); // alive until SIGKILL
