/**
 * `lkl completions`: the scripts, run by the shells themselves.
 *
 * @module
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { main } from "../../cli/main.ts";

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

async function shell(cmd: string, args: string[], stdin = ""): Promise<string> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const out = await child.output();
  equal(out.code, 0, `${cmd}: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
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
  return out.split("\n").filter((l) => l !== "").sort();
}

Deno.test("completions bash: subcommands, their options, files for values", async () => {
  const bash = await script("bash");
  deepEqual(await bashComplete(bash, ["lkl", "cp"]), ["cpfromfs", "cptofs"]);
  deepEqual(await bashComplete(bash, ["lkl", "cptofs", "--im"]), ["--image"]);
  ok((await bashComplete(bash, ["lkl", "info", "-"])).includes("--json"));
  // A value of -i is a host file: /etc/hostname completes as itself.
  deepEqual(await bashComplete(bash, ["lkl", "cptofs", "-i", "/etc/hostnam"]), ["/etc/hostname"]);
});

Deno.test("completions fish: fish lists the subcommands and options", async () => {
  const fish = await script("fish");
  const file = await Deno.makeTempFile({ suffix: ".fish" });
  try {
    await Deno.writeTextFile(file, fish);
    const commands = await shell("fish", ["-c", `source ${file}; complete -C 'lkl cp'`]);
    deepEqual(commands.split("\n").filter(Boolean).map((l) => l.split("\t")[0]).sort(), [
      "cpfromfs",
      "cptofs",
    ]);
    const options = await shell("fish", ["-c", `source ${file}; complete -C 'lkl cptofs --'`]);
    ok(options.includes("--image"), options);
  } finally {
    await Deno.remove(file);
  }
});

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
