/**
 * Disk, Mount and the file API, in this process's kernel: detection of
 * every supported file system, the Deno-shaped calls, paths that cannot
 * leave the mount, and the errors. Runs in a process of its own.
 */

import { deepEqual, equal, match, ok, rejects } from "node:assert/strict";
import { join } from "node:path";
import { DiskError, FileTree, LklError, S, SEEK } from "../../mod.ts";
import { rejected, thrown } from "../helpers/assert.ts";
import { checkImage, makeImage, sh, sparseFile, tempDir } from "../helpers/images.ts";
import { haltTest, sharedKernel } from "../helpers/kernel.ts";

const dir = await tempDir("mount");
const encoder = new TextEncoder();

Deno.test("every supported file system is detected from its superblock and mounts", async () => {
  const kernel = await sharedKernel();
  const made: [string, string[]][] = [
    ["ext2", ["mkfs.ext2", "-q"]],
    ["ext3", ["mkfs.ext3", "-q"]],
    ["ext4", ["mkfs.ext4", "-q"]],
    ["vfat", ["mkfs.vfat"]],
    ["exfat", ["mkfs.exfat"]],
    ["btrfs", ["mkfs.btrfs", "-q"]],
    ["xfs", ["mkfs.xfs", "-q"]],
    ["f2fs", ["mkfs.f2fs", "-q"]],
  ];
  for (const [fstype, [cmd, ...args]] of made) {
    const image = join(dir, `${fstype}.img`);
    await sparseFile(image, 320 << 20);
    await sh(cmd, [...args, image]);
    await using disk = await kernel.attachDisk(image);
    await using mount = await disk.mount();
    equal(mount.fstype, fstype);
    await mount.writeTextFile("hello.txt", `hello ${fstype}\n`);
    equal(await mount.readTextFile("hello.txt"), `hello ${fstype}\n`);
  }
  const src = join(dir, "isosrc");
  await Deno.mkdir(src);
  await Deno.writeTextFile(join(src, "f"), "read-only\n");
  await sh("xorriso", ["-as", "mkisofs", "-quiet", "-R", "-o", join(dir, "a.iso"), src]);
  await sh("mksquashfs", [src, join(dir, "a.sqfs"), "-quiet", "-no-progress"]);
  for (const [file, fstype] of [["a.iso", "iso9660"], ["a.sqfs", "squashfs"]]) {
    await using disk = await kernel.attachDisk(join(dir, file), { readOnly: true });
    await using mount = await disk.mount();
    equal(mount.fstype, fstype);
    ok(mount.readOnly);
    equal(await mount.readTextFile("f"), "read-only\n");
  }
  for (const fstype of ["ext4", "vfat", "btrfs", "xfs", "exfat"]) {
    await checkImage(join(dir, `${fstype}.img`), fstype);
  }
});

