/**
 * Boot, identity, log, clocks. Runs in a process of its own (see
 * tests/helpers/kernel.ts): the kernel boots once for the whole file.
 */

import { equal, match, ok } from "node:assert/strict";
import { CLOCK, Kernel, LklError } from "../../mod.ts";
import { timespecToMs } from "../../ffi/structs.ts";
import { rejected } from "../helpers/assert.ts";
import { haltTest, hostSleep, sharedKernel } from "../helpers/kernel.ts";

Deno.test("boot, then uname: Linux 6.12", async () => {
  const kernel = await sharedKernel();
  const uts = kernel.uname();
  equal(uts.sysname, "Linux");
  ok(uts.release.startsWith("6.12"), `release ${uts.release}`);
  ok(uts.version.length > 0, "version is set");
  ok(uts.machine.length > 0, "machine is set");
});

Deno.test("the kernel log holds the version banner", async () => {
  const kernel = await sharedKernel();
  const log = kernel.log();
  match(log, /Linux version 6\.12\./);
  // Reading again keeps what was read before.
  ok(kernel.log().startsWith(log));
});

Deno.test("boot reports its time and memory", async () => {
  const kernel = await sharedKernel();
  ok(kernel.bootMs > 0 && kernel.bootMs < 10_000, `bootMs ${kernel.bootMs}`);
  equal(kernel.memoryMiB, 64);
});

Deno.test("getpid answers from the kernel", async () => {
  const kernel = await sharedKernel();
  const pid = kernel.getpid();
  ok(pid >= 1, `pid ${pid}`);
  equal(kernel.getpid(), pid, "stable across calls");
});

Deno.test("a second boot in the same process is refused clearly", async () => {
  await sharedKernel();
  const e = await rejected(Kernel.boot(), LklError);
  equal(e.code, "EALREADY");
  match(e.message, /already booted/);
});

Deno.test("CLOCK_MONOTONIC advances with the host's clock", async () => {
  const kernel = await sharedKernel();
  const k0 = timespecToMs(kernel.clockGettime(CLOCK.MONOTONIC));
  const h0 = performance.now();
  await hostSleep(300);
  const k1 = timespecToMs(kernel.clockGettime(CLOCK.MONOTONIC));
  const h1 = performance.now();
  const kernelMs = k1 - k0;
  const hostMs = h1 - h0;
  ok(kernelMs > 0, `kernel monotonic did not advance (${kernelMs} ms)`);
  ok(
    Math.abs(kernelMs - hostMs) < 30,
    `kernel advanced ${kernelMs.toFixed(1)} ms while the host advanced ${hostMs.toFixed(1)} ms`,
  );
});

Deno.test("CLOCK_REALTIME is the host's wall clock, not 1970", async () => {
  const kernel = await sharedKernel();
  const now = Date.now();
  const ms = timespecToMs(kernel.clockGettime(CLOCK.REALTIME));
  ok(
    Math.abs(ms - now) < 2000,
    `kernel realtime ${new Date(ms).toISOString()} vs host ${new Date(now).toISOString()}`,
  );
});

haltTest();
