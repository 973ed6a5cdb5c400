// deno-lint-ignore-file explicit-module-boundary-types -- commander-extra-typings infers precise Option types
/**
 * `lkl cpfromfs`: copies files and directories out of a disk image. The
 * image is attached read-only: not one byte of it changes.
 *
 * @module
 */

import { Command, Option } from "@commander-js/extra-typings";
import { runCopy } from "./copy.ts";
import {
  fstypeOption,
  imageOption,
  jsonOption,
  memoryOption,
  partitionOption,
  verboseOption,
} from "./options.ts";
import { EXIT, ExitError } from "./report.ts";

const HELP = `
Sources and destination follow cp -r: a SRC lands as DST/basename(SRC) when
DST is an existing directory, as DST itself otherwise, and SRC/. copies what
SRC holds into DST (made if missing). Contents and holes, modes, times to
the nanosecond, symlinks (never followed) and hard links are kept. Nothing
is ever written outside DST, whatever names or symlinks the image holds.

Without -p, setuid and setgid bits are dropped, files get your owner, and
FIFOs and device nodes are skipped; with -p they are kept where you may
(owners and device nodes need root). Existing files are not replaced
unless --force.

Examples:
  lkl cpfromfs -i disk.img /etc/hostname .         one file, into .
  lkl cpfromfs -i disk.img -P 2 /var/log/. logs    the contents of /var/log
  lkl cpfromfs -i disk.img -p / rootfs             everything, as it is

Exit status:
  0 done; 1 entries not copied, such as existing files without --force (each
  is named with its cause, the rest is copied); 2 bad command line; ${EXIT.IMAGE} no such image, no disk image, no such partition or file system,
  wrong -t; ${EXIT.LOCKED} the image is locked by another process; ${EXIT.PERMISSION} permission denied (every entry not copied was).`;

/** The `cpfromfs` subcommand. */
export function cpfromfsCommand() {
  return new Command("cpfromfs")
    .description("copy files out of a disk image (read-only: the image is not changed)")
    .usage("-i IMG [-P PART] [-t FSTYPE] [-p] [--force] [--json] SRC... DST")
    .argument("<paths...>", "paths in the image to copy, then the host destination")
    .addOption(imageOption())
    .addOption(partitionOption())
    .addOption(fstypeOption())
    .addOption(
      new Option("-p, --preserve", "keep owners, setuid/setgid bits, FIFOs and device nodes"),
    )
    .addOption(new Option("-f, --force", "replace existing host files"))
    .addOption(new Option("--xattrs", "copy extended attributes too"))
    .addOption(jsonOption())
    .addOption(memoryOption().default(128))
    .addOption(verboseOption())
    .addHelpText("after", HELP)
    .action(async (paths, options) => {
      if (paths.length < 2) {
        throw new ExitError(EXIT.USAGE, "cpfromfs needs at least one SRC and a DST");
      }
      const preserve = options.preserve ?? false;
      await runCopy({
        direction: "out",
        sources: paths.slice(0, -1),
        dest: paths[paths.length - 1],
        options,
        copy: {
          owners: preserve,
          dropSetId: !preserve,
          specialFiles: preserve,
          xattrs: options.xattrs ?? false,
          overwrite: options.force ?? false,
        },
      });
    });
}
