/**
 * The TypeScript side of the boot and system call benchmarks
 * (bench/core.ts): boots, times N `kernel.getpid()` calls (synchronous
 * FFI), halts, and prints one JSON line {"bootMs", "getpidNs", "haltMs"},
 * like bench/c/getpid_bench.c.
 *
 *   deno run -A bench/programs/getpid_bench.ts N
 *
 * @module
 */

import { Kernel } from "../../mod.ts";

const n = Number(Deno.args[0] ?? 1_000_000);

let t0 = performance.now();
const kernel = await Kernel.boot({ quiet: true });
const bootMs = performance.now() - t0;

// In a function, so that V8 optimizes the loop as it would in an application.
function calls(count: number): void {
  for (let i = 0; i < count; i++) kernel.getpid();
}

calls(n / 10);
t0 = performance.now();
calls(n);
const getpidNs = (performance.now() - t0) * 1e6 / n;

t0 = performance.now();
await kernel.halt();
const haltMs = performance.now() - t0;

console.log(JSON.stringify({ bootMs, getpidNs, haltMs }));
