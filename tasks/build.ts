/**
 * `deno task build`: builds `build/liblkl.so` from Debian's linux-source-6.12
 * and this repository's `linux/` folder.
 *
 * Stages, each printed with its duration on stderr:
 *   setup    the Debian packages are installed (tasks/setup.ts)
 *   extract  the kernel tarball is extracted once into the cache, and linux/patches/ applied
 *   cache    an unchanged tree is restored from the artifact cache and the build ends
 *   config   `make allnoconfig` with linux/config/lkl.config, then every symbol is checked
 *   kernel   the kernel, out of tree with ccache, into <cache>/obj/lkl.o
 *   shim     linux/host/*.c into build/obj/
 *   link     build/liblkl.so, exporting exactly linux/host/lkl.map
 *   headers  the uapi headers and unistd_64.h for the generators and tests
 *   store    the outputs are stored in the artifact cache
 *
 * @module
 */

import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import {
  artifactKey,
  findArtifact,
  listFiles,
  restoreArtifact,
  storeArtifact,
} from "./artifacts.ts";
import { BUILD, type CacheDirs, cacheDirs, REPO, SOURCE_PACKAGE, withCacheLock } from "./cache.ts";
import { checkConfig, formatMismatches, parseConfig } from "./kconfig.ts";
import { runLogged, type RunResult } from "./run.ts";
import { ALL_PACKAGES, ensurePackages, SetupError } from "./setup.ts";
import { ensureSource, formatKernelVersion, treeVersion } from "./source.ts";
import { StatusLine } from "./status_line.ts";

/** Bump when the build steps change in a way the artifact key cannot see. */
export const BUILD_RECIPE = "lkl-build-3";

const LINUX = join(REPO, "linux");
const ARCH_DIR = join(LINUX, "arch", "lkl");
const HOST_DIR = join(LINUX, "host");
const CONFIG_FRAGMENT = join(LINUX, "config", "lkl.config");
const VERSION_SCRIPT = join(HOST_DIR, "lkl.map");
const LIBRARY = join(BUILD, "liblkl.so");
const KERNEL_OBJECT = join(BUILD, "lkl.o");
const BUILD_INFO = join(BUILD, "build-info.json");
const LOGS = join(BUILD, "logs");

/** Options of {@link build}. */
export interface BuildOptions {
  /** Stream the output of every command. */
  verbose?: boolean;
  /** Ignore the artifact cache (make and ccache still skip unchanged work). */
  force?: boolean;
}

/** What build/build-info.json holds. */
export interface BuildInfo {
  /** The Debian package version of the kernel source, e.g. "6.12.117-1~deb12u1". */
  kernel: string;
  /** The kernel Makefile version, e.g. "6.12.117". */
  linux: string;
  /** The artifact key. */
  key: string;
  recipe: string;
  /** When the library was built (ISO 8601). */
  date: string;
  /** Seconds per stage of the build that produced the library. */
  durations: Record<string, number>;
  /** Steps that failed without failing the build (headers while the port is young). */
  warnings: string[];
  /** Set when this build/ came from the artifact cache. */
  restoredFrom?: string;
}

/** A failed stage, with the tail of its output. */
export class BuildError extends Error {
  readonly stage: string;
  readonly tail: string[];
  readonly logFile?: string;

  constructor(stage: string, message: string, tail: string[] = [], logFile?: string) {
    super(message);
    this.name = "BuildError";
    this.stage = stage;
    this.tail = tail;
    this.logFile = logFile;
  }
}

function seconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}

function say(line: string): void {
  console.error(line);
}

/** Times one stage and prints `name  12.3s  detail`. */
async function stage<T>(
  durations: Record<string, number>,
  name: string,
  fn: () => Promise<[T, string]>,
): Promise<T> {
  const start = performance.now();
  const [result, detail] = await fn();
  const s = seconds(performance.now() - start);
  durations[name] = s;
  say(`${name.padEnd(8)} ${`${s.toFixed(1)}s`.padStart(7)}  ${detail}`);
  return result;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as T;
  } catch {
    return null;
  }
}

