/**
 * `lkl fsck`: clean images of every type give 0 and stay byte-identical;
 * damaged ext4 (a directory block, an inode table block), btrfs (a
 * flipped data byte) and a wrong directory link count (ext4, xfs) give 4
 * and name the damaged paths, and e2fsck (xfs_repair) agrees; --repair
 * replays a crashed writer's journal (1), after which e2fsck finds the
 * image clean; the xfs and f2fs logs a crash leaves are
 * found without writing and replayed by --repair; usage and operational
 * errors are 16 and 8.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import {
  crashWriter,
  extBlockSize,
  extFirstBlock,
  extInodeBlock,
  flipByteAfter,
  overwriteBlock,
} from "../helpers/damage.ts";
import {
  checkImage,
  lkl,
  makeImage,
  makeTree,
  sh,
  sha256,
  sparseFile,
  tempDir,
} from "../helpers/images.ts";

interface Report {
  status: number;
  clean: boolean;
  fstype: string;
  entries: number;
  bytesRead: number;
  problems: { path: string | null; operation: string; code: string | null; cause: string }[];
  kernelMessages: { text: string; error: boolean; paths: string[] }[];
  corrected: string[];
  scrub: { csumErrors: number } | null;
  recordedErrors: unknown;
}

/** Runs fsck --json; checks that the exit status is the report's. */
async function fsck(image: string, ...args: string[]): Promise<Report & { code: number }> {
  const r = await lkl(["fsck", "-i", image, "--json", ...args]);
  let report: Report;
  try {
    report = JSON.parse(r.stdout);
  } catch {
    throw new Error(`fsck gave no JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
  equal(report.status, r.code, r.stderr);
  return { ...report, code: r.code };
}

/** Every path the report names, in problems and kernel messages. */
function namedPaths(report: Report): Set<string> {
  return new Set([
    ...report.problems.map((p) => p.path).filter((p) => p !== null),
    ...report.kernelMessages.flatMap((m) => m.paths),
  ]);
}

Deno.test("fsck: clean images of every type give 0 and are not changed", async () => {
  const dir = await tempDir("fsck-clean");
  try {
    const src = join(dir, "src");
    await makeTree(src);
    const images: [string, string][] = [];
    for (const fstype of ["ext4", "vfat", "exfat", "btrfs", "xfs"]) {
      const image = join(dir, `${fstype}.img`);
      await makeImage(image, fstype);
      images.push([image, fstype]);
    }
    const f2fs = join(dir, "f2fs.img");
    await sparseFile(f2fs, 128 << 20);
    await sh("mkfs.f2fs", ["-q", f2fs]);
    images.push([f2fs, "f2fs"]);
    for (const [image] of images) {
      const r = await lkl(["cptofs", "-i", image, `${src}/.`, "/"]);
      equal(r.code, 0, r.stderr);
    }
    const iso = join(dir, "tree.iso");
    await sh("xorriso", ["-as", "mkisofs", "-quiet", "-R", "-J", "-o", iso, src]);
    images.push([iso, "iso9660"]);
    const sqfs = join(dir, "tree.sqfs");
    await sh("mksquashfs", [src, sqfs, "-noappend", "-quiet", "-no-progress"]);
    images.push([sqfs, "squashfs"]);
    const ext2 = join(dir, "ext2.img");
    await sparseFile(ext2, 32 << 20);
    await sh("mkfs.ext2", ["-q", "-d", src, ext2]);
    images.push([ext2, "ext2"]);

    for (const [image, fstype] of images) {
      const before = await sha256(image);
      const report = await fsck(image, "--read-data");
      equal(report.code, 0, `${fstype}: ${JSON.stringify(report.problems)}`);
      equal(report.fstype, fstype);
      deepEqual(report.problems, []);
      deepEqual(report.kernelMessages.filter((m) => m.error), []);
      ok(report.entries >= 12, `${fstype}: ${report.entries} entries`);
      ok(report.bytesRead >= 1 << 20, `${fstype}: ${report.bytesRead} bytes read`);
      if (fstype === "btrfs") equal(report.scrub?.csumErrors, 0);
      equal(await sha256(image), before, `${fstype}: the image changed`);
    }

    // The human report on stdout.
    const r = await lkl(["fsck", "-i", join(dir, "ext4.img")]);
    equal(r.code, 0, r.stderr);
    match(r.stdout, /ext4\.img \(vda, ext4\): \d+ entries checked/);
    match(r.stdout, /ext4\.img: clean \(exit 0\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fsck: names that are not UTF-8 are walked, not reported as damage", async () => {
  const dir = await tempDir("fsck-latin1");
  try {
    const src = join(dir, "src");
    await Deno.mkdir(join(src, "l1"), { recursive: true });
    await sh("python3", ["-c", `open(b'${src}/l1/caf\\xe9.txt','wb').write(b'x')`]);
    const image = join(dir, "ext4.img");
    await sparseFile(image, 32 << 20);
    await sh("mkfs.ext4", ["-q", "-d", src, image]);
    const report = await fsck(image, "--read-data");
    equal(report.code, 0, JSON.stringify(report.problems));
    equal(report.bytesRead, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** An ext4 image (metadata_csum, the mkfs default) holding a small tree. */
async function ext4Image(dir: string): Promise<string> {
  const src = join(dir, "src");
  await Deno.mkdir(join(src, "docs", "inner"), { recursive: true });
  await Deno.writeTextFile(join(src, "docs", "a.txt"), "a\n");
  await Deno.writeTextFile(join(src, "docs", "inner", "b.txt"), "b\n");
  await Deno.mkdir(join(src, "other"));
  await Deno.writeTextFile(join(src, "other", "c.txt"), "c\n");
  const image = join(dir, "ext4.img");
  await sparseFile(image, 32 << 20);
  await sh("mkfs.ext4", ["-q", "-O", "metadata_csum", "-d", src, image]);
  return image;
}

Deno.test("fsck: an ext4 directory block overwritten gives 4 and names the directory", async () => {
  const dir = await tempDir("fsck-dirblock");
  try {
    const image = await ext4Image(dir);
    await overwriteBlock(image, await extFirstBlock(image, "/docs"), await extBlockSize(image));
    const before = await sha256(image);
    const report = await fsck(image);
    equal(report.code, 4);
    ok(!report.clean);
    ok(
      report.problems.some((p) => p.path === "/docs" && p.operation === "readdir"),
      JSON.stringify(report.problems),
    );
    ok(report.kernelMessages.some((m) => m.error && m.paths.includes("/docs")));
    ok(!namedPaths(report).has("/other"), "an intact directory was reported");
    equal(await sha256(image), before, "fsck changed the image");
    // e2fsck agrees that it is damaged.
    await sh("e2fsck", ["-fn", image], { ok: [4, 8, 12] });

    const human = await lkl(["fsck", "-i", image]);
    equal(human.code, 4);
    match(human.stdout, /\/docs: readdir: .*\((EBADMSG|EUCLEAN)\)/);
    match(human.stdout, /errors left uncorrected \(exit 4\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fsck: an ext4 inode table block overwritten gives 4 and names the files", async () => {
  const dir = await tempDir("fsck-inodes");
  try {
    const image = await ext4Image(dir);
    const block = await extInodeBlock(image, "/docs/inner/b.txt");
    await overwriteBlock(image, block, await extBlockSize(image));
    const before = await sha256(image);
    const report = await fsck(image, "--read-data");
    equal(report.code, 4);
    const stat = report.problems.filter((p) => p.operation === "stat");
    ok(stat.length > 0, JSON.stringify(report.problems));
    ok(stat.every((p) => p.code === "EUCLEAN" || p.code === "EBADMSG"), JSON.stringify(stat));
    // The inodes of a table block are neighbours: b.txt, or the directory holding it.
    const paths = namedPaths(report);
    ok(
      paths.has("/docs/inner/b.txt") || paths.has("/docs/inner"),
      [...paths].join(", "),
    );
    equal(await sha256(image), before);
    await sh("e2fsck", ["-fn", image], { ok: [4, 8, 12] });
    equal(report.recordedErrors, null);

    // --repair checks on a writable disk, where the driver records what it
    // meets: that is not an error "from before", but the next check shows it.
    const repaired = await fsck(image, "--repair");
    equal(repaired.code, 4);
    equal(repaired.recordedErrors, null, "an error recorded by this run reported as earlier");
    const again = await fsck(image);
    const count = (again.recordedErrors as { count: number } | null)?.count ?? 0;
    ok(count >= 1, JSON.stringify(again.recordedErrors));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The "links" problems of a report. */
function linkProblems(report: Report): Report["problems"] {
  return report.problems.filter((p) => p.operation === "links");
}

Deno.test("fsck: a symlink's or FIFO's link count that does not match its names gives 4", async () => {
  const dir = await tempDir("fsck-otherlinks");
  try {
    const src = join(dir, "src");
    await Deno.mkdir(src);
    await Deno.symlink("target", join(src, "sym"));
    await sh("mkfifo", [join(src, "fifo")]);
    const image = join(dir, "ext4.img");
    await sparseFile(image, 32 << 20);
    await sh("mkfs.ext4", ["-q", "-d", src, image]);
    equal((await fsck(image)).code, 0);
    await sh("debugfs", ["-w", "-R", "set_inode_field /sym links_count 4", image]);
    await sh("debugfs", ["-w", "-R", "set_inode_field /fifo links_count 5", image]);
    match(await sh("e2fsck", ["-fn", image], { ok: [4] }), /ref count is 4, should be 1/);
    const report = await fsck(image);
    equal(report.code, 4, JSON.stringify(report.problems));
    deepEqual(linkProblems(report).map((p) => p.path).sort(), ["/fifo", "/sym"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fsck: a directory link count that is not 2 + its subdirectories gives 4", async () => {
  const dir = await tempDir("fsck-dirlinks");
  try {
    const src = join(dir, "src");
    await Deno.mkdir(join(src, "sub", "a"), { recursive: true });
    await Deno.writeTextFile(join(src, "sub", "file.txt"), "file\n");

    // ext4: debugfs sets the count (and the inode checksum).
    const ext4 = join(dir, "ext4.img");
    await sparseFile(ext4, 32 << 20);
    await sh("mkfs.ext4", ["-q", "-d", src, ext4]);
    equal((await fsck(ext4)).code, 0);
    await sh("debugfs", ["-w", "-R", "set_inode_field /sub links_count 7", ext4]);
    const e2fsck = await sh("e2fsck", ["-fn", ext4], { ok: [4] });
    match(e2fsck, /Inode \d+ ref count is 7, should be 3/);
    const before = await sha256(ext4);
    let report = await fsck(ext4);
    equal(report.code, 4, JSON.stringify(report.problems));
    deepEqual(linkProblems(report), [{
      path: "/sub",
      operation: "links",
      code: null,
      cause: "link count 7, but 1 subdirectory found (3 expected)",
    }]);
    equal(await sha256(ext4), before, "fsck changed the image");
    const human = await lkl(["fsck", "-i", ext4]);
    equal(human.code, 4);
    match(human.stdout, /\/sub: links: link count 7, but 1 subdirectory found \(3 expected\)/);

    // xfs: xfs_db writes the count (and the v5 inode CRC).
    const xfs = join(dir, "xfs.img");
    await makeImage(xfs, "xfs");
    const r = await lkl(["cptofs", "-i", xfs, `${src}/.`, "/"]);
    equal(r.code, 0, r.stderr);
    equal((await fsck(xfs)).code, 0);
    await sh("xfs_db", ["-x", "-c", "path /sub", "-c", "write core.nlinkv2 7", xfs]);
    // xfs_repair says what it would fix on stderr.
    const repair = await sh("sh", ["-c", 'xfs_repair -n "$0" 2>&1', xfs], { ok: [1] });
    match(repair, /would have reset inode \d+ nlinks from 7 to 3/);
    report = await fsck(xfs);
    equal(report.code, 4, JSON.stringify(report.problems));
    deepEqual(linkProblems(report).map((p) => [p.path, p.cause]), [
      ["/sub", "link count 7, but 1 subdirectory found (3 expected)"],
    ]);
    // f2fs has no tool here that writes an inode field (no inject.f2fs).
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fsck: a -t the image does not hold is refused, as by the other commands", async () => {
  const dir = await tempDir("fsck-type");
  try {
    const image = await ext4Image(dir);
    const r = await lkl(["fsck", "-i", image, "-t", "ext2"]);
    equal(r.code, 8);
    equal(r.stderr.trim(), `lkl: ${image}: not an ext2 file system (it holds ext4)`);
    equal((await fsck(image, "-t", "ext4")).fstype, "ext4");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fsck: a flipped byte of btrfs file data gives 4 and names the file", async () => {
  const dir = await tempDir("fsck-btrfs");
  try {
    const src = join(dir, "src");
    await Deno.mkdir(join(src, "sub"), { recursive: true });
    const data = new Uint8Array(256 * 1024);
    crypto.getRandomValues(data.subarray(0, 65536));
    data.set(new TextEncoder().encode("LKL-FSCK-MARKER-7f3a9c"), 0);
    await Deno.writeFile(join(src, "sub", "data.bin"), data);
    await Deno.writeTextFile(join(src, "fine.txt"), "fine\n");
    const image = join(dir, "btrfs.img");
    await sparseFile(image, 128 << 20);
    await sh("mkfs.btrfs", ["-q", "-f", "--rootdir", src, image]);
    equal((await fsck(image)).code, 0);
    await flipByteAfter(image, "LKL-FSCK-MARKER-7f3a9c", 1000);
    await sh("btrfs", ["check", "--check-data-csum", image], { ok: [1] });
    const before = await sha256(image);

    // The scrub finds it without reading the files.
    let report = await fsck(image);
    equal(report.code, 4);
    equal(report.scrub?.csumErrors, 1);
    ok(
      report.problems.some((p) => p.path === "/sub/data.bin" && p.operation === "scrub"),
      JSON.stringify(report.problems),
    );
    // Reading the data fails where the checksum does not match.
    report = await fsck(image, "--read-data");
    equal(report.code, 4);
    ok(
      report.problems.some((p) =>
        p.path === "/sub/data.bin" && p.operation === "read" && p.code === "EIO"
      ),
      JSON.stringify(report.problems),
    );
    ok(!namedPaths(report).has("/fine.txt"));
    equal(await sha256(image), before, "fsck changed the image");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fsck --repair replays the journal a crashed writer left: 1, then e2fsck clean", async () => {
  const dir = await tempDir("fsck-repair");
  try {
    const image = join(dir, "ext4.img");
    await makeImage(image, "ext4", 32 << 20);
    await crashWriter(image);
    match(await sh("dumpe2fs", ["-h", image]), /needs_recovery/);
    await sh("e2fsck", ["-fn", image], { ok: [4] });

    const before = await sha256(image);
    let report = await fsck(image);
    equal(report.code, 4);
    ok(report.problems.some((p) => p.operation === "journal"), JSON.stringify(report.problems));
    equal(await sha256(image), before, "fsck without --repair changed the image");

    report = await fsck(image, "--repair");
    equal(report.code, 1, JSON.stringify(report));
    ok(report.corrected.some((c) => /recovery complete/.test(c)), report.corrected.join("\n"));
    ok(report.corrected.some((c) => /orphan/.test(c)), report.corrected.join("\n"));
    deepEqual(report.problems, []);
    await checkImage(image, "ext4"); // e2fsck -fn: clean
    equal((await fsck(image)).code, 0);
    const out = join(dir, "committed.txt");
    const r = await lkl(["cpfromfs", "-i", image, "/committed.txt", out]);
    equal(r.code, 0, r.stderr);
    equal(await Deno.readTextFile(out), "in the journal\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fsck finds the xfs and f2fs logs a crashed writer left; --repair replays them", async () => {
  const dir = await tempDir("fsck-logs");
  try {
    const xfs = join(dir, "xfs.img");
    await makeImage(xfs, "xfs");
    const f2fs = join(dir, "f2fs.img");
    await sparseFile(f2fs, 128 << 20);
    await sh("mkfs.f2fs", ["-q", f2fs]);
    for (const [image, fstype] of [[xfs, "xfs"], [f2fs, "f2fs"]]) {
      await crashWriter(image, fstype);
      const before = await sha256(image);
      let report = await fsck(image);
      equal(report.code, 4, `${fstype}: ${JSON.stringify(report)}`);
      const journal = report.problems.find((p) => p.operation === "journal");
      ok(journal, `${fstype}: ${JSON.stringify(report.problems)}`);
      match(journal.cause, new RegExp(`^the ${fstype} .*--repair replays them$`));
      equal(await sha256(image), before, `${fstype}: fsck without --repair changed the image`);

      report = await fsck(image, "--repair");
      equal(report.code, 1, `${fstype}: ${JSON.stringify(report)}`);
      ok(report.corrected.length > 0, `${fstype}: nothing said corrected`);
      deepEqual(report.problems, []);
      equal((await fsck(image)).code, 0, `${fstype}: not clean after --repair`);
      const wanted = fstype === "f2fs"
        ? ["/fsynced.txt", "after the checkpoint\n"]
        : ["/committed.txt", "in the journal\n"];
      const out = join(dir, `${fstype}.txt`);
      const r = await lkl(["cpfromfs", "-i", image, wanted[0], out]);
      equal(r.code, 0, r.stderr);
      equal(await Deno.readTextFile(out), wanted[1], `${fstype}: the logged write is lost`);
    }
    await checkImage(xfs, "xfs"); // xfs_repair -n: clean (it refuses a dirty log)
    await sh("fsck.f2fs", ["--dry-run", f2fs]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fsck reports the errors an ext4 superblock records, as dumpe2fs shows them", async () => {
  const dir = await tempDir("fsck-recorded");
  try {
    const image = join(dir, "ext4.img");
    await makeImage(image, "ext4", 32 << 20);
    // What the driver leaves after meeting damage (errors=continue): set with debugfs.
    for (
      const field of [
        "error_count 3",
        "state 3",
        "first_error_time 20250102030405",
        "first_error_func ext4_lookup",
        "first_error_line 1859",
        "first_error_ino 12",
        "last_error_time 20250607080910",
        "last_error_func ext4_iget",
        "last_error_ino 14",
        "last_error_block 4242",
      ]
    ) {
      await sh("debugfs", ["-w", "-R", `ssv ${field}`, image]);
    }
    const dump = await sh("dumpe2fs", ["-h", image]);
    match(dump, /^FS Error count:\s+3$/m);
    match(dump, /^Filesystem state:\s+clean with errors$/m);

    const before = await sha256(image);
    const report = await fsck(image);
    equal(report.code, 0, "earlier errors do not fail a check that finds none");
    deepEqual(report.recordedErrors, {
      count: 3,
      first: {
        time: "2025-01-02T03:04:05.000Z",
        function: "ext4_lookup",
        line: 1859,
        inode: 12,
        block: 0,
        code: null,
      },
      last: {
        time: "2025-06-07T08:09:10.000Z",
        function: "ext4_iget",
        line: 0,
        inode: 14,
        block: 4242,
        code: null,
      },
    });
    const r = await lkl(["fsck", "-i", image]);
    equal(r.code, 0, r.stderr);
    match(r.stdout, /^the superblock records 3 errors the kernel met before this check/m);
    match(r.stdout, /^ {2}first: 2025-01-02T03:04:05\.000Z in ext4_lookup:1859 \(inode 12\)$/m);
    match(
      r.stdout,
      /^ {2}last: 2025-06-07T08:09:10\.000Z in ext4_iget:0 \(inode 14, block 4242\)$/m,
    );
    match(r.stdout, /: clean, but with earlier errors on record \(exit 0\)$/m);
    equal(await sha256(image), before);

    // A clean image has no record.
    await sh("e2fsck", ["-fy", image], { ok: [0, 1] });
    equal((await fsck(image)).recordedErrors, null);

    // Marked with errors, but nothing counted: said so, without empty fields.
    await sh("debugfs", ["-w", "-R", "ssv state 3", image]);
    const marked = await lkl(["fsck", "-i", image]);
    equal(marked.code, 0, marked.stderr);
    match(
      marked.stdout,
      /^the superblock is marked as having errors \(no count recorded\) from before this check .*record\)\.$/m,
    );
    ok(!marked.stdout.includes("?:0"), marked.stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fsck: usage errors are 16, images that cannot be checked 8", async () => {
  const dir = await tempDir("fsck-errors");
  try {
    let r = await lkl(["fsck"]);
    equal(r.code, 16);
    match(r.stderr, /required option '-i, --image <file>'/);
    r = await lkl(["fsck", "-i", "x.img", "--no-such-flag"]);
    equal(r.code, 16);
    r = await lkl(["fsck", "--help"]);
    equal(r.code, 0);
    match(r.stdout, /not an offline structural check|no offline structural check/);

    r = await lkl(["fsck", "-i", join(dir, "missing.img")]);
    equal(r.code, 8);
    match(r.stderr, /missing\.img: no such image file/);
    const noise = join(dir, "noise.img");
    await Deno.writeFile(noise, new Uint8Array(1 << 20));
    r = await lkl(["fsck", "-i", noise]);
    equal(r.code, 8);
    match(r.stderr, /not a recognized file system/);
    // --json still prints a report: the status and why.
    r = await lkl(["fsck", "-i", noise, "--json"]);
    equal(r.code, 8);
    const json = JSON.parse(r.stdout);
    equal(json.status, 8);
    equal(json.clean, false);
    equal(json.problem, "not-an-image");
    match(json.error, /not a recognized file system/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
