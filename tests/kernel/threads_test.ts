/**
 * Host threads and the one kernel CPU: blocking calls on other threads
 * release it, the fd table is shared, and threads that end give back their
 * kernel task. Runs in a process of its own (see tests/helpers/kernel.ts).
 *
 * Deno runs `nonblocking` FFI calls on threads of its blocking pool; those
 * threads are reused, so they cannot show that a thread's kernel task goes
 * away when the thread ends. For that the 64-thread test uses Web Workers:
 * each runs on a host thread of its own that ends when the worker closes.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { SYS } from "../../mod.ts";
import { O } from "../../mod.ts";
import { haltTest, hostSleep, sharedKernel, within } from "../helpers/kernel.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

Deno.test("four nonblocking nanosleep(200 ms) run together", async () => {
  const kernel = await sharedKernel();
  const start = performance.now();
  await within(5000, "four nanosleeps", Promise.all([0, 1, 2, 3].map(() => kernel.nanosleep(200))));
  const ms = performance.now() - start;
  ok(ms >= 190, `the sleeps ended too early: ${ms.toFixed(0)} ms`);
  ok(ms < 600, `four 200 ms sleeps took ${ms.toFixed(0)} ms: they did not overlap`);
});

Deno.test("a read blocked on an empty pipe is woken by a write from the main thread", async () => {
  const kernel = await sharedKernel();
  const fds = new Int32Array(2);
  kernel.syscall(SYS.pipe2, fds, O.CLOEXEC);
  const [readEnd, writeEnd] = fds;
  const buf = new Uint8Array(64);
  let settled = false;
  const reading = kernel.fs.readAsync(readEnd, buf).finally(() => settled = true);
  await hostSleep(100);
  equal(settled, false, "the read returned before anything was written");
  // A synchronous write on the main thread: it needs the kernel CPU that
  // the blocked reader must have released.
  equal(kernel.fs.write(writeEnd, encoder.encode("ping")), 4);
  const n = await within(5000, "the blocked read", reading);
  equal(decoder.decode(buf.subarray(0, n)), "ping");
  kernel.fs.close(readEnd);
  kernel.fs.close(writeEnd);
});

Deno.test("an fd opened in one call is usable from a nonblocking call", async () => {
  const kernel = await sharedKernel();
  const fd = kernel.fs.open("/shared-fd", O.RDWR | O.CREAT, 0o600);
  kernel.fs.writeAll(fd, encoder.encode("written on the main thread"));
  const buf = new Uint8Array(64);
  // pread64 on a pool thread: another host thread, another kernel task, same fd table.
  const n = await within(5000, "pread64", kernel.syscallAsync(SYS.pread64, fd, buf, buf.length, 0));
  equal(decoder.decode(buf.subarray(0, n)), "written on the main thread");
  kernel.fs.close(fd);
});

function runWorker(): Promise<{ pid: number; tid: number }> {
  const worker = new Worker(new URL("../helpers/syscall_worker.ts", import.meta.url), {
    type: "module",
  });
  return within(
    10_000,
    "worker",
    new Promise<{ pid: number; tid: number }>((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => {
        e.preventDefault();
        reject(new Error(`worker failed: ${e.message}`));
      };
      worker.postMessage(null);
    }),
  ).finally(() => worker.terminate());
}

function kernelTasks(kernel: Awaited<ReturnType<typeof sharedKernel>>): number {
  return kernel.fs.readdir("/proc/self/task").filter((e) => e.name !== "." && e.name !== "..")
    .length;
}

Deno.test("64 host threads in turn each make a syscall, end, and give back their task", async () => {
  const kernel = await sharedKernel(); // boot mounted /proc
  const pid = kernel.getpid();
  const before = kernelTasks(kernel);
  const tids = new Set<number>();
  for (let i = 0; i < 64; i++) {
    const reply = await runWorker();
    deepEqual(reply.pid, pid, `worker ${i} is a thread of the same kernel process`);
    ok(reply.tid > 0, `worker ${i} tid`);
    tids.add(reply.tid);
  }
  ok(tids.size > 1, "every worker ran on the same kernel task");
  // Tasks are released by the threads' exit handlers: allow them a moment.
  let after = kernelTasks(kernel);
  for (let waited = 0; after > before && waited < 5000; waited += 50) {
    await hostSleep(50);
    after = kernelTasks(kernel);
  }
  ok(after <= before, `${after - before} kernel task(s) of ended threads were not released`);
});

haltTest();