/** Points `<src>/arch/lkl` at this repository's port, replacing a stale link. */
async function linkArch(src: string): Promise<void> {
  const link = join(src, "arch", "lkl");
  let info: Deno.FileInfo | null = null;
  try {
    info = await Deno.lstat(link);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (info && !info.isSymlink) {
    throw new BuildError("extract", `${link} exists and is not a symlink: remove it`);
  }
  if (info && (await Deno.readLink(link)) === ARCH_DIR) return;
  if (info) await Deno.remove(link);
  await Deno.symlink(ARCH_DIR, link);
}

/**
 * The object tree is tied to one checkout and one source tree: make decides
 * what to rebuild by timestamps, which cannot see that the arch/lkl link now
 * points at other files. When either changes, start the objects afresh
 * (ccache keeps that quick).
 */
async function claimObjDir(dirs: CacheDirs, packageVersion: string): Promise<string | null> {
  const stampPath = join(dirs.obj, ".lkl-origin");
  const want = { repo: REPO, packageVersion };
  const have = await readJson<typeof want>(stampPath);
  let reason: string | null = null;
  if (have && (have.repo !== want.repo || have.packageVersion !== want.packageVersion)) {
    reason = have.repo !== want.repo
      ? `objects were built for ${have.repo}`
      : `objects were built from ${SOURCE_PACKAGE} ${have.packageVersion}`;
    await Deno.remove(dirs.obj, { recursive: true });
  } else if (!have && (await exists(dirs.obj))) {
    reason = "objects of unknown origin";
    await Deno.remove(dirs.obj, { recursive: true });
  }
  await Deno.mkdir(dirs.obj, { recursive: true });
  await Deno.writeTextFile(stampPath, JSON.stringify(want) + "\n");
  return reason;
}

function makeArgs(dirs: CacheDirs): string[] {
  return [
    "-C",
    dirs.src,
    "ARCH=lkl",
    `O=${dirs.obj}`,
    "CC=ccache gcc",
    "HOSTCC=ccache gcc",
  ];
}

function makeEnv(dirs: CacheDirs): Record<string, string> {
  return {
    CCACHE_DIR: Deno.env.get("CCACHE_DIR") ?? dirs.ccache,
    CCACHE_MAXSIZE: Deno.env.get("CCACHE_MAXSIZE") ?? "5G",
  };
}

/** Runs make quietly (or verbosely), failing the stage with the tail of its output. */
async function make(
  stageName: string,
  dirs: CacheDirs,
  extra: string[],
  options: BuildOptions,
  status?: StatusLine,
): Promise<RunResult> {
  const logFile = join(LOGS, `${stageName}.log`);
  let steps = 0;
  const result = await runLogged("make", [...makeArgs(dirs), ...extra], {
    env: makeEnv(dirs),
    verbose: options.verbose,
    logFile,
    onLine: (line) => {
      // kbuild's quiet lines look like "  CC      kernel/fork.o".
      const m = line.match(/^\s+([A-Z][A-Z0-9_]*)\s+(\S+)/);
      if (m && status) status.update(`${++steps} steps · ${m[1]} ${m[2]}`);
    },
  });
  if (!result.success) {
    throw new BuildError(
      stageName,
      `make ${extra.join(" ")} failed (exit ${result.code})`,
      result.tail,
      logFile,
    );
  }
  return result;
}

async function configStage(dirs: CacheDirs, options: BuildOptions): Promise<string> {
  if (!(await exists(CONFIG_FRAGMENT))) {
    throw new BuildError("config", `${CONFIG_FRAGMENT} is missing`);
  }
  const fragmentText = await Deno.readTextFile(CONFIG_FRAGMENT);
  // The generated .config depends on the fragment and on every Kconfig of the port.
  const hash = createHash("sha256").update(fragmentText);
  for (const file of await listFiles(ARCH_DIR)) {
    if (basename(file).startsWith("Kconfig")) {
      hash.update(file).update(await Deno.readFile(join(ARCH_DIR, file)));
    }
  }
  const stamp = hash.digest("hex");
  const stampPath = join(dirs.obj, ".lkl-config-stamp");
  const dotConfig = join(dirs.obj, ".config");
  let detail = "unchanged";
  if (!(await exists(dotConfig)) || (await readJson<string>(stampPath)) !== stamp) {
    await Deno.remove(stampPath).catch(() => {});
    await make("config", dirs, [`KCONFIG_ALLCONFIG=${CONFIG_FRAGMENT}`, "allnoconfig"], options);
    detail = "generated";
  }
  const wanted = parseConfig(fragmentText);
  const mismatches = checkConfig(wanted, parseConfig(await Deno.readTextFile(dotConfig)));
  if (mismatches.length > 0) {
    throw new BuildError(
      "config",
      `${mismatches.length} symbol(s) of linux/config/lkl.config did not get their value ` +
        `in ${dotConfig} (usually an unmet "depends on"):\n${formatMismatches(mismatches)}`,
    );
  }
  await Deno.writeTextFile(stampPath, JSON.stringify(stamp));
  return `${detail}, ${wanted.size} symbols checked`;
}

async function kernelStage(dirs: CacheDirs, options: BuildOptions): Promise<string> {
  const status = options.verbose ? undefined : new StatusLine("kernel");
  try {
    await make("kernel", dirs, [`-j${navigator.hardwareConcurrency}`], options, status);
  } finally {
    status?.clear();
  }
  const object = join(dirs.obj, "lkl.o");
  if (!(await exists(object))) {
    throw new BuildError("kernel", `make succeeded but ${object} is missing`);
  }
  return object;
}

async function shimStage(options: BuildOptions): Promise<string[]> {
  const objDir = join(BUILD, "obj");
  await Deno.remove(objDir, { recursive: true }).catch(() => {});
  await Deno.mkdir(objDir, { recursive: true });
  const sources = (await listFiles(HOST_DIR)).filter((f) => f.endsWith(".c") && !f.includes("/"));
  if (sources.length === 0) throw new BuildError("shim", `no .c files in ${HOST_DIR}`);
  const logFile = join(LOGS, "shim.log");
  const objects: string[] = [];
  const queue = [...sources];
  const worker = async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const object = join(objDir, file.replace(/\.c$/, ".o"));
      const result = await runLogged("gcc", [
        "-std=gnu11",
        "-O2",
        "-g",
        "-fPIC",
        "-fvisibility=hidden",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-I",
        join(ARCH_DIR, "include", "uapi"),
        "-I",
        HOST_DIR,
        "-c",
        join(HOST_DIR, file),
        "-o",
        object,
      ], { verbose: options.verbose, logFile });
      if (!result.success) {
        throw new BuildError("shim", `gcc failed on linux/host/${file}`, result.tail, logFile);
      }
      objects.push(object);
    }
  };
  const jobs = Math.min(navigator.hardwareConcurrency, sources.length);
  await Promise.all(Array.from({ length: jobs }, worker));
  return objects.sort();
}

