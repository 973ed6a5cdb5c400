/**
 * `lkl mount-shell` where a new user compared it with coreutils: what
 * each command prints and does in the corner cases, checked with debugfs
 * and e2fsck afterwards.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
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

Deno.test("mount-shell: tail -n +N and -c +N print from line N and byte N on", async () => {
  const dir = await tempDir("shell-tail");
  try {
    const src = join(dir, "src");
    await Deno.mkdir(src);
    await Deno.writeTextFile(join(src, "twelve"), "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n");
    const image = await ext4(dir, src);
    const r = await run(
      image,
      "tail -n +11 /twelve; echo --; tail -c +25 /twelve; echo --",
      "tail -n +13 /twelve; tail -c +100 /twelve; echo --; tail -n 2 /twelve",
      "tail -n +0 /twelve > /copy",
    );
    equal(r.code, 0, r.stderr);
    equal(r.stdout, "11\n12\n--\n12\n--\n--\n11\n12\n");
    equal(await debugfs(image, "cat /copy"), await Deno.readTextFile(join(src, "twelve")));
    const bad = await run(image, "tail -n +x /twelve");
    equal(bad.code, 2);
    equal(bad.stderr, "tail: invalid number of lines: '+x'\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mount-shell: touch -d @SECONDS is since the epoch; a bare number is no date", async () => {
  const dir = await tempDir("shell-touch");
  try {
    const image = await ext4(dir);
    const r = await run(
      image,
      "touch -d @0 /zero; touch -d @1700000000 /later; touch -d 12 /twelve",
    );
    equal(r.code, 1);
    equal(r.stderr, "touch: invalid date format '12'\n");
    match(await debugfs(image, "stat /zero"), /mtime: 0x00000000:/);
    match(await debugfs(image, "stat /later"), /mtime: 0x6553f100:/); // 1700000000
    ok(!(await debugfs(image, "ls /")).includes("twelve"), "touch -d 12 made the file");
    await checkImage(image, "ext4");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mount-shell: ls -l shows 'major, minor' for devices and a whole total (squashfs)", async () => {
  const dir = await tempDir("shell-ls-dev");
  try {
    const src = join(dir, "src");
    await Deno.mkdir(src);
    await Deno.writeTextFile(join(src, "a"), "hi\n");
    await Deno.writeFile(join(src, "file"), new Uint8Array(123456));
    await sh("mknod", [join(src, "null"), "c", "1", "3"]);
    await sh("mknod", [join(src, "sda"), "b", "8", "0"]);
    await sh("mknod", [join(src, "tty"), "c", "136", "12"]);
    const image = join(dir, "fs.sqsh");
    await sh("mksquashfs", [src, image, "-quiet", "-noappend", "-all-root"]);
    const r = await run(image, "ls -l /");
    equal(r.code, 0, r.stderr);
    // squashfs counts blocks of 512 bytes (an odd sum here): ls rounds the KiB up, as GNU ls does.
    const blocks = await run(image, "stat /a /file");
    const sum = [...blocks.stdout.matchAll(/Blocks: (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    equal(sum % 2, 1, blocks.stdout);
    const lines = r.stdout.trimEnd().split("\n");
    equal(lines[0], `total ${Math.ceil(sum / 2)}`);
    deepEqual(lines.slice(1).map((l) => l.replace(/ \d{4}-\d\d-\d\d \d\d:\d\d /, " DATE ")), [
      "-rw-r--r-- 1 0 0       3 DATE a",
      "-rw-r--r-- 1 0 0  123456 DATE file",
      "crw-r--r-- 1 0 0   1,  3 DATE null",
      "brw-r--r-- 1 0 0   8,  0 DATE sda",
      "crw-r--r-- 1 0 0 136, 12 DATE tty",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mount-shell: chown takes ids up to 4294967294, refuses bigger ones", async () => {
  const dir = await tempDir("shell-chown");
  try {
    const image = await ext4(dir);
    const r = await run(
      image,
      "touch /f; chown 4294967294:7 /f; chown 99999999999 /f; chown :4294967295 /f",
    );
    equal(r.code, 1);
    equal(
      r.stderr,
      "chown: invalid user: '99999999999'\nchown: invalid group: ':4294967295'\n",
    );
    match(await debugfs(image, "stat /f"), /User:\s+-2\s+Group:\s+7\s/); // debugfs shows 4294967294 signed
    await checkImage(image, "ext4");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mount-shell: cp onto the same file (itself, a hard link, a symlink to it) fails", async () => {
  const dir = await tempDir("shell-cp-same");
  try {
    const image = await ext4(dir);
    const r = await run(
      image,
      "echo hello > /a; ln /a /h; ln -s a /l; mkdir /d",
      "cp /a /a; cp /a /h; cp /a /l; cd /; cp a .; cp -r d d/",
    );
    equal(r.code, 1);
    deepEqual(r.stderr.trimEnd().split("\n"), [
      "cp: '/a' and '/a' are the same file",
      "cp: '/a' and '/h' are the same file",
      "cp: '/a' and '/l' are the same file",
      "cp: 'a' and './a' are the same file",
      "cp: cannot copy a directory, 'd', into itself, 'd/d'",
    ]);
    // The hard link is still one inode with two names.
    match(await debugfs(image, "stat /h"), /Links: 2/);
    equal(await debugfs(image, "cat /a"), "hello\n");
    await checkImage(image, "ext4");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mount-shell: a destination ending in / must be a directory (mv, cp, ln, put, get)", async () => {
  const dir = await tempDir("shell-slash");
  try {
    const host = join(dir, "host");
    await Deno.mkdir(join(host, "sub"), { recursive: true });
    await Deno.writeTextFile(join(host, "a.txt"), "new\n");
    await Deno.writeTextFile(join(host, "file"), "host file\n");
    const image = await ext4(dir);
    const r = await run(
      image,
      "echo keep > /f; touch /f1 /x; mkdir /d /d2",
      "mv /f1 /nothere/; cp /x /nothere2/; ln -s x /lnk/; ln /x /lnk2/; ln -sf x /f/",
      "cp /x /f/; mv /x /f/",
      `put ${host}/a.txt /f/; put ${host}/a.txt /new/; get /f ${host}/file/; get /f ${host}/none/`,
      // A directory may be made at such a name.
      `mv /d /newd/; cp -r /d2 /newd2/; put ${host}/sub /newsub/`,
    );
    equal(r.code, 0, r.stderr);
    deepEqual(r.stderr.trimEnd().split("\n"), [
      "mv: cannot move '/f1' to '/nothere/': Not a directory",
      "cp: cannot create regular file '/nothere2/': Not a directory",
      "ln: failed to create symbolic link '/lnk/': No such file or directory",
      "ln: failed to create hard link '/lnk2/': No such file or directory",
      "ln: failed to access '/f/': Not a directory",
      "cp: cannot stat '/f/': Not a directory",
      "mv: cannot stat '/f/': Not a directory",
      "put: cannot stat '/f/': Not a directory",
      "put: cannot create regular file '/new/': Not a directory",
      `get: cannot stat '${host}/file/': Not a directory`,
      `get: cannot create regular file '${host}/none/': Not a directory`,
    ]);
    const listing = (await debugfs(image, "ls /")).split(/\s+/);
    for (const name of ["nothere", "nothere2", "lnk", "lnk2", "new", "d"]) {
      ok(!listing.includes(name), `${name} is in the image`);
    }
    for (const name of ["f", "f1", "x", "d2", "newd", "newd2", "newsub"]) {
      ok(listing.includes(name), `${name} is not in the image`);
    }
    equal(await debugfs(image, "cat /f"), "keep\n");
    match(await debugfs(image, "stat /newsub"), /Type: directory/);
    equal(await Deno.readTextFile(join(host, "file")), "host file\n");
    ok(!(await Deno.lstat(join(host, "none")).then(() => true, () => false)));
    await checkImage(image, "ext4");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
