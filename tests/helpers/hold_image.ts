/**
 * Run as a subprocess by the locked-image test: boots a kernel, attaches
 * the image given as the argument read-write (which locks it), prints
 * "attached", and holds it until its stdin closes.
 *
 * @module
 */

import { Kernel } from "../../mod.ts";

const kernel = await Kernel.boot({ quiet: true });
const disk = await kernel.attachDisk(Deno.args[0]);
console.log("attached");
for await (const _ of Deno.stdin.readable) {
  // wait for the end of stdin
}
await disk.close();
await kernel.halt();