async function linkStage(kernelObject: string, objects: string[], options: BuildOptions) {
  const logFile = join(LOGS, "link.log");
  const result = await runLogged("gcc", [
    "-shared",
    "-o",
    LIBRARY,
    kernelObject,
    ...objects,
    `-Wl,--version-script=${VERSION_SCRIPT}`,
    "-Wl,-z,defs",
    "-Wl,-soname,liblkl.so",
    // Never unmapped: Deno closes libraries when an isolate ends (each
    // test file), while host threads still hold TLS destructors in it.
    "-Wl,-z,nodelete",
    // Kernel assembly without a .note.GNU-stack must not make every
    // thread's stack executable.
    "-Wl,-z,noexecstack",
    "-lpthread",
  ], { verbose: options.verbose, logFile });
  if (!result.success) throw new BuildError("link", "gcc -shared failed", result.tail, logFile);
  // Kept beside the library: tests relink the shim with sanitizers.
  await Deno.copyFile(kernelObject, KERNEL_OBJECT);
  const size = (await Deno.stat(LIBRARY)).size;
  return `build/liblkl.so (${(size / 2 ** 20).toFixed(1)} MiB)`;
}

/** Copies the generated syscall header and the installed uapi headers; never fails the build. */
async function headersStage(dirs: CacheDirs, options: BuildOptions, warnings: string[]) {
  const done: string[] = [];
  const generated = join(BUILD, "generated");
  await Deno.remove(generated, { recursive: true }).catch(() => {});
  await Deno.mkdir(generated, { recursive: true });
  const unistd = join(dirs.obj, "arch/lkl/include/generated/uapi/asm/unistd_64.h");
  try {
    await Deno.copyFile(unistd, join(generated, "unistd_64.h"));
    done.push("build/generated/unistd_64.h");
  } catch (e) {
    warnings.push(`unistd_64.h not copied: ${(e as Error).message}`);
  }
  const installed = join(dirs.obj, "usr");
  const include = join(BUILD, "include");
  await Deno.remove(include, { recursive: true }).catch(() => {});
  try {
    await make("headers", dirs, ["headers_install", `INSTALL_HDR_PATH=${installed}`], options);
    const { success, stderr } = await new Deno.Command("cp", {
      args: ["-a", join(installed, "include"), include],
      stderr: "piped",
    }).output();
    if (!success) throw new Error(new TextDecoder().decode(stderr).trim());
    done.push("build/include");
  } catch (e) {
    // The lines before make's own "make[n]: ***" trailer say what went wrong.
    const cause = e instanceof BuildError
      ? e.tail.filter((l) => !/^make(\[\d+\])?: /.test(l)).slice(-3)
      : [];
    const tail = cause.length > 0 ? `\n${cause.join("\n")}` : "";
    warnings.push(`headers_install failed: ${(e as Error).message}${tail}`);
  }
  return done.length > 0 ? done.join(", ") : "none (see warnings)";
}

