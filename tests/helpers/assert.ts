/**
 * Small assertions that node:assert lacks: getting the thrown error back.
 *
 * @module
 */

import { fail } from "node:assert/strict";

// deno-lint-ignore no-explicit-any
type Class<T> = new (...args: any[]) => T;

/** Runs `fn`, expects it to throw an instance of `type`, and returns that error. */
export function thrown<T>(fn: () => unknown, type: Class<T>): T {
  try {
    fn();
  } catch (e) {
    if (e instanceof type) return e;
    fail(
      `expected ${type.name}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
    );
  }
  fail(`expected ${type.name} to be thrown, nothing was`);
}

/** Awaits `promise`, expects it to reject with an instance of `type`, and returns that error. */
export async function rejected<T>(promise: Promise<unknown>, type: Class<T>): Promise<T> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof type) return e;
    fail(
      `expected ${type.name}, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
    );
  }
  fail(`expected ${type.name} to be thrown, nothing was`);
}