Deno.test("the file API: files, directories, links, times, modes, xattrs, nodes", async () => {
  const kernel = await sharedKernel();
  const image = join(dir, "api.img");
  await makeImage(image, "ext4", 64 << 20);
  await using disk = await kernel.attachDisk(image);
  equal(disk.partitions.length, 0);
  equal(disk.size, 64 << 20);
  match(disk.device, /^vd[a-z]+$/);
  await using m = await disk.mount();

  await m.mkdir("a/b/c", { recursive: true, mode: 0o750 });
  equal((await m.stat("a/b")).mode & 0o7777, 0o750);
  await m.mkdir("a/b/c", { recursive: true }); // exists: fine
  equal((await rejected(m.mkdir("a/b/c"), LklError)).code, "EEXIST");

  await m.writeFile("a/data", encoder.encode("0123456789"), { mode: 0o640 });
  const info = await m.stat("a/data");
  ok(info.isFile);
  equal(info.size, 10);
  equal(info.mode, S.IFREG | 0o640);
  equal(info.nlink, 1);
  await m.writeTextFile("a/data", "ab", { append: true });
  equal(await m.readTextFile("a/data"), "0123456789ab");

  {
    using f = await m.open("a/data", { read: true, write: true });
    equal(await f.seek(4), 4);
    const buf = new Uint8Array(3);
    equal(await f.read(buf), 3);
    equal(new TextDecoder().decode(buf), "456");
    await f.write(encoder.encode("XY"));
    equal(await f.seek(0, SEEK.CUR), 9);
    equal(await f.seek(-2, SEEK.END), 10);
    await f.truncate(5);
    equal((await f.stat()).size, 5);
    equal(await f.seek(0, SEEK.END), 5);
    equal(await f.read(buf), null);
  }
  equal(await m.readTextFile("a/data"), "01234");
  await m.writeTextFile("a/data", "0123456XY9ab");
  equal(await m.readTextFile("a/data"), "0123456XY9ab");
  await m.truncate("a/data", 5);
  equal(await m.readTextFile("a/data"), "01234");
  await m.truncate("a/data", 3);
  equal(await m.readTextFile("a/data"), "012");

  // A big file goes through the nonblocking path.
  const big = crypto.getRandomValues(new Uint8Array(65536)).slice();
  const large = new Uint8Array(5 << 20);
  for (let i = 0; i < large.length; i += big.length) large.set(big, i);
  await m.writeFile("large", large);
  deepEqual(await m.readFile("large"), large);

  await m.symlink("../data", "a/b/link");
  await m.symlink("/a/data", "a/abs");
  equal(await m.readLink("a/b/link"), "../data");
  ok((await m.lstat("a/b/link")).isSymlink);
  ok((await m.stat("a/b/link")).isFile);
  equal(await m.readTextFile("a/abs"), "012"); // absolute: from the mount's root
  equal(await m.realPath("a/b/link"), "/a/data");
  equal(await m.realPath("a/b/c/../../b/./c"), "/a/b/c");

  await m.link("a/data", "a/hard");
  equal((await m.stat("a/data")).nlink, 2);
  await m.rename("a/hard", "a/b/moved");
  equal(await m.readTextFile("a/b/moved"), "012");

  const names = (await Array.fromAsync(m.readDir("a"))).map((
    e,
  ) => [e.name, e.isFile, e.isDirectory, e.isSymlink]);
  deepEqual(names.sort(), [["abs", false, false, true], ["b", false, true, false], [
    "data",
    true,
    false,
    false,
  ]]);

  await m.chmod("a/data", 0o4711);
  equal((await m.stat("a/data")).mode & 0o7777, 0o4711);
  await m.chown("a/data", 1000, 2000);
  const owned = await m.stat("a/data");
  equal(owned.uid, 1000);
  equal(owned.gid, 2000);
  await m.lchown("a/abs", 7, 8);
  equal((await m.lstat("a/abs")).uid, 7);
  equal((await m.stat("a/abs")).uid, 1000); // the target kept its owner

  await m.utime("a/data", 1_000_000_000_123_456_789n, 1_234_567_890_987_654_321n);
  const t = await m.stat("a/data");
  equal(t.atimeNs, 1_000_000_000_123_456_789n);
  equal(t.mtimeNs, 1_234_567_890_987_654_321n);
  equal(t.mtime.getTime(), 1_234_567_890_987);
  await m.lutime("a/abs", new Date(1000), 2.5);
  equal((await m.lstat("a/abs")).mtimeNs, 2_500_000_000n);

  await m.setXattr("a/data", "user.color", "blue");
  await m.setXattr("a/data", "trusted.x", new Uint8Array([0, 1, 2]));
  deepEqual((await m.listXattr("a/data")).sort(), ["trusted.x", "user.color"]);
  equal(new TextDecoder().decode((await m.getXattr("a/data", "user.color"))!), "blue");
  await m.removeXattr("a/data", "user.color");
  equal(await m.getXattr("a/data", "user.color"), null);

  await m.mknod("fifo", S.IFIFO | 0o644);
  await m.mknod("null", S.IFCHR | 0o666, 1, 3);
  ok((await m.lstat("fifo")).isFifo);
  const dev = await m.lstat("null");
  ok(dev.isCharDevice);
  equal(dev.rdevMajor, 1);
  equal(dev.rdevMinor, 3);

  const fs = await m.statfs();
  equal(fs.type, 0xef53);
  ok(fs.freeBlocks > 0 && fs.freeBlocks < fs.blocks);

  await m.remove("a/data");
  equal((await rejected(m.stat("a/data"), LklError)).code, "ENOENT");
  equal((await rejected(m.remove("a"), LklError)).code, "ENOTEMPTY");
  await m.remove("a", { recursive: true });
  deepEqual((await Array.fromAsync(m.readDir("/"))).map((e) => e.name).sort(), [
    "fifo",
    "large",
    "lost+found",
    "null",
  ]);
});

