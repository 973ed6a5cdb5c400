/**
 * `deno task compile`: one executable that runs from any directory, with
 * nothing but itself (a fresh cache directory, no checkout at hand).
 *
 * @module
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { compile, header } from "../../tasks/compile.ts";
import { BUILD, REPO } from "../helpers/build_output.ts";

Deno.test({
  name: "deno task compile: build/lkl runs from any directory and carries liblkl.so",
  // Needs the library that deno task test builds first.
  ignore: !Deno.env.get("LKL_REQUIRE_BUILD") && !(await Deno.stat(join(BUILD, "liblkl.so"))
    .then(() => true, () => false)),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const exe = join(dir, "lkl");
      const size = await compile(exe);
      ok(size > 1 << 20, `executable of ${size} bytes`);
      // Its shell header says where it comes from, without a made-up URL.
      const head = new TextDecoder().decode((await Deno.readFile(exe)).subarray(0, 4096));
      ok(head.includes("made by\n# `deno task compile` from the lkl repository"), head);
      ok(!/https?:|example\.invalid/.test(head.split("\nexit 1\n")[0]), head);
      // A clean environment: its own cache, started from /, no LKL_LIBRARY.
      const env = { XDG_CACHE_HOME: join(dir, "cache"), HOME: dir, PATH: "/usr/bin:/bin" };
      const version = await new Deno.Command(exe, {
        args: ["--version"],
        cwd: "/",
        env,
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const out = new TextDecoder().decode(version.stdout);
      equal(version.code, 0, new TextDecoder().decode(version.stderr));
      match(out, /Linux 6\.12\./);
      ok(out.includes(join(dir, "cache", "lkl", "bin")), `library from the unpacked copy: ${out}`);

      const info = await new Deno.Command(exe, {
        args: ["info", "--json"],
        cwd: "/",
        env,
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
      equal(info.code, 0, new TextDecoder().decode(info.stderr));
      const report = JSON.parse(new TextDecoder().decode(info.stdout));
      equal(report.sysname, "Linux");
      deepEqual(
        ["ext4", "vfat", "btrfs", "xfs"].filter((fs) =>
          !report.filesystems.some((f: { name: string }) => f.name === fs)
        ),
        [],
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("deno task compile: the shell header names no URL, only how it was made", () => {
  const text = header("0123456789abcdef", 20);
  ok(text.startsWith("#!/bin/sh\n"));
  ok(!/https?:|example\.invalid/.test(text), text);
  match(text, /^# lkl: .*made by\n# `deno task compile` from the lkl repository\.$/m);
  // The payload starts right after the header's lines, in the directory named by the hash.
  ok(text.includes("tail -n +21 "), text);
  ok(text.includes("/lkl/bin/0123456789abcdef"), text);
});

Deno.test("deno install: the installed lkl runs from any directory with the checkout's library", async () => {
  const root = await Deno.makeTempDir();
  try {
    const install = await new Deno.Command(Deno.execPath(), {
      args: [
        "install",
        "-g",
        "-A",
        "-f",
        "-n",
        "lkl",
        "--root",
        root,
        "--config",
        join(REPO, "deno.json"),
        join(REPO, "cli", "main.ts"),
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    equal(install.code, 0, new TextDecoder().decode(install.stderr));
    const version = await new Deno.Command(join(root, "bin", "lkl"), {
      args: ["--version"],
      cwd: "/",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const out = new TextDecoder().decode(version.stdout);
    equal(version.code, 0, new TextDecoder().decode(version.stderr));
    ok(out.includes(join(BUILD, "liblkl.so")), out);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
