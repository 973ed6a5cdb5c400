/**
 * Run as a subprocess by the fsck --repair test: boots a kernel, mounts
 * the ext4 image given as the argument read-write, writes a file and
 * commits it to the journal (syncfs), keeps an unlinked file open (an
 * orphan inode), prints "ready" and waits to be killed: the image is left
 * as a crash leaves it, with a journal that needs recovery and an orphan.
 *
 * @module
 */

import { Kernel } from "../../mod.ts";

const kernel = await Kernel.boot({ quiet: true });
const disk = await kernel.attachDisk(Deno.args[0]);
const mount = await disk.mount({ fstype: "ext4" });
await mount.writeTextFile("committed.txt", "in the journal\n");
const orphan = await mount.open("orphan", { write: true, create: true });
await orphan.write(new Uint8Array(100_000).fill(7));
await mount.remove("orphan");
await mount.sync();
console.log("ready");
setInterval(() => {}, 60_000); // alive until SIGKILL
