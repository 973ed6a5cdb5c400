/**
 * Mount shell commands that look around: ls, cd, pwd, stat, tree, find,
 * du, df.
 *
 * @module
 */

import { type Directory, S, type Statx } from "../../mod.ts";
import {
  fullTime,
  globRegExp,
  humanSize,
  modeString,
  type ShellCommand,
  shortTime,
} from "./command.ts";
import { joinPath, parseFlags, posixMessage, type Session, ShellError } from "./session.ts";

interface Listed {
  name: string;
  st: Statx;
  target?: string;
}

function isDir(st: Statx): boolean {
  return (st.mode & S.IFMT) === S.IFDIR;
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** A name colored by type, ls-style, on a terminal. */
function colored(s: Session, name: string, st: Statx): string {
  const c = s.color;
  const type = st.mode & S.IFMT;
  if (type === S.IFDIR) return c.bold(c.blue(name));
  if (type === S.IFLNK) return c.bold(c.cyan(name));
  if (type === S.IFREG && st.mode & 0o111) return c.bold(c.green(name));
  if (type !== S.IFREG) return c.yellow(name);
  return name;
}

/** Prints names in columns on a terminal, one per line otherwise. */
function printNames(s: Session, items: Listed[]): void {
  if (items.length === 0) return;
  if (!s.interactive) {
    for (const item of items) s.print(item.name);
    return;
  }
  let width = 80;
  try {
    width = Deno.consoleSize().columns;
  } catch {
    // not a terminal after all
  }
  const cell = Math.max(...items.map((i) => [...i.name].length)) + 2;
  const perRow = Math.max(1, Math.floor(width / cell));
  const rows = Math.ceil(items.length / perRow);
  for (let r = 0; r < rows; r++) {
    let line = "";
    for (let col = 0; col < perRow; col++) {
      const item = items[col * rows + r];
      if (!item) continue;
      const pad = " ".repeat(cell - [...item.name].length);
      line += colored(s, item.name, item.st) + pad;
    }
    s.print(line.trimEnd());
  }
}

function isDevice(st: Statx): boolean {
  const type = st.mode & S.IFMT;
  return type === S.IFCHR || type === S.IFBLK;
}

function printLong(s: Session, items: Listed[], human: boolean): void {
  const w = (f: (i: Listed, k: number) => string) =>
    Math.max(0, ...items.map((i, k) => f(i, k).length));
  // A device node has no size: ls shows its "major, minor", each aligned.
  const wmaj = w((i) => isDevice(i.st) ? String(i.st.rdevMajor) : "");
  const wmin = w((i) => isDevice(i.st) ? String(i.st.rdevMinor) : "");
  const sizes = items.map((i) =>
    isDevice(i.st)
      ? `${String(i.st.rdevMajor).padStart(wmaj)}, ${String(i.st.rdevMinor).padStart(wmin)}`
      : human
      ? humanSize(i.st.size)
      : String(i.st.size)
  );
  const wl = w((i) => String(i.st.nlink));
  const wu = w((i) => String(i.st.uid));
  const wg = w((i) => String(i.st.gid));
  const ws = w((_i, k) => sizes[k]);
  items.forEach((i, k) => {
    const when = shortTime(new Date(i.st.mtime.sec * 1000));
    const name = colored(s, i.name, i.st) + (i.target !== undefined ? ` -> ${i.target}` : "");
    s.print(
      `${modeString(i.st.mode)} ${String(i.st.nlink).padStart(wl)} ${String(i.st.uid).padEnd(wu)} ${
        String(i.st.gid).padEnd(wg)
      } ${sizes[k].padStart(ws)} ${when} ${name}`,
    );
  });
}

/** The inode of the directory above `path` (the image's root is its own parent). */
function parentStat(s: Session, path: string): Statx {
  const parent = s.mount.parent(joinPath(path, ".."));
  try {
    return parent.dir.lstatx(parent.name);
  } finally {
    if (parent.owned) parent.dir.close();
  }
}

function listDirectory(dir: Directory, all: boolean, long: boolean, parent?: Statx): Listed[] {
  const out: Listed[] = [];
  if (all) {
    out.push({ name: ".", st: dir.lstatx("") });
    out.push({ name: "..", st: parent ?? dir.lstatx("") });
  }
  for (const entry of dir.list()) {
    if (!all && entry.name.startsWith(".")) continue;
    const st = dir.lstatx(entry.name);
    const item: Listed = { name: entry.name, st };
    if (long && (st.mode & S.IFMT) === S.IFLNK) item.target = dir.readLink(entry.name);
    out.push(item);
  }
  return out.sort(byName);
}

const ls: ShellCommand = {
  name: "ls",
  usage: "ls [-l] [-a] [-R] [-d] [-h] [PATH...]",
  summary: "list directory contents (-l long, -a hidden too, -R recursive, -d the entry itself)",
  writes: false,
  async run(s, args) {
    const { flags, operands } = parseFlags("ls", args, "laRdh1");
    const long = flags.has("l");
    const all = flags.has("a");
    const show = (items: Listed[]) =>
      long ? printLong(s, items, flags.has("h")) : printNames(s, items);
    let status = 0;
    const files: Listed[] = [];
    const dirs: string[] = [];
    for (const arg of operands.length > 0 ? operands : ["."]) {
      try {
        const info = await s.mount.lstat(s.path(arg));
        let followsToDir = info.isDirectory;
        if (info.isSymlink && !long && !flags.has("d")) {
          followsToDir = await s.mount.stat(s.path(arg)).then((i) => i.isDirectory, () => false);
        }
        if (followsToDir && !flags.has("d")) dirs.push(arg);
        else {
          const parent = s.mount.parent(s.path(arg));
          try {
            const st = parent.dir.lstatx(parent.name);
            const item: Listed = { name: arg, st };
            if (long && info.isSymlink) item.target = parent.dir.readLink(parent.name);
            files.push(item);
          } finally {
            if (parent.owned) parent.dir.close();
          }
        }
      } catch (e) {
        s.error(`ls: cannot access '${arg}': ${posixMessage(e)}`);
        status = 2;
      }
    }
    show(files.sort(byName));
    // As GNU ls: headers whenever several operands were given, even if some failed.
    const headers = operands.length > 1 || flags.has("R");
    let first = files.length === 0;
    const walk = async (label: string, path: string) => {
      await s.breath();
      let items: Listed[];
      try {
        using dir = s.mount.openDirectory(path);
        items = listDirectory(dir, all, long, all ? parentStat(s, s.path(path)) : undefined);
      } catch (e) {
        s.error(`ls: cannot open directory '${label}': ${posixMessage(e)}`);
        status = 2;
        return;
      }
      if (headers) s.print(`${first ? "" : "\n"}${label}:`);
      first = false;
      if (long) {
        // Blocks are 512 bytes; ls counts whole KiB, rounded up.
        const blocks = items.reduce((n, i) => n + i.st.blocks, 0);
        s.print(`total ${flags.has("h") ? humanSize(blocks * 512) : Math.ceil(blocks / 2)}`);
      }
      show(items);
      if (flags.has("R")) {
        for (const item of items) {
          if (!isDir(item.st) || item.name === "." || item.name === "..") continue;
          await walk(
            label === "/" ? `/${item.name}` : `${label}/${item.name}`,
            joinPath(path, item.name),
          );
        }
      }
    };
    for (const arg of dirs.sort()) await walk(arg, s.path(arg));
    return status;
  },
};

const cd: ShellCommand = {
  name: "cd",
  usage: "cd [DIR | -]",
  summary: "change the current directory (default /; - the previous one)",
  writes: false,
  async run(s, args) {
    if (args.length > 1) throw new ShellError("cd: too many arguments");
    const arg = args[0] ?? "/";
    const target = arg === "-" ? s.previous : s.path(arg);
    let info;
    try {
      info = await s.mount.stat(target);
    } catch (e) {
      throw new ShellError(`cd: ${arg}: ${posixMessage(e)}`);
    }
    if (!info.isDirectory) throw new ShellError(`cd: ${arg}: Not a directory`);
    const real = await s.mount.realPath(target);
    s.previous = s.cwd;
    s.cwd = real;
    if (arg === "-") s.print(real);
    return 0;
  },
};

const pwd: ShellCommand = {
  name: "pwd",
  usage: "pwd",
  summary: "print the current directory inside the image",
  writes: false,
  run(s) {
    s.print(s.cwd);
    return Promise.resolve(0);
  },
};

function typeWord(mode: number): string {
  switch (mode & S.IFMT) {
    case S.IFDIR:
      return "directory";
    case S.IFREG:
      return "regular file";
    case S.IFLNK:
      return "symbolic link";
    case S.IFIFO:
      return "fifo";
    case S.IFSOCK:
      return "socket";
    case S.IFCHR:
      return "character special file";
    case S.IFBLK:
      return "block special file";
  }
  return "unknown";
}

const stat: ShellCommand = {
  name: "stat",
  usage: "stat [-L] PATH...",
  summary:
    "show an entry's inode: size, mode, owner, times to the nanosecond (-L follows symlinks)",
  writes: false,
  async run(s, args) {
    const { flags, operands } = parseFlags("stat", args, "L");
    if (operands.length === 0) throw new ShellError("stat: missing operand", 2);
    let status = 0;
    for (const arg of operands) {
      try {
        const path = s.path(arg);
        const i = flags.has("L") ? await s.mount.stat(path) : await s.mount.lstat(path);
        const name = i.isSymlink ? `${arg} -> ${await s.mount.readLink(path)}` : arg;
        s.print(`  File: ${name}`);
        s.print(
          `  Size: ${String(i.size).padEnd(10)}\tBlocks: ${String(i.blocks).padEnd(10)} IO Block: ${
            String(i.blksize).padEnd(6)
          } ${typeWord(i.mode)}`,
        );
        const dev = i.isBlockDevice || i.isCharDevice
          ? `\tDevice type: ${i.rdevMajor},${i.rdevMinor}`
          : "";
        s.print(`Inode: ${String(i.ino).padEnd(11)} Links: ${i.nlink}${dev}`);
        s.print(
          `Access: (${(i.mode & 0o7777).toString(8).padStart(4, "0")}/${
            modeString(i.mode)
          })  Uid: (${String(i.uid).padStart(5)})   Gid: (${String(i.gid).padStart(5)})`,
        );
        s.print(`Access: ${fullTime(i.atimeNs)}`);
        s.print(`Modify: ${fullTime(i.mtimeNs)}`);
        s.print(`Change: ${fullTime(i.ctimeNs)}`);
        s.print(` Birth: ${i.birthtimeNs === null ? "-" : fullTime(i.birthtimeNs)}`);
      } catch (e) {
        s.error(`stat: cannot statx '${arg}': ${posixMessage(e)}`);
        status = 1;
      }
    }
    return status;
  },
};

const tree: ShellCommand = {
  name: "tree",
  usage: "tree [-a] [-L DEPTH] [DIR]",
  summary: "show a directory tree (-a hidden too, -L at most DEPTH levels)",
  writes: false,
  async run(s, args) {
    const { flags, operands } = parseFlags("tree", args, "a", "L");
    const maxDepth = flags.has("L") ? Number(flags.get("L")) : Infinity;
    if (!(maxDepth > 0)) throw new ShellError(`tree: invalid level, must be greater than 0`, 2);
    const arg = operands[0] ?? ".";
    let dirs = 0;
    let files = 0;
    const walk = async (path: string, prefix: string, depth: number) => {
      await s.breath();
      let items: Listed[];
      try {
        using dir = s.mount.openDirectory(path);
        items = listDirectory(dir, false, true).filter((i) =>
          flags.has("a") || !i.name.startsWith(".")
        );
        if (flags.has("a")) {
          using again = s.mount.openDirectory(path);
          items = listDirectory(again, true, true).filter((i) => i.name !== "." && i.name !== "..");
        }
      } catch (e) {
        s.print(`${prefix}[error opening dir: ${posixMessage(e)}]`);
        return;
      }
      for (const [k, item] of items.entries()) {
        const last = k === items.length - 1;
        const link = item.target !== undefined ? ` -> ${item.target}` : "";
        s.print(`${prefix}${last ? "└── " : "├── "}${colored(s, item.name, item.st)}${link}`);
        if (isDir(item.st)) {
          dirs++;
          if (depth < maxDepth) {
            await walk(joinPath(path, item.name), prefix + (last ? "    " : "│   "), depth + 1);
          }
        } else files++;
      }
    };
    try {
      if (!(await s.mount.stat(s.path(arg))).isDirectory) {
        throw new ShellError(`tree: ${arg}: Not a directory`);
      }
    } catch (e) {
      if (e instanceof ShellError) throw e;
      throw new ShellError(`tree: ${arg}: ${posixMessage(e)}`);
    }
    s.print(s.color.bold(s.color.blue(arg)));
    await walk(s.path(arg), "", 1);
    s.print(
      `\n${dirs} director${dirs === 1 ? "y" : "ies"}, ${files} file${files === 1 ? "" : "s"}`,
    );
    return 0;
  },
};

const find: ShellCommand = {
  name: "find",
  usage: "find [PATH...] [-name GLOB] [-iname GLOB] [-type f|d|l] [-maxdepth N]",
  summary: "list the entries below PATH (default .) whose name matches GLOB",
  writes: false,
  async run(s, args) {
    const roots: string[] = [];
    const tests: ((name: string, st: Statx) => boolean)[] = [];
    let maxDepth = Infinity;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      const value = () => {
        const v = args[++i];
        if (v === undefined) throw new ShellError(`find: missing argument to '${a}'`, 2);
        return v;
      };
      if (a === "-name" || a === "-iname") {
        const re = globRegExp(value(), a === "-iname");
        tests.push((name) => re.test(name));
      } else if (a === "-type") {
        const t = value();
        const want =
          { f: S.IFREG, d: S.IFDIR, l: S.IFLNK, p: S.IFIFO, s: S.IFSOCK, c: S.IFCHR, b: S.IFBLK }[
            t
          ];
        if (want === undefined) throw new ShellError(`find: unknown argument to -type: ${t}`, 2);
        tests.push((_n, st) => (st.mode & S.IFMT) === want);
      } else if (a === "-maxdepth") {
        maxDepth = Number(value());
        if (!Number.isInteger(maxDepth) || maxDepth < 0) {
          throw new ShellError(`find: invalid argument to -maxdepth`, 2);
        }
      } else if (a.startsWith("-") && a !== "-") {
        throw new ShellError(`find: unknown predicate '${a}'`, 2);
      } else if (tests.length === 0) roots.push(a);
      else throw new ShellError(`find: paths must precede expression: '${a}'`, 2);
    }
    let status = 0;
    let count = 0;
    const matches = (name: string, st: Statx) => tests.every((t) => t(name, st));
    const walk = async (dir: Directory, shown: string, depth: number) => {
      let entries;
      try {
        entries = dir.list().sort(byName);
      } catch (e) {
        s.error(`find: '${shown}': ${posixMessage(e)}`);
        status = 1;
        return;
      }
      for (const entry of entries) {
        if (++count % 256 === 0) await s.breath();
        const path = shown.endsWith("/") ? shown + entry.name : `${shown}/${entry.name}`;
        let st: Statx;
        try {
          st = dir.lstatx(entry.name);
        } catch (e) {
          s.error(`find: '${path}': ${posixMessage(e)}`);
          status = 1;
          continue;
        }
        if (matches(entry.name, st)) s.print(path);
        if (isDir(st) && depth < maxDepth) {
          let sub: Directory;
          try {
            sub = dir.openDir(entry.name);
          } catch (e) {
            s.error(`find: '${path}': ${posixMessage(e)}`);
            status = 1;
            continue;
          }
          try {
            await walk(sub, path, depth + 1);
          } finally {
            sub.close();
          }
        }
      }
    };
    for (const root of roots.length > 0 ? roots : ["."]) {
      let dir: Directory;
      try {
        const st = await s.mount.lstat(s.path(root));
        const name = root.split("/").filter((p) => p !== "").pop() ?? root;
        if (matches(name, { mode: st.mode } as Statx)) s.print(root);
        if (!st.isDirectory) continue;
        dir = s.mount.openDirectory(s.path(root));
      } catch (e) {
        s.error(`find: '${root}': ${posixMessage(e)}`);
        status = 1;
        continue;
      }
      try {
        if (maxDepth > 0) await walk(dir, root, 1);
      } finally {
        dir.close();
      }
    }
    return status;
  },
};

