/**
 * Mount shell commands between the image and the host: get (image →
 * host) and put (host → image), with copyTree and the placement rules of
 * cp -r that cptofs and cpfromfs follow.
 *
 * @module
 */

import { basename, dirname, resolve } from "node:path";
import { type CopyStats, copyTree, FileTree } from "../../mod.ts";
import { meansContents, placement } from "../copy.ts";
import { mib, shortPath, StatusLine } from "../status_line.ts";
import type { ShellCommand } from "./command.ts";
import { baseName, parseFlags, posixMessage, type Session, ShellError } from "./session.ts";

function hostIsDir(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/**
 * Why a file cannot be copied to `dst`, which ends in "/" but is not a
 * directory (null when it does not end so): paths lose that slash on the
 * way (resolve, the mount), so a file would land as a plain entry there.
 * Worded as cp words it. A source directory may still be made there.
 */
function slashed(command: string, dst: string, exists: boolean): string | null {
  if (!dst.endsWith("/")) return null;
  return exists
    ? `${command}: cannot stat '${dst}': Not a directory`
    : `${command}: cannot create regular file '${dst}': Not a directory`;
}

/**
 * Copies with a progress line on a terminal; Ctrl-C stops it between
 * chunks. An entry that cannot be copied gets its line on stderr and the
 * rest goes on, as with cp -r (stats.failed counts them).
 */
async function copy(
  s: Session,
  command: string,
  from: { tree: FileTree; path: string },
  to: { tree: FileTree; path: string },
  options: Parameters<typeof copyTree>[2],
): Promise<CopyStats> {
  const status = new StatusLine(
    s.interactive && Deno.stderr.isTerminal(),
    "{entries} entries, {mib} MiB {path}",
    { entries: 0, mib: "0.0", path: "" },
  );
  try {
    return await copyTree(from, to, {
      ...options,
      onError: (f) => {
        status.stop();
        s.error(
          f.sameAs !== undefined
            ? `${command}: '${f.path}': the file system already holds '${f.sameAs}' under that name (it ignores case); not copied`
            : f.error.code === "EEXIST" && !f.reading
            ? `${command}: '${f.path}' exists (-f replaces it)`
            : `${command}: cannot copy '${f.source}'${
              !f.reading && f.path !== f.source ? ` to '${f.path}'` : ""
            }: ${posixMessage(f.error)}`,
        );
      },
      onProgress: (p) => {
        s.checkCanceled();
        status.update({ entries: p.entries, mib: mib(p.bytes), path: shortPath(p.path) });
      },
    });
  } finally {
    status.stop();
  }
}

function summary(s: Session, verb: string, stats: CopyStats): void {
  if (!s.interactive) return;
  s.error(`${verb} ${stats.entries} entries, ${mib(stats.bytes)} MiB`);
}

const get: ShellCommand = {
  name: "get",
  usage: "get [-p] [-f] SRC... HOSTDST",
  summary:
    "copy from the image to the host (like cpfromfs: -p keeps owners and setuid, -f replaces files)",
  writes: false,
  hostArg: (index, count) => index === count - 1,
  async run(s, args) {
    const { flags, operands } = parseFlags("get", args, "pf");
    if (operands.length < 2) throw new ShellError("get: usage: get [-p] [-f] SRC... HOSTDST", 2);
    const dst = operands[operands.length - 1];
    const sources = operands.slice(0, -1);
    if (sources.length > 1 && !hostIsDir(dst)) {
      throw new ShellError(`get: target '${dst}' is not a directory`);
    }
    const preserve = flags.has("p");
    let status = 0;
    for (const src of sources) {
      const trees: FileTree[] = [];
      try {
        const base = baseName(src);
        if (
          dst.endsWith("/") && !hostIsDir(dst) && !(await s.mount.stat(s.path(src))).isDirectory
        ) {
          // lstat("file/") fails with ENOTDIR: ask about the name without the slash.
          const exists = await Deno.lstat(dst.replace(/\/+$/, "")).then(() => true, () => false);
          const message = slashed("get", dst, exists);
          if (message !== null) throw new ShellError(message);
        }
        let to: { tree: FileTree; path: string };
        if (meansContents(src) || base === "/") {
          Deno.mkdirSync(dst, { recursive: true });
          to = { tree: FileTree.host(dst), path: "." };
        } else if (hostIsDir(dst)) {
          to = { tree: FileTree.host(dst), path: base };
        } else {
          const full = resolve(dst);
          to = { tree: FileTree.host(dirname(full)), path: basename(full) };
        }
        trees.push(to.tree);
        const stats = await copy(s, "get", { tree: s.mount, path: s.path(src) }, to, {
          owners: preserve,
          dropSetId: !preserve,
          specialFiles: preserve,
          overwrite: flags.has("f"),
        });
        summary(s, "got", stats);
        if (stats.failed > 0) status = 1;
      } catch (e) {
        if (e instanceof DOMException && e.name === "AbortError") throw e;
        const exists = e instanceof Error && "code" in e && e.code === "EEXIST";
        s.error(
          e instanceof ShellError
            ? e.message
            : exists
            ? `get: cannot copy '${src}': ${
              (e as { path?: string }).path ?? dst
            } exists (-f replaces it)`
            : `get: cannot copy '${src}': ${posixMessage(e)}`,
        );
        status = 1;
      } finally {
        for (const tree of trees) tree.close();
      }
    }
    return status;
  },
};

const put: ShellCommand = {
  name: "put",
  usage: "put [-o UID] [-g GID] HOSTSRC... DST",
  summary: "copy from the host into the image (like cptofs; SRC/. copies the contents)",
  writes: true,
  hostArg: (index, count) => index < count - 1,
  async run(s, args) {
    const { flags, operands } = parseFlags("put", args, "", "og");
    if (operands.length < 2) throw new ShellError("put: usage: put HOSTSRC... DST", 2);
    const id = (f: string) => {
      const v = flags.get(f);
      if (v === undefined) return undefined;
      if (typeof v !== "string" || !/^\d+$/.test(v)) {
        throw new ShellError(`put: invalid id '${v}'`, 2);
      }
      return Number(v);
    };
    const uid = id("o");
    const gid = id("g");
    const dst = operands[operands.length - 1];
    const sources = operands.slice(0, -1);
    const dstIsDir = async () => {
      try {
        return (await s.mount.stat(s.path(dst))).isDirectory;
      } catch {
        return false;
      }
    };
    if (sources.length > 1 && !(await dstIsDir())) {
      throw new ShellError(`put: target '${dst}' is not a directory`);
    }
    let status = 0;
    for (const src of sources) {
      let tree: FileTree | undefined;
      try {
        const full = resolve(src);
        const contents = meansContents(src) || full === "/";
        tree = contents ? FileTree.host(full) : FileTree.host(dirname(full));
        const from = { tree, path: contents ? "." : basename(full) };
        const intoDir = await dstIsDir();
        if (!intoDir && !contents && !hostIsDir(full)) {
          const exists = await s.mount.lstat(s.path(dst).replace(/\/+$/, "")).then(
            () => true,
            () => false,
          );
          const message = slashed("put", dst, exists);
          if (message !== null) throw new ShellError(message);
        }
        const to = placement(basename(full), contents, intoDir, s.path(dst));
        const stats = await copy(s, "put", from, { tree: s.mount, path: to }, {
          uid,
          gid,
          overwrite: true,
        });
        summary(s, "put", stats);
        if (stats.failed > 0) status = 1;
      } catch (e) {
        if (e instanceof DOMException && e.name === "AbortError") throw e;
        s.error(
          e instanceof ShellError ? e.message : `put: cannot copy '${src}': ${posixMessage(e)}`,
        );
        status = 1;
      } finally {
        tree?.close();
      }
    }
    return status;
  },
};

/** The commands between image and host. */
export const TRANSFER_COMMANDS: readonly ShellCommand[] = [get, put];
