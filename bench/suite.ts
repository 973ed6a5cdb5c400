/**
 * What a benchmark suite is, and the measuring tools they share.
 *
 * Every figure is reported next to a reference measured in the same run
 * (the machine is noisy): a suite returns rows of "ours vs reference" and
 * the ratio between them. Nothing here asserts a speed.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const REPO: string = join(dirname(fileURLToPath(import.meta.url)), "..");

/** One compared figure: ours against a reference, in the same unit. */
export interface Row {
  /** What is measured, e.g. "getpid round trip". */
  name: string;
  /** Unit of both values, e.g. "ns", "ms", "MiB/s". */
  unit: string;
  /** Our value. */
  value: number;
  /** What the reference is, e.g. "C program, same library". */
  referenceName: string;
  /** The reference's value in the same run. */
  reference: number;
  /** Whether smaller values are better (times) or larger (throughputs). */
  lowerIsBetter: boolean;
  /** The target for the ratio, as text, e.g. "TS/C <= 2". */
  target?: string;
  /** Whether the target is met, when there is one. */
  met?: boolean;
  /** Extra figures (samples, spread, RSS...). */
  details?: Record<string, number | string>;
}

/** What a suite returns. */
export interface SuiteResult {
  suite: string;
  rows: Row[];
  notes: string[];
}

/** A benchmark suite: bench/<name>.ts exports one as `suite`. */
export interface Suite {
  name: string;
  description: string;
  run(options: { quick: boolean }): Promise<SuiteResult>;
}

/** ours / reference, the way the issues state targets. */
export function ratio(row: Pick<Row, "value" | "reference">): number {
  return row.value / row.reference;
}

/** The median of `values`. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The output of a command, failing loudly. */
export async function run(cmd: string[], options: Deno.CommandOptions = {}): Promise<string> {
  const out = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    stdout: "piped",
    stderr: "piped",
    ...options,
  }).output();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim();
    throw new Error(`${cmd.join(" ")} failed (${out.code}): ${err}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** Runs `cmd` and parses the last line of its stdout as JSON. */
export async function runJson<T>(cmd: string[], options: Deno.CommandOptions = {}): Promise<T> {
  const lines = (await run(cmd, options)).trim().split("\n");
  return JSON.parse(lines[lines.length - 1]) as T;
}

/** The deno executable running this script, for subprocesses. */
export function deno(): string {
  return Deno.execPath();
}

/** A one-line description of the machine, for reports. */
export async function machine(): Promise<string> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo");
  const model = cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1] ?? "unknown CPU";
  const cpus = navigator.hardwareConcurrency;
  const memKiB = Number((await Deno.readTextFile("/proc/meminfo")).match(/MemTotal:\s+(\d+)/)?.[1]);
  const kernel = Deno.osRelease();
  return `${model}, ${cpus} CPUs, ${
    (memKiB / 1048576).toFixed(0)
  } GiB, host Linux ${kernel}, Deno ${Deno.version.deno}`;
}
