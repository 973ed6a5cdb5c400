// deno-lint-ignore-file explicit-module-boundary-types -- commander-extra-typings infers precise Option types
/**
 * `lkl fsck`: checks the file system of a disk image with the kernel's own
 * driver (see lib/check.ts for what that covers), and exits as fsck(8).
 *
 * @module
 */

import { Command, Option } from "@commander-js/extra-typings";
import pc from "picocolors";
import {
  checkClean,
  checkImage,
  type CheckProgress,
  type CheckReport,
  DiskError,
  Kernel,
  type RecordedError,
  type RecordedErrors,
} from "../mod.ts";
import { isAbort } from "../lib/check.ts";
import {
  fstypeOption,
  imageOption,
  jsonOption,
  memoryOption,
  partitionOption,
  verboseOption,
} from "./options.ts";
import { ExitStatus, reportError } from "./report.ts";
import { mib, shortPath, StatusLine } from "./status_line.ts";

/** Exit codes of fsck(8), which `lkl fsck` follows. */
export const FSCK_EXIT = Object.freeze(
  {
    /** No errors. */
    CLEAN: 0,
    /** Errors were corrected (--repair replayed a journal, cleaned orphans). */
    CORRECTED: 1,
    /** Errors left uncorrected. */
    UNCORRECTED: 4,
    /** Operational error: the image cannot be opened or mounted. */
    OPERATIONAL: 8,
    /** Usage or syntax error. */
    USAGE: 16,
    /** Canceled by the user (Ctrl-C). */
    CANCELED: 32,
  } as const,
);

const HELP = `
What it checks: the image is mounted with the kernel's own driver and every
directory and inode is visited (getdents, statx, readlink); with --read-data
every byte of every file is read too. So it finds what the kernel verifies as
it reads: metadata checksums (ext4 metadata_csum, xfs v5, f2fs, btrfs), data
checksums (btrfs, on a read), and the structure of every directory and inode
it touches; link counts are compared with the names found, and directory
entry types with the inodes. Every failed call is reported with its path and
cause, with every message the driver printed to the kernel log. On btrfs a
read-only scrub also verifies every data and metadata block.

What it does not: it is no offline structural check like e2fsck, xfs_repair
or btrfs check. Free space maps, unreferenced inodes, blocks claimed twice and
anything else a walk never reads are not checked, and nothing is repaired
beyond what the kernel does when it mounts. The errors an ext2/3/4 superblock
records (met by the kernel before, on any machine) are shown but do not fail
the check: the walk may never meet what they were about; e2fsck -f does.

Without --repair not one byte of the image changes: the image is opened
read-only, the kernel sees a read-only disk, and the mount avoids writes
(ext4 noload, xfs and f2fs norecovery, btrfs rescue=nologreplay). A journal
that needs recovery is reported, not replayed. With --repair the image is
first mounted read-write, so the kernel replays the journal (or log) and
cleans up orphan inodes, then unmounted and checked.

Examples:
  lkl fsck -i disk.img                    walk the file system of disk.img
  lkl fsck -i disk.img -P 2 --read-data   partition 2, reading all file data
  lkl fsck -i disk.img --repair           replay the journal, then check
  lkl fsck -i disk.img --json | jq .problems

Exit status (as fsck(8)):
  0 no errors; 1 errors corrected (--repair); 4 errors left uncorrected;
  8 operational error (no such image, locked, no file system, not mountable);
  16 usage error; 32 canceled (Ctrl-C).`;

/** The report as JSON: the check's report plus its verdict. */
export interface FsckJson extends CheckReport {
  status: number;
  clean: boolean;
}

/** The exit status of a finished check. */
export function fsckStatus(report: CheckReport): number {
  if (!checkClean(report)) return FSCK_EXIT.UNCORRECTED;
  return report.corrected.length > 0 ? FSCK_EXIT.CORRECTED : FSCK_EXIT.CLEAN;
}

function describeRecordedError(which: string, e: RecordedError): string {
  const where = [
    e.inode ? `inode ${e.inode}` : "",
    e.block ? `block ${e.block}` : "",
    e.code ?? "",
  ].filter((x) => x !== "");
  const at = e.function ? ` in ${e.function}:${e.line}` : "";
  return `  ${which}: ${e.time ?? "(no time)"}${at}` +
    (where.length ? ` (${where.join(", ")})` : "");
}

