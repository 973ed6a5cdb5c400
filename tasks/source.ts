/**
 * The kernel source tree: Debian's `linux-source-6.12` tarball, extracted
 * once into the cache. A stamp holding the package version is written only
 * after a successful extraction; when the installed package version
 * differs from the stamp, the tree is extracted again.
 *
 * @module
 */

import { join } from "node:path";
import { type CacheDirs, SOURCE_PACKAGE, TARBALL, TARBALL_TOP } from "./cache.ts";

/** The installed version of a Debian package, e.g. "6.12.117-1~deb12u1". */
export async function installedVersion(pkg: string = SOURCE_PACKAGE): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command("dpkg-query", {
    args: ["-W", "-f=${Version}", pkg],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const version = new TextDecoder().decode(stdout).trim();
  if (!success || version === "") {
    const why = new TextDecoder().decode(stderr).trim();
    throw new Error(`${pkg} is not installed (${why || "no version"}): run deno task setup`);
  }
  return version;
}

/** The kernel version from a tree's top Makefile. */
export interface KernelVersion {
  version: number;
  patchlevel: number;
  sublevel: number;
  extraversion: string;
}

/** Parses VERSION, PATCHLEVEL, SUBLEVEL and EXTRAVERSION from the top Makefile text. */
export function parseMakefileVersion(makefile: string): KernelVersion {
  const get = (name: string): string => {
    const m = makefile.match(new RegExp(`^${name}\\s*=[ \\t]*(.*)$`, "m"));
    if (!m) throw new Error(`kernel Makefile has no ${name}`);
    return m[1].trim();
  };
  return {
    version: Number(get("VERSION")),
    patchlevel: Number(get("PATCHLEVEL")),
    sublevel: Number(get("SUBLEVEL")),
    extraversion: get("EXTRAVERSION"),
  };
}

/** "6.12.117" (plus EXTRAVERSION when set). */
export function formatKernelVersion(v: KernelVersion): string {
  return `${v.version}.${v.patchlevel}.${v.sublevel}${v.extraversion}`;
}

/** Reads the version of the extracted tree at `src`. */
export async function treeVersion(src: string): Promise<KernelVersion> {
  return parseMakefileVersion(await Deno.readTextFile(join(src, "Makefile")));
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** What {@link ensureSource} did. */
export interface SourceResult {
  /** The extracted tree. */
  src: string;
  /** The installed package version. */
  packageVersion: string;
  /** True when the tarball was (re-)extracted by this call. */
  extracted: boolean;
}

/**
 * Makes sure `<cache>/src/linux-source-6.12` holds the installed package's
 * tree. Call it holding the cache lock.
 */
export async function ensureSource(dirs: CacheDirs): Promise<SourceResult> {
  const packageVersion = await installedVersion();
  const stamp = await readOrNull(dirs.srcStamp);
  if (stamp?.trim() === packageVersion) {
    return { src: dirs.src, packageVersion, extracted: false };
  }

  // Extract beside the final place, then swap it in: an interrupted
  // extraction never leaves a half tree behind a valid stamp.
  await Deno.mkdir(dirs.srcParent, { recursive: true });
  await Deno.remove(dirs.srcStamp).catch(() => {});
  const partial = join(dirs.srcParent, ".partial");
  await Deno.remove(partial, { recursive: true }).catch(() => {});
  await Deno.mkdir(partial);
  const { success, stderr } = await new Deno.Command("tar", {
    args: ["-xf", TARBALL, "-C", partial],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) {
    throw new Error(`tar -xf ${TARBALL} failed: ${new TextDecoder().decode(stderr).trim()}`);
  }
  await Deno.remove(dirs.src, { recursive: true }).catch(() => {});
  await Deno.rename(join(partial, TARBALL_TOP), dirs.src);
  await Deno.remove(partial, { recursive: true });
  await Deno.writeTextFile(dirs.srcStamp, packageVersion + "\n");
  return { src: dirs.src, packageVersion, extracted: true };
}
