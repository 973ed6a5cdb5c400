/**
 * The mount shell's parsing (quotes, escapes, ;, comments, here-documents),
 * completion words, flags, chmod modes and command suggestions: no kernel.
 */

import { deepEqual, equal, throws } from "node:assert/strict";
import { applyMode, parseDate } from "../../cli/shell/change.ts";
import { globRegExp, modeString } from "../../cli/shell/command.ts";
import { suggest } from "../../cli/shell/commands.ts";
import { parseSize } from "../../cli/shell/content.ts";
import { expandPattern } from "../../cli/shell/glob.ts";
import { ParseError, parseLine, partialWord, quoteWord } from "../../cli/shell/parse.ts";
import { parseFlags, ShellError } from "../../cli/shell/session.ts";

/** A parsed command without globs or redirection. */
function plain(words: string[], heredoc: string | null = null) {
  return { words, patterns: words.map(() => null), heredoc, redirect: null };
}

Deno.test("parseLine: quotes, escapes, separators, comments, here-documents", () => {
  deepEqual(parseLine(`ls -l 'a b' "c \\"d\\"" e\\ f; cd /x # comment; not a command`), [
    plain(["ls", "-l", "a b", 'c "d"', "e f"]),
    plain(["cd", "/x"]),
  ]);
  deepEqual(parseLine("write f <<END"), [plain(["write", "f"], "END")]);
  deepEqual(parseLine("write f << EOF ; ls"), [plain(["write", "f"], "EOF"), plain(["ls"])]);
  deepEqual(parseLine("echo '<<not'"), [plain(["echo", "<<not"])]);
  deepEqual(parseLine("  ;; # only a comment"), []);
  deepEqual(parseLine(`a "x#y" 'single \\ stays'`), [plain(["a", "x#y", "single \\ stays"])]);
  throws(() => parseLine("cat 'open"), ParseError);
  throws(() => parseLine('cat "open'), ParseError);
  throws(() => parseLine("write f <<"), ParseError);
});

Deno.test("parseLine: globs where unquoted, > and >> redirections", () => {
  deepEqual(parseLine(`ls *.txt 'q*' "a"?b\\[c x`), [{
    words: ["ls", "*.txt", "q*", "a?b[c", "x"],
    patterns: [null, "*.txt", null, "a?b\\[c", null],
    heredoc: null,
    redirect: null,
  }]);
  deepEqual(parseLine("'*'x*"), [{
    words: ["*x*"],
    patterns: ["\\*x*"],
    heredoc: null,
    redirect: null,
  }]);
  deepEqual(parseLine("echo hi>out; cat a >> 'my log'"), [
    { ...plain(["echo", "hi"]), redirect: { path: "out", append: false } },
    { ...plain(["cat", "a"]), redirect: { path: "my log", append: true } },
  ]);
  deepEqual(parseLine("echo '>' \\>"), [plain(["echo", ">", ">"])]);
  throws(() => parseLine("echo >"), ParseError);
  throws(() => parseLine("> f"), ParseError);
  throws(() => parseLine("echo > ; ls"), ParseError);
  throws(() => parseLine("cat f | head"), /no pipes here/);
  throws(() => parseLine("mkdir a && cd a"), /no '&' here/);
  throws(() => parseLine("write f < host.txt"), /no '<' here/);
  throws(() => parseLine("echo a 2> f"), /no '2>' here: only standard output/);
  deepEqual(parseLine("echo a 1> f"), [{
    ...plain(["echo", "a"]),
    redirect: { path: "f", append: false },
  }]);
  deepEqual(parseLine("echo a 1 > f"), [{
    ...plain(["echo", "a", "1"]),
    redirect: { path: "f", append: false },
  }]);
  deepEqual(parseLine("echo 'a|b' \\&"), [plain(["echo", "a|b", "&"])]);
});

