/**
 * `deno task demo`: lkl's main job on a sample disk image, step by step,
 * each step printed as the command a user would type. It builds the
 * library first when needed, makes an ext4 image with mkfs.ext4, copies a
 * tree into it with the kernel's own ext4 driver, looks inside, checks it,
 * copies it back out and compares. Everything happens in build/demo/.
 *
 * @module
 */

import { join, relative } from "node:path";
import { build, reportBuildFailure } from "./build.ts";
import { BUILD, REPO } from "./cache.ts";

const DEMO = join(BUILD, "demo");
const IMAGE_NAME = "sample.img";
const CLI = join(REPO, "cli", "main.ts");

/** Runs a shell-visible step and shows its output; stops the demo on failure. */
async function step(title: string, cmd: string[], display = cmd): Promise<string> {
  console.log(`\n# ${title}`);
  console.log(`$ ${display.map((a) => (/[\s"']/.test(a) ? `'${a}'` : a)).join(" ")}`);
  const out = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    cwd: DEMO,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  console.log(text.trimEnd());
  if (!out.success) {
    console.error(`demo: step failed (exit ${out.code}): ${title}`);
    Deno.exit(1);
  }
  return text;
}

/** `lkl ARGS`, run from this checkout, shown as `lkl ARGS`. */
function lkl(...args: string[]): [string[], string[]] {
  return [[Deno.execPath(), "run", "-A", CLI, ...args], ["lkl", ...args]];
}

async function sampleTree(root: string): Promise<void> {
  await Deno.mkdir(join(root, "docs"), { recursive: true });
  await Deno.mkdir(join(root, "bin"), { recursive: true });
  await Deno.mkdir(join(root, "empty"), { recursive: true });
  await Deno.copyFile(join(REPO, "README.md"), join(root, "docs", "README.md"));
  await Deno.writeTextFile(join(root, "bin", "hello.sh"), "#!/bin/sh\necho hello from lkl\n");
  await Deno.chmod(join(root, "bin", "hello.sh"), 0o755);
  await Deno.symlink("docs/README.md", join(root, "README"));
  await Deno.writeFile(join(root, "random.bin"), crypto.getRandomValues(new Uint8Array(65536)));
  const sparse = await Deno.open(join(root, "sparse.img"), { create: true, write: true });
  await sparse.truncate(64 << 20);
  sparse.close();
}

try {
  await build();
} catch (e) {
  if (!reportBuildFailure(e)) throw e;
  Deno.exit(1);
}
await Deno.remove(DEMO, { recursive: true }).catch(() => {});
await Deno.mkdir(DEMO, { recursive: true });
const tree = join(DEMO, "site");
await sampleTree(tree);

console.log(
  `lkl demo, in ${relative(Deno.cwd(), DEMO) || "."}/ (no root, no loop device, no FUSE)`,
);
await step("The kernel inside this process", ...lkl("info"));
await step("A 128 MiB ext4 image, made by the usual tool", [
  "sh",
  "-c",
  "truncate -s 128M sample.img && mkfs.ext4 -q -L demo sample.img",
], ["mkfs.ext4", "-q", "-L", "demo", "sample.img"]);
await step(
  "Copy a tree into it with the kernel's ext4 driver",
  ...lkl("cptofs", "-i", IMAGE_NAME, "site", "/"),
);
await step("The image is clean for e2fsck", ["e2fsck", "-fn", IMAGE_NAME]);
await step("debugfs, which we did not write, sees the files", [
  "debugfs",
  "-R",
  "ls -l /site",
  IMAGE_NAME,
]);
await step(
  "Copy it back out (the image is opened read-only)",
  ...lkl("cpfromfs", "-i", IMAGE_NAME, "/site", "out"),
);
await step("Nothing changed on the way", ["diff", "-r", "--no-dereference", "site", "out"]);
console.log("\ndemo: done. Try: deno task lkl --help");
