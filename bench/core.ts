/**
 * Boot, halt and system call cost: the library from TypeScript against the
 * same library from a small C program (bench/c/getpid_bench.c), both run
 * as fresh subprocesses, alternately, in the same invocation.
 *
 * @module
 */

import { join } from "node:path";
import { deno, median, REPO, type Row, runJson, type Suite } from "./suite.ts";

interface Sample {
  bootMs: number;
  getpidNs: number;
  haltMs: number;
}

const BUILD = join(REPO, "build");

/** Builds the C side next to the library it links. */
async function buildCProgram(): Promise<string> {
  const out = join(BUILD, "bench", "getpid_bench");
  await Deno.mkdir(join(BUILD, "bench"), { recursive: true });
  const cc = await new Deno.Command("gcc", {
    args: [
      "-std=gnu11",
      "-O2",
      "-Wall",
      "-Wextra",
      "-I",
      join(REPO, "linux", "host"),
      join(REPO, "bench", "c", "getpid_bench.c"),
      "-o",
      out,
      "-L",
      BUILD,
      "-llkl",
      `-Wl,-rpath,${BUILD}`,
    ],
  }).output();
  if (!cc.success) throw new Error(new TextDecoder().decode(cc.stderr));
  return out;
}

function row(
  name: string,
  unit: string,
  ts: number[],
  c: number[],
  target?: { text: string; max: number },
): Row {
  const value = median(ts);
  const reference = median(c);
  return {
    name,
    unit,
    value,
    referenceName: "C program, same library",
    reference,
    lowerIsBetter: true,
    target: target?.text,
    met: target === undefined ? undefined : value / reference <= target.max,
    details: { runs: ts.length, tsMin: Math.min(...ts), tsMax: Math.max(...ts) },
  };
}

/** The suite: `deno task bench core`. */
export const suite: Suite = {
  name: "core",
  description: "boot, halt and getpid: TypeScript against C, medians of subprocess runs",
  async run({ quick }) {
    const runs = quick ? 5 : 15;
    const calls = quick ? 200_000 : 1_000_000;
    const cProgram = await buildCProgram();
    const ts: Sample[] = [];
    const c: Sample[] = [];
    for (let i = 0; i < runs; i++) {
      c.push(await runJson<Sample>([cProgram, String(calls)]));
      ts.push(
        await runJson<Sample>([
          deno(),
          "run",
          "-A",
          join(REPO, "bench", "programs", "getpid_bench.ts"),
          String(calls),
        ]),
      );
    }
    const pick = (samples: Sample[], key: keyof Sample) => samples.map((s) => s[key]);
    const rows = [
      row("boot to ready", "ms", pick(ts, "bootMs"), pick(c, "bootMs")),
      row("halt", "ms", pick(ts, "haltMs"), pick(c, "haltMs")),
      row("getpid round trip (sync FFI)", "ns", pick(ts, "getpidNs"), pick(c, "getpidNs"), {
        text: "TS/C <= 2",
        max: 2,
      }),
    ];
    const bootMs = rows[0].value;
    return {
      suite: "core",
      rows,
      notes: [
        `boot from TypeScript: median ${bootMs.toFixed(1)} ms over ${runs} runs (target <= 50 ms: ${
          bootMs <= 50 ? "met" : "missed"
        }); it includes mounting /proc, /sys and /dev`,
      ],
    };
  },
};
