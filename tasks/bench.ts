/**
 * `deno task bench [SUITE...] [--quick]`: runs the benchmark suites of
 * bench/ (all of them by default), prints each as a table of our figures
 * against references measured in the same run, and writes
 * bench/results/<suite>.json plus bench/results/latest.md.
 *
 * A suite is a module bench/<name>.ts exporting `suite` (bench/suite.ts).
 * Each also gets a bar chart, bench/results/<suite>.svg (bench/chart.ts).
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

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: { quick: { type: "boolean" }, help: { type: "boolean", short: "h" } },
    allowPositionals: true,
  });
  const available = await suiteNames();
  if (values.help) {
    console.log(
      `deno task bench [SUITE...] [--quick]\n\nSuites: ${available.join(", ")}\n` +
        "Results go to bench/results/<suite>.json and bench/results/latest.md.",
    );
    return 0;
  }
  const wanted = positionals.length > 0 ? positionals : available;
  for (const name of wanted) {
    if (!available.includes(name)) {
      console.error(`bench: no suite "${name}" (suites: ${available.join(", ")})`);
      return 2;
    }
  }
  await Deno.mkdir(RESULTS, { recursive: true });
  const description = await machine();
  const sections = [`# lkl benchmarks`, "", `${new Date().toISOString()} — ${description}`];
  let failed = 0;
  for (const name of wanted) {
    const { suite } = await import(join(BENCH, `${name}.ts`)) as { suite: Suite };
    console.error(`== ${suite.name}: ${suite.description}`);
    try {
      const result = await suite.run({ quick: values.quick ?? false });
      await Deno.writeTextFile(
        join(RESULTS, `${suite.name}.json`),
        JSON.stringify(
          { machine: description, date: new Date().toISOString(), ...result },
          null,
          2,
        ) +
          "\n",
      );
      await Deno.writeTextFile(
        join(RESULTS, `${suite.name}.svg`),
        svgChart(result, suite.description),
      );
      const text = markdown(result);
      console.log(text + "\n");
      sections.push("", text, "", `![${suite.name}](${suite.name}.svg)`);
    } catch (e) {
      failed++;
      console.error(`bench ${name} failed: ${e instanceof Error ? e.message : e}`);
      sections.push("", `### ${name}`, "", `failed: ${e instanceof Error ? e.message : e}`);
    }
  }
  await Deno.writeTextFile(join(RESULTS, "latest.md"), sections.join("\n") + "\n");
  return failed ? 1 : 0;
}

Deno.exit(await main());
