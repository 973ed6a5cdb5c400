/**
 * Run as a subprocess by tests/fs/exit_without_halt_test.ts: boots,
 * mounts the ext4 image given as the first argument, writes two files
 * (keeping the second open when the second argument is "keep-open") and
 * ends WITHOUT closing the mount or halting the kernel, as a careless
 * script would.
 *
 * @module
 */

import { Kernel } from "../../mod.ts";

const [image, mode] = Deno.args;
const kernel = await Kernel.boot({ quiet: true });
const disk = await kernel.attachDisk(image);
const mount = await disk.mount();
await mount.writeTextFile("written.txt", "written before the end\n");
const file = await mount.open("open.txt", { write: true, create: true });
await file.write(new TextEncoder().encode("in an open file\n"));
if (mode !== "keep-open") file.close();
