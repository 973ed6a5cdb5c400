// deno-lint-ignore-file explicit-module-boundary-types -- commander-extra-typings infers precise Option types
/**
 * Options shared by several subcommands, defined once.
 *
 * @module
 */

import { InvalidArgumentError, Option } from "@commander-js/extra-typings";

/** Parses a positive integer option value. */
export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  }
  return n;
}

/** `-m, --memory <MiB>`: RAM given to the kernel. */
export function memoryOption() {
  return new Option("-m, --memory <MiB>", "RAM given to the kernel, in MiB")
    .argParser(positiveInteger)
    .default(64);
}

/** `--json`: print the result as JSON on stdout. */
export function jsonOption() {
  return new Option("--json", "print the result as JSON");
}

/** `-v, --verbose`: show the kernel log on stderr as it is printed. */
export function verboseOption() {
  return new Option("-v, --verbose", "show the kernel log on stderr as it is printed");
}

/** `--cmdline <params>`: extra kernel command line parameters. */
export function cmdlineOption() {
  return new Option("--cmdline <params>", "extra kernel command line parameters");
}
