/**
 * The kernel source tree: Debian's `linux-source-6.12` tarball, extracted
 * once into the cache, with the patches of `linux/patches/` applied (the
 * few core changes the port cannot avoid; each says why). A stamp holding
 * the package version and the patches' digest is written only after a
 * successful extraction; when either changes, the tree is extracted again.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";
import { type CacheDirs, REPO, SOURCE_PACKAGE, TARBALL, TARBALL_TOP } from "./cache.ts";

/** The kernel patches, applied in name order. */
export const PATCHES_DIR: string = join(REPO, "linux", "patches");

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
  /** The patches the tree holds, by file name. */
  patches: string[];
}

/** The `*.patch` files of `dir`, sorted by name. */
export async function listPatches(dir: string = PATCHES_DIR): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.isFile && entry.name.endsWith(".patch")) names.push(entry.name);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return names.sort();
}

/** The stamp of a tree: the package version, and a digest of the patches' names and texts. */
async function sourceStamp(packageVersion: string, patches: string[]): Promise<string> {
  const hash = createHash("sha256");
  for (const name of patches) {
    hash.update(name).update("\0").update(await Deno.readFile(join(PATCHES_DIR, name)));
  }
  return `${packageVersion} patches:${patches.length ? hash.digest("hex").slice(0, 16) : "none"}`;
}

/** Applies `name` to the tree at `dir`; throws with patch's output when it does not apply. */
async function applyPatch(dir: string, name: string): Promise<void> {
  const { success, stdout, stderr } = await new Deno.Command("patch", {
    args: ["-p1", "--batch", "--forward", "--quiet", "-d", dir, "-i", join(PATCHES_DIR, name)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!success) {
    const out = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
    throw new Error(`linux/patches/${name} does not apply to ${TARBALL}:\n${out.trim()}`);
  }
}

/**
 * Makes sure `<cache>/src/linux-source-6.12` holds the installed package's
 * tree with the repository's patches. Call it holding the cache lock.
 */
export async function ensureSource(dirs: CacheDirs): Promise<SourceResult> {
  const packageVersion = await installedVersion();
  const patches = await listPatches();
  const wanted = await sourceStamp(packageVersion, patches);
  const stamp = await readOrNull(dirs.srcStamp);
  if (stamp?.trim() === wanted) {
    return { src: dirs.src, packageVersion, extracted: false, patches };
  }

  // Extract and patch beside the final place, then swap it in: an
  // interrupted extraction never leaves a half tree behind a valid stamp.
  // tar keeps the files' times, so make rebuilds only what a patch changed.
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
  for (const name of patches) await applyPatch(join(partial, TARBALL_TOP), name);
  await Deno.remove(dirs.src, { recursive: true }).catch(() => {});
  await Deno.rename(join(partial, TARBALL_TOP), dirs.src);
  await Deno.remove(partial, { recursive: true });
  await Deno.writeTextFile(dirs.srcStamp, wanted + "\n");
  return { src: dirs.src, packageVersion, extracted: true, patches };
}
