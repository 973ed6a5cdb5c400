/**
 * Visual check of the progress line of `lkl cptofs` and `lkl cpfromfs`
 * (tests cannot judge a terminal): run it in a terminal,
 *
 *   deno run -A tests/visual/copy_progress.ts
 *
 * and watch stderr: after 0.7 s a line "copying N entries, M MiB, R MiB/s
 * path" updates in place and disappears at the end, leaving the summary
 * line. With stderr redirected, there is no progress line at all.
 *
 * @module
 */

import { join } from "node:path";
import { main } from "../../cli/main.ts";
import { makeImage, tempDir } from "../helpers/images.ts";

const dir = await tempDir("progress");
try {
  const src = join(dir, "src");
  for (let d = 0; d < 50; d++) {
    await Deno.mkdir(join(src, `d${d}`), { recursive: true });
    for (let f = 0; f < 200; f++) {
      await Deno.writeFile(join(src, `d${d}`, `f${f}`), new Uint8Array(4096));
    }
  }
  await Deno.writeFile(join(src, "big"), new Uint8Array(512 << 20));
  const image = join(dir, "img");
  await makeImage(image, "ext4", 1 << 30);
  console.error("== lkl cptofs (a progress line should show, then the summary)");
  await main(["cptofs", "-i", image, src, "/"]);
} finally {
  await Deno.remove(dir, { recursive: true });
}
