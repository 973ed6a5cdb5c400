// deno-lint-ignore-file explicit-module-boundary-types -- commander-extra-typings infers precise Option types
/**
 * `lkl mount-shell`: a shell inside a disk image, for people who would
 * otherwise reach for guestfish or debugfs. Interactive at a terminal
 * (line editing, history, completion of paths in the image), or
 * scripted with -c or a pipe on stdin. The commands live in cli/shell/.
 *
 * @module
 */

import { Command, Option } from "@commander-js/extra-typings";
import pc from "picocolors";
import { Kernel, type Mount } from "../mod.ts";
import { copyError } from "./copy.ts";
import {
  fstypeOption,
  imageOption,
  memoryOption,
  partitionOption,
  verboseOption,
} from "./options.ts";
import { ExitStatus, reportError } from "./report.ts";
import { isReadOnlyFsType, journalName } from "../lib/fstype.ts";
import { ExitShell, INTERRUPTED, runParsed } from "./shell/commands.ts";
import { complete } from "./shell/complete.ts";
import { ArgumentLines, StreamLines, TerminalLines } from "./shell/lines.ts";
import { ParseError, parseLine } from "./shell/parse.ts";
import { baseName, type LineSource, Session } from "./shell/session.ts";

const HELP = `
Commands (help inside the shell lists them with their flags):
  ls cd pwd stat tree find du df           look around
  cat head tail echo write truncate        contents (write FILE <<END ... END)
  mkdir rmdir rm mv cp ln chmod chown touch xattr   change the image
  get SRC... HOSTDST / put HOSTSRC... DST  copy out of / into the image
  help exit

At a terminal: line editing, history, Tab completes commands and paths in the
image; the prompt shows the current directory; Ctrl-C cancels the running
command, Ctrl-D or exit unmounts cleanly and leaves. With -c, or with a script
on stdin, there is no prompt and no color; ';' separates commands; the exit
status is that of the last command; -e stops at the first that fails.
Words are quoted as in sh; unquoted *, ? and [...] match names in the image
(host names for put's sources); "> FILE" and ">> FILE" send a command's
output into a file of the image. There are no pipes and no variables.
With -r the image is opened read-only (not a byte changes) and writing
commands are refused.

Examples:
  lkl mount-shell -i disk.img
  lkl mount-shell -i disk.img -P 2 -c "mkdir -p /etc/app; put app.conf /etc/app/"
  lkl mount-shell -i disk.img -r -c "cat /etc/os-release"
  printf 'cd /var/log\\nls -l\\n' | lkl mount-shell -i disk.img -r
  echo 127.0.0.1 box | lkl mount-shell -i disk.img -c "write /etc/hosts"
  lkl mount-shell -i disk.img -c "rm /var/log/*.gz; echo box > /etc/hostname"

Exit status: that of the last command (0 ok, 1 failed, 2 usage, 127 unknown
command, 130 interrupted), or of exit N; 2 bad command line; 4 no such image,
no file system, no such partition or wrong -t; 5 image locked; 7 permission
denied.`;

/** The `mount-shell` subcommand. */
export function mountShellCommand() {
  return new Command("mount-shell")
    .description("a shell inside a disk image: ls, cat, cp, mkdir, get, put, ... (read-write)")
    .usage('-i IMG [-P PART] [-t FSTYPE] [-r] [-c "cmd; cmd"] [-e]')
    .addOption(imageOption())
    .addOption(partitionOption())
    .addOption(fstypeOption())
    .addOption(
      new Option("-r, --read-only", "open the image read-only; writing commands are refused"),
    )
    .addOption(
      new Option("-c, --command <commands>", "run these commands (';' between them) and leave")
        .argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]),
    )
    .addOption(new Option("-e, --errexit", "stop at the first command that fails"))
    .addOption(memoryOption().default(128))
    .addOption(verboseOption())
    .addHelpText("after", HELP)
    .action(async (options) => {
      throw new ExitStatus(await runMountShell(options));
    });
}

/** What runMountShell takes. */
export interface MountShellOptions {
  image: string;
  partition?: number;
  type?: string;
  readOnly?: true;
  command?: string[];
  errexit?: true;
  memory: number;
  verbose?: true;
}

function prompt(s: Session): string {
  return `${pc.green(baseName(s.image))}:${pc.bold(pc.blue(s.cwd))}${
    s.readOnly ? pc.dim(" (ro)") : ""
  }$ `;
}

