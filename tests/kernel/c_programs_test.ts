/**
 * The C test programs of tests/c/, built against build/liblkl.so and run as
 * subprocesses: the kernel port and the host shim checked with no
 * TypeScript in between, and the shim once more under AddressSanitizer
 * and UndefinedBehaviorSanitizer.
 *
 * @module
 */

import { equal as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { join } from "node:path";
import { BUILD, REPO } from "../helpers/build_output.ts";

const OUT = join(BUILD, "tests");
const HOST = join(REPO, "linux", "host");
const UAPI = join(REPO, "linux", "arch", "lkl", "include", "uapi");
const SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"];

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(cmd: string, args: string[], env?: Record<string, string>): Promise<Result> {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

async function gcc(args: string[]): Promise<void> {
  await Deno.mkdir(OUT, { recursive: true });
  const r = await run("gcc", ["-std=gnu11", "-O1", "-g", "-Wall", "-Wextra", "-Werror", ...args]);
  assertEquals(r.code, 0, `gcc ${args.join(" ")}\n${r.stderr}`);
}

/** A test program linked against a liblkl.so in `libDir`. */
async function program(name: string, libDir: string, extra: string[] = []): Promise<string> {
  const out = join(OUT, `${name}${libDir === BUILD ? "" : "-asan"}`);
  await gcc([
    ...extra,
    "-I",
    HOST,
    join(REPO, "tests", "c", `${name}.c`),
    "-o",
    out,
    "-L",
    libDir,
    "-llkl",
    "-lpthread",
    `-Wl,-rpath,${libDir}`,
  ]);
  return out;
}

function passed(r: Result, what: string): void {
  assertEquals(r.code, 0, `${what} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  assertMatch(r.stdout, /^PASS$/m, `${what} did not print PASS\n${r.stdout}`);
}

/** liblkl.so with the shim compiled under the sanitizers (the kernel is not instrumented). */
async function sanitizedLibrary(): Promise<string> {
  const dir = join(OUT, "asan");
  await Deno.mkdir(dir, { recursive: true });
  const objects: string[] = [];
  for await (const entry of Deno.readDir(HOST)) {
    if (!entry.name.endsWith(".c")) continue;
    const object = join(dir, entry.name.replace(/\.c$/, ".o"));
    await gcc([
      ...SANITIZE,
      "-fPIC",
      "-fvisibility=hidden",
      "-I",
      UAPI,
      "-I",
      HOST,
      "-c",
      join(HOST, entry.name),
      "-o",
      object,
    ]);
    objects.push(object);
  }
  const r = await run("gcc", [
    ...SANITIZE,
    "-shared",
    "-o",
    join(dir, "liblkl.so"),
    join(BUILD, "lkl.o"),
    ...objects,
    `-Wl,--version-script=${join(HOST, "lkl.map")}`,
    "-Wl,-z,noexecstack",
    "-Wl,-z,nodelete",
    "-lpthread",
  ]);
  assertEquals(r.code, 0, r.stderr);
  return dir;
}

Deno.test("C: the boot checklist (tests/c/boot_test.c)", async () => {
  const r = await run(await program("boot_test", BUILD), []);
  passed(r, "boot_test");
  assertMatch(r.stdout, /^ok {3}64 threads in turn each made a system call$/m);
});

Deno.test("C: host operations under ASan and UBSan (tests/c/host_ops_test.c)", async () => {
  const out = join(OUT, "host_ops_test");
  await gcc([
    ...SANITIZE,
    "-I",
    UAPI,
    "-I",
    HOST,
    join(REPO, "tests", "c", "host_ops_test.c"),
    join(HOST, "posix.c"),
    "-o",
    out,
    "-lpthread",
  ]);
  const r = await run(out, []);
  assertEquals(r.code, 0, `${r.stdout}\n${r.stderr}`);
  assertMatch(r.stdout, /^PASS: 0 failures$/m);
});

Deno.test("C: the boot checklist with the shim under ASan and UBSan, no leaks", async () => {
  const lib = await sanitizedLibrary();
  const r = await run(await program("boot_test", lib, SANITIZE), [], {
    ASAN_OPTIONS: "detect_leaks=1:abort_on_error=1",
  });
  passed(r, "boot_test under ASan");
  assert(!/Sanitizer/.test(r.stderr), r.stderr);
});

Deno.test("C: an ext4 image made by mkfs.ext4, written through virtio-blk, is clean", async () => {
  const image = await Deno.makeTempFile({ suffix: ".img" });
  try {
    await Deno.truncate(image, 64 << 20);
    const mkfs = await run("mkfs.ext4", ["-q", "-F", image]);
    assertEquals(mkfs.code, 0, mkfs.stderr);
    const r = await run(await program("disk_test", BUILD), [image, "ext4"]);
    passed(r, "disk_test");
    const fsck = await run("e2fsck", ["-fn", image]);
    assertEquals(fsck.code, 0, `e2fsck -fn: ${fsck.stdout}${fsck.stderr}`);
    const cat = await run("debugfs", ["-R", "cat /hello.txt", image]);
    assertEquals(cat.stdout, "hello from lkl\n");
  } finally {
    await Deno.remove(image);
  }
});

Deno.test({
  name: "C: virtio-net on a TAP, in a network namespace of its own (tests/c/net_test.sh)",
  // Network namespaces and TAPs need root (CI has it).
  ignore: Deno.uid() !== 0,
  async fn() {
    const r = await run("sh", [join(REPO, "tests", "c", "net_test.sh"), BUILD], {
      NET_TEST_MIB: "16",
    });
    assertEquals(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assertEquals(r.stdout.match(/^PASS$/gm)?.length, 3, r.stdout); // offload on, off, permissions
  },
});