/** Builds (or restores) build/liblkl.so; throws {@link BuildError} or SetupError. */
export async function build(options: BuildOptions = {}): Promise<BuildInfo> {
  const started = performance.now();
  const durations: Record<string, number> = {};
  await stage(durations, "setup", async () => {
    const installed = await ensurePackages({ packages: ALL_PACKAGES });
    return [
      null,
      installed.length
        ? `installed ${installed.join(" ")}`
        : `${ALL_PACKAGES.length} packages present`,
    ];
  });

  const dirs = cacheDirs();
  return await withCacheLock(dirs, async () => {
    await Deno.mkdir(LOGS, { recursive: true });
    for await (const entry of Deno.readDir(LOGS)) await Deno.remove(join(LOGS, entry.name));

    const source = await stage(durations, "extract", async () => {
      const result = await ensureSource(dirs);
      await linkArch(result.src);
      const patched = result.patches.length ? `, ${result.patches.length} patch(es)` : "";
      return [
        result,
        `${result.src}${
          result.extracted ? ` (extracted${patched})` : ` (already extracted${patched})`
        }`,
      ];
    });
    const linux = formatKernelVersion(await treeVersion(source.src));
    say(`version  Debian ${SOURCE_PACKAGE} ${source.packageVersion} (Linux ${linux})`);

    const key = await artifactKey({
      recipe: BUILD_RECIPE,
      packageVersion: source.packageVersion,
      kernelVersion: linux,
      linuxDir: LINUX,
    });

    if (!options.force) {
      const restored = await stage(durations, "cache", async () => {
        const current = await readJson<BuildInfo>(BUILD_INFO);
        // A build with warnings is redone, so the failed steps are tried again.
        if (
          current?.key === key && (current.warnings ?? []).length === 0 && (await exists(LIBRARY))
        ) {
          return [current, `build/ is up to date (${key.slice(0, 12)})`];
        }
        const artifact = await findArtifact(dirs.artifacts, key);
        if (!artifact) return [null, `miss (${key.slice(0, 12)})`];
        await restoreArtifact(artifact, BUILD);
        const info = await readJson<BuildInfo>(BUILD_INFO);
        if (!info) return [null, `artifact ${artifact} has no build-info.json`];
        info.restoredFrom = artifact;
        await Deno.writeTextFile(BUILD_INFO, JSON.stringify(info, null, 2) + "\n");
        return [info, `restored from ${artifact}`];
      });
      if (restored) {
        say(`done     ${seconds(performance.now() - started).toFixed(1)}s`);
        return restored;
      }
    }

    // A failed build must not leave the previous library looking current.
    await Deno.remove(LIBRARY).catch(() => {});
    await Deno.remove(BUILD_INFO).catch(() => {});
    const origin = await claimObjDir(dirs, source.packageVersion);
    if (origin) say(`objects  starting afresh: ${origin}`);

    const warnings: string[] = [];
    await stage(durations, "config", async () => [null, await configStage(dirs, options)]);
    const kernelObject = await stage(durations, "kernel", async () => {
      const object = await kernelStage(dirs, options);
      return [object, object];
    });
    const objects = await stage(durations, "shim", async () => {
      const list = await shimStage(options);
      return [list, `${list.length} files into build/obj/`];
    });
    await stage(
      durations,
      "link",
      async () => [null, await linkStage(kernelObject, objects, options)],
    );
    await stage(
      durations,
      "headers",
      async () => [null, await headersStage(dirs, options, warnings)],
    );
    for (const w of warnings) say(`warning  ${w}`);

    const info: BuildInfo = {
      kernel: source.packageVersion,
      linux,
      key,
      recipe: BUILD_RECIPE,
      date: new Date().toISOString(),
      durations,
      warnings,
    };
    await Deno.writeTextFile(BUILD_INFO, JSON.stringify(info, null, 2) + "\n");
    await stage(durations, "store", async () => {
      // A build with warnings is not stored: the next run tries those steps again.
      if (warnings.length > 0) return [null, "skipped (the build had warnings)"];
      return [null, await storeArtifact(dirs.artifacts, key, BUILD)];
    });
    say(`done     ${seconds(performance.now() - started).toFixed(1)}s`);
    return info;
  });
}