/** The superblock's error history: a warning, not a verdict (e2fsck -f examines it). */
export function formatRecordedErrors(errors: RecordedErrors): string[] {
  const n = errors.count;
  const what = n === 0
    ? "the superblock is marked as having errors (no count recorded) from before this check"
    : `the superblock records ${n} error${n === 1 ? "" : "s"} the kernel met before this check`;
  const lines = [
    pc.yellow(
      `${what} (e2fsck -f examines the whole file system and clears the record)${
        errors.first || errors.last ? ":" : "."
      }`,
    ),
  ];
  if (errors.first) lines.push(describeRecordedError("first", errors.first));
  if (errors.last) lines.push(describeRecordedError("last", errors.last));
  return lines;
}

/** The human report, as lines. */
export function formatReport(report: CheckReport, verbose: boolean): string[] {
  const lines: string[] = [];
  const kinds = [
    `${report.directories} directories`,
    `${report.files} files`,
    `${report.symlinks} symlinks`,
    ...(report.specialFiles > 0 ? [`${report.specialFiles} special files`] : []),
  ];
  lines.push(
    `${report.image} (${report.device}, ${report.fstype}): ${report.entries} entries checked ` +
      `(${kinds.join(", ")}), ${mib(report.bytesRead)} MiB of file data read ` +
      `in ${report.seconds.toFixed(2)} s`,
  );
  if (report.scrub) {
    const s = report.scrub;
    lines.push(
      `btrfs scrub: ${mib(s.dataBytes)} MiB of data and ${mib(s.treeBytes)} MiB of metadata ` +
        `verified; ${s.csumErrors} checksum, ${s.readErrors} read, ${s.verifyErrors} metadata, ` +
        `${s.superErrors} superblock errors`,
    );
  }
  if (report.recordedErrors) lines.push(...formatRecordedErrors(report.recordedErrors));
  if (report.corrected.length > 0) {
    lines.push(pc.green(`corrected (${report.corrected.length}):`));
    for (const c of report.corrected) lines.push(`  ${c}`);
  }
  if (report.problems.length > 0) {
    lines.push(pc.red(`errors (${report.problems.length}):`));
    const shown = verbose ? report.problems : report.problems.slice(0, 100);
    for (const p of shown) {
      lines.push(`  ${p.path ?? "(file system)"}: ${p.operation}: ${p.cause}`);
    }
    if (shown.length < report.problems.length) {
      lines.push(`  ... and ${report.problems.length - shown.length} more (--verbose lists them)`);
    }
  }
  const messages = report.kernelMessages;
  if (messages.length > 0) {
    const damage = messages.filter((m) => m.error).length;
    lines.push(
      `kernel messages (${messages.length}${damage > 0 ? `, ${damage} about damage` : ""}):`,
    );
    const limit = verbose ? messages.length : 50;
    // Damage first when there are too many to show.
    const ordered = messages.length > limit
      ? [...messages.filter((m) => m.error), ...messages.filter((m) => !m.error)]
      : messages;
    for (const m of ordered.slice(0, limit)) {
      const where = m.paths.length > 0 ? `  [${m.paths.join(", ")}]` : "";
      lines.push(m.error ? pc.red(`! ${m.text}${where}`) : `  ${m.text}`);
    }
    if (messages.length > limit) {
      lines.push(`  ... and ${messages.length - limit} more (--verbose lists them)`);
    }
  }
  const status = fsckStatus(report);
  const verdict = status === FSCK_EXIT.CLEAN
    ? pc.green("clean")
    : status === FSCK_EXIT.CORRECTED
    ? pc.green("errors corrected, now clean")
    : pc.red("errors left uncorrected");
  const earlier = report.recordedErrors && status !== FSCK_EXIT.UNCORRECTED
    ? pc.yellow(", but with earlier errors on record")
    : "";
  lines.push(`${report.image}: ${verdict}${earlier} (exit ${status})`);
  return lines;
}

