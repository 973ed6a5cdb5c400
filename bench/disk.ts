/**
 * `lkl cptofs` and `lkl cpfromfs` on ext4 against the references of issue
 * 3, measured in the same run with images in memory (/dev/shm): a tree of
 * about 20,000 small files (about 100 MiB) and one 1 GiB file of random
 * bytes, copied into a fresh image and back out. References: `mke2fs -d`
 * (userspace, copying in), `debugfs rdump` (copying out), and a loop
 * mount + `cp -a` + `umount` (the host kernel; needs root). Every command
 * runs under /usr/bin/time for its wall time and peak RSS.
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
}

/** Runs `cmd` under /usr/bin/time; wall seconds and peak RSS of it and its children. */
async function timed(cmd: string[], cwd?: string): Promise<Run> {
  const out = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "TIME %e %M", ...cmd],
    cwd,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const err = new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${cmd.join(" ")} failed: ${err.trim().slice(-1500)}`);
  const m = err.match(/TIME ([\d.]+) (\d+)\s*$/);
  if (!m) throw new Error(`no timing in: ${err}`);
  return { seconds: Number(m[1]), rssMiB: Number(m[2]) / 1024 };
}

async function sh(cmd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

async function freshImage(path: string, bytes: number): Promise<void> {
  await Deno.remove(path).catch(() => {});
  await sh("truncate", ["-s", String(bytes), path]);
  await sh("mkfs.ext4", ["-q", "-F", path]);
}

/** A deterministic tree of `files` files of 0 to 10 KiB (5 KiB on average) in 200 directories. */
async function makeSmallTree(root: string, files: number): Promise<number> {
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const noise = crypto.getRandomValues(new Uint8Array(65536));
  let bytes = 0;
  const perDir = Math.ceil(files / 200);
  for (let d = 0; d < 200 && d * perDir < files; d++) {
    const dir = join(root, `d${d}`, `sub${d % 7}`);
    await Deno.mkdir(dir, { recursive: true });
    for (let f = 0; f < perDir && d * perDir + f < files; f++) {
      const n = Math.floor(rand() * 10240);
      const start = Math.floor(rand() * (noise.length - n));
      await Deno.writeFile(join(dir, `f${f}`), noise.subarray(start, start + n));
      bytes += n;
    }
  }
  return bytes;
}

async function makeBigFile(path: string, bytes: number): Promise<void> {
  using f = await Deno.open(path, { write: true, create: true, truncate: true });
  const buf = new Uint8Array(4 * MiB);
  for (let done = 0; done < bytes; done += buf.length) {
    for (let i = 0; i < buf.length; i += 65536) crypto.getRandomValues(buf.subarray(i, i + 65536));
    await f.write(buf.subarray(0, Math.min(buf.length, bytes - done)));
  }
}

function lkl(args: string[]): string[] {
  return [deno(), "run", "-A", MAIN, ...args];
}

/** The suite: `deno task bench disk`. */
export const suite: Suite = {
  name: "disk",
  description: "cptofs/cpfromfs on ext4 against mke2fs -d, debugfs rdump and a loop mount + cp -a",
  async run({ quick }) {
    const runs = quick ? 1 : 3;
    const files = quick ? 5000 : 20000;
    const bigBytes = quick ? 256 * MiB : 1024 * MiB;
    const root = Deno.uid() === 0;
    const base = await Deno.makeTempDir({ dir: "/dev/shm", prefix: "lkl-bench-disk-" });
    const notes: string[] = [];
    try {
      const small = join(base, "small");
      const smallBytes = await makeSmallTree(small, files);
      const bigDir = join(base, "bigsrc");
      await Deno.mkdir(bigDir);
      await makeBigFile(join(bigDir, "big.bin"), bigBytes);
      const img = join(base, "img");
      const mnt = join(base, "mnt");
      await Deno.mkdir(mnt);
      const out = join(base, "out");
      const smallImageBytes = 2048 * MiB;
      const bigImageBytes = bigBytes + 512 * MiB;

      const samples: Record<string, Run[]> = {};
      const add = (key: string, run: Run) => (samples[key] ??= []).push(run);
      const loopCopy = (image: string, from: string, to: string, ro: boolean) =>
        timed([
          "sh",
          "-c",
          `mount -o loop${
            ro ? ",ro" : ""
          } "${image}" "${mnt}" && cp -a "${from}" "${to}" && umount "${mnt}"`,
        ]);

      for (let i = 0; i < runs; i++) {
        // In: lkl, mke2fs -d, loop mount (fresh image each; mkfs not timed except for mke2fs -d).
        await freshImage(img, smallImageBytes);
        add("smallIn", await timed(lkl(["cptofs", "-i", img, `${small}/.`, "/"])));
        await Deno.remove(img);
        await sh("truncate", ["-s", String(smallImageBytes), img]);
        add("smallInMke2fs", await timed(["mke2fs", "-q", "-F", "-t", "ext4", "-d", small, img]));
        if (root) {
          await freshImage(img, smallImageBytes);
          add("smallInLoop", await loopCopy(img, `${small}/.`, mnt, false));
        }
        await freshImage(img, bigImageBytes);
        add("bigIn", await timed(lkl(["cptofs", "-i", img, join(bigDir, "big.bin"), "/"])));
        await Deno.remove(img);
        await sh("truncate", ["-s", String(bigImageBytes), img]);
        add("bigInMke2fs", await timed(["mke2fs", "-q", "-F", "-t", "ext4", "-d", bigDir, img]));
        if (root) {
          await freshImage(img, bigImageBytes);
          add("bigInLoop", await loopCopy(img, join(bigDir, "big.bin"), mnt, false));
        }

        // Out: one image (made by mke2fs -d) read by each.
        await Deno.remove(img);
        await sh("truncate", ["-s", String(smallImageBytes), img]);
        await sh("mke2fs", ["-q", "-F", "-t", "ext4", "-d", small, img]);
        await Deno.remove(out, { recursive: true }).catch(() => {});
        add("smallOut", await timed(lkl(["cpfromfs", "-i", img, "/.", out])));
        await Deno.remove(out, { recursive: true });
        await Deno.mkdir(out);
        add("smallOutRdump", await timed(["debugfs", "-R", `rdump / ${out}`, img]));
        await Deno.remove(out, { recursive: true });
        if (root) {
          add("smallOutLoop", await loopCopy(img, `${mnt}/.`, out, true));
          await Deno.remove(out, { recursive: true });
        }
        await Deno.remove(img);
        await sh("truncate", ["-s", String(bigImageBytes), img]);
        await sh("mke2fs", ["-q", "-F", "-t", "ext4", "-d", bigDir, img]);
        add("bigOut", await timed(lkl(["cpfromfs", "-i", img, "/big.bin", out])));
        await Deno.remove(out);
        add("bigOutDump", await timed(["debugfs", "-R", `dump /big.bin ${out}`, img]));
        await Deno.remove(out);
        if (root) {
          add("bigOutLoop", await loopCopy(img, `${mnt}/big.bin`, out, true));
          await Deno.remove(out);
        }
      }

      const sec = (key: string) => median(samples[key].map((r) => r.seconds));
      const rss = (key: string) => Math.max(...samples[key].map((r) => r.rssMiB));
      // This machine is noisy (first touches of fresh memory vary a lot): keep the spread.
      const spread = (key: string) => {
        const s = samples[key].map((r) => r.seconds);
        return `${Math.min(...s).toFixed(2)}-${Math.max(...s).toFixed(2)} s`;
      };
      const smallMiB = smallBytes / MiB;
      const bigMiB = bigBytes / MiB;
      const timeRow = (
        name: string,
        ours: string,
        ref: string,
        refName: string,
        mib: number,
        entries: number,
        target?: { text: string; max: number },
      ): Row => {
        const value = sec(ours);
        const reference = sec(ref);
        return {
          name,
          unit: "s",
          value,
          referenceName: refName,
          reference,
          lowerIsBetter: true,
          target: target?.text,
          met: target ? value / reference <= target.max : undefined,
          details: {
            lklMiBps: Math.round(mib / value),
            refMiBps: Math.round(mib / reference),
            lklFilesPerS: Math.round(entries / value),
            refFilesPerS: Math.round(entries / reference),
            lklPeakRssMiB: Math.round(rss(ours)),
            refPeakRssMiB: Math.round(rss(ref)),
            lklSpread: spread(ours),
            refSpread: spread(ref),
            runs,
          },
        };
      };
      const rateRow = (
        name: string,
        ours: string,
        ref: string,
        refName: string,
        mib: number,
        min: number,
      ): Row => {
        const value = mib / sec(ours);
        const reference = mib / sec(ref);
        return {
          name,
          unit: "MiB/s",
          value,
          referenceName: refName,
          reference,
          lowerIsBetter: false,
          target: `>= ${min * 100}% of the loop mount`,
          met: value / reference >= min,
          details: {
            lklSeconds: sec(ours),
            refSeconds: sec(ref),
            lklSpread: spread(ours),
            refSpread: spread(ref),
            lklPeakRssMiB: Math.round(rss(ours)),
            refPeakRssMiB: Math.round(rss(ref)),
            runs,
          },
        };
      };
      const smallName = `${files} files (${smallMiB.toFixed(0)} MiB)`;
      const rows: Row[] = [
        timeRow(`${smallName} in`, "smallIn", "smallInMke2fs", "mke2fs -d", smallMiB, files, {
          text: "<= 2x mke2fs -d",
          max: 2,
        }),
      ];
      if (root) {
        rows.push(
          timeRow(
            `${smallName} in`,
            "smallIn",
            "smallInLoop",
            "loop mount + cp -a",
            smallMiB,
            files,
            {
              text: "<= loop mount",
              max: 1,
            },
          ),
        );
        rows.push(
          rateRow(`${bigMiB} MiB file in`, "bigIn", "bigInLoop", "loop mount + cp -a", bigMiB, 0.7),
        );
      }
      rows.push(timeRow(`${bigMiB} MiB file in`, "bigIn", "bigInMke2fs", "mke2fs -d", bigMiB, 1));
      rows.push(
        timeRow(`${smallName} out`, "smallOut", "smallOutRdump", "debugfs rdump", smallMiB, files, {
          text: "<= 1.5x debugfs rdump",
          max: 1.5,
        }),
      );
      if (root) {
        rows.push(
          timeRow(
            `${smallName} out`,
            "smallOut",
            "smallOutLoop",
            "loop mount + cp -a",
            smallMiB,
            files,
          ),
        );
        rows.push(
          rateRow(
            `${bigMiB} MiB file out`,
            "bigOut",
            "bigOutLoop",
            "loop mount + cp -a",
            bigMiB,
            0.7,
          ),
        );
      }
      rows.push(
        timeRow(`${bigMiB} MiB file out`, "bigOut", "bigOutDump", "debugfs dump", bigMiB, 1),
      );
      const lklKeys = ["smallIn", "bigIn", "smallOut", "bigOut"];
      const peak = Math.max(...lklKeys.map(rss));
      rows.push({
        name: "peak RSS of lkl (largest of its runs)",
        unit: "MiB",
        value: peak,
        referenceName: "the issue's limit",
        reference: 256,
        lowerIsBetter: true,
        target: "<= 256 MiB",
        met: peak <= 256,
      });
      notes.push(
        "lkl times are whole `lkl cptofs/cpfromfs` processes (start, boot, attach, mount, copy, sync, unmount, halt); " +
          "mke2fs -d includes making the file system; loop mount times include mount, cp -a and umount (write-back).",
        `images and trees in /dev/shm; ${runs} run(s) each, medians; kernel RAM: the CLI default (-m 128)`,
      );
      if (!root) notes.push("not root: the loop mount references were skipped");
      return { suite: "disk", rows, notes };
    } finally {
      await sh("umount", [join(base, "mnt")]).catch(() => {});
      await Deno.remove(base, { recursive: true });
    }
  },
};
