/**
 * The state of a mount shell: the mount, the current directory inside it,
 * where output goes, what cancels the running command, and the helpers
 * every command uses (paths, flags, POSIX error messages).
 *
 * @module
 */

import pc from "picocolors";
import { errnoMessage, type Kernel, LklError, type Mount } from "../../mod.ts";
import { encodeName } from "../../ffi/cstring.ts";

/** picocolors' functions. */
export type Colors = ReturnType<typeof pc.createColors>;

const PLAIN: Colors = pc.createColors(false);

/** Where the lines a command reads come from (`write`, here-documents). */
export interface LineSource {
  /** The next line without its newline, or null at the end of input. */
  next(prompt?: string): Promise<string | null>;
  /** Everything left, as bytes, when the source is a byte stream (stdin beside -c). */
  readAll?(): Promise<Uint8Array>;
}

/** A command's failure: `message` is the whole line printed (without "lkl: "). */
export class ShellError extends Error {
  /** The command's exit status. */
  readonly status: number;

  constructor(message: string, status = 1) {
    super(message);
    this.name = "ShellError";
    this.status = status;
  }
}

/** The strerror(3) text of an error ("No such file or directory"). */
export function posixMessage(e: unknown): string {
  if (e instanceof LklError) return errnoMessage(e.errno);
  if (e instanceof Deno.errors.NotFound) return "No such file or directory";
  if (e instanceof Deno.errors.PermissionDenied) return "Permission denied";
  if (e instanceof Deno.errors.AlreadyExists) return "File exists";
  return e instanceof Error ? e.message : String(e);
}

/** Whether `e` is the kernel error `code`. */
export function isCode(e: unknown, code: string): boolean {
  return e instanceof LklError && e.code === code;
}

/** Joins image paths: `base` absolute, `path` absolute or relative. */
export function joinPath(base: string, path: string): string {
  if (path.startsWith("/")) return path;
  if (path === "" || path === ".") return base;
  return base === "/" ? `/${path}` : `${base}/${path}`;
}

/** The last component of an image path ("/" for the root). */
export function baseName(path: string): string {
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  return parts.pop() ?? "/";
}

/** The flags and operands of a command's arguments. */
export interface Flags {
  /** Flags given (by letter), with their value for those that take one. */
  flags: Map<string, string | true>;
  /** The other words. */
  operands: string[];
}

/**
 * Parses `-abc` style flags: `letters` are the flags allowed, `valued`
 * those that take a value (`-n 5` or `-n5`). "--" ends the flags; "-" is
 * an operand.
 */
export function parseFlags(
  command: string,
  args: string[],
  letters: string,
  valued = "",
): Flags {
  const flags = new Map<string, string | true>();
  const operands: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      i++;
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      operands.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const f = a[j];
      if (valued.includes(f)) {
        const value = j + 1 < a.length ? a.slice(j + 1) : args[++i];
        if (value === undefined) {
          throw new ShellError(`${command}: option requires an argument -- '${f}'`, 2);
        }
        flags.set(f, value);
        break;
      }
      if (!letters.includes(f)) throw new ShellError(`${command}: invalid option -- '${f}'`, 2);
      flags.set(f, true);
    }
  }
  operands.push(...args.slice(i));
  return { flags, operands };
}

/** What a shell runs on. */
export interface SessionInit {
  kernel: Kernel;
  mount: Mount;
  /** The image, as given, for messages and the prompt. */
  image: string;
  /** Mounted read-only (-r): writing commands are refused. */
  readOnly: boolean;
  /** A person at a terminal (prompt, colors, columns). */
  interactive: boolean;
  /** Where `write` and here-documents read lines. */
  input: LineSource;
}

/** A mount shell's state. */
export class Session {
  readonly kernel: Kernel;
  readonly mount: Mount;
  readonly image: string;
  readonly readOnly: boolean;
  readonly interactive: boolean;
  input: LineSource;
  /** The current directory, an absolute path inside the image. */
  cwd = "/";
  /** The directory before the last cd (for "cd -"). */
  previous = "/";
  /** Cancels the running command (Ctrl-C). */
  signal: AbortSignal = new AbortController().signal;
  /** The status of the last command. */
  status = 0;
  readonly #encoder = new TextEncoder();
  /** What stdout gets while a command's output goes to a file ("> FILE"). */
  #captured: Uint8Array[] | null = null;

  constructor(init: SessionInit) {
    this.kernel = init.kernel;
    this.mount = init.mount;
    this.image = init.image;
    this.readOnly = init.readOnly;
    this.interactive = init.interactive;
    this.input = init.input;
  }

  /** The tree path of a user's path (relative to the current directory). */
  path(arg: string): string {
    return joinPath(this.cwd, arg);
  }

  /**
   * Writes to stdout (or to what captures it). Names that are not UTF-8
   * come out as their own bytes, as a shell prints them (encodeName).
   */
  write(data: string | Uint8Array): void {
    const bytes = typeof data === "string" ? encodeName(data) : data;
    if (this.#captured) {
      this.#captured.push(bytes.slice());
      return;
    }
    for (let done = 0; done < bytes.length;) done += Deno.stdout.writeSync(bytes.subarray(done));
  }

  /** Runs `fn` with stdout captured; returns its result and the bytes it wrote. */
  async capture<T>(fn: () => Promise<T>): Promise<{ result: T; output: Uint8Array }> {
    const chunks: Uint8Array[] = [];
    this.#captured = chunks;
    try {
      const result = await fn();
      const output = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of chunks) {
        output.set(c, at);
        at += c.length;
      }
      return { result, output };
    } finally {
      this.#captured = null;
    }
  }

  /** Writes a line to stdout. */
  print(line = ""): void {
    this.write(line + "\n");
  }

  /** Writes a line to stderr. */
  error(line: string): void {
    const bytes = this.#encoder.encode((this.interactive ? pc.red(line) : line) + "\n");
    for (let done = 0; done < bytes.length;) done += Deno.stderr.writeSync(bytes.subarray(done));
  }

  /** Colors for a terminal, plain text otherwise (and into files). */
  get color(): Colors {
    return this.interactive && !this.#captured ? pc : PLAIN;
  }

  /** Throws when the running command was canceled. */
  checkCanceled(): void {
    this.signal.throwIfAborted();
  }

  /** Lets Ctrl-C and output through during long work; throws when canceled. */
  async breath(): Promise<void> {
    await new Promise((r) => setTimeout(r, 0));
    this.signal.throwIfAborted();
  }
}