const du: ShellCommand = {
  name: "du",
  usage: "du [-s] [-h] [-a] [PATH...]",
  summary: "disk usage of each directory in KiB (-s totals only, -h for people, -a files too)",
  writes: false,
  async run(s, args) {
    const { flags, operands } = parseFlags("du", args, "sha");
    const seen = new Set<string>();
    const show = (bytes: number, path: string) =>
      s.print(`${flags.has("h") ? humanSize(bytes) : String(Math.ceil(bytes / 1024))}\t${path}`);
    let status = 0;
    let count = 0;
    const usage = (st: Statx) => {
      const key = `${st.ino}`;
      if (st.nlink > 1 && !isDir(st)) {
        if (seen.has(key)) return 0;
        seen.add(key);
      }
      return st.blocks * 512;
    };
    const walk = async (dir: Directory, shown: string, top: boolean): Promise<number> => {
      let total = usage(dir.lstatx(""));
      let entries;
      try {
        entries = dir.list().sort(byName);
      } catch (e) {
        s.error(`du: cannot read directory '${shown}': ${posixMessage(e)}`);
        status = 1;
        return total;
      }
      for (const entry of entries) {
        if (++count % 256 === 0) await s.breath();
        const path = `${shown.replace(/\/$/, "")}/${entry.name}`;
        try {
          const st = dir.lstatx(entry.name);
          if (isDir(st)) {
            const sub = dir.openDir(entry.name);
            try {
              total += await walk(sub, path, false);
            } finally {
              sub.close();
            }
          } else {
            const bytes = usage(st);
            total += bytes;
            if (flags.has("a") && !flags.has("s")) show(bytes, path);
          }
        } catch (e) {
          s.error(`du: cannot access '${path}': ${posixMessage(e)}`);
          status = 1;
        }
      }
      if (top || !flags.has("s")) show(total, shown);
      return total;
    };
    for (const arg of operands.length > 0 ? operands : ["."]) {
      try {
        const st = await s.mount.lstat(s.path(arg));
        if (!st.isDirectory) {
          show(st.blocks * 512, arg);
          continue;
        }
        using dir = s.mount.openDirectory(s.path(arg));
        await walk(dir, arg, true);
      } catch (e) {
        s.error(`du: cannot access '${arg}': ${posixMessage(e)}`);
        status = 1;
      }
    }
    return status;
  },
};

