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
    /** The image is missing, no disk image, or lacks the partition or file system asked for. */
    IMAGE: 4,
    /** The image is locked by another process. */
    LOCKED: 5,
    /** The image is full. */
    FULL: 6,
    /** The host denied access to a file. */
    PERMISSION: 7,
    /** The kernel panicked (set by the library itself, LKL_EXIT_PANIC). */
    PANIC: 70,
  } as const,
);

/** An error that carries its exit code; its message is the whole line. */
export class ExitError extends Error {
  /** The exit code, one of {@link EXIT}. */
  readonly exitCode: number;

  constructor(exitCode: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ExitError";
    this.exitCode = exitCode;
  }
}

/**
 * Ends a command with `exitCode` and prints nothing more: the command has
 * said what there was to say (fsck's "errors left uncorrected", a shell's
 * last status).
 */
export class ExitStatus extends Error {
  /** The exit code. */
  readonly exitCode: number;

  constructor(exitCode: number) {
    super(`exit status ${exitCode}`);
    this.name = "ExitStatus";
    this.exitCode = exitCode;
  }
}

/** Prints `error` as one line and returns the exit code for it. */
export function reportError(error: unknown): number {
  if (error instanceof ExitStatus) return error.exitCode;
  if (error instanceof LibraryNotFoundError) {
    console.error(`lkl: ${error.message}`);
    return EXIT.NO_LIBRARY;
  }
  if (error instanceof ExitError) {
    console.error(`${pc.red("lkl:")} ${error.message}`);
    return error.exitCode;
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
