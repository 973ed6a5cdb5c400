/**
 * The artifact cache: finished build outputs stored under a key that
 * covers every input of the build, so an unchanged tree is "built" by
 * copying a folder.
 *
 * The key is a sha256 over the build recipe version, the installed
 * linux-source package version, the kernel Makefile version, `gcc
 * --version`, and every file under `<repo>/linux/` (path and content).
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join, relative } from "node:path";
import { capture } from "./run.ts";

/** What goes into the key besides the files under linux/. */
export interface KeyInputs {
  /** Bumped by hand in build.ts whenever the build steps change. */
  recipe: string;
  /** The installed Debian package version, e.g. "6.12.117-1~deb12u1". */
  packageVersion: string;
  /** The tree's Makefile version, e.g. "6.12.117". */
  kernelVersion: string;
  /** The repository's `linux/` folder. */
  linuxDir: string;
}

/** Files under `dir`, recursively, as sorted paths relative to `dir`. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for await (const entry of Deno.readDir(d)) {
      const path = join(d, entry.name);
      if (entry.isDirectory) await walk(path);
      else out.push(relative(dir, path));
    }
  };
  await walk(dir);
  return out.sort();
}

/** Computes the artifact key (64 hex digits). */
export async function artifactKey(inputs: KeyInputs): Promise<string> {
  const hash = createHash("sha256");
  const gcc = await capture("gcc", ["--version"]);
  hash.update(`recipe ${inputs.recipe}\n`);
  hash.update(`package ${inputs.packageVersion}\n`);
  hash.update(`kernel ${inputs.kernelVersion}\n`);
  hash.update(`gcc ${gcc}\n`);
  for (const file of await listFiles(inputs.linuxDir)) {
    const path = join(inputs.linuxDir, file);
    const info = await Deno.lstat(path);
    const content = info.isSymlink
      ? new TextEncoder().encode(`symlink ${await Deno.readLink(path)}`)
      : await Deno.readFile(path);
    hash.update(`file ${file} ${content.length}\n`);
    hash.update(content);
  }
  return hash.digest("hex");
}

/** The build outputs stored in an artifact, relative to build/. */
export const ARTIFACT_ENTRIES: readonly string[] = [
  "liblkl.so",
  "lkl.o",
  "generated",
  "include",
  "build-info.json",
];

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

async function copyTree(from: string, to: string): Promise<void> {
  await capture("cp", ["-a", "--", from, to]);
}

/** The stored artifact folder for `key`, or null when there is none. */
export async function findArtifact(artifacts: string, key: string): Promise<string | null> {
  const dir = join(artifacts, key);
  return (await exists(join(dir, "liblkl.so"))) ? dir : null;
}

/** Replaces the outputs in `build` by those of the artifact folder `dir`. */
export async function restoreArtifact(dir: string, build: string): Promise<void> {
  await Deno.mkdir(build, { recursive: true });
  for (const entry of ARTIFACT_ENTRIES) {
    await Deno.remove(join(build, entry), { recursive: true }).catch(() => {});
    if (await exists(join(dir, entry))) await copyTree(join(dir, entry), join(build, entry));
  }
  const now = new Date();
  await Deno.utime(dir, now, now); // marks it recently used for pruning
}

/**
 * Stores the outputs present in `build` as the artifact `key` (written
 * beside, then renamed into place), and keeps only the `keep` most recently
 * used artifacts.
 */
export async function storeArtifact(
  artifacts: string,
  key: string,
  build: string,
  keep = 8,
): Promise<string> {
  await Deno.mkdir(artifacts, { recursive: true });
  const dir = join(artifacts, key);
  const partial = `${dir}.partial`;
  await Deno.remove(partial, { recursive: true }).catch(() => {});
  await Deno.mkdir(partial);
  for (const entry of ARTIFACT_ENTRIES) {
    if (await exists(join(build, entry))) await copyTree(join(build, entry), join(partial, entry));
  }
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.rename(partial, dir);
  await prune(artifacts, keep);
  return dir;
}

async function prune(artifacts: string, keep: number): Promise<void> {
  const dirs: { path: string; mtime: number }[] = [];
  for await (const entry of Deno.readDir(artifacts)) {
    if (!entry.isDirectory || entry.name.endsWith(".partial")) continue;
    const path = join(artifacts, entry.name);
    dirs.push({ path, mtime: (await Deno.stat(path)).mtime?.getTime() ?? 0 });
  }
  dirs.sort((a, b) => b.mtime - a.mtime);
  for (const old of dirs.slice(keep)) await Deno.remove(old.path, { recursive: true });
}
