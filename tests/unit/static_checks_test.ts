/**
 * The project's standards, checked by the tools on every test run: the
 * code is formatted and lint-free, type-checks (JSDoc examples included),
 * and every export of mod.ts is documented.
 *
 * @module
 */

import { equal } from "node:assert/strict";
import { REPO } from "../helpers/build_output.ts";

async function deno(args: string[]): Promise<{ code: number; output: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: REPO,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, output: text };
}

Deno.test("static: deno fmt --check", async () => {
  const r = await deno(["fmt", "--check"]);
  equal(r.code, 0, r.output);
});

Deno.test("static: deno lint", async () => {
  const r = await deno(["lint"]);
  equal(r.code, 0, r.output);
});

Deno.test("static: deno check, JSDoc examples included", async () => {
  const r = await deno([
    "check",
    "--doc",
    "mod.ts",
    "cli/",
    "ffi/",
    "lib/",
    "tasks/",
    "tests/",
    "bench/",
    "examples/",
  ]);
  equal(r.code, 0, r.output);
});

Deno.test("static: deno test --doc type-checks every JSDoc example of the library", async () => {
  // --no-run: the examples boot kernels and name images that do not exist here.
  const r = await deno(["test", "--doc", "--no-run", "mod.ts", "lib/", "ffi/"]);
  equal(r.code, 0, r.output);
});

Deno.test("static: deno doc --lint mod.ts (every export documented)", async () => {
  const r = await deno(["doc", "--lint", "mod.ts"]);
  equal(r.code, 0, r.output);
});
