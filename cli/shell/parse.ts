/**
 * The mount shell's command lines: words with shell-like quoting ('single',
 * "double" with \\ \" \$ \` escapes, and backslash escapes outside quotes),
 * commands separated by ";", comments from an unquoted "#" at the start of
 * a word, and "<<WORD" here-documents for `write`. No variables, globs,
 * pipes or redirections: the words reach the commands as written.
 *
 * @module
 */

/** One command of a line: its words, and the end marker of a here-document. */
export interface ParsedCommand {
  /** The words, unquoted; the first is the command's name. */
  words: string[];
  /** WORD of a "<<WORD" in the command, or null. */
  heredoc: string | null;
}

/** A line that cannot be parsed (an unterminated quote, "<<" without a word). */
export class ParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ParseError";
  }
}

interface Token {
  /** The text, unquoted. */
  text: string;
  /** Where it starts in the line. */
  start: number;
  /** Where it ends in the line (exclusive). */
  end: number;
  /** Whether any part of it was quoted or escaped. */
  quoted: boolean;
  /** ";" between commands. */
  separator?: boolean;
}

/** Splits `line` into tokens; with `lenient`, an unterminated quote ends the line instead of failing. */
function tokenize(line: string, lenient: boolean): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === " " || c === "\t" || c === "\r" || c === "\n") {
      i++;
      continue;
    }
    if (c === ";") {
      out.push({ text: ";", start: i, end: i + 1, quoted: false, separator: true });
      i++;
      continue;
    }
    if (c === "#") break; // a comment, to the end of the line
    const start = i;
    let text = "";
    let quoted = false;
    while (i < line.length) {
      const ch = line[i];
      if (ch === " " || ch === "\t" || ch === "\r" || ch === "\n" || ch === ";") break;
      if (ch === "\\") {
        quoted = true;
        if (i + 1 < line.length) text += line[i + 1];
        i += 2;
      } else if (ch === "'") {
        quoted = true;
        const end = line.indexOf("'", i + 1);
        if (end < 0) {
          if (!lenient) throw new ParseError("unterminated single quote");
          text += line.slice(i + 1);
          i = line.length;
        } else {
          text += line.slice(i + 1, end);
          i = end + 1;
        }
      } else if (ch === '"') {
        quoted = true;
        i++;
        let closed = false;
        while (i < line.length) {
          const d = line[i];
          if (d === '"') {
            closed = true;
            i++;
            break;
          }
          if (d === "\\" && i + 1 < line.length && '\\"$`'.includes(line[i + 1])) {
            text += line[i + 1];
            i += 2;
          } else {
            text += d;
            i++;
          }
        }
        if (!closed && !lenient) throw new ParseError("unterminated double quote");
      } else {
        text += ch;
        i++;
      }
    }
    out.push({ text, start, end: Math.min(i, line.length), quoted });
  }
  return out;
}

/**
 * The commands of a line.
 *
 * ```ts
 * import { parseLine } from "./parse.ts";
 * parseLine(`cd "my dir"; write note <<END`);
 * // [{ words: ["cd", "my dir"], heredoc: null }, { words: ["write", "note"], heredoc: "END" }]
 * ```
 */
export function parseLine(line: string): ParsedCommand[] {
  const commands: ParsedCommand[] = [];
  let current: ParsedCommand = { words: [], heredoc: null };
  const tokens = tokenize(line, false);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.separator) {
      if (current.words.length > 0) commands.push(current);
      current = { words: [], heredoc: null };
      continue;
    }
    if (!t.quoted && t.text.startsWith("<<")) {
      let marker = t.text.slice(2);
      if (marker === "") {
        const next = tokens[i + 1];
        if (!next || next.separator) throw new ParseError("<< needs an end word");
        marker = next.text;
        i++;
      }
      current.heredoc = marker;
      continue;
    }
    current.words.push(t.text);
  }
  if (current.words.length > 0) commands.push(current);
  return commands;
}

/** The word being typed at the end of `line`, for completion. */
export interface PartialWord {
  /** The word so far, unquoted ("" after a space). */
  word: string;
  /** Where it starts in the line. */
  start: number;
  /** Whether it is a command's name (the first word of the line or after ";"). */
  command: boolean;
}

/** The last, unfinished word of `line` (lenient: an open quote is fine). */
export function partialWord(line: string): PartialWord {
  const tokens = tokenize(line, true);
  const last = tokens[tokens.length - 1];
  if (last && !last.separator && last.end >= line.length) {
    const prev = tokens[tokens.length - 2];
    return { word: last.text, start: last.start, command: !prev || prev.separator === true };
  }
  return { word: "", start: line.length, command: !last || last.separator === true };
}

/** `text` quoted for a command line when it needs to be (spaces, quotes, ;, # ...). */
export function quoteWord(text: string): string {
  if (text !== "" && /^[\w@%+=:,./-]+$/.test(text)) return text;
  return text.replace(/[^\w@%+=:,./-]/g, (c) => `\\${c}`);
}
