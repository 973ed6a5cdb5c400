/**
 * The symbol table of ffi/symbols.ts against the C header, the linker
 * version script and, when built, what liblkl.so really exports.
 */

import { deepEqual, equal } from "node:assert/strict";
import { symbols } from "../../ffi/symbols.ts";
import { ignoreWithout, LIBRARY, requireOutput } from "../helpers/build_output.ts";

const HOST = new URL("../../linux/host/", import.meta.url);

/** The C functions the table binds (aliases with `name` count once). */
function boundFunctions(): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, def] of Object.entries(symbols)) {
    const name = "name" in def ? def.name : key;
    const arity = def.parameters.length;
    if (out.has(name)) equal(out.get(name), arity, `${key}: same arity as ${name}`);
    out.set(name, arity);
  }
  return out;
}

/** Function prototypes of lkl.h: name to parameter count. */
function headerFunctions(): Map<string, number> {
  const text = Deno.readTextFileSync(new URL("lkl.h", HOST))
    .replace(/\/\*[\s\S]*?\*\//g, "") // comments
    .replace(/\s+/g, " ");
  const out = new Map<string, number>();
  for (const m of text.matchAll(/\b(lkl_\w+)\s*\(([^()]*)\)\s*;/g)) {
    const params = m[2].trim();
    out.set(m[1], params === "void" || params === "" ? 0 : params.split(",").length);
  }
  return out;
}

/** The global symbols of the linker version script. */
function versionScriptGlobals(): string[] {
  const text = Deno.readTextFileSync(new URL("lkl.map", HOST)).replace(/\/\*[\s\S]*?\*\//g, "");
  const global = text.match(/global:([\s\S]*?)local:/);
  return (global?.[1] ?? "").split(";").map((s) => s.trim()).filter((s) => s !== "").sort();
}

Deno.test("symbols: the table binds exactly the functions of lkl.h, with their arity", () => {
  deepEqual(
    [...boundFunctions()].sort(),
    [...headerFunctions()].sort(),
  );
});

Deno.test("symbols: lkl.map exports exactly the functions of lkl.h", () => {
  deepEqual(versionScriptGlobals(), [...headerFunctions().keys()].sort());
});

Deno.test("symbols: nonblocking aliases point at real functions", () => {
  for (const [key, def] of Object.entries(symbols)) {
    if ("nonblocking" in def && def.nonblocking) {
      equal("name" in def, true, `${key} names its C function`);
    }
  }
});

Deno.test({
  name: "symbols: liblkl.so exports what the table binds, and nothing else (nm -D)",
  ignore: ignoreWithout(LIBRARY),
  async fn() {
    requireOutput(LIBRARY);
    const { success, stdout, stderr } = await new Deno.Command("nm", {
      args: ["-D", "--defined-only", LIBRARY],
      stdout: "piped",
      stderr: "piped",
    }).output();
    equal(success, true, new TextDecoder().decode(stderr));
    const exported = new TextDecoder().decode(stdout).split("\n")
      .map((line) => line.trim().split(/\s+/))
      .filter((f) => f.length === 3)
      .map((f) => f[2].replace(/@.*$/, ""))
      .sort();
    deepEqual(exported, [...boundFunctions().keys()].sort());
  },
});
