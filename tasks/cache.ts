/**
 * Where the build keeps things: the repository, its `build/` output, and
 * the cache outside the repository that holds the extracted kernel tree,
 * the kernel objects, ccache and stored build artifacts.
 *
 * The cache is `$LKL_CACHE_DIR`, else `$XDG_CACHE_HOME/lkl`, else
 * `~/.cache/lkl`. Everything that writes to it runs under one exclusive
 * lock, `<cache>/lock`.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (the folder holding deno.json). */
export const REPO: string = dirname(dirname(fileURLToPath(import.meta.url)));

/** Build output in the repository (git-ignored). */
export const BUILD: string = join(REPO, "build");

/** The kernel source package's tarball and the directory at its top. */
export const TARBALL = "/usr/src/linux-source-6.12.tar.xz";
/** The Debian package that ships {@link TARBALL}. */
export const SOURCE_PACKAGE = "linux-source-6.12";
/** The top directory inside {@link TARBALL}. */
export const TARBALL_TOP = "linux-source-6.12";

/** The cache layout. */
export interface CacheDirs {
  /** The cache root. */
  root: string;
  /** Holds the extracted tree and its stamp. */
  srcParent: string;
  /** The extracted kernel tree (`<root>/src/linux-source-6.12`). */
  src: string;
  /** Written after a successful extraction; holds the package version. */
  srcStamp: string;
  /** Out-of-tree kernel objects (`O=`). */
  obj: string;
  /** ccache's directory unless the user set `CCACHE_DIR`. */
  ccache: string;
  /** Stored build outputs, one folder per key. */
  artifacts: string;
  /** The lock file taken for the whole build. */
  lock: string;
}

/** Resolves the cache root from the environment. */
export function cacheRoot(
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): string {
  const explicit = env("LKL_CACHE_DIR");
  if (explicit) return explicit;
  const xdg = env("XDG_CACHE_HOME");
  if (xdg) return join(xdg, "lkl");
  const home = env("HOME");
  if (!home) throw new Error("cannot find a cache directory: set LKL_CACHE_DIR or HOME");
  return join(home, ".cache", "lkl");
}

/** The cache layout under `root`. */
export function cacheDirs(root: string = cacheRoot()): CacheDirs {
  const srcParent = join(root, "src");
  return {
    root,
    srcParent,
    src: join(srcParent, TARBALL_TOP),
    srcStamp: join(srcParent, ".extracted"),
    obj: join(root, "obj"),
    ccache: join(root, "ccache"),
    artifacts: join(root, "artifacts"),
    lock: join(root, "lock"),
  };
}

/**
 * Runs `fn` holding the exclusive cache lock. When another build holds it,
 * says so on stderr after a second and waits.
 */
export async function withCacheLock<T>(dirs: CacheDirs, fn: () => Promise<T>): Promise<T> {
  await Deno.mkdir(dirs.root, { recursive: true });
  const file = await Deno.open(dirs.lock, { create: true, write: true });
  try {
    const notice = setTimeout(
      () => console.error(`waiting for another build to release ${dirs.lock}`),
      1000,
    );
    try {
      await file.lock(true);
    } finally {
      clearTimeout(notice);
    }
    return await fn();
  } finally {
    file.close(); // closing releases the lock
  }
}
