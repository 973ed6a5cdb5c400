/**
 * How the CLI reports failures: one clear line on stderr and a documented
 * exit code. (With --verbose the kernel log is already on stderr.)
 *
 * @module
 */

import pc from "picocolors";
import { LklError } from "../mod.ts";
import { LibraryNotFoundError } from "../ffi/library.ts";

/** Exit codes of the lkl command. */
export const EXIT = Object.freeze(
  {
    OK: 0,
    /** A kernel call failed (LklError) or another runtime error. */
    FAILURE: 1,
    /** Bad command line. */
    USAGE: 2,
    /** liblkl.so is missing or cannot be loaded. */
    NO_LIBRARY: 3,
    /** The kernel panicked (set by the library itself, LKL_EXIT_PANIC). */
    PANIC: 70,
  } as const,
);

/** Prints `error` as one line and returns the exit code for it. */
export function reportError(error: unknown): number {
  if (error instanceof LibraryNotFoundError) {
    console.error(`lkl: ${error.message}`);
    return EXIT.NO_LIBRARY;
  }
  const message = error instanceof LklError || error instanceof Error
    ? error.message
    : String(error);
  console.error(`${pc.red("lkl:")} ${message}`);
  if (!(error instanceof LklError) && error instanceof Error && Deno.env.get("LKL_DEBUG")) {
    console.error(error.stack);
  }
  return EXIT.FAILURE;
}
