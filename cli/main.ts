/**
 * The lkl command: the command tree. Each subcommand lives in its own
 * file; shared options are in options.ts, error reporting in report.ts.
 *
 * Results go to stdout; logs, progress and errors to stderr.
 *
 * @module
 */

import { Command, CommanderError } from "@commander-js/extra-typings";
import { completionsCommand } from "./completions.ts";
import { cpfromfsCommand } from "./cpfromfs.ts";
import { cptofsCommand } from "./cptofs.ts";
import { fsckCommand } from "./fsck.ts";
import { infoCommand } from "./info.ts";
import { mountShellCommand } from "./mount_shell.ts";
import { netcatCommand } from "./netcat.ts";
import { pingCommand } from "./ping.ts";
import { ping6Command } from "./ping6.ts";
import { EXIT, reportError } from "./report.ts";
import { LKL_VERSION, versionText } from "./version.ts";

/** Builds the command tree (exitOverride: errors come back as exceptions). */
export function program(): Command<[], { version?: true }> {
  const root: Command<[], { version?: true }> = new Command()
    .name("lkl")
    .description(
      `lkl ${LKL_VERSION}: the Linux 6.12 kernel as a library, driven from TypeScript.\n` +
        "Every command boots the kernel inside this process, uses it, and halts it.",
    )
    .option("-V, --version", "print the versions of lkl and of its kernel")
    .exitOverride()
    .configureOutput({ writeErr: (s) => Deno.stderr.writeSync(new TextEncoder().encode(s)) })
    .addCommand(infoCommand().exitOverride())
    .addCommand(cptofsCommand().exitOverride())
    .addCommand(cpfromfsCommand().exitOverride())
    .addCommand(fsckCommand()) // its own exitOverride: usage errors are exit 16 as in fsck(8)
    .addCommand(mountShellCommand().exitOverride());
  root
    .addCommand(pingCommand().exitOverride())
    .addCommand(ping6Command().exitOverride())
    .addCommand(netcatCommand().exitOverride());
  // Last: it describes every command added before it.
  root.addCommand(completionsCommand(() => root).exitOverride());
  // Computed only when asked: it loads liblkl.so to read its version.
  root.on("option:version", () => {
    console.log(versionText());
    throw new CommanderError(0, "lkl.version", "");
  });
  return root;
}

/** Runs the CLI with `args` (without the program name) and returns the exit code. */
export async function main(args: string[]): Promise<number> {
  try {
    await program().parseAsync(args, { from: "user" });
    return EXIT.OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version displays end this way too, with exit code 0
      return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    return reportError(e);
  }
}

if (import.meta.main) {
  Deno.exitCode = await main(Deno.args);
}