Deno.test("expandPattern: components, hidden names, no match, literal parts after a glob", async () => {
  const tree: Record<string, string[]> = {
    "": ["a.txt", "b.txt", ".h.txt", "d", "e"],
    "d": ["x.conf", "sub"],
    "e": ["y.conf"],
    "/": ["etc"],
    "/etc": ["hosts", "passwd"],
  };
  const fs = {
    list: (dir: string) => Promise.resolve(tree[dir] ?? []),
    exists: (path: string) => Promise.resolve(path === "d/sub"),
  };
  deepEqual(await expandPattern("*.txt", fs), ["a.txt", "b.txt"]);
  deepEqual(await expandPattern(".*", fs), [".h.txt"]);
  deepEqual(await expandPattern("*/*.conf", fs), ["d/x.conf", "e/y.conf"]);
  deepEqual(await expandPattern("/etc/p*", fs), ["/etc/passwd"]);
  deepEqual(await expandPattern("*/sub", fs), ["d/sub"]);
  deepEqual(await expandPattern("*.zip", fs), []);
  deepEqual(await expandPattern("[ab].txt", fs), ["a.txt", "b.txt"]);
  deepEqual(await expandPattern("\\*.txt", fs), ["*.txt"]);
  const lines = {
    list: () => Promise.resolve(["a\nb", "ab"]),
    exists: () => Promise.resolve(true),
  };
  deepEqual(await expandPattern("a*", lines), ["a\nb", "ab"]);
});

Deno.test("partialWord and quoteWord: what completion completes, and how it writes it", () => {
  deepEqual(partialWord("l"), { word: "l", start: 0, command: true });
  deepEqual(partialWord("ls my\\ d"), { word: "my d", start: 3, command: false });
  deepEqual(partialWord("ls "), { word: "", start: 3, command: false });
  deepEqual(partialWord("pwd; c"), { word: "c", start: 5, command: true });
  deepEqual(partialWord("cat 'a b"), { word: "a b", start: 4, command: false });
  deepEqual(partialWord("cat f | he"), { word: "he", start: 8, command: true });
  deepEqual(partialWord("echo x > no"), { word: "no", start: 9, command: false });
  equal(quoteWord("web site"), "web\\ site");
  equal(quoteWord("plain/path.txt"), "plain/path.txt");
  equal(quoteWord("it's"), "it\\'s");
  equal(quoteWord("a*b>c"), "a\\*b\\>c");
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
  // A name may hold a newline: * and ? match it like any other character.
  equal(globRegExp("a?b").test("a\nb"), true);
  equal(globRegExp("*").test("two\nlines"), true);
  equal(globRegExp("[!x]").test("\n"), true);
  equal(suggest("lss"), "ls");
  equal(suggest("mkdri"), "mkdir");
  equal(suggest("cpp"), "cp");
  equal(suggest("trunc"), "truncate");
  equal(suggest("frobnicate"), null);
});

Deno.test("parseDate: touch -d takes @SECONDS and ISO dates, not JavaScript's guesses", () => {
  equal(parseDate("@0"), 0n);
  equal(parseDate("@1700000000"), 1_700_000_000_000_000_000n);
  equal(parseDate("@1.5"), 1_500_000_000n);
  equal(parseDate("@-1"), -1_000_000_000n);
  equal(parseDate("2001-09-09T01:46:40Z"), 1_000_000_000_000_000_000n);
  equal(parseDate("2001-09-09 01:46:40"), 1_000_000_000_000_000_000n);
  equal(parseDate("2001-09-09 03:46:40+02:00"), 1_000_000_000_000_000_000n);
  equal(parseDate("2001-09-09 01:46:40.25 UTC"), 1_000_000_000_250_000_000n);
  equal(parseDate("1970-01-02"), 86_400_000_000_000n);
  // JavaScript's Date takes these for 2001-12-01, 2001-01-01, 2001-12-01.
  for (const bad of ["12", "2001", "foo 12", "@", "@1e3", "2001-02-30", "2001-09-09 24:00", ""]) {
    equal(parseDate(bad), null, bad);
  }
});
