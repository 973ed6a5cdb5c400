/**
 * Finds and opens liblkl.so.
 *
 * `LKL_LIBRARY`, when set, names the library and is the only path tried
 * (an explicit choice never falls back silently). Otherwise the library is
 * `build/liblkl.so` of the checkout this module belongs to, found from the
 * module's own URL. When nothing is found, {@link LibraryNotFoundError}
 * lists every path tried and says how to build it.
 *
 * @module
 */

import { symbols } from "./symbols.ts";

/** The opened library. */
export type LklLibrary = Deno.DynamicLibrary<typeof symbols>;

/** No liblkl.so at any of the paths tried. */
export class LibraryNotFoundError extends Error {
  /** Every path tried, in order. */
  readonly tried: readonly string[];

  constructor(tried: readonly string[]) {
    super(
      `liblkl.so not found; tried:\n${tried.map((p) => `  ${p}`).join("\n")}\n` +
        "Build it with `deno task build` (or point LKL_LIBRARY at a liblkl.so).",
    );
    this.name = "LibraryNotFoundError";
    this.tried = tried;
  }
}

/**
 * The paths to try, in order, given the value of LKL_LIBRARY (empty or
 * undefined: not set) and the URL of this module.
 */
export function libraryCandidates(
  envValue: string | undefined = Deno.env.get("LKL_LIBRARY"),
  moduleUrl: string = import.meta.url,
): string[] {
  if (envValue) return [envValue];
  const url = new URL("../build/liblkl.so", moduleUrl);
  return url.protocol === "file:" ? [decodeURIComponent(url.pathname)] : [];
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** The first candidate that exists; throws {@link LibraryNotFoundError}. */
export function findLibrary(candidates: readonly string[] = libraryCandidates()): string {
  const found = candidates.find(isFile);
  if (found === undefined) throw new LibraryNotFoundError(candidates);
  return found;
}

let opened: LklLibrary | undefined;

/**
 * Opens liblkl.so once per module instance and returns it. The library is
 * never closed: kernel threads run its code until the process ends.
 */
export function openLibrary(): LklLibrary {
  if (opened) return opened;
  const path = findLibrary();
  try {
    opened = Deno.dlopen(path, symbols);
  } catch (e) {
    throw new Error(`cannot load ${path}: ${(e as Error).message}`, { cause: e });
  }
  return opened;
}
