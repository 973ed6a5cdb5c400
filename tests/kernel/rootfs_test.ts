/**
 * Files on the in-memory root file system. Runs in a process of its own
 * (see tests/helpers/kernel.ts).
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { LklError, O, S, STATX } from "../../mod.ts";
import { thrown } from "../helpers/assert.ts";
import { haltTest, sharedKernel } from "../helpers/kernel.ts";

const MiB = 1 << 20;

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
}

Deno.test("mkdir, create, write 1 MiB, read it back, statx", async () => {
  const { fs } = await sharedKernel();
  fs.mkdir("/data", 0o755);
  const dir = fs.statx("/data");
  equal(dir.mode & S.IFMT, S.IFDIR);
  equal(dir.mode & 0o7777, 0o755);

  const data = randomBytes(MiB);
  const fd = fs.open("/data/blob", O.WRONLY | O.CREAT | O.EXCL, 0o640);
  ok(fd >= 0);
  fs.writeAll(fd, data);
  fs.close(fd);

  const rfd = fs.open("/data/blob", O.RDONLY);
  const back = new Uint8Array(MiB);
  let got = 0;
  for (;;) {
    const n = fs.read(rfd, back.subarray(got));
    if (n === 0) break;
    got += n;
  }
  fs.close(rfd);
  equal(got, MiB);
  ok(back.every((b, i) => b === data[i]), "the bytes read back differ from the bytes written");

  const st = fs.statx("/data/blob");
  ok((st.mask & (STATX.SIZE | STATX.MODE | STATX.TYPE)) === (STATX.SIZE | STATX.MODE | STATX.TYPE));
  equal(st.size, MiB);
  equal(st.mode, S.IFREG | 0o640);
  equal(st.nlink, 1);
});

Deno.test("readFile and writeFile round trip", async () => {
  const { fs } = await sharedKernel();
  const text = new TextEncoder().encode("hello from the kernel\n");
  fs.writeFile("/data/hello.txt", text);
  deepEqual(fs.readFile("/data/hello.txt"), text);
  const names = fs.readdir("/data").map((e) => e.name).sort();
  deepEqual(names, [".", "..", "blob", "hello.txt"]);
});

Deno.test("opening a missing path throws LklError ENOENT", async () => {
  const { fs } = await sharedKernel();
  const e = thrown(() => fs.open("/no/such/file"), LklError);
  equal(e.code, "ENOENT");
  equal(e.errno, 2);
  equal(e.syscall, "openat");
  equal(e.path, "/no/such/file");
  equal(e.message, "openat /no/such/file: No such file or directory (ENOENT)");
});

Deno.test("mkdir of an existing directory throws EEXIST, unless existOk", async () => {
  const { fs } = await sharedKernel();
  equal(thrown(() => fs.mkdir("/data"), LklError).code, "EEXIST");
  fs.mkdir("/data", 0o755, true);
});

haltTest();
