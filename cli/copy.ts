/**
 * What `lkl cptofs` and `lkl cpfromfs` share: `cp -r` placement of
 * sources in a destination, the progress bar, the summary, and turning
 * errors into one line and an exit code.
 *
 * @module
 */

import { basename, dirname, join, resolve } from "node:path";
import process from "node:process"; // cli-progress writes to a Node stream
import cliProgress from "cli-progress";
import {
  type CopyFailure,
  type CopyOptions,
  type CopyStats,
  copyTree,
  DiskError,
  FileTree,
  Kernel,
  LklError,
  type Mount,
  prepareCopyWorker,
} from "../mod.ts";
import { addCopyStats, emptyCopyStats, stopsCopy } from "../lib/copy.ts";
import { journalName } from "../lib/fstype.ts";
import { ERRNO, errnoMessage } from "../ffi/errno.ts";
import { EXIT, ExitError, ExitStatus } from "./report.ts";

/** The options both commands take. */
export interface ImageOptions {
  image: string;
  partition?: number;
  type?: string;
  memory: number;
  json?: true;
  verbose?: true;
}

/** An entry that was not copied, as named on stderr. */
export interface CopySummaryFailure {
  /** The path as the user knows it (a host path, or an image path from /). */
  path: string;
  /** Why, in words. */
  cause: string;
  /** The errno name, e.g. "EIO". */
  code: string;
}

/**
 * The summary printed at the end (and as JSON with --json, also when the
 * copy fails): the copy's own counts ({@link CopyStats}) over all sources,
 * and how it went.
 */
export interface CopySummary extends CopyStats {
  /**
   * "copied": everything; "failed": some entries were not copied (the
   * rest was); "stopped": an error stopped the copy (full image, no
   * image...), named in `error`.
   */
  status: "copied" | "failed" | "stopped";
  /** The exit status of the command. */
  exitCode: number;
  seconds: number;
  mibPerSecond: number;
  /** The entries that could not be copied. */
  failures: CopySummaryFailure[];
  /** The error that stopped the copy (status "stopped"). */
  error?: string;
}

/** A source or destination path on one side: a tree, and the path in it. */
interface Place {
  tree: FileTree;
  path: string;
  /** How the user wrote it, for messages. */
  shown: string;
  /** How the user would write the tree's root: paths in it are shown under it. */
  root: string;
}

/** Whether `path` asks for the contents of a directory ("SRC/." in cp -r). */
export function meansContents(path: string): boolean {
  return /(^|\/)\.\/*$/.test(path);
}

/** The last component of an image path ("" for the root). */
function imageBase(path: string): string {
  return path.split("/").filter((c) => c !== "" && c !== ".").pop() ?? "";
}

/**
 * Where `source` lands under `dest` by cp -r rules: inside `dest` when it
 * is an existing directory (as its basename, or its contents for "SRC/."),
 * else as `dest` itself.
 */
export function placement(
  sourceBase: string,
  contents: boolean,
  destIsDir: boolean,
  dest: string,
): string {
  if (!destIsDir || contents) return dest;
  return dest === "" || dest === "." ? sourceBase : `${dest.replace(/\/+$/, "")}/${sourceBase}`;
}

function hostPlace(path: string): Place {
  const full = resolve(path);
  if (meansContents(path) || full === "/") {
    return { tree: FileTree.host(full), path: ".", shown: path, root: path };
  }
  return {
    tree: FileTree.host(dirname(full)),
    path: basename(full),
    shown: path,
    root: dirname(path),
  };
}

async function imageIsDir(mount: Mount, path: string): Promise<boolean> {
  try {
    return (await mount.stat(path)).isDirectory;
  } catch (e) {
    if (e instanceof LklError && (e.code === "ENOENT" || e.code === "ENOTDIR")) return false;
    throw e;
  }
}

/** What the source `path` is: a directory, something else, or why it cannot be copied. */
type SourceKind = "directory" | "other" | { cause: string; error: LklError };

function hostKind(path: string): SourceKind {
  try {
    return Deno.lstatSync(path).isDirectory ? "directory" : "other";
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      return { cause: "no such file or directory", error: new LklError(ERRNO.ENOENT, "lstat") };
    }
    if (e instanceof Deno.errors.PermissionDenied) {
      return { cause: "permission denied (lstat)", error: new LklError(ERRNO.EACCES, "lstat") };
    }
    throw e;
  }
}

