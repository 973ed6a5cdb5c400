/**
 * `lkl mount-shell` where a new user compared it with coreutils: what
 * each command prints and does in the corner cases, checked with debugfs
 * and e2fsck afterwards.
 */

import { equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { checkImage, lkl, sh, tempDir } from "../helpers/images.ts";

/** An ext4 image of 32 MiB holding the host directory `src` when given. */
async function ext4(dir: string, src?: string): Promise<string> {
  const image = join(dir, "disk.img");
  await Deno.writeFile(image, new Uint8Array(0));
  await Deno.truncate(image, 32 << 20);
  await sh("mkfs.ext4", ["-q", ...(src ? ["-d", src] : []), image]);
  return image;
}

/** Runs one -c script in the shell on `image`. */
function run(image: string, ...lines: string[]) {
  return lkl(["mount-shell", "-i", image, "-c", lines.join("\n")]);
}

/** debugfs -R `request` on `image` (read-only). */
function debugfs(image: string, request: string): Promise<string> {
  return sh("debugfs", ["-R", request, image]);
}

Deno.test("mount-shell: * and ? match a newline in a name (globs and find -name)", async () => {
  const dir = await tempDir("shell-glob-nl");
  try {
    const src = join(dir, "src");
    await Deno.mkdir(src);
    await Deno.writeTextFile(join(src, "two\nlines"), "x");
    await Deno.writeTextFile(join(src, "tw"), "y");
    const image = await ext4(dir, src);
    const r = await run(image, "ls -d /tw*; find / -name 'two?lines'; rm /two*");
    equal(r.code, 0, r.stderr);
    equal(r.stdout, "/tw\n/two\nlines\n/two\nlines\n");
    ok(!(await debugfs(image, "ls /")).includes("two"), "rm /two* left the file");
    await checkImage(image, "ext4");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
