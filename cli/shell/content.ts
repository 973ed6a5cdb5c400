/**
 * Mount shell commands on file contents: cat, head, tail, write,
 * truncate.
 *
 * @module
 */

import type { FileHandle } from "../../mod.ts";
import type { ShellCommand } from "./command.ts";
import { parseFlags, posixMessage, type Session, ShellError } from "./session.ts";

const CHUNK = 1 << 20;

/** Opens `arg` for reading; a directory or a missing file is a ShellError. */
async function openForReading(s: Session, command: string, arg: string): Promise<FileHandle> {
  const path = s.path(arg);
  try {
    const info = await s.mount.stat(path);
    if (info.isDirectory) throw new ShellError(`${command}: ${arg}: Is a directory`);
    return await s.mount.open(path, { read: true });
  } catch (e) {
    if (e instanceof ShellError) throw e;
    throw new ShellError(`${command}: ${arg}: ${posixMessage(e)}`);
  }
}

/** Runs `fn` on each operand; a failure is printed and makes the status 1. */
async function eachFile(
  s: Session,
  command: string,
  operands: string[],
  fn: (file: FileHandle, arg: string) => Promise<void>,
): Promise<number> {
  if (operands.length === 0) throw new ShellError(`${command}: missing file operand`, 2);
  let status = 0;
  for (const arg of operands) {
    try {
      using file = await openForReading(s, command, arg);
      await fn(file, arg);
    } catch (e) {
      if (e instanceof DOMException && e.name === "AbortError") throw e;
      s.error(e instanceof ShellError ? e.message : `${command}: ${arg}: ${posixMessage(e)}`);
      status = 1;
    }
  }
  return status;
}

const cat: ShellCommand = {
  name: "cat",
  usage: "cat FILE...",
  summary: "print files",
  writes: false,
  async run(s, args) {
    const { operands } = parseFlags("cat", args, "");
    const buf = new Uint8Array(CHUNK);
    return await eachFile(s, "cat", operands, async (file) => {
      for (let offset = 0;;) {
        const n = await file.pread(buf, offset);
        if (n === 0) break;
        s.write(buf.subarray(0, n));
        offset += n;
        await s.breath();
      }
    });
  },
};

function count(value: string | true | undefined, fallback: number, command: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (typeof value !== "string" || !Number.isInteger(n) || n < 0) {
    throw new ShellError(`${command}: invalid number of lines: '${value}'`, 2);
  }
  return n;
}

const head: ShellCommand = {
  name: "head",
  usage: "head [-n LINES | -c BYTES] FILE...",
  summary: "print the first lines (default 10) or bytes of files",
  writes: false,
  async run(s, args) {
    const { flags, operands } = parseFlags("head", args, "", "nc");
    const lines = count(flags.get("n"), 10, "head");
    const bytes = flags.has("c") ? count(flags.get("c"), 0, "head") : null;
    const buf = new Uint8Array(64 * 1024);
    let first = true;
    return await eachFile(s, "head", operands, async (file, arg) => {
      // As GNU head: a blank line before every header but the first.
      if (operands.length > 1) s.print(`${first ? "" : "\n"}==> ${arg} <==`);
      first = false;
      let left = bytes ?? Infinity;
      let newlines = 0;
      for (let offset = 0; left > 0 && (bytes !== null || newlines < lines);) {
        const n = await file.pread(buf.subarray(0, Math.min(buf.length, left)), offset);
        if (n === 0) break;
        let end = n;
        if (bytes === null) {
          for (let i = 0; i < n; i++) {
            if (buf[i] === 10 && ++newlines === lines) {
              end = i + 1;
              break;
            }
          }
        }
        s.write(buf.slice(0, end));
        offset += n;
        left -= end;
      }
    });
  },
};

/** tail's -n or -c: the last `n`, or with a "+" from the `n`th on (counting from 1). */
function tailCount(
  value: string | true | undefined,
  command: string,
): { n: number; fromStart: boolean } {
  if (typeof value === "string" && value.startsWith("+")) {
    if (!/^\+\d+$/.test(value)) {
      throw new ShellError(`${command}: invalid number of lines: '${value}'`, 2);
    }
    return { n: Number(value.slice(1)), fromStart: true };
  }
  // "-n -2" is "-n 2" to GNU tail: the last 2.
  const last = typeof value === "string" && /^-\d+$/.test(value) ? value.slice(1) : value;
  return { n: count(last, 10, command), fromStart: false };
}

