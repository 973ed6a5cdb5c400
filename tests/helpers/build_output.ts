/**
 * Where tests find the build output, and how they treat its absence.
 *
 * Tests that compare with build output (liblkl.so, unistd_64.h) are
 * ignored when it is missing, so `deno test tests/unit` works on a fresh
 * checkout; `deno task test` builds first and sets LKL_REQUIRE_BUILD=1,
 * and then a missing output is a failure, not an ignored test.
 *
 * @module
 */

import { dirname, fromFileUrl, join } from "./path.ts";

/** The repository root. */
export const REPO: string = dirname(dirname(dirname(fromFileUrl(import.meta.url))));
/** The build output folder. */
export const BUILD: string = join(REPO, "build");
/** The library the tests load (LKL_LIBRARY wins, as in ffi/library.ts). */
export const LIBRARY: string = Deno.env.get("LKL_LIBRARY") ?? join(BUILD, "liblkl.so");

/** True when the test runner demands the build output. */
export const REQUIRE_BUILD: boolean = Deno.env.get("LKL_REQUIRE_BUILD") === "1";

/** True when `path` exists. */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * `ignore` for a test that needs `path`: true only when it is missing and
 * the build is not required (then the test runs and fails clearly).
 */
export function ignoreWithout(path: string): boolean {
  return !exists(path) && !REQUIRE_BUILD;
}

/** Throws a clear error when `path` is missing (for tests that run anyway). */
export function requireOutput(path: string): void {
  if (!exists(path)) {
    throw new Error(`${path} is missing: run \`deno task build\` (the build did not produce it)`);
  }
}
