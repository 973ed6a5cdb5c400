/**
 * What a mount shell command is.
 *
 * @module
 */

import type { Session } from "./session.ts";

/** One command of the mount shell. */
export interface ShellCommand {
  /** Its name, e.g. "ls". */
  name: string;
  /** Its synopsis, e.g. "ls [-l] [-a] [-R] [PATH...]". */
  usage: string;
  /** One line saying what it does. */
  summary: string;
  /** Whether it changes the image (refused with -r); a function when it depends on the flags. */
  writes: boolean | ((args: string[]) => boolean);
  /** Which of its `count` arguments are host paths, for globs (default: none). */
  hostArg?: (index: number, count: number) => boolean;
  /**
   * Runs it; returns the exit status. `here` holds the lines of a
   * here-document ("<<WORD") when the command line had one. Failures
   * throw {@link ShellError} (or a kernel error, reported generically).
   */
  run(session: Session, args: string[], here: string[] | null): Promise<number>;
}

/** Formats a permission/type mode as ls does ("drwxr-xr-x"). */
export function modeString(mode: number): string {
  const type = mode & 0o170000;
  const t = type === 0o040000
    ? "d"
    : type === 0o120000
    ? "l"
    : type === 0o020000
    ? "c"
    : type === 0o060000
    ? "b"
    : type === 0o010000
    ? "p"
    : type === 0o140000
    ? "s"
    : "-";
  const bit = (m: number, c: string) => (mode & m ? c : "-");
  let s = t;
  s += bit(0o400, "r") + bit(0o200, "w");
  s += mode & 0o4000 ? (mode & 0o100 ? "s" : "S") : bit(0o100, "x");
  s += bit(0o040, "r") + bit(0o020, "w");
  s += mode & 0o2000 ? (mode & 0o010 ? "s" : "S") : bit(0o010, "x");
  s += bit(0o004, "r") + bit(0o002, "w");
  s += mode & 0o1000 ? (mode & 0o001 ? "t" : "T") : bit(0o001, "x");
  return s;
}

/** A byte count for people: 1.5K, 20M (powers of 1024, like ls -h). */
export function humanSize(bytes: number): string {
  const units = ["", "K", "M", "G", "T", "P"];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  if (u === 0) return String(bytes);
  return `${n < 10 ? (Math.ceil(n * 10) / 10).toFixed(1) : Math.ceil(n)}${units[u]}`;
}

/** A time as "2009-02-13 23:31" (UTC), as ls -l --time-style=long-iso shows it. */
export function shortTime(date: Date): string {
  return date.toISOString().slice(0, 16).replace("T", " ");
}

/** A time to the nanosecond, as stat(1) shows it (UTC). */
export function fullTime(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const frac = String(((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n).padStart(9, "0");
  return new Date(Number(ms)).toISOString().slice(0, 19).replace("T", " ") + `.${frac} +0000`;
}

/**
 * A shell glob (*, ?, [...]) as an anchored regular expression. * and ?
 * match any character, a newline too (a name may hold one): hence the "s"
 * flag, without which "." stops at "\n".
 */
export function globRegExp(glob: string, ignoreCase = false): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end < 0) re += "\\[";
      else {
        let set = glob.slice(i + 1, end);
        if (set.startsWith("!")) set = "^" + set.slice(1);
        re += `[${set.replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else if (c === "\\" && i + 1 < glob.length) {
      re += glob[++i].replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${re}$`, ignoreCase ? "si" : "s");
}
