/**
 * `lkl --version`: the version of lkl and of the kernel inside liblkl.so.
 *
 * @module
 */

import { dirname, join } from "node:path";
import denoJson from "../deno.json" with { type: "json" };
import { findLibrary } from "../ffi/library.ts";
import { Kernel } from "../mod.ts";

/** The lkl package version (deno.json). */
export const LKL_VERSION: string = denoJson.version;

/**
 * "lkl 0.1.0" followed by the library's own version line and the Debian
 * kernel source version it was built from, when the library is there.
 */
export function versionText(): string {
  const lines = [`lkl ${LKL_VERSION}`];
  let library: string;
  try {
    library = findLibrary();
  } catch {
    lines.push("liblkl.so: not built (run deno task build)");
    return lines.join("\n");
  }
  lines.push(`liblkl.so: ${Kernel.libraryVersion()} (${library})`);
  try {
    const info = JSON.parse(Deno.readTextFileSync(join(dirname(library), "build-info.json")));
    if (typeof info.kernel === "string") {
      lines.push(`kernel source: Debian linux-source-6.12 ${info.kernel}`);
    }
  } catch {
    // A library given by LKL_LIBRARY may have no build-info.json beside it.
  }
  return lines.join("\n");
}
