/**
 * `lkl fsck --read-data` against `e2fsck -fn` on the same ext4 image, in
 * the same run, image in memory (/dev/shm): a tree of 20,000 small files
 * (about 100 MiB) and one 256 MiB file. They do different work: fsck
 * walks the tree through the kernel and reads every byte of data, e2fsck
 * checks the metadata offline and reads no file data. Medians of a few
 * runs, each a fresh process, under /usr/bin/time (wall time, peak RSS).
 *
 * @module
 */

import { join } from "node:path";
import { deno, median, REPO, type Row, type Suite } from "./suite.ts";

const MAIN = join(REPO, "cli", "main.ts");
const MiB = 1 << 20;

interface Run {
  seconds: number;
  rssMiB: number;
  code: number;
}

/** Wall time measured here (time's %e has 10 ms steps; e2fsck can take less); peak RSS from time. */
async function timed(cmd: string[]): Promise<Run> {
  const start = performance.now();
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "TIME %e %M", ...cmd],
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  const m = err.match(/TIME ([\d.]+) (\d+)\s*$/);
  if (!m) throw new Error(`${cmd.join(" ")}: no timing in: ${err.slice(-1500)}`);
  const seconds = (performance.now() - start) / 1000;
  return { seconds, rssMiB: Number(m[2]) / 1024, code: out.code };
}

async function sh(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** 20,000 files of 0 to 10 KiB in 200 directories, and one file of `bigBytes` random bytes. */
async function makeTree(root: string, files: number, bigBytes: number): Promise<number> {
  let seed = 4242;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const noise = crypto.getRandomValues(new Uint8Array(65536));
  let bytes = 0;
  const perDir = Math.ceil(files / 200);
  for (let d = 0; d * perDir < files; d++) {
    const dir = join(root, `d${d}`);
    await Deno.mkdir(dir, { recursive: true });
    for (let f = 0; f < perDir && d * perDir + f < files; f++) {
      const n = Math.floor(rand() * 10240);
      const start = Math.floor(rand() * (noise.length - n));
      await Deno.writeFile(join(dir, `f${f}`), noise.subarray(start, start + n));
      bytes += n;
    }
  }
  using big = await Deno.open(join(root, "big.bin"), { write: true, create: true });
  const buf = new Uint8Array(4 * MiB);
  for (let done = 0; done < bigBytes; done += buf.length) {
    for (let i = 0; i < buf.length; i += 65536) crypto.getRandomValues(buf.subarray(i, i + 65536));
    await big.write(buf);
  }
  return bytes + bigBytes;
}

/** The suite: `deno task bench fsck`. */
export const suite: Suite = {
  name: "fsck",
  description: "lkl fsck --read-data against e2fsck -fn on one ext4 image in /dev/shm",
  async run({ quick }) {
    const runs = quick ? 3 : 7;
    const files = quick ? 5000 : 20000;
    const bigBytes = (quick ? 64 : 256) * MiB;
    const base = await Deno.makeTempDir({ dir: "/dev/shm", prefix: "lkl-bench-fsck-" });
    try {
      const src = join(base, "src");
      const dataBytes = await makeTree(src, files, bigBytes);
      const image = join(base, "ext4.img");
      await sh("truncate", [
        "-s",
        String(Math.ceil((dataBytes * 1.6 + 256 * MiB) / MiB) * MiB),
        image,
      ]);
      await sh("mkfs.ext4", ["-q", "-F", "-d", src, image]);
      await Deno.remove(src, { recursive: true });
      const lkl: Run[] = [];
      const walkOnly: Run[] = [];
      const e2fsck: Run[] = [];
      for (let i = 0; i < runs; i++) {
        e2fsck.push(await timed(["e2fsck", "-fn", image]));
        lkl.push(await timed([deno(), "run", "-A", MAIN, "fsck", "-i", image, "--read-data"]));
        walkOnly.push(await timed([deno(), "run", "-A", MAIN, "fsck", "-i", image]));
      }
      for (const [name, r] of [["lkl fsck", lkl], ["e2fsck", e2fsck]] as const) {
        const bad = r.find((x) => x.code !== 0);
        if (bad) throw new Error(`${name} exited ${bad.code} on a clean image`);
      }
      const row = (name: string, ours: Run[], ref: Run[], refName: string): Row => ({
        name,
        unit: "s",
        value: median(ours.map((r) => r.seconds)),
        referenceName: refName,
        reference: median(ref.map((r) => r.seconds)),
        lowerIsBetter: true,
        details: {
          runs: ours.length,
          rssMiB: Math.round(Math.max(...ours.map((r) => r.rssMiB))),
          referenceRssMiB: Math.round(Math.max(...ref.map((r) => r.rssMiB))),
          entries: files + 202,
          dataMiB: Math.round(dataBytes / MiB),
        },
      });
      const rows = [
        row(
          `fsck --read-data, ${files} files + ${bigBytes / MiB} MiB`,
          lkl,
          e2fsck,
          "e2fsck -fn",
        ),
        row(`fsck (walk only), ${files} files`, walkOnly, e2fsck, "e2fsck -fn"),
      ];
      const mibs = dataBytes / MiB / rows[0].value;
      return {
        suite: "fsck",
        rows,
        notes: [
          `lkl fsck --read-data reads ${Math.round(dataBytes / MiB)} MiB of file data at ${
            mibs.toFixed(0)
          } MiB/s ` +
          "(boot and halt included); e2fsck -fn reads no file data, so the two do different work",
        ],
      };
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
};
