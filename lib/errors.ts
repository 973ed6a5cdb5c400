/**
 * The error of a failed kernel call.
 *
 * @module
 */

import { errnoMessage, errnoName } from "../ffi/errno.ts";

/** Options of {@link LklError}. */
export interface LklErrorOptions {
  /** The path the call was about, shown in the message. */
  path?: string;
  /** Replaces the errno message in the text (the code is still shown). */
  detail?: string;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * A kernel call that failed: a system call returning `-errno`, or an lkl
 * function refusing (for example a call after halt).
 *
 * ```ts
 * import { LklError } from "./errors.ts";
 * const e = new LklError(2, "openat", { path: "/foo" });
 * e.message; // "openat /foo: No such file or directory (ENOENT)"
 * e.code; // "ENOENT"
 * ```
 */
export class LklError extends Error {
  /** The errno name, e.g. "ENOENT". */
  readonly code: string;
  /** The errno number (positive), e.g. 2. */
  readonly errno: number;
  /** What was called, e.g. "openat" or "lkl_boot". */
  readonly syscall: string;
  /** The path the call was about, when there is one. */
  readonly path?: string;

  /** An error for `errno` (sign ignored) returned by `syscall`. */
  constructor(errno: number, syscall: string, options: LklErrorOptions = {}) {
    const n = Math.abs(errno);
    const code = errnoName(n);
    const what = options.path === undefined ? syscall : `${syscall} ${options.path}`;
    super(`${what}: ${options.detail ?? errnoMessage(n)} (${code})`, { cause: options.cause });
    this.name = "LklError";
    this.code = code;
    this.errno = n;
    this.syscall = syscall;
    if (options.path !== undefined) this.path = options.path;
  }
}

/**
 * Returns `result` when it is `>= 0`, else throws the {@link LklError} for
 * `-result`. Accepts the `number | bigint` that 64-bit FFI results are.
 *
 * ```ts
 * import { check } from "./errors.ts";
 * check(3, "openat"); // 3
 * ```
 */
export function check(result: number | bigint, syscall: string, path?: string): number {
  const n = Number(result);
  if (n < 0) throw new LklError(-n, syscall, { path });
  return n;
}
