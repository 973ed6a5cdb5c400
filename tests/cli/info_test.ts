/** The parts of `lkl info` that need no kernel. */

import { deepEqual, equal, match } from "node:assert/strict";
import { formatInfo, parseFilesystems, parseMemTotal } from "../../cli/info.ts";

const FILESYSTEMS = "nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\n\text4\n\tvfat\n";

Deno.test("info: parses /proc/filesystems", () => {
  deepEqual(parseFilesystems(FILESYSTEMS), [
    { name: "sysfs", nodev: true },
    { name: "tmpfs", nodev: true },
    { name: "proc", nodev: true },
    { name: "ext4", nodev: false },
    { name: "vfat", nodev: false },
  ]);
});

Deno.test("info: MemTotal of /proc/meminfo", () => {
  equal(parseMemTotal("MemTotal:          61440 kB\nMemFree:   1 kB\n"), 61440);
  equal(parseMemTotal("nothing"), null);
});

Deno.test("info: the report names release, boot time, memory and file systems", () => {
  const text = formatInfo({
    sysname: "Linux",
    release: "6.12.117",
    version: "#1 Fri Nov 28 2025",
    machine: "lkl",
    bootMs: 12.34,
    memoryMiB: 64,
    memTotalKiB: 61440,
    filesystems: parseFilesystems(FILESYSTEMS),
  });
  match(text, /Linux 6\.12\.117/);
  match(text, /boot\s+12\.3 ms/);
  match(text, /memory\s+64 MiB \(60\.0 MiB available to the kernel\)/);
  match(text, /filesystems\s+ext4 vfat/);
  match(text, /virtual fs\s+sysfs tmpfs proc/);
});
