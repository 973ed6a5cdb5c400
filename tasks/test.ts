/**
 * `deno task test`: builds the library, then runs every test.
 *
 * `deno test` runs all the files it is given in ONE process (each file in
 * its own isolate), but there is one kernel per process and it cannot boot
 * again after a halt. So:
 *   - tests/unit/ and tests/cli/ (no kernel in the test process) run
 *     together in one `deno test`;
 *   - every other test file (tests/kernel/, later tests/fs/, tests/net/)
 *     runs in a `deno test` process of its own, and boots at most once.
 *
 * The JSDoc examples boot kernels, so they are type-checked (`deno task
 * check` runs `deno check --doc`) rather than run here.
 *
 * Counts come from each process's JUnit report; a process that ends
 * without one (a crash) counts as one failure. The last line is
 * `tests: N passed, N failed, N skipped`, which .ci/run reads.
 *
 * A test process still running after LKL_TEST_TIMEOUT seconds (default
 * 300) is killed and counts as one failure.
 *
 * LKL_REQUIRE_BUILD=1 is set for the tests: tests that compare with build
 * output fail, instead of being ignored, when it is missing.
 *
 * @module
 */

import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { build, reportBuildFailure } from "./build.ts";
import { REPO } from "./cache.ts";

/** Seconds one test process may take (LKL_TEST_TIMEOUT, default 300). */
const TIMEOUT_S = Number(Deno.env.get("LKL_TEST_TIMEOUT") ?? 300);

/** Test folders whose files share one process (they never boot a kernel in it). */
export const SHARED_DIRS: readonly string[] = ["tests/unit", "tests/cli"];

/** Counts of one or more test runs. */
export interface Counts {
  passed: number;
  failed: number;
  ignored: number;
}

/** Counts the test cases of a Deno JUnit report; steps ("parent > step") are not counted. */
export function countJunit(xml: string): Counts {
  const counts = { passed: 0, failed: 0, ignored: 0 };
  const cases = xml.matchAll(/<testcase name="([^"]*)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g);
  for (const m of cases) {
    if (m[1].includes(" &gt; ")) continue;
    const body = m[3] ?? "";
    if (/<(failure|error)\b/.test(body)) counts.failed++;
    else if (/<skipped\b/.test(body)) counts.ignored++;
    else counts.passed++;
  }
  return counts;
}

async function testFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(d));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      throw e;
    }
    for (const entry of entries) {
      const path = join(d, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (/_test\.tsx?$/.test(entry.name)) out.push(relative(REPO, path));
    }
  };
  await walk(dir);
  return out.sort();
}

/** Splits test files into the shared group and the one-process-each files. */
export function groupFiles(files: readonly string[]): { shared: string[]; isolated: string[] } {
  const isShared = (f: string) => SHARED_DIRS.some((d) => f === d || f.startsWith(d + "/"));
  return { shared: files.filter(isShared), isolated: files.filter((f) => !isShared(f)) };
}

async function runDenoTest(label: string, args: string[], filter?: string): Promise<Counts> {
  const junit = await Deno.makeTempFile({ prefix: "lkl-junit-", suffix: ".xml" });
  try {
    console.log(`\n=== ${label}`);
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "test",
        "-A",
        "--permit-no-files",
        `--junit-path=${junit}`,
        ...(filter ? ["--filter", filter] : []),
        ...args,
      ],
      cwd: REPO,
      env: { LKL_REQUIRE_BUILD: "1" },
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    // A kernel test that deadlocks blocks its whole process: end it.
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      console.log(`${label}: no result after ${TIMEOUT_S} s: killing the test process`);
      child.kill("SIGKILL");
    }, TIMEOUT_S * 1000);
    const status = await child.status;
    clearTimeout(timer);
    if (timedOut) return { passed: 0, failed: 1, ignored: 0 };
    const xml = await Deno.readTextFile(junit).catch(() => "");
    if (!xml.includes("<testsuites")) {
      const how = status.signal ? `signal ${status.signal}` : `exit ${status.code}`;
      console.log(
        `${label}: the test process ended (${how}) without a report: counted as 1 failure`,
      );
      return { passed: 0, failed: 1, ignored: 0 };
    }
    const counts = countJunit(xml);
    if (!status.success && counts.failed === 0) {
      console.log(
        `${label}: deno test exited ${status.code} with no failed test: counted as 1 failure`,
      );
      counts.failed = 1;
    }
    return counts;
  } finally {
    await Deno.remove(junit).catch(() => {});
  }
}

const HELP = `Usage: deno task test [--no-build] [--filter TEXT] [FILES...]

Builds build/liblkl.so (unless --no-build), then runs the tests: tests/unit and
tests/cli together, every other test file in a process of its own (one kernel
per process). The last line is "tests: N passed, N failed, N skipped".`;

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      "no-build": { type: "boolean", default: false },
      filter: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    Deno.exit(0);
  }

  if (!values["no-build"]) {
    try {
      await build();
    } catch (e) {
      if (!reportBuildFailure(e)) throw e;
      console.error("tests: the build failed; tests that need liblkl.so will fail");
    }
  }

  const files = positionals.length > 0
    ? positionals.map((p) => relative(REPO, resolve(Deno.env.get("INIT_CWD") ?? Deno.cwd(), p)))
    : (await Promise.all(["tests"].map((d) => testFiles(join(REPO, d))))).flat();
  const { shared, isolated } = groupFiles(files);

  const total: Counts = { passed: 0, failed: 0, ignored: 0 };
  const add = (c: Counts) => {
    total.passed += c.passed;
    total.failed += c.failed;
    total.ignored += c.ignored;
  };
  if (shared.length > 0) {
    add(await runDenoTest(SHARED_DIRS.join(", "), shared, values.filter));
  }
  for (const file of isolated) add(await runDenoTest(file, [file], values.filter));

  console.log(`\ntests: ${total.passed} passed, ${total.failed} failed, ${total.ignored} skipped`);
  if (total.failed > 0) Deno.exitCode = 1;
}
