/**
 * `lkl info`: boots the kernel, reports what it is and what it supports,
 * and halts it.
 *
 * @module
 */

import { Command } from "@commander-js/extra-typings";
import { Kernel } from "../mod.ts";
import { cmdlineOption, jsonOption, memoryOption, verboseOption } from "./options.ts";

/** One line of /proc/filesystems. */
export interface FilesystemType {
  name: string;
  /** True for types that need no block device (proc, tmpfs, ...). */
  nodev: boolean;
}

/** What `lkl info` reports. */
export interface Info {
  sysname: string;
  release: string;
  version: string;
  machine: string;
  bootMs: number;
  memoryMiB: number;
  /** MemTotal of /proc/meminfo, in KiB. */
  memTotalKiB: number | null;
  filesystems: FilesystemType[];
}

/** Parses /proc/filesystems ("nodev\tproc" or "\text4" lines). */
export function parseFilesystems(text: string): FilesystemType[] {
  return text.split("\n").filter((l) => l.trim() !== "").map((line) => {
    const [flag, name] = line.split("\t");
    return { name: name.trim(), nodev: flag === "nodev" };
  });
}

/** Reads MemTotal (KiB) from /proc/meminfo text, or null. */
export function parseMemTotal(text: string): number | null {
  const m = text.match(/^MemTotal:\s+(\d+) kB$/m);
  return m ? Number(m[1]) : null;
}

/** Collects {@link Info} from a booted kernel (boot mounted /proc). */
export function collectInfo(kernel: Kernel): Info {
  const uts = kernel.uname();
  return {
    sysname: uts.sysname,
    release: uts.release,
    version: uts.version,
    machine: uts.machine,
    bootMs: Math.round(kernel.bootMs * 10) / 10,
    memoryMiB: kernel.memoryMiB,
    memTotalKiB: parseMemTotal(kernel.fs.readTextFile("/proc/meminfo")),
    filesystems: parseFilesystems(kernel.fs.readTextFile("/proc/filesystems")),
  };
}

/** The human-readable report. */
export function formatInfo(info: Info): string {
  const memory = info.memTotalKiB === null
    ? `${info.memoryMiB} MiB`
    : `${info.memoryMiB} MiB (${(info.memTotalKiB / 1024).toFixed(1)} MiB available to the kernel)`;
  const block = info.filesystems.filter((f) => !f.nodev).map((f) => f.name);
  const virtual = info.filesystems.filter((f) => f.nodev).map((f) => f.name);
  return [
    `kernel       ${info.sysname} ${info.release} ${info.version} (${info.machine})`,
    `boot         ${info.bootMs.toFixed(1)} ms`,
    `memory       ${memory}`,
    `filesystems  ${block.join(" ") || "(none on block devices)"}`,
    `virtual fs   ${virtual.join(" ")}`,
  ].join("\n");
}

/** The `info` subcommand. */
export function infoCommand(): Command<
  [],
  { memory: number; json?: true; verbose?: true; cmdline?: string }
> {
  return new Command("info")
    .description("boot the kernel, print its release, boot time, memory and filesystems, and halt")
    .addOption(memoryOption())
    .addOption(cmdlineOption())
    .addOption(jsonOption())
    .addOption(verboseOption())
    .action(async (options) => {
      const kernel = await Kernel.boot({
        memoryMiB: options.memory,
        cmdline: options.cmdline,
        logFd: options.verbose ? 2 : undefined,
      });
      try {
        const info = collectInfo(kernel);
        console.log(options.json ? JSON.stringify(info, null, 2) : formatInfo(info));
      } finally {
        await kernel.halt();
      }
    });
}