/** Reads and runs lines until the end of input, exit, or (with errexit) a failure. */
async function runLines(
  s: Session,
  source: LineSource,
  options: { errexit: boolean; interactive: boolean; running: { controller?: AbortController } },
): Promise<number> {
  for (;;) {
    const line = await source.next(options.interactive ? prompt(s) : "");
    if (line === null) return s.status;
    let commands;
    try {
      commands = parseLine(line);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      s.error(`mount-shell: ${e.message}`);
      s.status = 2;
      if (options.errexit) return s.status;
      continue;
    }
    for (const command of commands) {
      let here: string[] | null = null;
      if (command.heredoc !== null) {
        here = [];
        for (;;) {
          const l = await source.next(options.interactive ? "> " : "");
          if (l === null || l === command.heredoc) break;
          here.push(l);
        }
      }
      const controller = new AbortController();
      options.running.controller = controller;
      s.signal = controller.signal;
      try {
        s.status = await runParsed(s, command, here);
      } finally {
        options.running.controller = undefined;
      }
      if (s.status === INTERRUPTED && !options.interactive) return s.status;
      if (options.errexit && s.status !== 0) return s.status;
    }
  }
}

/** Boots, attaches and mounts the image, runs the shell, unmounts and halts; returns the status. */
export async function runMountShell(options: MountShellOptions): Promise<number> {
  const scripted = options.command !== undefined;
  const interactive = !scripted && Deno.stdin.isTerminal();
  const kernel = await Kernel.boot({
    memoryMiB: options.memory,
    quiet: !options.verbose,
    logFd: options.verbose ? 2 : undefined,
  });
  let mount: Mount;
  let readOnly = options.readOnly ?? false;
  try {
    let disk = await kernel.attachDisk(options.image, { readOnly });
    // As mount(8) does with a write-protected source: a type the kernel can
    // only read (iso9660, squashfs) is opened read-only, with a note.
    const type = options.type ?? disk.probe(options.partition)?.type;
    if (!readOnly && type !== undefined && isReadOnlyFsType(type)) {
      await disk.close();
      disk = await kernel.attachDisk(options.image, { readOnly: true });
      readOnly = true;
      console.error(`mount-shell: ${type} can only be read: ${options.image} is opened read-only`);
    }
    // Read-only, a journal that needs recovery cannot be replayed: show the
    // file system as of its last checkpoint rather than nothing.
    mount = await disk.mount({
      partition: options.partition,
      fstype: options.type,
      skipRecovery: readOnly,
    });
    if (mount.recoverySkipped) {
      console.error(
        `mount-shell: warning: the ${mount.fstype} ${
          journalName(mount.fstype)
        } of ${options.image} ` +
          "needs recovery; this is the file system without it (its latest changes may be " +
          "missing); without -r it is replayed",
      );
    }
  } catch (e) {
    await kernel.halt().catch(() => {});
    throw copyError(e, options.image);
  }
  const running: { controller?: AbortController } = {};
  const interrupt = () => {
    if (!running.controller) return false;
    running.controller.abort();
    return true;
  };
  const stdin = () => new StreamLines(Deno.stdin.readable);
  let terminal: TerminalLines | undefined;
  let source: LineSource;
  // deno-lint-ignore prefer-const -- assigned after the session that the completer needs
  let session: Session;
  if (scripted) {
    source = new ArgumentLines(options.command!, stdin());
  } else if (interactive) {
    terminal = new TerminalLines({
      complete: (line) => complete(session, line),
      interrupt,
    });
    source = terminal;
  } else {
    source = stdin();
  }
  session = new Session({
    kernel,
    mount,
    image: options.image,
    readOnly,
    interactive,
    input: source instanceof ArgumentLines ? source.stdin : source,
  });
  // Ctrl-C as a signal (a script, or a command run while the terminal is not raw).
  let interrupted = false;
  const onSignal = () => {
    if (!interrupt() && !interactive) interrupted = true;
  };
  Deno.addSignalListener("SIGINT", onSignal);
  let status: number;
  try {
    if (interactive) {
      session.print(
        pc.dim(
          `${options.image}: ${mount.fstype} on ${mount.device}${
            session.readOnly ? ", read-only" : ""
          }. 'help' lists the commands; Ctrl-D or exit leaves.`,
        ),
      );
    }
    status = await runLines(session, source, {
      errexit: options.errexit ?? false,
      interactive,
      running,
    });
    if (interrupted) status = INTERRUPTED;
  } catch (e) {
    if (!(e instanceof ExitShell)) throw e;
    status = e.status;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    terminal?.close();
    if (interactive) session.print();
    try {
      await mount.close(); // sync and unmount: the image is clean from here on
    } catch (e) {
      reportError(e);
      await mount.forceClose().catch(() => {});
      status = 1;
    }
    try {
      await kernel.halt();
    } catch (e) {
      console.error(`lkl: while unmounting: ${(e as Error).message}`);
    }
  }
  return status;
}
