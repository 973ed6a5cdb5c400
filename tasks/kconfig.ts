/**
 * Kernel configuration files: the fragment in `linux/config/lkl.config`
 * and the `.config` that `make allnoconfig` generates from it. Parsing and
 * checking only; build.ts runs make.
 *
 * Both use the kernel's syntax: `CONFIG_X=y`, `CONFIG_X="text"`,
 * `CONFIG_X=64`, and `# CONFIG_X is not set`.
 *
 * @module
 */

/** Symbol name (with its CONFIG_ prefix) to value; `null` means "not set" (or `=n`). */
export type ConfigValues = Map<string, string | null>;

const SET = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/;
const UNSET = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/;

/** Parses a fragment or a .config. Later lines win, as in Kconfig. */
export function parseConfig(text: string): ConfigValues {
  const values: ConfigValues = new Map();
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    const set = line.match(SET);
    if (set) {
      // "=n" is how a fragment may say "is not set".
      const value = set[2].trim();
      values.set(set[1], value === "n" ? null : value);
      continue;
    }
    const unset = line.match(UNSET);
    if (unset) values.set(unset[1], null);
  }
  return values;
}

/** A symbol whose value in .config is not what the fragment asked for. */
export interface ConfigMismatch {
  symbol: string;
  wanted: string | null;
  got: string | null;
}

/**
 * Every symbol of `fragment` whose value differs in `config`. A symbol
 * missing from `config` counts as "not set" (Kconfig omits symbols whose
 * dependencies are unmet).
 */
export function checkConfig(fragment: ConfigValues, config: ConfigValues): ConfigMismatch[] {
  const out: ConfigMismatch[] = [];
  for (const [symbol, wanted] of fragment) {
    const got = config.get(symbol) ?? null;
    if (got !== wanted) out.push({ symbol, wanted, got });
  }
  return out;
}

/** One line per mismatch, for the build's error message. */
export function formatMismatches(mismatches: readonly ConfigMismatch[]): string {
  const show = (v: string | null) => v ?? "not set";
  return mismatches
    .map((m) => `  ${m.symbol}: wanted ${show(m.wanted)}, got ${show(m.got)}`)
    .join("\n");
}
