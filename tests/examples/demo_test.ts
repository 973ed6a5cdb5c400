/**
 * `deno task demo`, the README's main job, runs to the end: every step
 * (mkfs, cptofs, e2fsck, debugfs, cpfromfs, diff) succeeds.
 *
 * @module
 */

import { equal, match } from "node:assert/strict";
import { join } from "node:path";
import { REPO } from "../helpers/build_output.ts";

Deno.test("deno task demo: a sample image made, filled, checked and copied back", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(REPO, "tasks", "demo.ts")],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  equal(out.code, 0, `${text}\n${new TextDecoder().decode(out.stderr)}`);
  match(text, /^\$ lkl cptofs -i sample\.img site \/$/m);
  match(text, /^demo: \d+\/\d+ files/m); // e2fsck's summary of a clean file system
  match(text, /README\n/); // debugfs lists the symlink
  match(text, /^demo: done\./m);
});