async function imageKind(mount: Mount, path: string): Promise<SourceKind> {
  try {
    return (await mount.lstat(path)).isDirectory ? "directory" : "other";
  } catch (e) {
    if (e instanceof LklError && !stopsCopy(e)) return { cause: writeCause(e, false), error: e };
    throw e;
  }
}

function hostIsDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return false;
    throw e;
  }
}

function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}

/** A progress line on a TTY (stderr) for copies that last more than a moment. */
class Progress {
  #bar: cliProgress.SingleBar | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #last = { entries: 0, bytes: 0, path: "" };
  readonly #start = performance.now();

  constructor(enabled: boolean) {
    if (!enabled) return;
    this.#timer = setTimeout(() => {
      this.#bar = new cliProgress.SingleBar({
        stream: process.stderr,
        format: "copying {entries} entries, {mib} MiB, {rate} MiB/s {path}",
        hideCursor: true,
        clearOnComplete: true,
        fps: 10,
      });
      this.#bar.start(1, 0, this.#payload());
    }, 700);
  }

  #payload() {
    const s = (performance.now() - this.#start) / 1000;
    const path = this.#last.path.length > 40 ? "…" + this.#last.path.slice(-39) : this.#last.path;
    return {
      entries: this.#last.entries,
      mib: mib(this.#last.bytes),
      rate: (this.#last.bytes / 1048576 / Math.max(s, 0.001)).toFixed(0),
      path,
    };
  }

  /** Prints `line` on stderr, above the progress line if there is one. */
  note(line: string): void {
    if (this.#bar) Deno.stderr.writeSync(new TextEncoder().encode("\r\x1b[2K"));
    console.error(line);
  }

  update(p: { entries: number; bytes: number; path: string }): void {
    this.#last = p;
    this.#bar?.update(0, this.#payload());
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#bar?.stop();
    this.#bar = undefined;
  }
}

/**
 * Turns what can go wrong in a copy into one line with its exit code;
 * `shown` turns the path of a failed call into the path the user knows.
 */
export function copyError(
  e: unknown,
  image: string,
  shown: (path: string) => string = (path) => path,
): unknown {
  if (e instanceof DiskError) {
    const code = e.problem === "locked"
      ? EXIT.LOCKED
      : e.problem === "permission"
      ? EXIT.PERMISSION
      : EXIT.IMAGE;
    return new ExitError(code, e.message, { cause: e });
  }
  if (e instanceof LklError) {
    const where = e.path === undefined ? "" : ` ${shown(e.path)}`;
    if (e.code === "ENOSPC" || e.code === "EDQUOT") {
      return new ExitError(EXIT.FULL, `${image} is full: no space left writing${where}`, {
        cause: e,
      });
    }
    if (e.code === "EACCES" || e.code === "EPERM") {
      return new ExitError(EXIT.PERMISSION, `permission denied:${where} (${e.syscall})`, {
        cause: e,
      });
    }
    if (e.code === "EEXIST") {
      return new ExitError(
        EXIT.FAILURE,
        `${e.path ?? "destination"} exists already (--force replaces it)`,
        { cause: e },
      );
    }
    if (e.code === "ENOTDIR" && e.syscall === "mkdirat") {
      return new ExitError(EXIT.FAILURE, `${e.path}: exists and is not a directory`, { cause: e });
    }
    if (e.code === "ENOENT") {
      return new ExitError(EXIT.FAILURE, `no such file or directory:${where}`, { cause: e });
    }
  }
  return e;
}

/** Why the entry of `failure` was not copied, in words; `source` is the source as the user knows it. */
function failureCause(failure: CopyFailure, source: string, overwrite: boolean): string {
  const e = failure.error;
  const errno = `${errnoMessage(e.errno)} (${e.code})`;
  if (failure.reading) return `cannot read ${source}: ${errno}`;
  if (failure.sameAs !== undefined) {
    return `the file system already holds ${failure.sameAs} under that name (it ignores case); not copied`;
  }
  return writeCause(e, overwrite);
}

/** Why making an entry failed, in words. */
function writeCause(e: LklError, overwrite: boolean): string {
  switch (e.code) {
    case "EEXIST":
      return overwrite ? "a directory is there already" : "exists already (--force replaces it)";
    case "ENOENT":
      return "no such file or directory";
    case "EACCES":
    case "EPERM":
      return `permission denied (${e.syscall})`;
    case "ENOTDIR":
      if (e.syscall === "mkdirat") return "exists and is not a directory";
      break;
    case "EINVAL":
    case "EILSEQ":
      if (/^(openat|mkdirat|symlinkat|mknodat|linkat)$/.test(e.syscall)) {
        return `the file system cannot store this name (${errnoMessage(e.errno)}, ${e.code})`;
      }
  }
  return `${errnoMessage(e.errno)} (${e.code}, ${e.syscall})`;
}

/** How one command copies: direction and copyTree options. */
export interface CopyPlan {
  /** "in": host → image (cptofs); "out": image → host (cpfromfs). */
  direction: "in" | "out";
  sources: string[];
  dest: string;
  options: ImageOptions;
  copy: CopyOptions;
}

/** Boots, attaches, mounts, copies every source, prints the summary, unmounts and halts. */
export async function runCopy(plan: CopyPlan): Promise<CopySummary> {
  const { options } = plan;
  // The thread that reads the source loads while the kernel boots.
  using _worker = prepareCopyWorker();
  const kernel = await Kernel.boot({
    memoryMiB: options.memory,
    quiet: !options.verbose,
    logFd: options.verbose ? 2 : undefined,
  });
  const showProgress = Deno.stderr.isTerminal() && !options.verbose;
  const progress = new Progress(showProgress);
  const start = performance.now();
  const total = emptyCopyStats();
  const failures: CopySummaryFailure[] = [];
  /** An entry that was not copied: named on stderr, counted, the copy goes on. */
  const fail = (path: string, cause: string, error: LklError) => {
    failures.push({ path, cause, code: error.code });
    progress.note(`lkl: ${path}: ${cause}`);
  };
  const open: FileTree[] = [];
  /** Where the copy in progress writes, for the path in an error that stops it. */
  let writing: Place | undefined;
  let stopped: unknown;
  try {
    const disk = await kernel.attachDisk(options.image, { readOnly: plan.direction === "out" });
    // Copying out, the disk is read-only: a journal that needs recovery
    // cannot be replayed, so the files are read as of the last checkpoint.
    const mount = await disk.mount({
      partition: options.partition,
      fstype: options.type,
      skipRecovery: plan.direction === "out",
    });
    if (mount.recoverySkipped) {
      console.error(
        `lkl: warning: the ${mount.fstype} ${journalName(mount.fstype)} of ${options.image} ` +
          "needs recovery; copying from the file system without it (its latest changes may be " +
          "missing); a read-write use (cptofs, mount-shell) replays it",
      );
    }
    if (plan.sources.length > 1) {
      const destIsDir = plan.direction === "in"
        ? await imageIsDir(mount, plan.dest)
        : hostIsDir(plan.dest);
      if (!destIsDir) {
        throw new ExitError(
          EXIT.USAGE,
          `copying several sources needs a directory as destination: ${plan.dest}`,
        );
      }
    }
    for (const source of plan.sources) {
      const kind = plan.direction === "in" ? hostKind(source) : await imageKind(mount, source);
      if (typeof kind === "object") {
        // Named as given: the next source may be there.
        fail(source, kind.cause, kind.error);
        continue;
      }
      const destIsDir = plan.direction === "in"
        ? await imageIsDir(mount, plan.dest)
        : hostIsDir(plan.dest);
      if (plan.dest.endsWith("/") && kind !== "directory" && !destIsDir) {
        // As cp: "DST/" promises a directory; a file is not made in its place.
        fail(plan.dest, "not a directory", new LklError(ERRNO.ENOTDIR, "open"));
        continue;
      }
      const contents = meansContents(source);
      let from: Place;
      let to: Place;
      if (plan.direction === "in") {
        from = hostPlace(source);
        open.push(from.tree);
        const base = basename(resolve(source));
        to = {
          tree: mount,
          path: placement(base, contents, destIsDir, plan.dest),
          shown: plan.dest,
          root: "/",
        };
      } else {
        const base = imageBase(source);
        from = { tree: mount, path: source, shown: source, root: "/" };
        if (contents || base === "") {
          // cp -r "SRC/." DST: the contents of SRC into DST, made if missing.
          Deno.mkdirSync(plan.dest, { recursive: true });
          to = { tree: FileTree.host(plan.dest), path: ".", shown: plan.dest, root: plan.dest };
        } else if (destIsDir) {
          to = { tree: FileTree.host(plan.dest), path: base, shown: plan.dest, root: plan.dest };
        } else {
          to = hostPlace(plan.dest);
        }
        open.push(to.tree);
      }
      const overwrite = plan.copy.overwrite ?? false;
      writing = to;
      // What this source got so far, for the summary of a copy stopped midway.
      let partialEntries = 0;
      let partialBytes = 0;
      let stats: CopyStats;
      try {
        stats = await copyTree(from, to, {
          ...plan.copy,
          onError: (f) =>
            fail(
              join(to.root, f.path),
              failureCause(f, join(from.root, f.source), overwrite),
              f.error,
            ),
          onProgress: (p) => {
            partialEntries = p.entries;
            partialBytes = p.bytes;
            if (showProgress) {
              progress.update({
                entries: total.entries + p.entries,
                bytes: total.bytes + p.bytes,
                path: p.path,
              });
            }
          },
        });
      } catch (e) {
        // Where this source goes could not be made: the next source may fare better.
        if (!(e instanceof LklError) || stopsCopy(e)) {
          // Stopped midway (full image...): count what this source got so far.
          total.entries += partialEntries;
          total.bytes += partialBytes;
          throw e;
        }
        fail(join(to.root, to.path), writeCause(e, overwrite), e);
        continue;
      }
      addCopyStats(total, stats);
    }
    writing = undefined;
    for (const tree of open.splice(0)) tree.close();
    await disk.close(); // sync, unmount, detach: part of the time of a copy
  } catch (e) {
    const root = writing?.root;
    stopped = copyError(e, options.image, root === undefined ? undefined : (p) => join(root, p));
  } finally {
    progress.stop();
    for (const tree of open) tree.close();
    try {
      await kernel.halt(); // unmounts and detaches whatever is left
    } catch (e) {
      console.error(`lkl: while unmounting: ${(e as Error).message}`);
    }
  }
  const seconds = (performance.now() - start) / 1000;
  const exitCode = stopped !== undefined
    ? (stopped instanceof ExitError ? stopped.exitCode : EXIT.FAILURE)
    : failures.length === 0
    ? EXIT.OK
    // Like cp: every failure was named as it happened; the status says there were some.
    : failures.every((f) => f.code === "EACCES" || f.code === "EPERM")
    ? EXIT.PERMISSION
    : EXIT.FAILURE;
  const summary: CopySummary = {
    status: stopped !== undefined ? "stopped" : failures.length > 0 ? "failed" : "copied",
    exitCode,
    entries: total.entries,
    bytes: total.bytes,
    seconds: Math.round(seconds * 1000) / 1000,
    mibPerSecond: Math.round((total.bytes / 1048576 / Math.max(seconds, 1e-6)) * 10) / 10,
    files: total.files,
    directories: total.directories,
    symlinks: total.symlinks,
    hardLinks: total.hardLinks,
    specialFiles: total.specialFiles,
    skippedEntries: total.skippedEntries,
    failed: failures.length,
    skipped: total.skipped,
    failures,
  };
  if (stopped !== undefined) {
    summary.error = stopped instanceof Error ? stopped.message : String(stopped);
    if (options.json) console.log(JSON.stringify(summary));
    throw stopped;
  }
  if (options.json) {
    // stdout has it all; stderr keeps only the failures, named as they happened.
    console.log(JSON.stringify(summary));
  } else {
    for (const line of total.skipped.slice(0, options.verbose ? undefined : 5)) {
      console.error(`lkl: note: ${line}`);
    }
    if (!options.verbose && total.skipped.length > 5) {
      console.error(`lkl: note: ... and ${total.skipped.length - 5} more (--verbose lists them)`);
    }
    const skipped = summary.skippedEntries > 0 ? `, ${summary.skippedEntries} skipped` : "";
    const failed = summary.failed > 0 ? `, ${summary.failed} failed` : "";
    console.error(
      `copied ${summary.entries} entries${skipped}${failed}, ${mib(summary.bytes)} MiB in ${
        summary.seconds.toFixed(2)
      } s (${summary.mibPerSecond.toFixed(1)} MiB/s)`,
    );
  }
  if (exitCode !== EXIT.OK) throw new ExitStatus(exitCode);
  return summary;
}
