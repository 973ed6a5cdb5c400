/**
 * Run as a subprocess by tests/kernel/halt_test.ts: boots, halts, and
 * prints on stdout, as JSON, the host threads of this process before boot,
 * while booted and after halt. Exits by returning (no Deno.exit), so a
 * kernel thread left running would keep the exit from being clean.
 *
 * @module
 */

import { Kernel } from "../../mod.ts";

function threads(): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync("/proc/self/task")) {
    try {
      out.push(
        `${entry.name}:${Deno.readTextFileSync(`/proc/self/task/${entry.name}/comm`).trim()}`,
      );
    } catch {
      // the thread ended while we looked
    }
  }
  return out.sort();
}

// Warm Deno's blocking pool, which runs the nonblocking boot and halt, so
// its (reused) thread is already counted before the kernel starts.
const libc = Deno.dlopen(
  "libc.so.6",
  {
    getpid: { parameters: [], result: "i32", nonblocking: true },
  } as const,
);
await libc.symbols.getpid();
const before = threads();
const kernel = await Kernel.boot();
const booted = threads();
await kernel.halt();
let after = threads();
for (let i = 0; i < 40 && after.length > before.length; i++) {
  await new Promise((resolve) => setTimeout(resolve, 50));
  after = threads();
}
console.log(JSON.stringify({ before, booted, after }));
