/**
 * A Web Worker (its own host thread) that makes one system call through
 * liblkl.so, reports the kernel's pid and tid for its thread, and ends.
 * Used by tests/kernel/threads_test.ts.
 *
 * @module
 */

import { openLibrary } from "../../ffi/library.ts";
import { SYS } from "../../ffi/syscalls.ts";

const lib = openLibrary();

function call(nr: number): number {
  return Number(lib.symbols.lkl_syscall(BigInt(nr), 0n, 0n, 0n, 0n, 0n, 0n));
}

// The worker global scope (this file only runs as a Worker).
const scope = self as unknown as {
  onmessage: (() => void) | null;
  postMessage(message: unknown): void;
  close(): void;
};

scope.onmessage = () => {
  scope.postMessage({ pid: call(SYS.getpid), tid: call(SYS.gettid) });
  scope.close();
};