Deno.test("paths cannot leave the mount: .., absolute and relative symlinks stay inside", async () => {
  const kernel = await sharedKernel();
  const image = join(dir, "jail.img");
  await makeImage(image, "ext4", 32 << 20);
  await using disk = await kernel.attachDisk(image);
  await using m = await disk.mount();
  // The kernel's own root has /proc, /sys, /dev: none of it may be reached.
  await m.symlink("/proc", "abs");
  await m.symlink("../../../../proc", "rel");
  await m.mkdir("d");
  await m.writeTextFile("d/inside", "inside\n");
  for (
    const path of [
      "abs/self/status",
      "rel/self/status",
      "../proc/self/status",
      "d/../../../proc/self/status",
    ]
  ) {
    const e = await rejected(m.readFile(path), LklError);
    equal(e.code, "ENOENT", path);
  }
  equal(await m.realPath("../../.."), "/");
  equal(await m.readTextFile("../../d/inside"), "inside\n");
  // Writing through a symlink lands inside the mount.
  await m.symlink("/d/target", "d/link");
  await m.writeTextFile("d/link", "through a link\n");
  equal(await m.readTextFile("d/target"), "through a link\n");
  // Magic links of /proc are refused even if reached.
  await rejects(m.readFile("/proc/self/root/etc/hostname"), LklError);
  // An error names the path in the mount.
  const e = await rejected(m.readFile("d/missing"), LklError);
  equal(e.path, "d/missing");
  match(e.message, /d\/missing: No such file or directory/);
  // The name-relative calls of a directory take one component: ".." from the
  // root (which would reach /mnt) and names with "/" are refused.
  for (const name of ["..", ".", "d/inside", "../mnt"]) {
    equal(thrown(() => m.root.lstatx(name), LklError).code, "EINVAL", name);
    equal(thrown(() => m.root.openDir(name), LklError).code, "EINVAL", name);
  }
});

Deno.test("names that are not UTF-8 reach the kernel byte for byte: list, stat, read, rename, remove", async () => {
  const kernel = await sharedKernel();
  const src = join(dir, "latin1-src");
  await Deno.mkdir(join(src, "l1"), { recursive: true });
  // mkfs.ext4 -d stores the host's raw bytes: "caf\xe9.txt" is Latin-1, not UTF-8.
  await sh("python3", ["-c", "open(b'" + src + "/l1/caf\\xe9.txt','wb').write(b'x')"]);
  const image = join(dir, "latin1.img");
  await sparseFile(image, 32 << 20);
  await sh("mkfs.ext4", ["-q", "-d", src, image]);
  {
    await using disk = await kernel.attachDisk(image);
    await using m = await disk.mount();
    const names: string[] = [];
    for await (const entry of m.readDir("l1")) names.push(entry.name);
    equal(names.length, 1);
    const name = names[0];
    equal(name, "caf\udce9.txt", "the byte 0xe9 travels as the escape U+DCE9");
    equal((await m.lstat(`l1/${name}`)).size, 1);
    equal(await m.readTextFile(`l1/${name}`), "x");
    await m.rename(`l1/${name}`, `l1/${name}.old`);
    await m.writeTextFile(`l1/new-${name}`, "y");
    await m.remove(`l1/${name}.old`);
  }
  // What debugfs prints, as bytes: the new name holds the same raw byte 0xe9.
  const { stdout } = await new Deno.Command("debugfs", { args: ["-R", "ls -p /l1", image] })
    .output();
  const listing = [...stdout].map((b) => String.fromCharCode(b)).join(""); // one char per byte
  ok(listing.includes("/new-caf\xe9.txt/"), listing);
  ok(!listing.includes(".old"), listing);
  await checkImage(image, "ext4");
});

Deno.test("a trailing slash names a directory: on a file it is ENOTDIR, as for the kernel", async () => {
  const kernel = await sharedKernel();
  const image = join(dir, "slash.img");
  await makeImage(image, "ext4", 32 << 20);
  {
    await using disk = await kernel.attachDisk(image);
    await using m = await disk.mount();
    await m.writeTextFile("f", "file\n");
    await m.mkdir("d/");
    equal((await m.stat("d/")).isDirectory, true);
    for (
      const [what, call] of [
        ["stat", () => m.stat("f/")],
        ["lstat", () => m.lstat("f/")],
        ["readFile", () => m.readFile("f/")],
        ["chmod", () => m.chmod("f/", 0o600)],
        ["rename", () => m.rename("f/", "g")],
        ["remove", () => m.remove("f/")],
      ] as const
    ) {
      const e = await rejected(call(), LklError);
      equal(e.code, "ENOTDIR", what);
    }
    const e = await rejected(m.writeTextFile("f/", "over\n"), LklError);
    ok(e.code === "ENOTDIR" || e.code === "EISDIR", e.code);
    equal(await m.readTextFile("f"), "file\n", "the file was overwritten through f/");
  }
  await checkImage(image, "ext4");
});

