/** The pure parts of the build and test tasks. */

import { deepEqual, equal, notEqual } from "node:assert/strict";
import { join } from "node:path";
import { artifactKey, listFiles } from "../../tasks/artifacts.ts";
import { cacheDirs, cacheRoot } from "../../tasks/cache.ts";
import { installCommand } from "../../tasks/setup.ts";
import { formatKernelVersion, parseMakefileVersion } from "../../tasks/source.ts";
import { countJunit, groupFiles } from "../../tasks/test.ts";

Deno.test("cache: LKL_CACHE_DIR, then XDG_CACHE_HOME/lkl, then ~/.cache/lkl", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  equal(cacheRoot(env({ LKL_CACHE_DIR: "/c", XDG_CACHE_HOME: "/x", HOME: "/h" })), "/c");
  equal(cacheRoot(env({ XDG_CACHE_HOME: "/x", HOME: "/h" })), "/x/lkl");
  equal(cacheRoot(env({ HOME: "/h" })), "/h/.cache/lkl");
  const dirs = cacheDirs("/c");
  equal(dirs.src, "/c/src/linux-source-6.12");
  equal(dirs.obj, "/c/obj");
  equal(dirs.lock, "/c/lock");
});

Deno.test("source: version from the kernel Makefile", () => {
  const v = parseMakefileVersion(
    "# SPDX\nVERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 117\nEXTRAVERSION =\nNAME = Baby Opossum Posse\n",
  );
  deepEqual(v, { version: 6, patchlevel: 12, sublevel: 117, extraversion: "" });
  equal(formatKernelVersion(v), "6.12.117");
});

Deno.test("setup: the install line for a non-root user", () => {
  equal(installCommand(["bc", "flex"]), "sudo apt-get install -y --no-install-recommends bc flex");
});

Deno.test("artifacts: the key covers file paths and contents under linux/", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(dir, "host"));
    await Deno.writeTextFile(join(dir, "host", "a.c"), "int a;\n");
    await Deno.writeTextFile(join(dir, "Kconfig"), "config X\n");
    deepEqual(await listFiles(dir), ["Kconfig", "host/a.c"]);
    const inputs = { recipe: "r", packageVersion: "p", kernelVersion: "6.12.117", linuxDir: dir };
    const k1 = await artifactKey(inputs);
    equal(k1, await artifactKey(inputs), "deterministic");
    await Deno.writeTextFile(join(dir, "host", "a.c"), "int b;\n");
    const k2 = await artifactKey(inputs);
    notEqual(k2, k1, "content change");
    await Deno.rename(join(dir, "host", "a.c"), join(dir, "host", "b.c"));
    notEqual(await artifactKey(inputs), k2, "rename");
    notEqual(await artifactKey({ ...inputs, recipe: "r2" }), await artifactKey(inputs), "recipe");
    notEqual(
      await artifactKey({ ...inputs, packageVersion: "p2" }),
      await artifactKey(inputs),
      "package version",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("test runner: unit and cli tests share a process, the others get one each", () => {
  deepEqual(
    groupFiles([
      "tests/unit/a_test.ts",
      "tests/cli/b_test.ts",
      "tests/kernel/c_test.ts",
      "tests/fs/d_test.ts",
    ]),
    {
      shared: ["tests/unit/a_test.ts", "tests/cli/b_test.ts"],
      isolated: ["tests/kernel/c_test.ts", "tests/fs/d_test.ts"],
    },
  );
});

Deno.test("test runner: counts a JUnit report without steps", () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="deno test" tests="5" failures="1" errors="0" time="0.054">
    <testsuite name="./d.test.ts" tests="4" disabled="1" errors="0" failures="1">
        <testcase name="ign" classname="./d.test.ts" time="0.000" line="1" col="6">
            <skipped/>
        </testcase>
        <testcase name="fails" classname="./d.test.ts" time="0.001" line="2" col="6">
            <failure message="Uncaught Error: x">Error: x</failure>
        </testcase>
        <testcase name="steps" classname="./d.test.ts" time="0.001" line="3" col="6">
        </testcase>
        <testcase name="steps &gt; s1" classname="./d.test.ts" time="0.000" line="3" col="43">
        </testcase>
    </testsuite>
    <testsuite name="./a.test.ts" tests="1" disabled="0" errors="0" failures="0">
        <testcase name="a" classname="./a.test.ts" time="0.001" line="1" col="6">
        </testcase>
    </testsuite>
</testsuites>`;
  deepEqual(countJunit(xml), { passed: 2, failed: 1, ignored: 1 });
});
