/**
 * `deno task bench [SUITE...] [--quick]`: runs the benchmark suites of
 * bench/ (all of them by default), prints each as a table of our figures
 * against references measured in the same run, and writes
 * bench/results/<suite>.json plus bench/results/latest.md.
 *
 * A suite is a module bench/<name>.ts exporting `suite` (bench/suite.ts).
 * latest.md and the bar charts, bench/results/<suite>.svg (bench/chart.ts),
 * cover every suite that has results, not only those run this time.
 *
 * @module
 */

import { join } from "node:path";
import { parseArgs } from "node:util";
import { svgChart } from "../bench/chart.ts";
import { machine, ratio, REPO, type Suite, type SuiteResult } from "../bench/suite.ts";

const BENCH = join(REPO, "bench");
const RESULTS = join(BENCH, "results");
const NOT_SUITES = new Set(["suite.ts", "chart.ts"]);

async function suiteNames(): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(BENCH)) {
    if (entry.isFile && entry.name.endsWith(".ts") && !NOT_SUITES.has(entry.name)) {
      names.push(entry.name.slice(0, -3));
    }
  }
  return names.sort();
}

function format(n: number): string {
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);
}

function markdown(result: SuiteResult): string {
  const lines = [
    `### ${result.suite}`,
    "",
    "| measure | lkl | reference | ratio | target |",
    "| --- | ---: | ---: | ---: | --- |",
  ];
  for (const row of result.rows) {
    const target = row.target === undefined ? "" : `${row.target} (${row.met ? "met" : "missed"})`;
    lines.push(
      `| ${row.name} | ${format(row.value)} ${row.unit} | ${
        format(row.reference)
      } ${row.unit} (${row.referenceName}) | ${ratio(row).toFixed(2)} | ${target} |`,
    );
  }
  for (const note of result.notes) lines.push("", `- ${note}`);
  return lines.join("\n");
}

/** What bench/results/<suite>.json holds. */
interface StoredResult extends SuiteResult {
  machine: string;
  date: string;
  description: string;
}

/** Rewrites every chart and bench/results/latest.md from the stored results of all suites. */
async function writeReport(available: string[]): Promise<void> {
  const sections = ["# lkl benchmarks", ""];
  sections.push(
    "Each suite compares lkl with references measured in the same run, on the machine named " +
      "with it. Charts: speed of lkl relative to the reference (1 = same).",
  );
  for (const name of available) {
    let stored: StoredResult;
    try {
      stored = JSON.parse(await Deno.readTextFile(join(RESULTS, `${name}.json`)));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) continue;
      throw e;
    }
    const title = stored.description ?? name;
    await Deno.writeTextFile(join(RESULTS, `${name}.svg`), svgChart(stored, title));
    sections.push(
      "",
      markdown(stored),
      "",
      `Measured ${stored.date.slice(0, 16).replace("T", " ")} UTC on ${stored.machine}.`,
      "",
      `![${name}](${name}.svg)`,
    );
  }
  await Deno.writeTextFile(join(RESULTS, "latest.md"), sections.join("\n") + "\n");
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: {
      quick: { type: "boolean" },
      report: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
  });
  const available = await suiteNames();
  if (values.help) {
    console.log(
      `deno task bench [SUITE...] [--quick] [--report]\n\nSuites: ${available.join(", ")}\n` +
        "Results go to bench/results/<suite>.json; bench/results/latest.md and the charts\n" +
        "(<suite>.svg) cover every suite with results. --report only rewrites those.",
    );
    return 0;
  }
  const wanted = values.report ? [] : positionals.length > 0 ? positionals : available;
  for (const name of wanted) {
    if (!available.includes(name)) {
      console.error(`bench: no suite "${name}" (suites: ${available.join(", ")})`);
      return 2;
    }
  }
  await Deno.mkdir(RESULTS, { recursive: true });
  const description = await machine();
  let failed = 0;
  for (const name of wanted) {
    const { suite } = await import(join(BENCH, `${name}.ts`)) as { suite: Suite };
    console.error(`== ${suite.name}: ${suite.description}`);
    try {
      const result = await suite.run({ quick: values.quick ?? false });
      const stored: StoredResult = {
        machine: description,
        date: new Date().toISOString(),
        description: suite.description,
        ...result,
      };
      await Deno.writeTextFile(
        join(RESULTS, `${suite.name}.json`),
        JSON.stringify(stored, null, 2) + "\n",
      );
      console.log(markdown(result) + "\n");
    } catch (e) {
      failed++;
      console.error(`bench ${name} failed: ${e instanceof Error ? e.message : e}`);
    }
  }
  await writeReport(available);
  return failed ? 1 : 0;
}

Deno.exit(await main());