Deno.test("a host directory is a FileTree too, with the same confinement", async () => {
  const root = join(dir, "hosttree");
  await Deno.mkdir(join(root, "sub"), { recursive: true });
  await Deno.symlink("/etc", join(root, "sub", "etc"));
  using tree = FileTree.host(root);
  await tree.writeTextFile("sub/f", "host\n");
  equal(await Deno.readTextFile(join(root, "sub", "f")), "host\n");
  equal((await rejected(tree.readFile("sub/etc/hostname"), LklError)).code, "ENOENT");
  equal(await tree.realPath("sub/../sub/f"), "/sub/f");
});

Deno.test("disk errors: missing, not an image, locked twice, partition out of range, read-only", async () => {
  const kernel = await sharedKernel();
  const missing = await rejected(kernel.attachDisk(join(dir, "nope.img")), DiskError);
  equal(missing.problem, "missing");
  match(missing.message, /nope\.img: no such image file/);
  const tiny = join(dir, "tiny");
  await Deno.writeTextFile(tiny, "tiny\n");
  equal((await rejected(kernel.attachDisk(tiny), DiskError)).problem, "not-an-image");
  equal((await rejected(kernel.attachDisk(dir), DiskError)).problem, "not-an-image");

  const image = join(dir, "twice.img");
  await makeImage(image, "ext4", 16 << 20);
  await using disk = await kernel.attachDisk(image);
  const locked = await rejected(kernel.attachDisk(image), DiskError);
  equal(locked.problem, "locked");
  match(locked.message, /twice\.img is already attached in this process/);
  const part = await rejected(disk.mount({ partition: 2 }), DiskError);
  equal(part.problem, "no-partition");
  await disk.close();

  await using ro = await kernel.attachDisk(image, { readOnly: true });
  equal((await rejected(ro.mount({ readOnly: false }), DiskError)).problem, "permission");
  await using m = await ro.mount();
  equal((await rejected(m.writeTextFile("x", "x"), LklError)).code, "EROFS");
});

Deno.test("a journal that needs recovery on a read-only disk: a clear error, or noload", async () => {
  const kernel = await sharedKernel();
  const image = join(dir, "dirty.img");
  await makeImage(image, "ext4", 16 << 20);
  await sh("debugfs", ["-w", "-R", "feature needs_recovery", image]);
  {
    await using disk = await kernel.attachDisk(image, { readOnly: true });
    const e = await rejected(disk.mount(), DiskError);
    equal(e.problem, "needs-recovery");
    match(e.message, /journal needs recovery.*"noload"/);
    await using m = await disk.mount({ options: "noload" });
    ok(m.readOnly);
  }
  // Attached read-write, the kernel replays it and the image is clean.
  {
    await using disk = await kernel.attachDisk(image);
    await using m = await disk.mount();
    await m.writeTextFile("after", "replayed\n");
  }
  await checkImage(image, "ext4");
});

Deno.test("closing a disk unmounts its mounts; closing a mount with an open file is EBUSY", async () => {
  const kernel = await sharedKernel();
  const image = join(dir, "close.img");
  await makeImage(image, "ext4", 16 << 20);
  const disk = await kernel.attachDisk(image);
  const m = await disk.mount();
  const f = await m.open("open.txt", { write: true, create: true });
  await f.write(encoder.encode("still open\n"));
  const busy = await rejected(m.close(), LklError);
  equal(busy.code, "EBUSY");
  f.close();
  await disk.close(); // unmounts m
  ok(!m.mounted);
  ok(!disk.attached);
  await checkImage(image, "ext4");
});

// Left mounted on purpose: halt must unmount it and leave the journal clean.
const leftImage = join(dir, "left-mounted.img");
Deno.test("a mount left open when the kernel halts (checked after the halt below)", async () => {
  const kernel = await sharedKernel();
  await makeImage(leftImage, "ext4", 16 << 20);
  const disk = await kernel.attachDisk(leftImage);
  const m = await disk.mount();
  await m.writeTextFile("written.txt", "before halt\n");
});

haltTest();

Deno.test("after halt: the mount left open was synced and unmounted (journal clean)", async () => {
  await checkImage(leftImage, "ext4");
  const features = await sh("dumpe2fs", ["-h", leftImage]);
  ok(!/needs_recovery/.test(features), "the journal still needs recovery");
  equal(await sh("debugfs", ["-R", "cat /written.txt", leftImage]), "before halt\n");
  await Deno.remove(dir, { recursive: true });
});
