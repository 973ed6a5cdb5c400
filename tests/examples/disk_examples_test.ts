/**
 * The disk image examples of examples/, run as a user would run them, and
 * checked with e2fsprogs (debugfs, e2fsck), which we did not write.
 *
 * @module
 */

import { equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { REPO } from "../helpers/build_output.ts";

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(cmd: string, args: string[]): Promise<Output> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

async function example(name: string, args: string[]): Promise<Output> {
  return await run(Deno.execPath(), ["run", "-A", join(REPO, "examples", name), ...args]);
}

async function debugfs(image: string, request: string): Promise<string> {
  const out = await run("debugfs", ["-R", request, image]);
  equal(out.code, 0, out.stderr);
  return out.stdout;
}

async function assertClean(image: string): Promise<void> {
  const fsck = await run("e2fsck", ["-fn", image]);
  equal(fsck.code, 0, `e2fsck -fn ${image}:\n${fsck.stdout}${fsck.stderr}`);
}

/** Mode and owner of `path` in the image, from debugfs stat. */
async function inode(image: string, path: string) {
  const stat = await debugfs(image, `stat ${path}`);
  const mode = stat.match(/Mode:\s+(\d+)/)?.[1];
  const owner = stat.match(/User:\s+(\d+)\s+Group:\s+(\d+)/);
  ok(mode && owner, `debugfs stat ${path}:\n${stat}`);
  return { mode: parseInt(mode, 8), uid: Number(owner[1]), gid: Number(owner[2]) };
}

Deno.test("examples/image_from_dir.ts then authorized_keys.ts: an image sshd would accept", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const tree = join(dir, "tree");
    await Deno.mkdir(join(tree, "etc"), { recursive: true });
    await Deno.writeTextFile(join(tree, "etc", "hostname"), "example\n");
    await Deno.symlink("hostname", join(tree, "etc", "name"));
    const image = join(dir, "disk.img");

    const built = await example("image_from_dir.ts", [tree, image, "--label", "demo"]);
    equal(built.code, 0, built.stderr);
    match(built.stderr, /64 MiB ext4, \d+ entries/);
    await assertClean(image);
    equal(await debugfs(image, "cat /etc/hostname"), "example\n");
    match(await debugfs(image, "stat /etc/name"), /Fast link dest: "hostname"/);

    const key =
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHxZ8mtCQd0t7z8f4oq3yA2i0qvGq0Hn4D9w2b7Uu0vG test@lkl";
    await Deno.writeTextFile(join(dir, "key.pub"), key + "\n");
    for (let i = 0; i < 2; i++) {
      const added = await example("authorized_keys.ts", [
        image,
        join(dir, "key.pub"),
        "--user",
        "alice",
        "--uid",
        "1001",
        "--gid",
        "1002",
      ]);
      equal(added.code, 0, added.stderr);
      match(added.stderr, i === 0 ? /key added/ : /the key is there already/);
    }
    await assertClean(image);
    equal(await debugfs(image, "cat /home/alice/.ssh/authorized_keys"), key + "\n");
    const file = await inode(image, "/home/alice/.ssh/authorized_keys");
    equal(file.mode & 0o7777, 0o600);
    equal(file.uid, 1001);
    equal(file.gid, 1002);
    const ssh = await inode(image, "/home/alice/.ssh");
    equal(ssh.mode & 0o7777, 0o700);
    equal(ssh.uid, 1001);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("examples/authorized_keys.ts refuses a file that is no public key", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "key.pub"), "-----BEGIN OPENSSH PRIVATE KEY-----\n");
    const out = await example("authorized_keys.ts", [join(dir, "x.img"), join(dir, "key.pub")]);
    equal(out.code, 1);
    match(out.stderr, /not an SSH public key/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
