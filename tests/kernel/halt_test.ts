/**
 * Halt: in a subprocess (a clean exit, no thread left behind), and in this
 * process (calls after halt fail clearly). Runs in a process of its own.
 */

import { equal, match, ok } from "node:assert/strict";
import { Kernel, LklError } from "../../mod.ts";
import { openLibrary } from "../../ffi/library.ts";
import { LKL_STATE } from "../../ffi/symbols.ts";
import { SYS } from "../../ffi/syscalls.ts";
import { rejected, thrown } from "../helpers/assert.ts";
import { bootWithTimeout, within } from "../helpers/kernel.ts";

Deno.test("a process that boots and halts exits 0 within seconds, leaving no thread", async () => {
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../helpers/boot_halt.ts", import.meta.url).pathname],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const { code, signal, stdout, stderr } = await child.output();
  clearTimeout(timer);
  const ms = performance.now() - started;
  equal(signal, null, `killed after ${ms.toFixed(0)} ms: ${new TextDecoder().decode(stderr)}`);
  equal(code, 0, new TextDecoder().decode(stderr));
  ok(ms < 10_000, `boot, halt and exit took ${ms.toFixed(0)} ms`);
  const report = JSON.parse(new TextDecoder().decode(stdout)) as Record<string, string[]>;
  ok(report.booted.length > report.before.length, "the booted kernel ran no host thread?");
  const left = report.after.filter((t) => !report.before.includes(t));
  equal(left.length, 0, `threads left after halt: ${left.join(", ")}`);
});

Deno.test("after halt, calls fail with a clear error, never a crash", async () => {
  const kernel = await bootWithTimeout();
  equal(kernel.getpid() > 0, true);
  await within(10_000, "halt", kernel.halt());
  equal(kernel.halted, true);

  const e = thrown(() => kernel.getpid(), LklError);
  equal(e.code, "ENODEV");
  match(e.message, /kernel is halted/);
  match(e.message, /getpid/);
  const a = await rejected(kernel.nanosleep(1), LklError);
  match(a.message, /kernel is halted/);
  match(thrown(() => kernel.fs.open("/"), LklError).message, /kernel is halted/);

  // The C side refuses too: a raw call gets -ENODEV.
  const lib = openLibrary();
  equal(lib.symbols.lkl_state(), LKL_STATE.HALTED);
  equal(lib.symbols.lkl_syscall(BigInt(SYS.getpid), 0n, 0n, 0n, 0n, 0n, 0n), -19n);

  await kernel.halt(); // a second halt does nothing
  const again = await rejected(Kernel.boot(), LklError);
  match(again.message, /halted and cannot boot again/);
  // The log is still readable after halt.
  match(kernel.log(), /Linux version/);
});
