/**
 * Where the mount shell reads its lines: the words of -c, a script piped
 * on stdin, or a person at a terminal (node:readline: line editing,
 * history, completion, Ctrl-C and Ctrl-D).
 *
 * @module
 */

import process from "node:process";
import readline from "node:readline";
import type { LineSource } from "./session.ts";

/** The lines of -c arguments (each may hold several, separated by newlines). */
export class ArgumentLines implements LineSource {
  readonly #lines: string[];
  /** Where `write` reads: standard input, as bytes. */
  readonly #stdin: LineSource;

  constructor(commands: string[], stdin: LineSource) {
    this.#lines = commands.flatMap((c) => c.split("\n"));
    this.#stdin = stdin;
  }

  next(): Promise<string | null> {
    return Promise.resolve(this.#lines.shift() ?? null);
  }

  /** Lines after the commands belong to them (here-documents); `write` reads stdin. */
  get stdin(): LineSource {
    return this.#stdin;
  }
}

/** Lines of a byte stream (a script piped on stdin), read as they come. */
export class StreamLines implements LineSource {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = "";
  #pending: Uint8Array[] = [];
  #done = false;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  async next(): Promise<string | null> {
    for (;;) {
      const newline = this.#buffer.indexOf("\n");
      if (newline >= 0) {
        const line = this.#buffer.slice(0, newline).replace(/\r$/, "");
        this.#buffer = this.#buffer.slice(newline + 1);
        return line;
      }
      if (this.#done) {
        if (this.#buffer === "") return null;
        const line = this.#buffer;
        this.#buffer = "";
        return line;
      }
      const { value, done } = await this.#reader.read();
      if (done) {
        this.#done = true;
        this.#buffer += this.#decoder.decode();
      } else {
        this.#buffer += this.#decoder.decode(value, { stream: true });
      }
    }
  }

  /** Everything left, as bytes (what `write` stores when stdin is not the script). */
  async readAll(): Promise<Uint8Array> {
    const chunks = [new TextEncoder().encode(this.#buffer), ...this.#pending];
    this.#buffer = "";
    this.#pending = [];
    while (!this.#done) {
      const { value, done } = await this.#reader.read();
      if (done) this.#done = true;
      else chunks.push(value);
    }
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** What the terminal source needs from the shell. */
export interface TerminalHooks {
  /** Completions for the line so far: [candidates, the part of the line they replace]. */
  complete(line: string): [string[], string];
  /** Ctrl-C: true when it canceled a running command (else the line is cleared). */
  interrupt(): boolean;
}

/**
 * A person at a terminal. Ctrl-D ends the input (next() gives null); the
 * next call after that opens the terminal again, with the same history,
 * so `write` can end its text with Ctrl-D and the shell go on.
 */
export class TerminalLines implements LineSource {
  readonly #hooks: TerminalHooks;
  #rl: readline.Interface | undefined;
  #history: string[] = [];
  readonly #queue: string[] = [];
  #waiting: ((line: string | null) => void) | undefined;
  #closed = false;

  constructor(hooks: TerminalHooks) {
    this.#hooks = hooks;
  }

  #open(): readline.Interface {
    const rl = readline.createInterface({
      input: process.stdin,
      output: process.stdout,
      terminal: true,
      history: this.#history,
      historySize: 1000,
      removeHistoryDuplicates: true,
      completer: (line: string) => this.#hooks.complete(line),
    });
    this.#closed = false;
    rl.on("line", (line) => {
      if (this.#waiting) {
        const w = this.#waiting;
        this.#waiting = undefined;
        w(line);
      } else {
        this.#queue.push(line);
      }
    });
    rl.on("close", () => {
      this.#history = [...(rl as unknown as { history: string[] }).history ?? this.#history];
      this.#closed = true;
      this.#rl = undefined;
      const w = this.#waiting;
      this.#waiting = undefined;
      w?.(null);
    });
    rl.on("SIGINT", () => {
      if (this.#hooks.interrupt()) return;
      // At the prompt: show ^C after the line, drop it, prompt again, as a shell does.
      rl.write(null, { ctrl: true, name: "e" });
      process.stdout.write("^C\n");
      const state = rl as unknown as { line: string; cursor: number };
      state.line = "";
      state.cursor = 0;
      rl.prompt();
    });
    return rl;
  }

  next(prompt = ""): Promise<string | null> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    const rl = this.#rl ??= this.#open();
    rl.setPrompt(prompt);
    rl.prompt();
    return new Promise((resolve) => this.#waiting = resolve);
  }

  /** Closes the terminal (restores its mode). */
  close(): void {
    this.#rl?.close();
  }

  /** Whether the last read ended with Ctrl-D. */
  get closed(): boolean {
    return this.#closed;
  }
}
