// deno-lint-ignore-file explicit-module-boundary-types -- commander-extra-typings infers precise Option types
/**
 * `lkl cptofs`: copies host files and directories into a disk image, with
 * the kernel's own file system driver.
 *
 * @module
 */

import { Command, Option } from "@commander-js/extra-typings";
import { runCopy } from "./copy.ts";
import {
  fstypeOption,
  idNumber,
  imageOption,
  jsonOption,
  memoryOption,
  partitionOption,
  verboseOption,
} from "./options.ts";
import { EXIT, ExitError } from "./report.ts";

const HELP = `
Sources and destination follow cp -r: a SRC lands as DST/basename(SRC) when
DST is an existing directory of the image, as DST itself otherwise, and
SRC/. copies what SRC holds into DST. Every kind of entry is kept: contents
and holes, modes, owners (numeric), atime and mtime to the nanosecond,
symlinks (never followed), hard links, empty directories, FIFOs and device
nodes; xattrs with --xattrs. What the file system cannot store (FAT has no
owners, modes or links) is reported, not fatal. Existing files of the image
are replaced.

Examples:
  lkl cptofs -i disk.img ./site /var/www          site lands as /var/www/site
  lkl cptofs -i disk.img ./site/. /                the contents of site, in /
  lkl cptofs -i disk.img -P 2 -o 0 -g 0 etc usr /  into partition 2, owned by root
  lkl cptofs -i sd.img -t vfat boot/. /            a FAT boot partition

Exit status:
  0 done; 1 entries not copied (each is named with its cause, the rest is
  copied); 2 bad command line;
  ${EXIT.IMAGE} no such image, no disk image, no such partition or file system, wrong -t;
  ${EXIT.LOCKED} the image is locked by another process; ${EXIT.FULL} the image is full (the image is
  left unmounted cleanly, with what was copied so far); ${EXIT.PERMISSION} permission denied (every entry not copied was).`;

/** The `cptofs` subcommand. */
export function cptofsCommand() {
  return new Command("cptofs")
    .description("copy host files into a disk image (ext4, vfat, btrfs, xfs, exfat, f2fs, ...)")
    .usage("-i IMG [-P PART] [-t FSTYPE] [-o UID] [-g GID] [--xattrs] [--json] SRC... DST")
    .argument("<paths...>", "host files or directories to copy, then the destination in the image")
    .addOption(imageOption())
    .addOption(partitionOption())
    .addOption(fstypeOption())
    .addOption(
      new Option("-o, --owner <uid>", "owner of every copied entry (default: the source's)")
        .argParser(idNumber),
    )
    .addOption(
      new Option("-g, --group <gid>", "group of every copied entry (default: the source's)")
        .argParser(idNumber),
    )
    .addOption(new Option("--xattrs", "copy extended attributes too"))
    .addOption(jsonOption())
    .addOption(memoryOption().default(128))
    .addOption(verboseOption())
    .addHelpText("after", HELP)
    .action(async (paths, options) => {
      if (paths.length < 2) {
        throw new ExitError(EXIT.USAGE, "cptofs needs at least one SRC and a DST");
      }
      await runCopy({
        direction: "in",
        sources: paths.slice(0, -1),
        dest: paths[paths.length - 1],
        options,
        copy: {
          uid: options.owner,
          gid: options.group,
          xattrs: options.xattrs ?? false,
          overwrite: true,
        },
      });
    });
}
