// deno-lint-ignore-file explicit-module-boundary-types -- commander-extra-typings infers precise Option types
/**
 * `lkl completions bash|zsh|fish`: a completion script for the shell,
 * generated from the command tree itself, so it never falls behind the
 * commands, options and arguments that exist. Everything comes from
 * commander's own view of the tree (what `--help` shows): the implicit
 * `-h, --help` option and `help [command]` command included.
 *
 * @module
 */

import { Argument, Command, type CommandUnknownOpts } from "@commander-js/extra-typings";

/** What to offer for a value (of an option or an argument). */
export type ValueSpec =
  /** host files: its name says so (`<file>`, `<paths...>`, ...) */
  | { kind: "file" }
  /** one of a fixed set (commander's `.choices()`) */
  | { kind: "choices"; choices: string[] }
  /** free text (a number, an address, ...): nothing to offer */
  | { kind: "text" };

/** What a completion script needs to know about one option. */
export interface OptionSpec {
  short?: string;
  long?: string;
  description: string;
  /** What its value is, if it takes one. */
  value?: ValueSpec;
  /** Its value may be left out (`[value]`). */
  valueOptional: boolean;
  /** The name of its value (`MiB` for `<MiB>`). */
  valueName: string;
}

/** What a completion script needs to know about one positional argument. */
export interface ArgumentSpec {
  name: string;
  description: string;
  required: boolean;
  /** It takes every word from here on. */
  variadic: boolean;
  value: ValueSpec;
}

/** What a completion script needs to know about one subcommand. */
export interface CommandSpec {
  name: string;
  description: string;
  options: OptionSpec[];
  arguments: ArgumentSpec[];
}

/** The whole program: its own options and its subcommands. */
export interface ProgramSpec {
  options: OptionSpec[];
  commands: CommandSpec[];
}

const FILE_VALUE = /^(file|path|image|dir|directory|paths|files|src|dst)$/i;

interface CommanderOption {
  short?: string;
  long?: string;
  flags: string;
  description: string;
  required: boolean;
  optional: boolean;
  argChoices?: string[];
}

function valueOf(name: string, choices: readonly string[] | undefined): ValueSpec {
  if (choices?.length) return { kind: "choices", choices: [...choices] };
  return FILE_VALUE.test(name) ? { kind: "file" } : { kind: "text" };
}

function optionSpec(o: CommanderOption): OptionSpec {
  const valueName = /[<[]([^>\]]*?)(\.\.\.)?[>\]]/.exec(o.flags)?.[1] ?? "";
  return {
    short: o.short?.replace(/^-/, ""),
    long: o.long?.replace(/^--/, ""),
    description: o.description,
    value: o.required || o.optional ? valueOf(valueName, o.argChoices) : undefined,
    valueOptional: o.optional,
    valueName,
  };
}

function firstLine(cmd: CommandUnknownOpts): string {
  return (cmd.summary() || cmd.description()).split("\n")[0];
}

/** The subcommands of `root`, their options and arguments, for the script generators. */
export function programSpec(root: CommandUnknownOpts): ProgramSpec {
  const help = root.createHelp();
  const visible = help.visibleCommands(root);
  const names = visible.map((c) => c.name());
  const commands = visible.map((cmd): CommandSpec => ({
    name: cmd.name(),
    description: firstLine(cmd),
    options: cmd.createHelp().visibleOptions(cmd).map(optionSpec),
    arguments: cmd.registeredArguments.map((a) => ({
      name: a.name(),
      description: a.description,
      required: a.required,
      variadic: a.variadic,
      // The implicit `help [command]` takes the name of a command.
      value: root.commands.includes(cmd) ? valueOf(a.name(), a.argChoices) : {
        kind: "choices",
        choices: names.filter((n) => n !== cmd.name()),
      },
    })),
  }));
  return { options: help.visibleOptions(root).map(optionSpec), commands };
}

