/**
 * Mount shell commands that change the image: mkdir, rmdir, rm, mv, cp,
 * ln, chmod, chown, touch, xattr.
 *
 * @module
 */

import { copyTree, S } from "../../mod.ts";
import type { ShellCommand } from "./command.ts";
import {
  baseName,
  isCode,
  joinPath,
  parseFlags,
  posixMessage,
  type Session,
  ShellError,
} from "./session.ts";

/** Whether `path` of the image is a directory (following symlinks); false when missing. */
async function isDirectory(s: Session, path: string): Promise<boolean> {
  try {
    return (await s.mount.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

/** Whether something (even a dangling symlink) is at `path`. */
async function exists(s: Session, path: string): Promise<boolean> {
  try {
    await s.mount.lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** Runs `fn` on each operand; failures print `message(arg, e)` and make the status 1. */
/**
 * Whether `dst` lies in the directory `src` (or is it): compared by inode
 * along the real path of `dst`'s nearest existing ancestor, so that
 * neither a symlink nor a file system that ignores case ("DIR" is "dir")
 * hides it.
 */
async function within(s: Session, src: string, dst: string): Promise<boolean> {
  const target = await s.mount.stat(src);
  let existing = dst;
  for (;;) {
    try {
      await s.mount.stat(existing);
      break;
    } catch {
      const slash = existing.lastIndexOf("/");
      if (slash <= 0) {
        existing = "/";
        break;
      }
      existing = existing.slice(0, slash);
    }
  }
  for (let p = await s.mount.realPath(existing);;) {
    const st = await s.mount.stat(p);
    if (st.ino === target.ino && st.dev === target.dev) return true;
    if (p === "/") return false;
    p = p.slice(0, p.lastIndexOf("/")) || "/";
  }
}

/** Several sources and a target that is no directory: an error of the command, not of a source. */
class TargetError extends ShellError {}

async function each(
  s: Session,
  operands: string[],
  fn: (arg: string) => Promise<void>,
  message: (arg: string, e: unknown) => string,
): Promise<number> {
  let status = 0;
  for (const arg of operands) {
    try {
      await fn(arg);
    } catch (e) {
      if (e instanceof DOMException && e.name === "AbortError") throw e;
      if (e instanceof TargetError) throw e; // wrong for every source: said once
      s.error(e instanceof ShellError ? e.message : message(arg, e));
      status = 1;
    }
  }
  return status;
}

function needOperands(command: string, operands: string[], min = 1): void {
  if (operands.length < min) {
    throw new ShellError(
      operands.length === 0
        ? `${command}: missing operand`
        : `${command}: missing destination file operand after '${operands[0]}'`,
      2,
    );
  }
}

/** Parses an octal mode ("755"). */
function octal(text: string): number | null {
  return /^[0-7]{1,4}$/.test(text) ? parseInt(text, 8) : null;
}

/**
 * Applies a chmod(1) mode, octal or symbolic ("u+x,go-w", "a=r"), to
 * `mode`; null when it is not a valid mode.
 */
export function applyMode(spec: string, mode: number, isDir: boolean): number | null {
  const n = octal(spec);
  if (n !== null) return n;
  let result = mode & 0o7777;
  for (const clause of spec.split(",")) {
    const m = clause.match(/^([ugoa]*)([-+=])([rwxXst]*)$/);
    if (!m) return null;
    const who = m[1] === "" || m[1].includes("a") ? "ugo" : m[1];
    let bits = 0;
    for (const p of m[3]) {
      for (const w of who) {
        const shift = w === "u" ? 6 : w === "g" ? 3 : 0;
        if (p === "r") bits |= 4 << shift;
        if (p === "w") bits |= 2 << shift;
        if (p === "x" || (p === "X" && (isDir || (mode & 0o111) !== 0))) bits |= 1 << shift;
        if (p === "s" && w === "u") bits |= S.ISUID;
        if (p === "s" && w === "g") bits |= S.ISGID;
        if (p === "t") bits |= S.ISVTX;
      }
    }
    if (m[2] === "+") result |= bits;
    else if (m[2] === "-") result &= ~bits;
    else {
      let mask = 0;
      for (const w of who) mask |= w === "u" ? 0o4700 : w === "g" ? 0o2070 : 0o1007;
      result = (result & ~mask) | bits;
    }
  }
  return result;
}

const mkdir: ShellCommand = {
  name: "mkdir",
  usage: "mkdir [-p] [-m MODE] DIR...",
  summary: "make directories (-p with their parents, no error if they exist)",
  writes: true,
  async run(s, args) {
    const { flags, operands } = parseFlags("mkdir", args, "p", "m");
    needOperands("mkdir", operands);
    const modeText = flags.get("m");
    const mode = typeof modeText === "string" ? applyMode(modeText, 0o777, true) : undefined;
    if (mode === null) throw new ShellError(`mkdir: invalid mode '${modeText}'`, 2);
    return await each(
      s,
      operands,
      (arg) => s.mount.mkdir(s.path(arg), { recursive: flags.has("p"), mode }),
      (arg, e) => `mkdir: cannot create directory '${arg}': ${posixMessage(e)}`,
    );
  },
};

const rmdir: ShellCommand = {
  name: "rmdir",
  usage: "rmdir DIR...",
  summary: "remove empty directories",
  writes: true,
  async run(s, args) {
    const { operands } = parseFlags("rmdir", args, "");
    needOperands("rmdir", operands);
    return await each(s, operands, async (arg) => {
      const info = await s.mount.lstat(s.path(arg));
      if (!info.isDirectory) {
        throw new ShellError(`rmdir: failed to remove '${arg}': Not a directory`);
      }
      await s.mount.remove(s.path(arg));
    }, (arg, e) => `rmdir: failed to remove '${arg}': ${posixMessage(e)}`);
  },
};

const rm: ShellCommand = {
  name: "rm",
  usage: "rm [-r] [-f] PATH...",
  summary: "remove files (-r directories with their contents, -f no error when missing)",
  writes: true,
  async run(s, args) {
    const { flags, operands } = parseFlags("rm", args, "rRfd");
    const force = flags.has("f");
    const recursive = flags.has("r") || flags.has("R");
    if (operands.length === 0 && !force) throw new ShellError("rm: missing operand", 2);
    return await each(s, operands, async (arg) => {
      const path = s.path(arg);
      if (
        baseName(arg) === "." || baseName(arg) === ".." ||
        (await s.mount.realPath(path).catch(() => "")) === "/"
      ) {
        throw new ShellError(`rm: refusing to remove '.' or '..' or '/': skipping '${arg}'`);
      }
      let info;
      try {
        info = await s.mount.lstat(path);
      } catch (e) {
        if (force && isCode(e, "ENOENT")) return;
        throw e;
      }
      if (info.isDirectory && !recursive && !flags.has("d")) {
        throw new ShellError(`rm: cannot remove '${arg}': Is a directory`);
      }
      await s.mount.remove(path, { recursive });
    }, (arg, e) => `rm: cannot remove '${arg}': ${posixMessage(e)}`);
  },
};

/**
 * Where SRC lands for mv/cp/ln: inside DST when DST is a directory. `shown`
 * is that place as messages name it ("d/a" for SRC a into DST d). A DST
 * ending in "/" that is not a directory takes only a new directory: the
 * mount's paths drop the slash, so `slashed(exists)` is checked here, the
 * message when DST cannot be that (null: it can).
 */
async function destination(
  s: Session,
  src: string,
  dst: string,
  many: boolean,
  command: string,
  slashed: (exists: boolean) => string | null,
) {
  const dstPath = s.path(dst);
  if (await isDirectory(s, dstPath)) {
    const base = baseName(src);
    return { path: joinPath(dstPath, base), shown: `${dst.replace(/\/+$/, "")}/${base}` };
  }
  if (many) throw new TargetError(`${command}: target '${dst}' is not a directory`);
  if (dst.endsWith("/")) {
    // lstat("file/") is ENOTDIR: ask about the name without the slash.
    const message = slashed(await exists(s, dstPath.replace(/\/+$/, "")));
    if (message !== null) throw new ShellError(message);
  }
  return { path: dstPath, shown: dst };
}

/** Whether two image paths name one inode (following symlinks); false when one is missing. */
async function sameFile(s: Session, a: string, b: string): Promise<boolean> {
  try {
    const [x, y] = await Promise.all([s.mount.stat(a), s.mount.stat(b)]);
    return x.ino === y.ino && x.dev === y.dev;
  } catch {
    return false;
  }
}

const mv: ShellCommand = {
  name: "mv",
  usage: "mv SRC... DST",
  summary: "move or rename (into DST when it is a directory)",
  writes: true,
  async run(s, args) {
    const { operands } = parseFlags("mv", args, "f");
    needOperands("mv", operands, 2);
    const dst = operands[operands.length - 1];
    const sources = operands.slice(0, -1);
    return await each(s, sources, async (src) => {
      const info = await s.mount.lstat(s.path(src)).catch((e) => {
        throw new ShellError(`mv: cannot stat '${src}': ${posixMessage(e)}`);
      });
      const { path: to, shown } = await destination(
        s,
        src,
        dst,
        sources.length > 1,
        "mv",
        (exists) =>
          exists
            ? `mv: cannot stat '${dst}': Not a directory`
            : info.isDirectory
            ? null
            : `mv: cannot move '${src}' to '${dst}': Not a directory`,
      );
      // The kernel's EINVAL, worded as coreutils words it.
      if (info.isDirectory && await within(s, s.path(src), to)) {
        throw new ShellError(`mv: cannot move '${src}' to a subdirectory of itself, '${shown}'`);
      }
      await s.mount.rename(s.path(src), to);
    }, (src, e) => `mv: cannot move '${src}' to '${dst}': ${posixMessage(e)}`);
  },
};

const cp: ShellCommand = {
  name: "cp",
  usage: "cp [-r] SRC... DST",
  summary: "copy inside the image (-r directories); keeps modes, owners, times, links",
  writes: true,
  async run(s, args) {
    const { flags, operands } = parseFlags("cp", args, "rRapf");
    needOperands("cp", operands, 2);
    const recursive = flags.has("r") || flags.has("R") || flags.has("a");
    const dst = operands[operands.length - 1];
    const sources = operands.slice(0, -1);
    return await each(s, sources, async (src) => {
      const info = await s.mount.stat(s.path(src));
      if (info.isDirectory && !recursive) {
        throw new ShellError(`cp: -r not specified; omitting directory '${src}'`);
      }
      const { path: to, shown } = await destination(
        s,
        src,
        dst,
        sources.length > 1,
        "cp",
        (exists) =>
          exists
            ? `cp: cannot stat '${dst}': Not a directory`
            : info.isDirectory
            ? null
            : `cp: cannot create regular file '${dst}': Not a directory`,
      );
      // A copy onto itself (or onto a hard link of itself, which copyTree would
      // replace, splitting the link) is refused, as coreutils does.
      if (await sameFile(s, s.path(src), to)) {
        throw new ShellError(`cp: '${src}' and '${shown}' are the same file`);
      }
      if (info.isDirectory && await within(s, s.path(src), to)) {
        throw new ShellError(`cp: cannot copy a directory, '${src}', into itself, '${shown}'`);
      }
      await copyTree({ tree: s.mount, path: s.path(src) }, { tree: s.mount, path: to }, {
        overwrite: true,
        onProgress: () => s.checkCanceled(),
      });
    }, (src, e) => `cp: cannot copy '${src}': ${posixMessage(e)}`);
  },
};

const ln: ShellCommand = {
  name: "ln",
  usage: "ln [-s] [-f] TARGET LINK",
  summary: "make a hard link, or a symbolic link with -s (TARGET stored as given)",
  writes: true,
  async run(s, args) {
    const { flags, operands } = parseFlags("ln", args, "sf");
    needOperands("ln", operands, 2);
    if (operands.length > 2) throw new ShellError("ln: usage: ln [-s] [-f] TARGET LINK", 2);
    const [target, link] = operands;
    const what = flags.has("s") ? "symbolic link" : "hard link";
    // With a slash, LINK must be a directory: ln -f does not replace a file there.
    const { path: to } = await destination(
      s,
      target,
      link,
      false,
      "ln",
      (exists) =>
        !exists
          ? `ln: failed to create ${what} '${link}': No such file or directory`
          : flags.has("f")
          ? `ln: failed to access '${link}': Not a directory`
          : `ln: failed to create ${what} '${link}': File exists`,
    );
    try {
      if (flags.has("f") && await exists(s, to) && !(await s.mount.lstat(to)).isDirectory) {
        await s.mount.remove(to);
      }
      if (flags.has("s")) await s.mount.symlink(target, to);
      else await s.mount.link(s.path(target), to);
    } catch (e) {
      throw new ShellError(`ln: failed to create ${what} '${link}': ${posixMessage(e)}`);
    }
    return 0;
  },
};

/** Every path below `path` (itself first), not following symlinks. */
async function* walk(s: Session, path: string): AsyncGenerator<string> {
  yield path;
  const info = await s.mount.lstat(path);
  if (!info.isDirectory) return;
  for await (const entry of s.mount.readDir(path)) {
    await s.breath();
    yield* walk(s, joinPath(path, entry.name));
  }
}

const chmod: ShellCommand = {
  name: "chmod",
  usage: "chmod [-R] MODE PATH...",
  summary: "change permissions: octal (755) or symbolic (u+x,go-w); -R recursive",
  writes: true,
  async run(s, args) {
    const { flags, operands } = parseFlags("chmod", args, "R");
    needOperands("chmod", operands, 2);
    const [spec, ...paths] = operands;
    if (applyMode(spec, 0, false) === null) {
      throw new ShellError(`chmod: invalid mode: '${spec}'`, 2);
    }
    return await each(s, paths, async (arg) => {
      const targets = flags.has("R") ? walk(s, s.path(arg)) : [s.path(arg)];
      for await (const path of targets) {
        const info = flags.has("R") ? await s.mount.lstat(path) : await s.mount.stat(path);
        if (info.isSymlink) continue; // chmod -R leaves symlinks alone
        await s.mount.chmod(path, applyMode(spec, info.mode, info.isDirectory)!);
      }
    }, (arg, e) => `chmod: changing permissions of '${arg}': ${posixMessage(e)}`);
  },
};

/** The largest id chown takes: 2^32 - 1 is (uid_t)-1, which means "leave it". */
const MAX_ID = 0xfffffffe;

/** A user or group: a number, or a name from the image's /etc/passwd or /etc/group. */
async function lookupId(s: Session, name: string, file: string): Promise<number | null> {
  // A bigger number would wrap around in the kernel's 32-bit id.
  if (/^\d+$/.test(name)) return Number(name) <= MAX_ID ? Number(name) : null;
  try {
    const text = await s.mount.readTextFile(file);
    for (const line of text.split("\n")) {
      const fields = line.split(":");
      if (fields[0] === name && fields.length >= 3) return Number(fields[2]);
    }
  } catch {
    // no such file in the image: only numbers then
  }
  return null;
}

const chown: ShellCommand = {
  name: "chown",
  usage: "chown [-R] [-h] OWNER[:GROUP] PATH...",
  summary: "change owner and group (numbers, or names from the image's /etc/passwd and /etc/group)",
  writes: true,
  async run(s, args) {
    const { flags, operands } = parseFlags("chown", args, "Rh");
    needOperands("chown", operands, 2);
    const [spec, ...paths] = operands;
    const [owner, group] = spec.split(/[:.]/, 2);
    const uid = owner === "" ? null : await lookupId(s, owner, "/etc/passwd");
    const gid = group === undefined || group === "" ? null : await lookupId(s, group, "/etc/group");
    if (owner !== "" && uid === null) throw new ShellError(`chown: invalid user: '${spec}'`);
    if (group !== undefined && group !== "" && gid === null) {
      throw new ShellError(`chown: invalid group: '${spec}'`);
    }
    return await each(s, paths, async (arg) => {
      const recursive = flags.has("R");
      const targets = recursive ? walk(s, s.path(arg)) : [s.path(arg)];
      for await (const path of targets) {
        if (recursive || flags.has("h")) await s.mount.lchown(path, uid, gid);
        else await s.mount.chown(path, uid, gid);
      }
    }, (arg, e) => `chown: changing ownership of '${arg}': ${posixMessage(e)}`);
  },
};

/**
 * A touch -d date as nanoseconds since the epoch: "@SECONDS" (GNU touch's
 * form, a fraction allowed) or an ISO date "YYYY-MM-DD[ HH:MM[:SS[.N]]]"
 * with an optional zone ("Z", "UTC", "+02:00"; UTC without one, the zone
 * ls and stat show here). Null for anything else: JavaScript's own parser
 * takes "12" for 2001-12-01 and "foo 12" too.
 */
export function parseDate(text: string): bigint | null {
  const epoch = text.match(/^@([+-]?)(\d+)(?:\.(\d{1,9})\d*)?$/);
  if (epoch) {
    const ns = BigInt(epoch[2]) * 1_000_000_000n + BigInt((epoch[3] ?? "").padEnd(9, "0"));
    return epoch[1] === "-" ? -ns : ns;
  }
  const m = text.match(
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9})\d*)?)?)? ?(Z|UTC|[+-]\d{2}:?\d{2})?$/i,
  );
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map((f) => Number(f ?? 0));
  // setUTCFullYear takes year 50 as 50, not 1950 (Date.UTC does not).
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second);
  const ms = date.getTime();
  // Dates roll 2001-02-30 over to March: a field out of range is no date.
  if (
    date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day || hour > 23 ||
    minute > 59 || second > 59
  ) {
    return null;
  }
  let offsetMinutes = 0;
  const zone = m[8]?.toUpperCase();
  if (zone && zone !== "Z" && zone !== "UTC") {
    const digits = zone.slice(1).replace(":", "");
    offsetMinutes = (zone[0] === "-" ? -1 : 1) *
      (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
  }
  return BigInt(ms - offsetMinutes * 60_000) * 1_000_000n +
    BigInt((m[7] ?? "").padEnd(9, "0"));
}

