import { deepEqual, equal } from "node:assert/strict";
import { checkConfig, formatMismatches, parseConfig } from "../../tasks/kconfig.ts";

const FRAGMENT = `
# lkl configuration
CONFIG_PRINTK=y
CONFIG_LOCALVERSION="-lkl"
CONFIG_LKL_DEFAULT_MEMORY_MIB=64
# CONFIG_MODULES is not set
# CONFIG_BLOCK is not set
CONFIG_EXT4_FS=y
`;

Deno.test("kconfig: parses values and 'is not set' lines", () => {
  const values = parseConfig(FRAGMENT);
  equal(values.get("CONFIG_PRINTK"), "y");
  equal(values.get("CONFIG_LOCALVERSION"), '"-lkl"');
  equal(values.get("CONFIG_LKL_DEFAULT_MEMORY_MIB"), "64");
  equal(values.get("CONFIG_MODULES"), null);
  equal(values.has("CONFIG_NOT_MENTIONED"), false);
  equal(values.size, 6);
});

Deno.test("kconfig: =n means not set", () => {
  equal(parseConfig("CONFIG_MODULES=n\n").get("CONFIG_MODULES"), null);
  equal(checkConfig(parseConfig("CONFIG_MODULES=n\n"), parseConfig("")).length, 0);
});

Deno.test("kconfig: later lines win", () => {
  equal(parseConfig("CONFIG_A=y\n# CONFIG_A is not set\n").get("CONFIG_A"), null);
});

Deno.test("kconfig: mismatches list wanted and got; absent counts as not set", () => {
  const config = parseConfig(`
CONFIG_PRINTK=y
CONFIG_LOCALVERSION="-lkl"
CONFIG_LKL_DEFAULT_MEMORY_MIB=128
CONFIG_BLOCK=y
`);
  const mismatches = checkConfig(parseConfig(FRAGMENT), config);
  deepEqual(mismatches, [
    { symbol: "CONFIG_LKL_DEFAULT_MEMORY_MIB", wanted: "64", got: "128" },
    { symbol: "CONFIG_BLOCK", wanted: null, got: "y" },
    { symbol: "CONFIG_EXT4_FS", wanted: "y", got: null },
  ]);
  equal(
    formatMismatches(mismatches),
    "  CONFIG_LKL_DEFAULT_MEMORY_MIB: wanted 64, got 128\n" +
      "  CONFIG_BLOCK: wanted not set, got y\n" +
      "  CONFIG_EXT4_FS: wanted y, got not set",
  );
});
