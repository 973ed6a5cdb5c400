/**
 * The mount shell's command lines: words with shell-like quoting ('single',
 * "double" with \\ \" \$ \` escapes, and backslash escapes outside quotes),
 * commands separated by ";", comments from an unquoted "#" at the start of
 * a word, "<<WORD" here-documents for `write`, "> FILE" and ">> FILE"
 * output into a file of the image, and globs (*, ?, [...]) where they are
 * not quoted (expanded by glob.ts). No variables, pipes or "&": an
 * unquoted | or & is an error rather than a word.
 *
 * @module
 */

/** One command of a line: its words, and the end marker of a here-document. */
export interface ParsedCommand {
  /** The words, unquoted; the first is the command's name. */
  words: string[];
  /**
   * Per word: the glob pattern when the word has an unquoted *, ? or [
   * (quoted characters backslash-escaped), else null.
   */
  patterns: (string | null)[];
  /** WORD of a "<<WORD" in the command, or null. */
  heredoc: string | null;
  /** Where "> FILE" (or ">> FILE", append) sends the output, or null. */
  redirect: { path: string; append: boolean } | null;
}

const GLOB_CHARS = "*?[";
const ESCAPE_IN_PATTERN = "*?[]\\";

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
  /** The text as a glob pattern: quoted glob characters backslash-escaped. */
  pattern: string;
  /** Whether an unquoted glob character is in it. */
  glob: boolean;
  /** ";" between commands. */
  separator?: boolean;
  /** ">" or ">>" outside quotes. */
  redirect?: ">" | ">>";
}

/** `text` with its glob characters escaped, as a quoted part of a pattern. */
function literal(text: string): string {
  let out = "";
  for (const c of text) out += ESCAPE_IN_PATTERN.includes(c) ? `\\${c}` : c;
  return out;
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
      out.push({
        text: ";",
        start: i,
        end: i + 1,
        quoted: false,
        pattern: ";",
        glob: false,
        separator: true,
      });
      i++;
      continue;
    }
    if (c === ">") {
      const op = line[i + 1] === ">" ? ">>" : ">";
      out.push({
        text: op,
        start: i,
        end: i + op.length,
        quoted: false,
        pattern: op,
        glob: false,
        redirect: op,
      });
      i += op.length;
      continue;
    }
    if (c === "#") break; // a comment, to the end of the line
    if (c === "|" || c === "&" || (c === "<" && line[i + 1] !== "<")) {
      if (!lenient) {
        throw new ParseError(
          c === "|"
            ? "no pipes here: '|' (quote it to mean the character; > FILE writes into the image)"
            : c === "&"
            ? "no '&' here: commands run one after the other (';' separates them; -e stops at a failure)"
            : "no '<' here: input comes from a here-document (<<WORD) or standard input",
        );
      }
      // For completion: what follows is a command, as after ";".
      out.push({
        text: c,
        start: i,
        end: i + 1,
        quoted: false,
        pattern: c,
        glob: false,
        separator: true,
      });
      i++;
      continue;
    }
    const start = i;
    let text = "";
    let pattern = "";
    let quoted = false;
    let glob = false;
    const quotedPart = (part: string) => {
      text += part;
      pattern += literal(part);
    };
    while (i < line.length) {
      const ch = line[i];
      if (" \t\r\n;>|&".includes(ch)) break;
      if (ch === "\\") {
        quoted = true;
        if (i + 1 < line.length) quotedPart(line[i + 1]);
        i += 2;
      } else if (ch === "'") {
        quoted = true;
        const end = line.indexOf("'", i + 1);
        if (end < 0) {
          if (!lenient) throw new ParseError("unterminated single quote");
          quotedPart(line.slice(i + 1));
          i = line.length;
        } else {
          quotedPart(line.slice(i + 1, end));
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
            quotedPart(line[i + 1]);
            i += 2;
          } else {
            quotedPart(d);
            i++;
          }
        }
        if (!closed && !lenient) throw new ParseError("unterminated double quote");
      } else {
        text += ch;
        pattern += ch;
        if (GLOB_CHARS.includes(ch)) glob = true;
        i++;
      }
    }
    // "2> f", "1> f": a file descriptor, as sh reads it. Only stdout goes to files here.
    if (!quoted && /^\d+$/.test(text) && line[i] === ">" && !lenient) {
      if (text !== "1") {
        throw new ParseError(`no '${text}>' here: only standard output can go to a file (> FILE)`);
      }
      continue;
    }
    out.push({ text, start, end: Math.min(i, line.length), quoted, pattern, glob });
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
  const empty = (): ParsedCommand => ({ words: [], patterns: [], heredoc: null, redirect: null });
  let current = empty();
  const tokens = tokenize(line, false);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.separator) {
      if (current.words.length > 0) commands.push(current);
      else if (current.redirect) throw new ParseError("a redirection needs a command");
      current = empty();
      continue;
    }
    if (t.redirect) {
      const next = tokens[i + 1];
      if (!next || next.separator || next.redirect) {
        throw new ParseError(`${t.redirect} needs a file name`);
      }
      current.redirect = { path: next.text, append: t.redirect === ">>" };
      i++;
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
    current.patterns.push(t.glob ? t.pattern : null);
  }
  if (current.words.length > 0) commands.push(current);
  else if (current.redirect) throw new ParseError("a redirection needs a command");
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

/** `text` quoted for a command line when it needs to be (spaces, quotes, ;, #, globs ...). */
export function quoteWord(text: string): string {
  if (text !== "" && /^[\w@%+=:,./-]+$/.test(text)) return text;
  return text.replace(/[^\w@%+=:,./-]/g, (c) => `\\${c}`);
}
