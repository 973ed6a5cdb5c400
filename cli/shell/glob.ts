/**
 * Glob expansion for the mount shell, as sh does it: a word with an
 * unquoted *, ? or [...] becomes the sorted paths that match it, component
 * by component; a name starting with "." matches only a pattern starting
 * with "."; a pattern that matches nothing stays as it was written (so the
 * command says "No such file or directory" about it). Image paths are
 * matched in the image, host paths (the sources of `put`, the destination
 * of `get`) on the host.
 *
 * @module
 */

import { resolve } from "node:path";
import { FileTree } from "../../mod.ts";
import { globRegExp } from "./command.ts";
import type { Session } from "./session.ts";

/** How {@link expandPattern} sees a file tree. */
export interface GlobFs {
  /** The names in a directory ("" is the current one); none when it cannot be read. */
  list(dir: string): Promise<string[]>;
  /** Whether a path exists (symlinks not followed; with a trailing "/", a directory). */
  exists(path: string): Promise<boolean>;
}

function hasGlob(component: string): boolean {
  for (let i = 0; i < component.length; i++) {
    if (component[i] === "\\") i++;
    else if ("*?[".includes(component[i])) return true;
  }
  return false;
}

function unescape(component: string): string {
  return component.replace(/\\(.)/g, "$1");
}

function join(dir: string, name: string): string {
  if (dir === "") return name;
  return dir.endsWith("/") ? `${dir}${name}` : `${dir}/${name}`;
}

/**
 * The paths `pattern` matches, sorted per component, relative like the
 * pattern when it is relative.
 *
 * ```ts
 * import { expandPattern } from "./glob.ts";
 * const fs = {
 *   list: (dir: string) => Promise.resolve(dir === "" ? ["a.txt", "b.log", ".h.txt"] : []),
 *   exists: () => Promise.resolve(true),
 * };
 * await expandPattern("*.txt", fs); // ["a.txt"]
 * ```
 */
export async function expandPattern(pattern: string, fs: GlobFs): Promise<string[]> {
  const absolute = pattern.startsWith("/");
  const components = pattern.split("/").filter((c) => c !== "");
  let paths = [absolute ? "/" : ""];
  let literalAfterGlob = false;
  let globbed = false;
  for (const component of components) {
    if (!hasGlob(component)) {
      paths = paths.map((p) => join(p, unescape(component)));
      literalAfterGlob = globbed;
      continue;
    }
    globbed = true;
    literalAfterGlob = false;
    const re = globRegExp(component);
    const hidden = component.startsWith(".");
    const next: string[] = [];
    for (const dir of paths) {
      const names = (await fs.list(dir)).filter((n) =>
        n !== "." && n !== ".." && (hidden || !n.startsWith(".")) && re.test(n)
      );
      for (const name of names.sort()) next.push(join(dir, name));
    }
    paths = next;
    if (paths.length === 0) return [];
  }
  if (literalAfterGlob) {
    const found: string[] = [];
    for (const p of paths) if (await fs.exists(p)) found.push(p);
    paths = found;
  }
  if (!pattern.endsWith("/")) return paths;
  // "*/" names directories only (and symlinks to them), as in sh.
  const dirs: string[] = [];
  for (const p of paths) if (await fs.exists(`${p}/`)) dirs.push(`${p}/`);
  return dirs;
}

/**
 * A tree for {@link expandPattern}: the image, or the host (through a host
 * FileTree rather than Deno.readDir, which cannot give back names that
 * are not UTF-8). `place` turns a glob's path into one of the tree.
 */
function treeFs(tree: FileTree, place: (path: string) => string): GlobFs {
  return {
    async list(dir) {
      const names: string[] = [];
      try {
        for await (const entry of tree.readDir(place(dir === "" ? "." : dir))) {
          names.push(entry.name);
        }
      } catch {
        return [];
      }
      return names;
    },
    async exists(path) {
      try {
        await tree.lstat(place(path));
        return true;
      } catch {
        return false;
      }
    },
  };
}

/** A host path as an absolute one, keeping a trailing slash (it asks for a directory). */
function hostPath(path: string): string {
  return resolve(path) + (path.endsWith("/") && path !== "/" ? "/" : "");
}

/**
 * The words of a command with its globs expanded. `hostArg(i, n)` says
 * whether argument i of n is a host path.
 */
export async function expandWords(
  s: Session,
  words: string[],
  patterns: (string | null)[],
  hostArg?: (index: number, count: number) => boolean,
): Promise<string[]> {
  const out = [words[0]];
  const args = words.length - 1;
  const image = treeFs(s.mount, (p) => s.path(p));
  let hostRoot: FileTree | undefined;
  try {
    for (let i = 1; i < words.length; i++) {
      const pattern = patterns[i];
      if (pattern === null || pattern === undefined) {
        out.push(words[i]);
        continue;
      }
      let fs = image;
      if (hostArg?.(i - 1, args)) {
        hostRoot ??= FileTree.host("/");
        fs = treeFs(hostRoot, hostPath);
      }
      const matches = await expandPattern(pattern, fs);
      out.push(...(matches.length > 0 ? matches : [words[i]]));
    }
  } finally {
    hostRoot?.close();
  }
  return out;
}
