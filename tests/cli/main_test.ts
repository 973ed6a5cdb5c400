/**
 * The lkl command as a user runs it: a subprocess of cli/main.ts. The
 * `info` test boots a kernel, in that subprocess, when liblkl.so exists
 * (see tests/helpers/build_output.ts for when it is ignored).
 */

import { equal, match, ok } from "node:assert/strict";
import { ignoreWithout, LIBRARY, requireOutput } from "../helpers/build_output.ts";

const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;

async function lkl(args: string[], env: Record<string, string> = {}) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // A kernel that never finishes booting must not hang the test run.
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const { code, stdout, stderr } = await child.output();
  clearTimeout(timer);
  return {
    code,
    stdout: new TextDecoder().decode(stdout),
    stderr: new TextDecoder().decode(stderr),
  };
}

Deno.test("lkl --help lists the commands on stdout", async () => {
  const r = await lkl(["--help"]);
  equal(r.code, 0, r.stderr);
  match(r.stdout, /Usage: lkl/);
  match(r.stdout, /info/);
});

Deno.test("lkl info --help shows its options", async () => {
  const r = await lkl(["info", "--help"]);
  equal(r.code, 0, r.stderr);
  match(r.stdout, /--json/);
  match(r.stdout, /--memory/);
});

Deno.test("lkl --version prints the lkl version first", async () => {
  const r = await lkl(["--version"]);
  equal(r.code, 0, r.stderr);
  match(r.stdout, /^lkl \d+\.\d+\.\d+\n/);
});

Deno.test("an unknown command is a usage error (exit 2)", async () => {
  const r = await lkl(["frobnicate"]);
  equal(r.code, 2);
  match(r.stderr, /unknown command 'frobnicate'/);
  equal(r.stdout, "");
});

Deno.test("-m outside 16 MiB .. the host's memory is a usage error, not a kernel panic", async () => {
  for (const m of ["8", "15", "100000000", "x"]) {
    const r = await lkl(["info", "-m", m]);
    equal(r.code, 2, `${m}: ${r.stderr}`);
    match(
      r.stderr,
      /argument '.*' is invalid\. expected 16 to \d+ MiB \(the kernel needs 16 MiB at least/,
    );
  }
  const fsck = await lkl(["fsck", "-i", "/nonexistent.img", "-m", "8"]);
  equal(fsck.code, 16, "fsck's usage errors are 16");
});

Deno.test("a missing library is one clear line and exit 3", async () => {
  const r = await lkl(["info"], { LKL_LIBRARY: "/nonexistent/liblkl.so" });
  equal(r.code, 3);
  match(r.stderr, /\/nonexistent\/liblkl\.so/);
  match(r.stderr, /deno task build/);
  equal(r.stdout, "");
});

Deno.test({
  name: "lkl info --json boots, reports and halts",
  ignore: ignoreWithout(LIBRARY),
  async fn() {
    requireOutput(LIBRARY);
    const r = await lkl(["info", "--json"]);
    equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout);
    equal(info.sysname, "Linux");
    ok(info.release.startsWith("6.12"), info.release);
    ok(info.bootMs > 0);
    equal(info.memoryMiB, 64);
    const names = info.filesystems.map((f: { name: string }) => f.name);
    ok(names.includes("proc"), names.join(" "));
  },
});

Deno.test({
  name: "lkl --version names the kernel inside liblkl.so",
  ignore: ignoreWithout(LIBRARY),
  async fn() {
    requireOutput(LIBRARY);
    const r = await lkl(["--version"]);
    equal(r.code, 0, r.stderr);
    match(r.stdout, /liblkl\.so: .*6\.12/);
  },
});