function quoteSingle(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function flagsOf(options: OptionSpec[]): string[] {
  return options.flatMap((o) => [
    ...(o.short ? [`-${o.short}`] : []),
    ...(o.long ? [`--${o.long}`] : []),
  ]);
}

/** bash: what fills COMPREPLY for a value. */
function bashValue(value: ValueSpec): string {
  switch (value.kind) {
    case "file":
      return `compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur"))`;
    case "choices":
      return `COMPREPLY=($(compgen -W ${quoteSingle(value.choices.join(" "))} -- "$cur"))`;
    case "text":
      return ":";
  }
}

/** The bash script: `source <(lkl completions bash)`. */
export function bashScript(program: ProgramSpec): string {
  const cases = program.commands.map((c) => {
    const valued = c.options.filter((o) => o.value);
    const variadic = c.arguments.at(-1)?.variadic ? 1 : 0;
    return [
      `\t${c.name})`,
      `\t\tflags=${quoteSingle(flagsOf(c.options).join(" "))}`,
      `\t\tvalued=${quoteSingle(flagsOf(valued).join(" "))}`,
      `\t\targs=${c.arguments.length} variadic=${variadic}`,
      `\t\t;;`,
    ].join("\n");
  }).join("\n");
  // "COMMAND -o" for the value of option -o, "COMMAND #N" for argument N (from 0).
  const values = program.commands.flatMap((c) =>
    [
      ...c.options.filter((o) => o.value).map((o) =>
        [flagsOf([o]).map((f) => quoteSingle(`${c.name} ${f}`)).join("|"), o.value!] as const
      ),
      ...c.arguments.map((a, i) => [quoteSingle(`${c.name} #${i}`), a.value] as const),
    ].filter(([, v]) => v.kind !== "text")
  ).map(([pattern, v]) => `\t${pattern})\n\t\t${bashValue(v)}\n\t\t;;`).join("\n");
  const top = [...program.commands.map((c) => c.name), ...flagsOf(program.options)];
  return `# bash completion for lkl (generated by: lkl completions bash)
# _lkl_value COMMAND -o|#N: the values of option -o, or of argument N
_lkl_value() {
	case "$1 $2" in
${values}
	esac
}
_lkl() {
	local cur prev cmd flags valued args variadic n i word
	COMPREPLY=()
	cur=\${COMP_WORDS[COMP_CWORD]}
	prev=\${COMP_WORDS[COMP_CWORD-1]}
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W ${quoteSingle(top.join(" "))} -- "$cur"))
		return
	fi
	# --option=value: bash splits it at the =
	if [[ $cur == = ]]; then
		cur=
	elif [[ $prev == = ]] && [ "$COMP_CWORD" -gt 2 ]; then
		prev=\${COMP_WORDS[COMP_CWORD-2]}
	fi
	cmd=\${COMP_WORDS[1]}
	case $cmd in
${cases}
	*) return ;;
	esac
	# The value of an option.
	if [[ $prev == -* && " $valued " == *" $prev "* ]]; then
		_lkl_value "$cmd" "$prev"
		return
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$flags" -- "$cur"))
		return
	fi
	# Which argument this is: the words so far that are not options or their values.
	n=0
	for ((i = 2; i < COMP_CWORD; i++)); do
		word=\${COMP_WORDS[i]}
		if [[ $word == -* ]]; then
			if [[ " $valued " == *" $word "* ]]; then
				((i++))
				[[ \${COMP_WORDS[i]} == = ]] && ((i++))
			fi
		else
			((n++))
		fi
	done
	if ((n >= args)); then
		if ((variadic)); then
			n=$((args - 1))
		else
			# No argument left to give: the options.
			COMPREPLY=($(compgen -W "$flags" -- "$cur"))
			return
		fi
	fi
	_lkl_value "$cmd" "#$n"
}
complete -F _lkl lkl
`;
}

function zshText(text: string): string {
  return text.replace(/[[\]:'\\]/g, " ");
}

function zshAction(value: ValueSpec): string {
  switch (value.kind) {
    case "file":
      return "_files";
    case "choices":
      return `(${value.choices.join(" ")})`;
    case "text":
      return " ";
  }
}

function zshOption(o: OptionSpec): string {
  const value = o.value
    ? `${o.valueOptional ? "::" : ":"}${zshText(o.valueName) || "value"}:${zshAction(o.value)}`
    : "";
  const names = [o.short ? `-${o.short}` : "", o.long ? `--${o.long}` : ""].filter(Boolean);
  const spec = `[${zshText(o.description)}]${value}`;
  if (names.length === 2) return `'(${names.join(" ")})'{${names.join(",")}}'${spec}'`;
  return `'${names[0]}${spec}'`;
}

function zshArgument(a: ArgumentSpec, i: number): string {
  const message = zshText(a.description || a.name) || a.name;
  const position = a.variadic ? "*" : `${i + 1}`;
  return quoteSingle(
    `${position}${a.required || a.variadic ? ":" : "::"}${message}:${zshAction(a.value)}`,
  );
}

/** The zsh script: save as `_lkl` in a directory of `$fpath`. */
export function zshScript(program: ProgramSpec): string {
  const commands = program.commands.map((c) => `\t\t${quoteSingle(`${c.name}:${c.description}`)}`)
    .join("\n");
  const top = program.options.map((o) =>
    `\t\t'(- *)'${zshOption(o).replace(/^'\([^)]*\)'/, "")} \\`
  ).join("\n");
  const cases = program.commands.map((c) => {
    const specs = [...c.options.map(zshOption), ...c.arguments.map(zshArgument)];
    return `\t\t${c.name})\n\t\t\t_arguments -s -S \\\n\t\t\t\t${
      specs.join(" \\\n\t\t\t\t")
    } && ret=0\n\t\t\t;;`;
  }).join("\n");
  return `#compdef lkl
# zsh completion for lkl (generated by: lkl completions zsh)
_lkl() {
	local curcontext="$curcontext" state line ret=1
	local -a commands
	commands=(
${commands}
	)
	_arguments -C \\
${top}
		'1:lkl command:->command' \\
		'*::argument:->argument' && ret=0
	case $state in
	command)
		_describe -t commands 'lkl command' commands && ret=0
		;;
	argument)
		curcontext="\${curcontext%:*:*}:lkl-$words[1]:"
		case $words[1] in
${cases}
		esac
		;;
	esac
	return ret
}
_lkl "$@"
`;
}

/** The fish script: save as `~/.config/fish/completions/lkl.fish`. */
export function fishScript(program: ProgramSpec): string {
  const lines = [
    "# fish completion for lkl (generated by: lkl completions fish)",
    "complete -c lkl -f",
  ];
  const option = (when: string, o: OptionSpec) => {
    const names = [o.short ? `-s ${o.short}` : "", o.long ? `-l ${o.long}` : ""].filter(Boolean)
      .join(" ");
    const value = o.value?.kind === "file"
      ? " -r -F"
      : o.value?.kind === "choices"
      ? ` -x -a ${quoteSingle(o.value.choices.join(" "))}`
      : o.value
      ? " -x"
      : "";
    return `complete -c lkl ${when} ${names}${value} -d ${quoteSingle(o.description)}`;
  };
  for (const o of program.options) lines.push(option("-n __fish_use_subcommand", o));
  for (const c of program.commands) {
    lines.push(
      `complete -c lkl -n __fish_use_subcommand -a ${c.name} -d ${quoteSingle(c.description)}`,
    );
  }
  for (const c of program.commands) {
    const seen = `__fish_seen_subcommand_from ${c.name}`;
    const when = `-n ${quoteSingle(seen)}`;
    if (c.arguments.some((a) => a.value.kind === "file")) lines.push(`complete -c lkl ${when} -F`);
    for (const a of c.arguments) {
      if (a.value.kind !== "choices") continue;
      const choices = a.value.choices.join(" ");
      // A single value: offered until one of them is given.
      const cond = a.variadic ? seen : `${seen}; and not __fish_seen_subcommand_from ${choices}`;
      lines.push(
        `complete -c lkl -n ${quoteSingle(cond)} -a ${quoteSingle(choices)} -d ${
          quoteSingle(a.description || a.name)
        }`,
      );
    }
    for (const o of c.options) lines.push(option(when, o));
  }
  return lines.join("\n") + "\n";
}

const GENERATORS = { bash: bashScript, zsh: zshScript, fish: fishScript } as const;

/** The `completions` subcommand; `root` gives the command tree to describe. */
export function completionsCommand(root: () => CommandUnknownOpts) {
  return new Command("completions")
    .description("print a shell completion script for bash, zsh or fish")
    .addArgument(new Argument("<shell>", "the shell").choices(["bash", "zsh", "fish"] as const))
    .addHelpText(
      "after",
      `
Install:
  bash   source <(lkl completions bash)            (e.g. in ~/.bashrc)
  zsh    lkl completions zsh > ~/.zfunc/_lkl       (with ~/.zfunc in $fpath, then compinit)
  fish   lkl completions fish > ~/.config/fish/completions/lkl.fish`,
    )
    .action((shell) => {
      console.log(GENERATORS[shell](programSpec(root())).trimEnd());
    });
}
