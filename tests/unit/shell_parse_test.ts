/**
 * The mount shell's parsing (quotes, escapes, ;, comments, here-documents),
 * completion words, flags, chmod modes and command suggestions: no kernel.
 */

import { deepEqual, equal, throws } from "node:assert/strict";
import { applyMode } from "../../cli/shell/change.ts";
import { globRegExp, modeString } from "../../cli/shell/command.ts";
import { suggest } from "../../cli/shell/commands.ts";
import { parseSize } from "../../cli/shell/content.ts";
import { ParseError, parseLine, partialWord, quoteWord } from "../../cli/shell/parse.ts";
import { parseFlags, ShellError } from "../../cli/shell/session.ts";

Deno.test("parseLine: quotes, escapes, separators, comments, here-documents", () => {
  deepEqual(parseLine(`ls -l 'a b' "c \\"d\\"" e\\ f; cd /x # comment; not a command`), [
    { words: ["ls", "-l", "a b", 'c "d"', "e f"], heredoc: null },
    { words: ["cd", "/x"], heredoc: null },
  ]);
  deepEqual(parseLine("write f <<END"), [{ words: ["write", "f"], heredoc: "END" }]);
  deepEqual(parseLine("write f << EOF ; ls"), [
    { words: ["write", "f"], heredoc: "EOF" },
    { words: ["ls"], heredoc: null },
  ]);
  deepEqual(parseLine("echo '<<not'"), [{ words: ["echo", "<<not"], heredoc: null }]);
  deepEqual(parseLine("  ;; # only a comment"), []);
  deepEqual(parseLine(`a "x#y" 'single \\ stays'`), [
    { words: ["a", "x#y", "single \\ stays"], heredoc: null },
  ]);
  throws(() => parseLine("cat 'open"), ParseError);
  throws(() => parseLine('cat "open'), ParseError);
  throws(() => parseLine("write f <<"), ParseError);
});

Deno.test("partialWord and quoteWord: what completion completes, and how it writes it", () => {
  deepEqual(partialWord("l"), { word: "l", start: 0, command: true });
  deepEqual(partialWord("ls my\\ d"), { word: "my d", start: 3, command: false });
  deepEqual(partialWord("ls "), { word: "", start: 3, command: false });
  deepEqual(partialWord("pwd; c"), { word: "c", start: 5, command: true });
  deepEqual(partialWord("cat 'a b"), { word: "a b", start: 4, command: false });
  equal(quoteWord("web site"), "web\\ site");
  equal(quoteWord("plain/path.txt"), "plain/path.txt");
  equal(quoteWord("it's"), "it\\'s");
});

Deno.test("parseFlags, modes, sizes, globs and suggestions", () => {
  const f = parseFlags("head", ["-n", "3", "-c5", "x", "--", "-y"], "", "nc");
  deepEqual([...f.flags], [["n", "3"], ["c", "5"]]);
  deepEqual(f.operands, ["x", "-y"]);
  deepEqual(parseFlags("rm", ["-rf", "a", "-"], "rf").operands, ["a", "-"]);
  throws(() => parseFlags("rm", ["-z"], "rf"), ShellError);
  equal(applyMode("755", 0, false), 0o755);
  equal(applyMode("u+x,go-w", 0o666, false), 0o744);
  equal(applyMode("a=r", 0o777, false), 0o444);
  equal(applyMode("+X", 0o644, true), 0o755);
  equal(applyMode("+X", 0o644, false), 0o644);
  equal(applyMode("u+s,+t", 0o755, false), 0o5755);
  equal(applyMode("q+x", 0, false), null);
  equal(modeString(0o104755), "-rwsr-xr-x");
  equal(modeString(0o41777), "drwxrwxrwt");
  equal(modeString(0o120777), "lrwxrwxrwx");
  equal(parseSize("10"), 10);
  equal(parseSize("4K"), 4096);
  equal(parseSize("1G"), 1 << 30);
  equal(parseSize("x"), null);
  equal(globRegExp("*.conf").test("app.conf"), true);
  equal(globRegExp("*.conf").test("app.confx"), false);
  equal(globRegExp("a?[bc]").test("axc"), true);
  equal(globRegExp("A*", true).test("abc"), true);
  equal(suggest("lss"), "ls");
  equal(suggest("mkdri"), "mkdir");
  equal(suggest("cpp"), "cp");
  equal(suggest("trunc"), "truncate");
  equal(suggest("frobnicate"), null);
});
