/**
 * Builds an ext4 image from a host directory: creates the image file,
 * makes the file system (with mkfs.ext4: the kernel has no mkfs of its
 * own), then copies the tree in with the kernel's ext4 driver, keeping
 * modes, owners, times, links and holes.
 *
 *   deno run -A examples/image_from_dir.ts DIR IMAGE [--size MiB] [--label LABEL]
 *
 * Without --size the image is sized from the tree (twice its size, at
 * least 64 MiB).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { copyTree, FileTree, Kernel } from "../mod.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: { size: { type: "string" }, label: { type: "string", default: "data" } },
});
if (positionals.length !== 2) {
  console.error("usage: image_from_dir.ts DIR IMAGE [--size MiB] [--label LABEL]");
  Deno.exit(2);
}
const [dir, image] = positionals;

/** Bytes used by the files under `path` (approximate, enough to size an image). */
async function treeBytes(path: string): Promise<number> {
  let total = 0;
  for await (const entry of Deno.readDir(path)) {
    const child = `${path}/${entry.name}`;
    if (entry.isDirectory) total += await treeBytes(child);
    else if (entry.isFile) total += (await Deno.lstat(child)).size;
  }
  return total;
}

const sizeMiB = values.size === undefined
  ? Math.max(64, Math.ceil((2 * await treeBytes(dir)) / 2 ** 20))
  : Number(values.size);

// The image file, sparse, then the file system.
const file = await Deno.open(image, { create: true, write: true, truncate: true });
await file.truncate(sizeMiB * 2 ** 20);
file.close();
const mkfs = await new Deno.Command("mkfs.ext4", {
  args: ["-q", "-F", "-L", values.label!, image],
  stderr: "inherit",
}).output();
if (!mkfs.success) Deno.exit(1);

await using kernel = await Kernel.boot();
await using disk = await kernel.attachDisk(image);
await using mount = await disk.mount();
const stats = await copyTree({ tree: FileTree.host(dir), path: "." }, { tree: mount, path: "." });
console.error(
  `${image}: ${sizeMiB} MiB ext4, ${stats.entries} entries, ${
    (stats.bytes / 2 ** 20).toFixed(1)
  } MiB copied`,
);
