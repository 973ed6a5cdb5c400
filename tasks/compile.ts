/**
 * `deno task compile [--output PATH]`: one `lkl` executable that carries
 * everything it needs: a Deno runtime, the CLI bundled into one
 * JavaScript file (`deno bundle`), and liblkl.so. Run from any directory,
 * it unpacks itself once into `$XDG_CACHE_HOME/lkl/bin/<hash>/` (or
 * `~/.cache/...`) and runs from there.
 *
 * Why not `deno compile`: it needs `denort`, a runtime downloaded from
 * dl.deno.land, which this project's build machines cannot reach, and a
 * compiled binary would still have to write liblkl.so to disk before
 * `dlopen` could load it. The executable is a short POSIX shell header
 * followed by a gzipped tar; `tail`, `tar` and `gzip` are all it needs.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { build, reportBuildFailure } from "./build.ts";
import { BUILD, REPO } from "./cache.ts";

const STAGE = join(BUILD, "compile");

async function run(cmd: string, args: string[], cwd?: string): Promise<void> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
}

/**
 * The shell header: unpacks the payload once, then runs the CLI. The
 * payload starts on line `payloadLines + 1`; `hash` names its directory.
 */
export function header(hash: string, payloadLines: number): string {
  return `#!/bin/sh
# lkl: the Linux kernel as a library, driven from TypeScript; made by
# \`deno task compile\` from the lkl repository.
# This file is a shell header followed by a gzipped tar holding a Deno
# runtime, the lkl CLI (one JavaScript file) and liblkl.so. It unpacks
# itself once into the cache directory below, then runs from there.
set -e
dir="\${XDG_CACHE_HOME:-\${HOME:?}/.cache}/lkl/bin/${hash}"
if [ ! -f "$dir/.complete" ]; then
	mkdir -p "\${dir%/*}"
	tmp=$(mktemp -d "$dir.XXXXXX")
	tail -n +${payloadLines + 1} "$0" | tar -xzf - -C "$tmp"
	touch "$tmp/.complete"
	mv "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
fi
LKL_LIBRARY="\${LKL_LIBRARY:-$dir/liblkl.so}" exec "$dir/deno" run -A --no-config \\
	--no-lock --quiet "$dir/lkl.js" "$@"
exit 1
`;
}

/** Builds the executable at `output` and returns its size in bytes. */
export async function compile(output: string): Promise<number> {
  await Deno.remove(STAGE, { recursive: true }).catch(() => {});
  const payload = join(STAGE, "payload");
  await Deno.mkdir(payload, { recursive: true });

  await run(Deno.execPath(), [
    "bundle",
    "--quiet",
    "--platform=deno",
    "-o",
    join(payload, "lkl.js"),
    join(REPO, "cli", "main.ts"),
  ]);
  // The worker a copy reads its source with (lib/copy_stream.ts): the
  // bundle looks for it next to itself, under its source name.
  await run(Deno.execPath(), [
    "bundle",
    "--quiet",
    "--platform=deno",
    "-o",
    join(payload, "copy_worker.ts"),
    join(REPO, "lib", "copy_worker.ts"),
  ]);
  await Deno.copyFile(join(BUILD, "liblkl.so"), join(payload, "liblkl.so"));
  await Deno.copyFile(Deno.execPath(), join(payload, "deno"));
  await Deno.chmod(join(payload, "deno"), 0o755);

  const archive = join(STAGE, "payload.tar.gz");
  await run("tar", ["-czf", archive, "-C", payload, "."]);
  const data = await Deno.readFile(archive);
  const hash = createHash("sha256").update(data).digest("hex").slice(0, 16);

  // The header's line count must be known to the header itself.
  let text = header(hash, 0);
  text = header(hash, text.split("\n").length - 1);
  const head = new TextEncoder().encode(text);
  const file = new Uint8Array(head.length + data.length);
  file.set(head);
  file.set(data, head.length);
  await Deno.writeFile(output, file, { mode: 0o755 });
  await Deno.remove(STAGE, { recursive: true });
  return file.length;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { output: { type: "string", short: "o" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help) {
    console.log("deno task compile [--output PATH]   (default build/lkl)");
    Deno.exit(0);
  }
  try {
    await build();
  } catch (e) {
    if (!reportBuildFailure(e)) throw e;
    Deno.exit(1);
  }
  const output = values.output ?? join(BUILD, "lkl");
  const size = await compile(output);
  console.error(
    `compile  ${output} (${(size / 2 ** 20).toFixed(0)} MiB): copy it anywhere and run it`,
  );
}
