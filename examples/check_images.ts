/**
 * Checks a batch of disk images in parallel and prints one JSON report.
 * A kernel boots once per process, so each image is checked by a
 * subprocess of this same script (`--one IMAGE`), a few at a time, and
 * the parent gathers their reports.
 *
 *   deno run -A examples/check_images.ts [--jobs N] [--read-data] IMAGE...
 *
 * Exit status: 0 when every image is clean, 4 when one is damaged, 8 when
 * one could not be checked at all (as fsck(8) would say).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { checkClean, checkImage, Kernel } from "../mod.ts";

interface ImageResult {
  image: string;
  status: "clean" | "damaged" | "error";
  fstype?: string;
  entries?: number;
  bytesRead?: number;
  problems?: { path: string | null; cause: string }[];
  error?: string;
  seconds: number;
}

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    one: { type: "boolean" },
    jobs: { type: "string", default: String(navigator.hardwareConcurrency) },
    "read-data": { type: "boolean" },
  },
});

/** The child: checks one image in this process's kernel, prints its result. */
async function checkOne(image: string, readData: boolean): Promise<ImageResult> {
  const start = performance.now();
  try {
    await using kernel = await Kernel.boot({ quiet: true });
    const report = await checkImage(kernel, image, { readData });
    return {
      image,
      status: checkClean(report) ? "clean" : "damaged",
      fstype: report.fstype,
      entries: report.entries,
      bytesRead: report.bytesRead,
      problems: report.problems.map((p) => ({ path: p.path, cause: p.cause })),
      seconds: report.seconds,
    };
  } catch (e) {
    const seconds = (performance.now() - start) / 1000;
    return { image, status: "error", error: e instanceof Error ? e.message : String(e), seconds };
  }
}

/** The parent: one subprocess per image, at most `jobs` at a time. */
async function checkAll(images: string[], jobs: number, readData: boolean) {
  const results: ImageResult[] = new Array(images.length);
  let next = 0;
  const worker = async () => {
    while (next < images.length) {
      const i = next++;
      const args = ["run", "-A", import.meta.filename!, "--one", images[i]];
      if (readData) args.push("--read-data");
      const out = await new Deno.Command(Deno.execPath(), {
        args,
        stdout: "piped",
        stderr: "piped",
      })
        .output();
      try {
        results[i] = JSON.parse(new TextDecoder().decode(out.stdout));
      } catch {
        const stderr = new TextDecoder().decode(out.stderr).trim();
        results[i] = { image: images[i], status: "error", error: stderr, seconds: 0 };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, images.length) }, worker));
  return results;
}

if (values.one) {
  console.log(JSON.stringify(await checkOne(positionals[0], values["read-data"] ?? false)));
} else {
  if (positionals.length === 0) {
    console.error("usage: check_images.ts [--jobs N] [--read-data] IMAGE...");
    Deno.exit(16);
  }
  const start = performance.now();
  const images = await checkAll(positionals, Number(values.jobs), values["read-data"] ?? false);
  const count = (status: string) => images.filter((r) => r.status === status).length;
  const summary = { clean: count("clean"), damaged: count("damaged"), errors: count("error") };
  const seconds = Math.round((performance.now() - start) / 10) / 100;
  console.log(JSON.stringify({ images, summary, seconds }, null, 2));
  Deno.exit(summary.errors ? 8 : summary.damaged ? 4 : 0);
}