/**
 * Prints a {@link BuildError} or SetupError (tail of the output, the stage,
 * the log file) on stderr; returns false for any other error.
 */
export function reportBuildFailure(e: unknown): boolean {
  if (e instanceof BuildError) {
    if (e.tail.length > 0) say(e.tail.join("\n"));
    say(`build failed in stage ${e.stage}: ${e.message}`);
    if (e.logFile) say(`full output: ${e.logFile}`);
    return true;
  }
  if (e instanceof SetupError) {
    say(`build failed in stage setup: ${e.message}`);
    return true;
  }
  return false;
}

const HELP = `Usage: deno task build [--verbose] [--force]

Builds build/liblkl.so: checks the Debian packages (tasks/setup.ts), extracts
/usr/src/linux-source-6.12.tar.xz into the cache, builds the kernel out of tree
with ccache and linux/config/lkl.config, compiles linux/host/*.c and links.

  -v, --verbose   show the output of every command
  -f, --force     ignore the artifact cache (make and ccache still reuse work)
  -h, --help      show this help

Cache: $LKL_CACHE_DIR, else $XDG_CACHE_HOME/lkl, else ~/.cache/lkl.`;

function parseBuildArgs(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        verbose: { type: "boolean", short: "v", default: false },
        force: { type: "boolean", short: "f", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }).values;
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${HELP}`);
    Deno.exit(2);
  }
}

if (import.meta.main) {
  const values = parseBuildArgs(Deno.args);
  if (values.help) {
    console.log(HELP);
    Deno.exit(0);
  }
  try {
    await build({ verbose: values.verbose, force: values.force });
  } catch (e) {
    if (!reportBuildFailure(e)) throw e;
    Deno.exit(1);
  }
}