const touch: ShellCommand = {
  name: "touch",
  usage: "touch [-c] [-d DATE] FILE...",
  summary: "set times to now or DATE (@SECONDS, YYYY-MM-DD[ HH:MM[:SS]] UTC); -c makes no file",
  writes: true,
  async run(s, args) {
    const { flags, operands } = parseFlags("touch", args, "c", "d");
    needOperands("touch", operands);
    let when: Date | bigint = new Date();
    const dateText = flags.get("d");
    if (typeof dateText === "string") {
      const date = parseDate(dateText);
      if (date === null) throw new ShellError(`touch: invalid date format '${dateText}'`);
      when = date;
    }
    return await each(s, operands, async (arg) => {
      const path = s.path(arg);
      if (!(await exists(s, path))) {
        if (flags.has("c")) return;
        await s.mount.writeFile(path, new Uint8Array(), { create: true, append: true });
      }
      await s.mount.utime(path, when, when);
    }, (arg, e) => `touch: cannot touch '${arg}': ${posixMessage(e)}`);
  },
};

const xattr: ShellCommand = {
  name: "xattr",
  usage: "xattr PATH | xattr -p NAME PATH | xattr -w NAME VALUE PATH | xattr -d NAME PATH",
  summary: "list, print, write or delete extended attributes (not following symlinks)",
  writes: (args) => args[0] === "-w" || args[0] === "-d",
  async run(s, args) {
    const usage = () => new ShellError(`xattr: usage: ${xattr.usage}`, 2);
    const [flag] = args;
    const fail = (arg: string, e: unknown) => new ShellError(`xattr: ${arg}: ${posixMessage(e)}`);
    if (flag === "-w") {
      if (args.length !== 4) throw usage();
      const [, name, value, arg] = args;
      await s.mount.setXattr(s.path(arg), name, value).catch((e) => {
        throw fail(arg, e);
      });
      return 0;
    }
    if (flag === "-d") {
      if (args.length !== 3) throw usage();
      const [, name, arg] = args;
      await s.mount.removeXattr(s.path(arg), name).catch((e) => {
        throw fail(arg, e);
      });
      return 0;
    }
    if (flag === "-p") {
      if (args.length !== 3) throw usage();
      const [, name, arg] = args;
      const value = await s.mount.getXattr(s.path(arg), name).catch((e) => {
        throw fail(arg, e);
      });
      if (value === null) throw new ShellError(`xattr: ${arg}: no attribute ${name}`);
      s.write(value);
      if (value[value.length - 1] !== 10) s.print();
      return 0;
    }
    if (args.length !== 1 || flag.startsWith("-")) throw usage();
    const arg = args[0];
    const names = await s.mount.listXattr(s.path(arg)).catch((e) => {
      throw fail(arg, e);
    });
    const decoder = new TextDecoder("utf-8", { fatal: true });
    for (const name of names.sort()) {
      const value = await s.mount.getXattr(s.path(arg), name);
      let shown: string;
      try {
        shown = JSON.stringify(decoder.decode(value ?? new Uint8Array()));
      } catch {
        shown = "0x" + [...(value ?? [])].map((b) => b.toString(16).padStart(2, "0")).join("");
      }
      s.print(`${name}=${shown}`);
    }
    return 0;
  },
};

/** The commands that change the image. */
export const CHANGE_COMMANDS: readonly ShellCommand[] = [
  mkdir,
  rmdir,
  rm,
  mv,
  cp,
  ln,
  chmod,
  chown,
  touch,
  xattr,
];
