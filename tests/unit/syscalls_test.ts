/**
 * The committed syscall table: known numbers, freshness against the kernel
 * source (when extracted in the cache), and agreement with the build's
 * generated unistd_64.h (ignored without a build unless LKL_REQUIRE_BUILD=1,
 * see tests/helpers/build_output.ts).
 */

import { deepEqual, equal } from "node:assert/strict";
import { SYS, SYSCALL_COUNT, syscallName } from "../../ffi/syscalls.ts";
import { cacheDirs } from "../../tasks/cache.ts";
import { parseSyscallTable, renderSyscalls } from "../../tasks/gen_syscalls.ts";
import { BUILD, ignoreWithout, requireOutput } from "../helpers/build_output.ts";
import { exists } from "../helpers/build_output.ts";
import { join } from "../helpers/path.ts";

Deno.test("syscalls: numbers of the generic table", () => {
  const expected: Record<string, number> = {
    io_setup: 0,
    getcwd: 17,
    mkdirat: 34,
    umount2: 39,
    mount: 40,
    openat: 56,
    close: 57,
    pipe2: 59,
    getdents64: 61,
    lseek: 62,
    read: 63,
    write: 64,
    pread64: 67,
    newfstatat: 79,
    nanosleep: 101,
    clock_gettime: 113,
    uname: 160,
    getrlimit: 163,
    setrlimit: 164,
    getpid: 172,
    gettid: 178,
    socket: 198,
    renameat: 38,
    statx: 291,
    mseal: 462,
  };
  for (const [name, nr] of Object.entries(expected)) {
    equal(SYS[name as keyof typeof SYS], nr, name);
  }
  equal(SYSCALL_COUNT, 463);
});

Deno.test("syscalls: no legacy calls of other ABIs", () => {
  for (const name of ["open", "stat", "mkdir", "fork", "fcntl64", "mmap2"]) {
    equal(name in SYS, false, name);
  }
});

Deno.test("syscalls: the table is frozen and syscallName inverts it", () => {
  equal(Object.isFrozen(SYS), true);
  equal(syscallName(56), "openat");
  equal(syscallName(100000), undefined);
});

Deno.test("syscalls: parseSyscallTable keeps only the chosen ABIs", () => {
  const table = "0\tcommon\tio_setup\tsys_io_setup\n25\t32\tfcntl64\tsys_fcntl64\n" +
    "25\t64\tfcntl\tsys_fcntl\n# comment\n38\trenameat\trenameat\tsys_renameat\n";
  deepEqual(parseSyscallTable(table), [
    { nr: 0, name: "io_setup" },
    { nr: 25, name: "fcntl" },
    { nr: 38, name: "renameat" },
  ]);
});

const dirs = cacheDirs();
const tbl = join(dirs.src, "scripts", "syscall.tbl");

Deno.test({
  name: "syscalls: ffi/syscalls.ts is what tasks/gen_syscalls.ts makes of the cached source",
  ignore: !exists(tbl) || !exists(dirs.srcStamp),
  fn() {
    // The stamp: "<package version> patches:<digest>".
    const version = Deno.readTextFileSync(dirs.srcStamp).trim().split(" ")[0];
    const want = renderSyscalls(Deno.readTextFileSync(tbl), version);
    const have = Deno.readTextFileSync(new URL("../../ffi/syscalls.ts", import.meta.url));
    equal(have, want, "ffi/syscalls.ts is stale: run `deno task gen`");
  },
});

const unistd = join(BUILD, "generated", "unistd_64.h");

Deno.test({
  name: "syscalls: every number matches build/generated/unistd_64.h, both ways",
  ignore: ignoreWithout(unistd),
  fn() {
    requireOutput(unistd);
    const header = new Map<string, number>();
    for (const m of Deno.readTextFileSync(unistd).matchAll(/^#define __NR_(\w+)\s+(\d+)\s*$/gm)) {
      header.set(m[1], Number(m[2]));
    }
    // __NR_syscalls is the table size, under __KERNEL__.
    const size = header.get("syscalls");
    header.delete("syscalls");
    if (size !== undefined) equal(size, SYSCALL_COUNT, "__NR_syscalls");
    const ours = new Map<string, number>(Object.entries(SYS));
    const missing = [...header.keys()].filter((k) => !ours.has(k));
    const extra = [...ours.keys()].filter((k) => !header.has(k));
    deepEqual(missing, [], "in unistd_64.h but not in ffi/syscalls.ts");
    deepEqual(extra, [], "in ffi/syscalls.ts but not in unistd_64.h");
    for (const [name, nr] of header) equal(ours.get(name), nr, name);
  },
});
