/**
 * One kernel per test process.
 *
 * The kernel boots once per process and cannot boot again after a halt,
 * while `deno test` runs all the files it is given in one process. So
 * every file of tests/kernel/ (and later tests/fs/, tests/net/) runs in a
 * `deno test` process of its own (tasks/test.ts does that), shares the
 * kernel that {@link sharedKernel} boots on first use, and ends with
 * {@link haltTest}. Tests that need a fresh process use a subprocess.
 *
 * @module
 */

import { Kernel } from "../../mod.ts";
import { openLibrary } from "../../ffi/library.ts";

/** How long a boot may take before the tests give up on it. */
export const BOOT_TIMEOUT_MS = Number(Deno.env.get("LKL_BOOT_TIMEOUT_MS") ?? 30_000);

let booting: Promise<Kernel> | undefined;

/** The last `lines` lines of the kernel log, read without a Kernel object. */
export function kernelLogTail(lines = 20): string {
  const lib = openLibrary();
  const buf = new Uint8Array(64 * 1024);
  const pos = new BigUint64Array(1);
  let text = "";
  for (;;) {
    const n = Number(lib.symbols.lkl_log_read(buf, BigInt(buf.length), pos));
    if (n <= 0) break;
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/**
 * Boots a kernel, failing after {@link BOOT_TIMEOUT_MS} with the tail of
 * the kernel log (a boot that hangs would otherwise hang the test process).
 */
export async function bootWithTimeout(): Promise<Kernel> {
  try {
    return await within(BOOT_TIMEOUT_MS, "Kernel.boot", Kernel.boot({ memoryMiB: 64 }));
  } catch (e) {
    if (!(e instanceof Error) || !e.message.startsWith("Kernel.boot: no result")) throw e;
    throw new Error(`${e.message}; the kernel log ends with:\n${kernelLogTail()}`);
  }
}

/** The kernel of this test process, booted on first call with 64 MiB. */
export function sharedKernel(): Promise<Kernel> {
  if (!booting) {
    // Open the library before any test measures resources, and let a
    // missing library fail every test with the same clear message.
    booting = Promise.resolve().then(() => {
      openLibrary();
      return bootWithTimeout();
    });
  }
  return booting;
}

/** Registers the last test of a file: halts the shared kernel. */
export function haltTest(): void {
  Deno.test("halt the shared kernel", async () => {
    if (booting) await (await booting).halt();
  });
}

/** Resolves after `ms` host milliseconds. */
export function hostSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Rejects with a clear message when `promise` takes longer than `ms`
 * (the timer is cleared either way, for Deno's op sanitizer).
 */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
