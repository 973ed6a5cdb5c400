/**
 * The mount shell's command table: looking commands up, suggesting the
 * closest name for a typo, help, and running one parsed command with the
 * read-only rule and POSIX-style error lines.
 *
 * @module
 */

import { LklError } from "../../mod.ts";
import { CHANGE_COMMANDS } from "./change.ts";
import type { ShellCommand } from "./command.ts";
import { expandWords } from "./glob.ts";
import type { ParsedCommand } from "./parse.ts";
import { CONTENT_COMMANDS } from "./content.ts";
import { NAVIGATE_COMMANDS } from "./navigate.ts";
import { posixMessage, type Session, ShellError } from "./session.ts";
import { TRANSFER_COMMANDS } from "./transfer.ts";

/** Status of a command that does not exist (as sh). */
export const NOT_FOUND = 127;
/** Status of a command canceled by Ctrl-C (128 + SIGINT, as sh). */
export const INTERRUPTED = 130;

/** Thrown by `exit`: ends the shell with `status`. */
export class ExitShell extends Error {
  readonly status: number;
  constructor(status: number) {
    super(`exit ${status}`);
    this.name = "ExitShell";
    this.status = status;
  }
}

const help: ShellCommand = {
  name: "help",
  usage: "help [COMMAND]",
  summary: "list the commands, or show one's usage",
  writes: false,
  run(s, args) {
    if (args.length > 0) {
      const command = COMMANDS.get(args[0]);
      if (!command) throw new ShellError(`help: no help topics match '${args[0]}'`);
      s.print(`${command.usage}\n  ${command.summary}`);
      return Promise.resolve(0);
    }
    const width = Math.max(...[...COMMANDS.values()].map((c) => c.usage.length));
    for (const c of COMMANDS.values()) {
      const ro = s.readOnly && writes(c, []) ? s.color.dim(" (refused: read-only)") : "";
      s.print(`  ${c.usage.padEnd(Math.min(width, 40))}  ${s.color.dim(c.summary)}${ro}`);
    }
    s.print(
      "\nPaths are inside the image; get and put take host paths on the host side. Words may be\n" +
        "quoted ('...', \"...\") or escaped (\\); ; separates commands; # starts a comment;\n" +
        "*, ? and [...] match names (not quoted); > FILE and >> FILE send the output into a file\n" +
        "of the image.\n" +
        "Ctrl-C cancels the running command; Ctrl-D or exit unmounts and leaves.",
    );
    return Promise.resolve(0);
  },
};

const exit: ShellCommand = {
  name: "exit",
  usage: "exit [STATUS]",
  summary: "unmount cleanly and leave (with STATUS, default the last command's)",
  writes: false,
  run(s, args) {
    if (args.length > 1) throw new ShellError("exit: too many arguments", 1);
    if (args.length > 0 && !/^[-+]?\d+$/.test(args[0])) {
      throw new ShellError(`exit: ${args[0]}: numeric argument required`, 2);
    }
    // As sh: the status is the number modulo 256 (exit 300 is 44, exit -1 is 255).
    throw new ExitShell(args.length > 0 ? Number(BigInt(args[0]) & 255n) : s.status);
  },
};

/** Every command, by name. */
export const COMMANDS: ReadonlyMap<string, ShellCommand> = new Map(
  [...NAVIGATE_COMMANDS, ...CONTENT_COMMANDS, ...CHANGE_COMMANDS, ...TRANSFER_COMMANDS, help, exit]
    .map((c) => [c.name, c]),
);

function writes(command: ShellCommand, args: string[]): boolean {
  return typeof command.writes === "function" ? command.writes(args) : command.writes;
}

/** Levenshtein distance between two short strings. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        prev[j] + 1,
        row[j - 1] + 1,
        prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = row;
  }
  return prev[b.length];
}

/** The command name closest to `name` (a typo or a prefix), or null when none is close. */
export function suggest(name: string): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of COMMANDS.keys()) {
    const d = candidate.startsWith(name) && name.length >= 2 ? 0.5 : editDistance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = name.length <= 3 ? 1 : 2;
  return bestDistance <= limit ? best : null;
}

/**
 * Runs one parsed command: globs expanded, then {@link runCommand}, its
 * output into an image file when the line said "> FILE" or ">> FILE".
 */
export async function runParsed(
  s: Session,
  command: ParsedCommand,
  here: string[] | null,
): Promise<number> {
  const known = COMMANDS.get(command.words[0]);
  const words = await expandWords(s, command.words, command.patterns, known?.hostArg);
  const redirect = command.redirect;
  if (!redirect) return runCommand(s, words, here);
  const where = `mount-shell: ${redirect.path}`;
  if (s.readOnly) {
    s.error(`${where}: refused: the image is open read-only (mount-shell -r)`);
    return 1;
  }
  // As sh: the file is made (or emptied) before the command runs.
  try {
    await s.mount.writeFile(s.path(redirect.path), new Uint8Array(0), {
      append: redirect.append,
    });
  } catch (e) {
    s.error(`${where}: ${posixMessage(e)}`);
    return 1;
  }
  const { result, output } = await s.capture(() => runCommand(s, words, here));
  try {
    await s.mount.writeFile(s.path(redirect.path), output, { append: true });
  } catch (e) {
    s.error(`${where}: ${posixMessage(e)}`);
    return 1;
  }
  return result;
}

/** Runs one command: the read-only rule, then the command; failures become one line on stderr. */
export async function runCommand(
  s: Session,
  words: string[],
  here: string[] | null,
): Promise<number> {
  const [name, ...args] = words;
  const command = COMMANDS.get(name);
  if (!command) {
    const close = suggest(name);
    s.error(
      `${name}: command not found` + (close ? `; did you mean '${close}'?` : "; 'help' lists them"),
    );
    return NOT_FOUND;
  }
  if (s.readOnly && writes(command, args)) {
    s.error(`${name}: refused: the image is open read-only (mount-shell -r)`);
    return 1;
  }
  try {
    return await command.run(s, args, here);
  } catch (e) {
    if (e instanceof ExitShell) throw e;
    if (e instanceof ShellError) {
      s.error(e.message);
      return e.status;
    }
    if (e instanceof DOMException && e.name === "AbortError") {
      s.error(`${name}: interrupted`);
      return INTERRUPTED;
    }
    if (e instanceof LklError) {
      s.error(`${name}: ${e.path !== undefined ? `${e.path}: ` : ""}${posixMessage(e)}`);
      return 1;
    }
    throw e;
  }
}