const df: ShellCommand = {
  name: "df",
  usage: "df [-h] [-i]",
  summary: "size, used and free space of the file system (-h for people, -i inodes)",
  writes: false,
  async run(s, args) {
    const { flags } = parseFlags("df", args, "hi");
    const f = await s.mount.statfs(".");
    const where = `${s.image} (${s.mount.fstype})`;
    if (flags.has("i")) {
      const used = f.files - f.freeFiles;
      const pct = f.files > 0 ? `${Math.ceil((used / f.files) * 100)}%` : "-";
      s.print("Inodes\tIUsed\tIFree\tIUse%\tFile system");
      s.print(`${f.files}\t${used}\t${f.freeFiles}\t${pct}\t${where}`);
      return 0;
    }
    const size = f.blocks * f.blockSize;
    const used = (f.blocks - f.freeBlocks) * f.blockSize;
    const avail = f.availableBlocks * f.blockSize;
    const pct = used + avail > 0 ? `${Math.ceil((used / (used + avail)) * 100)}%` : "-";
    const n = (b: number) => flags.has("h") ? humanSize(b) : String(Math.floor(b / 1024));
    s.print(`${flags.has("h") ? "Size" : "1K-blocks"}\tUsed\tAvailable\tUse%\tFile system`);
    s.print(`${n(size)}\t${n(used)}\t${n(avail)}\t${pct}\t${where}`);
    return 0;
  },
};

/** The commands that look around. */
export const NAVIGATE_COMMANDS: readonly ShellCommand[] = [ls, cd, pwd, stat, tree, find, du, df];