function progressPayload(p: CheckProgress) {
  return { entries: p.entries, mib: mib(p.bytes), path: shortPath(p.path) };
}

const FORMATS: Record<CheckProgress["phase"], string> = {
  repair: "replaying the journal (read-write mount)",
  walk: "checking {entries} entries, {mib} MiB read {path}",
  scrub: "scrubbing: {mib} MiB verified",
};

/** The `fsck` subcommand. */
export function fsckCommand() {
  return new Command("fsck")
    .description(
      "check a disk image's file system with the kernel's own driver (read-only unless --repair)",
    )
    .usage("-i IMG [-P PART] [-t FSTYPE] [--read-data] [--repair] [--json]")
    .addOption(imageOption())
    .addOption(partitionOption())
    .addOption(fstypeOption())
    .addOption(new Option("--read-data", "read every byte of every file too"))
    .addOption(
      new Option(
        "--repair",
        "mount read-write first: the kernel replays the journal and cleans orphans",
      ),
    )
    .addOption(jsonOption())
    .addOption(memoryOption().default(128))
    .addOption(verboseOption())
    .addHelpText("after", HELP)
    .exitOverride((e) => {
      throw new ExitStatus(e.exitCode === 0 ? 0 : FSCK_EXIT.USAGE);
    })
    .action(async (options) => {
      throw new ExitStatus(await runFsck(options));
    });
}

/** What runFsck takes. */
export interface FsckOptions {
  image: string;
  partition?: number;
  type?: string;
  readData?: true;
  repair?: true;
  json?: true;
  memory: number;
  verbose?: true;
}

/**
 * With --json, a check that could not run still prints a JSON object on
 * stdout (as cptofs/cpfromfs do): its status, and why.
 */
function jsonFailure(options: FsckOptions, status: number, error: string, problem?: string): void {
  if (!options.json) return;
  console.log(JSON.stringify({ image: options.image, status, clean: false, error, problem }));
}

/** Boots, checks, reports, halts; returns the exit status. */
export async function runFsck(options: FsckOptions): Promise<number> {
  let kernel: Kernel;
  try {
    kernel = await Kernel.boot({
      memoryMiB: options.memory,
      quiet: false,
      logFd: options.verbose ? 2 : undefined,
    });
  } catch (e) {
    reportError(e);
    jsonFailure(options, FSCK_EXIT.OPERATIONAL, e instanceof Error ? e.message : String(e));
    return FSCK_EXIT.OPERATIONAL;
  }
  const abort = new AbortController();
  const onInterrupt = () => abort.abort();
  Deno.addSignalListener("SIGINT", onInterrupt);
  const status = new StatusLine(
    Deno.stderr.isTerminal() && !options.verbose,
    FORMATS.walk,
    { entries: 0, mib: "0.0", path: "" },
  );
  try {
    const report = await checkImage(kernel, options.image, {
      partition: options.partition,
      fstype: options.type,
      readData: options.readData ?? false,
      repair: options.repair ?? false,
      signal: abort.signal,
      onProgress: (p) => status.update(progressPayload(p), FORMATS[p.phase]),
    });
    status.stop();
    const code = fsckStatus(report);
    if (options.json) {
      const json: FsckJson = { ...report, status: code, clean: code !== FSCK_EXIT.UNCORRECTED };
      console.log(JSON.stringify(json));
    } else {
      for (const line of formatReport(report, options.verbose ?? false)) console.log(line);
    }
    return code;
  } catch (e) {
    status.stop();
    if (isAbort(e)) {
      console.error("lkl: fsck canceled; the image was unmounted cleanly");
      jsonFailure(options, FSCK_EXIT.CANCELED, "canceled");
      return FSCK_EXIT.CANCELED;
    }
    if (e instanceof DiskError || e instanceof Error) {
      reportError(e);
      jsonFailure(
        options,
        FSCK_EXIT.OPERATIONAL,
        e.message,
        e instanceof DiskError ? e.problem : undefined,
      );
      return FSCK_EXIT.OPERATIONAL;
    }
    throw e;
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
    status.stop();
    try {
      await kernel.halt();
    } catch (e) {
      console.error(`lkl: while unmounting: ${(e as Error).message}`);
    }
  }
}
