/**
 * `lkl completions`: the scripts, run by the shells themselves.
 *
 * @module
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { join } from "node:path";
import { main, program } from "../../cli/main.ts";

/** What `lkl completions SHELL` prints. */
async function script(shell: string): Promise<string> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => lines.push(args.join(" "));
  try {
    equal(await main(["completions", shell]), 0);
  } finally {
    console.log = log;
  }
  return lines.join("\n") + "\n";
}

/** A directory with a file in it, where a shell completing file names would offer `somefile`. */
const DIR = await Deno.makeTempDir();
await Deno.writeTextFile(join(DIR, "somefile"), "");
globalThis.addEventListener("unload", () => Deno.removeSync(DIR, { recursive: true }));

async function shell(cmd: string, args: string[], stdin = ""): Promise<string> {
  const child = new Deno.Command(cmd, {
    args,
    cwd: DIR,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const out = await child.output();
  equal(out.code, 0, `${cmd}: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

function lines(out: string): string[] {
  return out.split("\n").filter((l) => l !== "").sort();
}

/** The subcommands and, for each, the flags of its options (-h and --help included). */
function commandFlags(): Map<string, string[]> {
  const root = program();
  return new Map(
    root.commands.map((c) => [
      c.name(),
      c.createHelp().visibleOptions(c).flatMap((o) => [o.short, o.long]).filter((f) =>
        f !== undefined
      ).sort(),
    ]),
  );
}

/** What bash completes for the words typed so far. */
async function bashComplete(script: string, words: string[]): Promise<string[]> {
  const quoted = words.map((w) => `'${w}'`).join(" ");
  const out = await shell(
    "bash",
    ["-s"],
    `${script}
COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _lkl
printf '%s\\n' "\${COMPREPLY[@]}"
`,
  );
  return lines(out);
}

Deno.test("completions bash: subcommands, their options, files for values", async () => {
  const bash = await script("bash");
  deepEqual(await bashComplete(bash, ["lkl", "cp"]), ["cpfromfs", "cptofs"]);
  deepEqual(await bashComplete(bash, ["lkl", "cptofs", "--im"]), ["--image"]);
  ok((await bashComplete(bash, ["lkl", "info", "-"])).includes("--json"));
  // A value of -i is a host file: /etc/hostname completes as itself.
  deepEqual(await bashComplete(bash, ["lkl", "cptofs", "-i", "/etc/hostnam"]), ["/etc/hostname"]);
  deepEqual(await bashComplete(bash, ["lkl", "cptofs", "--image=", "/etc/hostnam"]), [
    "/etc/hostname",
  ]);
  // The only completion is the function: no fallback to file names.
  equal((await shell("bash", ["-s"], `${bash}\ncomplete -p lkl\n`)).trim(), "complete -F _lkl lkl");
});

Deno.test("completions bash: each argument completes its own values, files only where files go", async () => {
  const bash = await script("bash");
  deepEqual(await bashComplete(bash, ["lkl", "completions", ""]), ["bash", "fish", "zsh"]);
  deepEqual(await bashComplete(bash, ["lkl", "completions", "z"]), ["zsh"]);
  deepEqual(await bashComplete(bash, ["lkl", "-"]), ["--help", "--version", "-V", "-h"]);
  deepEqual(await bashComplete(bash, ["lkl", "help", "cp"]), ["cpfromfs", "cptofs"]);
  // SRC... DST: host paths, after options and their values too.
  deepEqual(await bashComplete(bash, ["lkl", "cptofs", "-i", "x.img", "-P", "1", ""]), [
    "somefile",
  ]);
  deepEqual(await bashComplete(bash, ["lkl", "cpfromfs", "-i", "x.img", "/a", "some"]), [
    "somefile",
  ]);
  deepEqual(await bashComplete(bash, ["lkl", "fsck", "--image", ""]), ["somefile"]);
  // Values that are not files: nothing to offer.
  deepEqual(await bashComplete(bash, ["lkl", "netcat", "--tap", "tap0", ""]), []);
  deepEqual(await bashComplete(bash, ["lkl", "ping", ""]), []);
  deepEqual(await bashComplete(bash, ["lkl", "cptofs", "-m", ""]), []);
  deepEqual(await bashComplete(bash, ["lkl", "ping", "-i", ""]), []);
  // No argument to give: the options.
  ok((await bashComplete(bash, ["lkl", "fsck", ""])).includes("--image"));
  deepEqual(await bashComplete(bash, ["lkl", "completions", "bash", ""]), ["--help", "-h"]);
});

Deno.test("completions bash: every option of every command, -h and --help included", async () => {
  const bash = await script("bash");
  for (const [name, flags] of commandFlags()) {
    const offered = await bashComplete(bash, ["lkl", name, "-"]);
    deepEqual(offered, flags, name);
    if (name !== "help") ok(offered.includes("-h") && offered.includes("--help"), name);
  }
});

/** What fish completes for the command line typed so far. */
async function fishComplete(file: string, line: string): Promise<string[]> {
  const out = await shell("fish", ["-c", `source ${file}; complete -C '${line}'`]);
  return lines(out).map((l) => l.split("\t")[0]);
}

Deno.test("completions fish: subcommands, options, argument values", async () => {
  const file = await Deno.makeTempFile({ suffix: ".fish" });
  try {
    await Deno.writeTextFile(file, await script("fish"));
    deepEqual(await fishComplete(file, "lkl cp"), ["cpfromfs", "cptofs"]);
    ok((await fishComplete(file, "lkl cptofs --")).includes("--image"));
    deepEqual(await fishComplete(file, "lkl completions "), ["bash", "fish", "zsh"]);
    deepEqual(await fishComplete(file, "lkl completions bash "), []);
    deepEqual(await fishComplete(file, "lkl help cp"), ["cpfromfs", "cptofs"]);
    deepEqual(await fishComplete(file, "lkl cptofs -i "), ["somefile"]);
    deepEqual(await fishComplete(file, "lkl cptofs -i x.img "), ["somefile"]);
    deepEqual(await fishComplete(file, "lkl netcat "), []);
    deepEqual(await fishComplete(file, "lkl fsck -m "), []);
    for (const [name, flags] of commandFlags()) {
      const offered = await fishComplete(file, `lkl ${name} -`);
      deepEqual(offered, flags, name);
      if (name !== "help") ok(offered.includes("-h") && offered.includes("--help"), name);
    }
  } finally {
    await Deno.remove(file);
  }
});

/**
 * Runs an interactive zsh in a pseudo-terminal, types the line and TAB,
 * and prints every candidate compadd is given (after matching).
 */
const ZSH_CAPTURE = `zmodload zsh/zpty
zpty z zsh -f -i
init=$(mktemp)
cat > $init <<'INIT'
PROMPT=
autoload -Uz compinit && compinit -u -D
bindkey '^I' complete-word
compadd() {
	# the calls that only collect or filter candidates: as they are
	if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\\ * ]]; then
		builtin compadd "$@"
		return
	fi
	local -a __hits
	builtin compadd -A __hits "$@"
	(( $#__hits )) && print -rl -- \${(@)^__hits/#/HIT:}
	builtin compadd "$@"
}
comppostfuncs=(exit)
INIT
zpty -w z "source $init; source \${(q)1} 2>/dev/null; compdef _lkl lkl"
zpty -w z "$2"$'\\t'
while zpty -r z line; do
	[[ $line == *HIT:* ]] && print -r -- \${\${line##*HIT:}%%$'\\r'*}
done
rm -f $init
`;

Deno.test("completions zsh: the script parses and defines _lkl", async () => {
  const zsh = await script("zsh");
  ok(zsh.startsWith("#compdef lkl\n"));
  const file = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(file, zsh);
    await shell("zsh", ["-n", file]);
    const out = await shell("zsh", [
      "-c",
      `autoload -Uz compinit && compinit -u -D; source ${file} 2>/dev/null; whence -w _lkl`,
    ]);
    ok(out.includes("_lkl: function"), out);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("completions zsh: what TAB offers in an interactive zsh", async () => {
  const file = await Deno.makeTempFile();
  const capture = await Deno.makeTempFile({ suffix: ".zsh" });
  try {
    await Deno.writeTextFile(file, await script("zsh"));
    await Deno.writeTextFile(capture, ZSH_CAPTURE);
    const complete = async (line: string) => lines(await shell("zsh", [capture, file, line]));
    deepEqual(await complete("lkl cp"), ["cpfromfs", "cptofs"]);
    deepEqual(await complete("lkl completions "), ["bash", "fish", "zsh"]);
    deepEqual(await complete("lkl help cp"), ["cpfromfs", "cptofs"]);
    deepEqual(await complete("lkl -"), ["--help", "--version", "-V", "-h"]);
    deepEqual(await complete("lkl cptofs -i "), ["somefile"]);
    deepEqual(await complete("lkl cptofs -i x.img "), ["somefile"]);
    deepEqual(await complete("lkl netcat "), []);
    deepEqual(await complete("lkl fsck -m "), []);
    for (const [name, flags] of commandFlags()) {
      const offered = await complete(`lkl ${name} -`);
      deepEqual(offered, flags, name);
      if (name !== "help") ok(offered.includes("-h") && offered.includes("--help"), name);
    }
  } finally {
    await Deno.remove(file);
    await Deno.remove(capture);
  }
});

Deno.test("completions: each command's summary is a whole phrase, not one cut at a ':'", async () => {
  for (const c of program().commands) {
    const summary = c.description().split("\n")[0];
    ok(!/[:,;]$/.test(summary), `${c.name()}: ${summary}`);
  }
  const fish = await script("fish");
  ok(
    fish.includes(
      "-a netcat -d 'OpenBSD nc on the kernel'\\''s own TCP/IP stack, through a host TAP'\n",
    ),
    fish,
  );
  ok(
    (await script("zsh")).includes(
      "\t'netcat:OpenBSD nc on the kernel'\\''s own TCP/IP stack, through a host TAP'\n",
    ),
  );
});