const tail: ShellCommand = {
  name: "tail",
  usage: "tail [-n [+]LINES | -c [+]BYTES] FILE...",
  summary: "print the last lines (default 10) or bytes of files; +N from the Nth on",
  writes: false,
  async run(s, args) {
    const { flags, operands } = parseFlags("tail", args, "", "nc");
    const bytes = flags.has("c") ? tailCount(flags.get("c"), "tail") : null;
    const lines = tailCount(flags.get("n"), "tail");
    let first = true;
    return await eachFile(s, "tail", operands, async (file, arg) => {
      if (operands.length > 1) s.print(`${first ? "" : "\n"}==> ${arg} <==`);
      first = false;
      const size = file.statSync().size;
      let start: number;
      if (bytes !== null) {
        // +0 and +1 both mean the whole file, as in coreutils.
        start = bytes.fromStart
          ? Math.min(size, Math.max(0, bytes.n - 1))
          : Math.max(0, size - bytes.n);
      } else if (lines.fromStart) {
        start = await afterLines(s, file, size, lines.n - 1);
      } else {
        // Back from the end, a chunk at a time, until enough newlines.
        const buf = new Uint8Array(64 * 1024);
        start = 0;
        let newlines = 0;
        let pos = size;
        search: while (pos > 0) {
          const from = Math.max(0, pos - buf.length);
          const n = await file.pread(buf.subarray(0, pos - from), from);
          for (let i = n - 1; i >= 0; i--) {
            // A final newline ends the last line; it does not start one.
            if (buf[i] === 10 && from + i !== size - 1 && ++newlines === lines.n) {
              start = from + i + 1;
              break search;
            }
          }
          pos = from;
          await s.breath();
        }
        if (lines.n === 0) start = size;
      }
      const buf = new Uint8Array(CHUNK);
      for (let offset = start; offset < size;) {
        const n = await file.pread(buf, offset);
        if (n === 0) break;
        s.write(buf.subarray(0, n));
        offset += n;
      }
    });
  },
};

/** The offset just after the first `skip` lines of `file` (its size when it has fewer). */
async function afterLines(s: Session, file: FileHandle, size: number, skip: number) {
  const buf = new Uint8Array(64 * 1024);
  let newlines = 0;
  for (let offset = 0; newlines < skip && offset < size;) {
    const n = await file.pread(buf, offset);
    if (n === 0) break;
    for (let i = 0; i < n; i++) {
      if (buf[i] === 10 && ++newlines === skip) return offset + i + 1;
    }
    offset += n;
    await s.breath();
  }
  return newlines < skip ? size : 0;
}

const echo: ShellCommand = {
  name: "echo",
  usage: "echo [-n] [WORD...]",
  summary: "print the words (-n without the newline); with > FILE, write them into the image",
  writes: false,
  run(s, args) {
    const noNewline = args[0] === "-n";
    const words = noNewline ? args.slice(1) : args;
    s.write(words.join(" ") + (noNewline ? "" : "\n"));
    return Promise.resolve(0);
  },
};

const write: ShellCommand = {
  name: "write",
  usage: "write [-a] FILE [<<WORD]",
  summary:
    "write standard input to FILE (-a appends): the here-document, or the input up to its end (Ctrl-D)",
  writes: true,
  async run(s, args, here) {
    const { flags, operands } = parseFlags("write", args, "a");
    if (operands.length !== 1) throw new ShellError("write: usage: write [-a] FILE [<<WORD]", 2);
    let data: Uint8Array;
    if (here !== null) {
      data = new TextEncoder().encode(here.map((l) => l + "\n").join(""));
    } else if (s.input.readAll) {
      data = await s.input.readAll();
    } else {
      const lines: string[] = [];
      for (;;) {
        const line = await s.input.next("");
        if (line === null) break;
        lines.push(line + "\n");
      }
      data = new TextEncoder().encode(lines.join(""));
    }
    const path = s.path(operands[0]);
    try {
      await s.mount.writeFile(path, data, { append: flags.has("a"), create: true });
    } catch (e) {
      throw new ShellError(`write: cannot write '${operands[0]}': ${posixMessage(e)}`);
    }
    return 0;
  },
};

/** Parses a truncate size: bytes, or with a K, M, G or T suffix (powers of 1024). */
export function parseSize(text: string): number | null {
  const m = text.match(/^(\d+)([KMGT]?)(i?B)?$/i);
  if (!m) return null;
  const power = " KMGT".indexOf(m[2].toUpperCase() || " ");
  return Number(m[1]) * 1024 ** power;
}

const truncate: ShellCommand = {
  name: "truncate",
  usage: "truncate [-c] -s SIZE FILE...",
  summary: "set the size of files (made when missing, unless -c); SIZE may end in K, M, G",
  writes: true,
  async run(s, args) {
    const { flags, operands } = parseFlags("truncate", args, "c", "s");
    const sizeText = flags.get("s");
    if (typeof sizeText !== "string") throw new ShellError("truncate: you must specify '-s'", 2);
    const size = parseSize(sizeText);
    if (size === null) throw new ShellError(`truncate: invalid number: '${sizeText}'`, 2);
    if (operands.length === 0) throw new ShellError("truncate: missing file operand", 2);
    let status = 0;
    for (const arg of operands) {
      try {
        const path = s.path(arg);
        if (flags.has("c")) {
          try {
            await s.mount.lstat(path);
          } catch {
            continue;
          }
        }
        using file = await s.mount.open(path, { write: true, create: true });
        await file.truncate(size);
      } catch (e) {
        s.error(`truncate: cannot open '${arg}' for writing: ${posixMessage(e)}`);
        status = 1;
      }
    }
    return status;
  },
};

/** The commands on contents. */
export const CONTENT_COMMANDS: readonly ShellCommand[] = [cat, head, tail, echo, write, truncate];
