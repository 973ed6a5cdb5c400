/**
 * Tab completion in the mount shell: command names in command position,
 * else paths inside the image (directories get a "/"), quoted as the
 * line needs them.
 *
 * @module
 */

import { COMMANDS } from "./commands.ts";
import { partialWord, quoteWord } from "./parse.ts";
import type { Session } from "./session.ts";

/** Escapes `text` for where it goes: inside an open quote as is, else with backslashes. */
function continueWord(raw: string, text: string): string {
  const open = /^['"]/.test(raw) && !(raw.length > 1 && raw.endsWith(raw[0]));
  return open || text === "" ? text : quoteWord(text);
}

/**
 * Completions for `line`: [candidates, the end of the line they replace],
 * as node:readline's completer returns them.
 */
export function complete(s: Session, line: string): [string[], string] {
  const { word, start, command } = partialWord(line);
  const raw = line.slice(start);
  if (command) {
    const names = [...COMMANDS.keys()].filter((n) => n.startsWith(word)).sort();
    return [names.map((n) => (names.length === 1 ? `${n} ` : n)), raw];
  }
  const slash = word.lastIndexOf("/");
  const dirPart = slash >= 0 ? word.slice(0, slash + 1) : "";
  const prefix = word.slice(slash + 1);
  let entries;
  try {
    using dir = s.mount.openDirectory(s.path(dirPart === "" ? "." : dirPart));
    entries = dir.list().filter((e) =>
      e.name.startsWith(prefix) && (prefix.startsWith(".") || !e.name.startsWith("."))
    ).map((e) => {
      let isDir = e.isDirectory;
      if (e.isSymlink) {
        try {
          isDir = dir.statxFollow(e.name).mode >> 12 === 4;
        } catch {
          // dangling, or leaving the image: not a directory
        }
      }
      return { name: e.name, isDir };
    });
  } catch {
    return [[], raw];
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  const hits = entries.map((e) => {
    const rest = continueWord(raw, e.name.slice(prefix.length)) + (e.isDir ? "/" : "");
    return raw + rest + (entries.length === 1 && !e.isDir ? " " : "");
  });
  return [hits, raw];
}
