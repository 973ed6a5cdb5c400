/**
 * `deno task lkl ARGS...`: runs the lkl CLI from this checkout, building
 * build/liblkl.so first when it is missing (and LKL_LIBRARY is not set).
 * Relative paths in ARGS are taken from the directory the task was started
 * in, not from the repository.
 *
 * @module
 */

import { build, reportBuildFailure } from "./build.ts";
import { findLibrary, LibraryNotFoundError } from "../ffi/library.ts";
import { main } from "../cli/main.ts";

function libraryMissing(): boolean {
  try {
    findLibrary();
    return false;
  } catch (e) {
    if (e instanceof LibraryNotFoundError) return true;
    throw e;
  }
}

if (libraryMissing() && !Deno.env.get("LKL_LIBRARY")) {
  console.error("lkl: build/liblkl.so is missing; building it first (deno task build)");
  try {
    await build();
  } catch (e) {
    if (!reportBuildFailure(e)) throw e;
    Deno.exit(1);
  }
}

const initCwd = Deno.env.get("INIT_CWD");
if (initCwd) Deno.chdir(initCwd);
Deno.exitCode = await main(Deno.args);
