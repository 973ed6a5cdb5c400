/**
 * `lkl mount-shell`: scripted sessions through -c and a pipe on stdin,
 * an interactive session in a pseudo-terminal (tmux) with completion,
 * history and Ctrl-C; changes checked afterwards with debugfs and e2fsck;
 * -r refuses writes and leaves the image byte-identical; errors read as
 * POSIX tools print them; unknown commands get a suggestion; -e stops at
 * the first failure.
 */

import { deepEqual, equal, match, ok } from "node:assert/strict";
import { join } from "node:path";
import { checkImage, lkl, makeImage, sh, sha256, tempDir } from "../helpers/images.ts";

const MAIN = new URL("../../cli/main.ts", import.meta.url).pathname;

/** Runs the shell with `input` piped to its stdin. */
async function shell(args: string[], input: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "mount-shell", ...args],
    env: { NO_COLOR: "1" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const out = await child.output();
  clearTimeout(timer);
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** debugfs -R `request` on `image` (read-only). */
function debugfs(image: string, request: string): Promise<string> {
  return sh("debugfs", ["-R", request, image]);
}

Deno.test("mount-shell -c: a session of commands, checked with debugfs and e2fsck", async () => {
  const dir = await tempDir("shell-c");
  try {
    const image = join(dir, "disk.img");
    await makeImage(image, "ext4", 32 << 20);
    const script = [
      "mkdir -p /etc/app/conf.d; cd /etc/app",
      "pwd",
      "write app.conf <<END",
      "name = demo",
      "# not a comment inside a here-document",
      "END",
      'write "my notes.txt" <<END',
      "spaces in the name",
      "END",
      "cp app.conf copy.conf; mv copy.conf conf.d/; ln -s app.conf link; ln app.conf hard",
      "chmod 600 app.conf; chmod u+x,g+r conf.d/copy.conf; chown 1000:1000 my\\ notes.txt",
      "touch -d 2001-09-09T01:46:40Z 'my notes.txt'; truncate -s 1M big; xattr -w user.k value big",
      "mkdir gone; rmdir gone; touch tmp; rm tmp",
      "ls -l /etc/app",
      "cat app.conf; head -n 1 'my notes.txt'; tail -n 1 app.conf",
      "find / -name '*.conf'",
      "xattr big",
      "cd ..; cd -; cd /",
      "tree /etc",
    ].join("\n");
    const r = await lkl(["mount-shell", "-i", image, "-c", script]);
    equal(r.code, 0, r.stderr);
    equal(r.stderr, "");
    match(r.stdout, /^\/etc\/app\n/);
    match(r.stdout, /name = demo\n# not a comment inside a here-document\nspaces in the name\n/);
    match(r.stdout, /\/etc\/app\/app\.conf\n\/etc\/app\/conf\.d\/copy\.conf\n/);
    match(r.stdout, /user\.k="value"/);
    match(r.stdout, /├── app\.conf/);
    match(r.stdout, /link -> app\.conf/);

    // What debugfs reads in the image is what the shell did.
    equal(
      await debugfs(image, "cat /etc/app/app.conf"),
      "name = demo\n# not a comment inside a here-document\n",
    );
    const conf = await debugfs(image, "stat /etc/app/app.conf");
    match(conf, /Mode:\s+0600/);
    match(conf, /Links: 2/);
    match(await debugfs(image, "stat /etc/app/conf.d/copy.conf"), /Mode:\s+0744/);
    const notes = await debugfs(image, 'stat "/etc/app/my notes.txt"');
    match(notes, /User:\s+1000\s+Group:\s+1000/);
    match(notes, /mtime: 0x3b9aca00/); // 2001-09-09 01:46:40 UTC
    match(await debugfs(image, "stat /etc/app/link"), /Fast link dest: "app\.conf"/);
    match(await debugfs(image, "stat /etc/app/big"), /Size: 1048576/);
    match(await debugfs(image, "ea_get /etc/app/big user.k"), /value/);
    const listing = await debugfs(image, "ls -l /etc/app");
    ok(!/\bgone\b|\btmp\b/.test(listing), listing);
    await checkImage(image, "ext4");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mount-shell: a script on stdin, write from stdin beside -c, put and get", async () => {
  const dir = await tempDir("shell-pipe");
  try {
    const image = join(dir, "disk.img");
    await makeImage(image, "ext4", 32 << 20);
    const host = join(dir, "host");
    await Deno.mkdir(join(host, "site", "css"), { recursive: true });
    await Deno.writeTextFile(join(host, "site", "index.html"), "<h1>hi</h1>\n");
    await Deno.writeTextFile(join(host, "site", "css", "a.css"), "body{}\n");
    const r = await shell(
      ["-i", image],
      [
        "mkdir /srv",
        `put ${join(host, "site")} /srv`,
        "mkdir /srv/copy",
        `put ${join(host, "site")}/. /srv/copy`,
        "ls -R /srv",
        `get /srv/site ${join(dir, "back")}`,
        "",
      ].join("\n"),
    );
    equal(r.code, 0, r.stderr);
    equal(
      r.stdout,
      "/srv:\ncopy\nsite\n\n/srv/copy:\ncss\nindex.html\n\n/srv/copy/css:\na.css\n\n" +
        "/srv/site:\ncss\nindex.html\n\n/srv/site/css:\na.css\n",
    );
    equal(await Deno.readTextFile(join(dir, "back", "css", "a.css")), "body{}\n");

    // write reads stdin when the commands come from -c: bytes as they are.
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        MAIN,
        "mount-shell",
        "-i",
        image,
        "-c",
        "write /data.bin; stat /data.bin",
      ],
      env: { NO_COLOR: "1" },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const bytes = crypto.getRandomValues(new Uint8Array(50_000));
    const w = child.stdin.getWriter();
    await w.write(bytes);
    await w.close();
    const out = await child.output();
    equal(out.code, 0, new TextDecoder().decode(out.stderr));
    match(new TextDecoder().decode(out.stdout), /Size: 50000\s/);
    const back = join(dir, "data.bin");
    await sh("debugfs", ["-R", `dump /data.bin ${back}`, image]);
    deepEqual(await Deno.readFile(back), bytes);
    await checkImage(image, "ext4");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mount-shell: POSIX error lines, suggestions, last status, -e, exit N", async () => {
  const dir = await tempDir("shell-errors");
  try {
    const image = join(dir, "disk.img");
    await makeImage(image, "ext4", 32 << 20);
    let r = await lkl([
      "mount-shell",
      "-i",
      image,
      "-c",
      [
        "rm nothere",
        "mkdir d; touch d/f; rmdir d; rm d",
        "cat d; cd d/f; mkdir d",
        "lss; ls",
      ].join("; "),
    ]);
    equal(r.code, 0, "the last command (ls) succeeded");
    deepEqual(r.stderr.trim().split("\n"), [
      "rm: cannot remove 'nothere': No such file or directory",
      "rmdir: failed to remove 'd': Directory not empty",
      "rm: cannot remove 'd': Is a directory",
      "cat: d: Is a directory",
      "cd: d/f: Not a directory",
      "mkdir: cannot create directory 'd': File exists",
      "lss: command not found; did you mean 'ls'?",
    ]);
    r = await lkl(["mount-shell", "-i", image, "-c", "pwd; frobnicate"]);
    equal(r.code, 127);
    match(r.stderr, /frobnicate: command not found/);
    r = await lkl(["mount-shell", "-i", image, "-c", 'ls "unterminated']);
    equal(r.code, 2);
    match(r.stderr, /unterminated double quote/);

    // -e stops at the first failure, with its status; without it the script goes on.
    r = await shell(["-i", image, "-e"], "mkdir /a\nrm /nothere\nmkdir /b\n");
    equal(r.code, 1);
    r = await lkl(["mount-shell", "-i", image, "-c", "ls /b"]);
    equal(r.code, 2, "-e did not stop: /b was made");
    r = await shell(["-i", image], "rm /nothere\nmkdir /b\n");
    equal(r.code, 0, r.stderr);
    r = await lkl(["mount-shell", "-i", image, "-c", "ls -d /b; exit 7; mkdir /c"]);
    equal(r.code, 7);
    equal(r.stdout, "/b\n");
    // As sh: modulo 256; a word that is no number is an error (2).
    equal((await lkl(["mount-shell", "-i", image, "-c", "exit 300"])).code, 44);
    equal((await lkl(["mount-shell", "-i", image, "-c", "exit -1"])).code, 255);
    r = await lkl(["mount-shell", "-i", image, "-c", "exit 1x"]);
    equal(r.code, 2);
    match(r.stderr, /exit: 1x: numeric argument required/);
    await checkImage(image, "ext4");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mount-shell: globs in the image and on the host, echo, > and >> into the image, ls -a", async () => {
  const dir = await tempDir("shell-globs");
  try {
    const image = join(dir, "disk.img");
    await makeImage(image, "ext4", 32 << 20);
    const host = join(dir, "host");
    await Deno.mkdir(host);
    for (const name of ["x1.dat", "x2.dat", "y.txt"]) {
      await Deno.writeTextFile(join(host, name), name);
    }
    const r = await lkl([
      "mount-shell",
      "-i",
      image,
      "-c",
      [
        "mkdir -p d/sub; truncate -s 1 d/a.txt d/b.txt d/c.log d/.h.txt d/sub/s.txt",
        "ls d/*.txt", // sorted matches, no hidden file
        "echo d/?.* 'd/*' \"d/*\" d/\\*", // quoted and escaped globs stay as written
        "echo */sub/*.txt /d/[ab].txt d/[!a].txt",
        "echo hello > d/note; echo world >>d/note; cat d/note",
        "rm d/*.log; ls d/*.log", // nothing left: the word stays, ls says so
        `put ${host}/*.dat d/sub; ls d/sub`,
        "ls -a d/sub",
      ].join("; "),
    ]);
    equal(r.code, 0, r.stderr);
    equal(r.stderr, "ls: cannot access 'd/*.log': No such file or directory\n");
    deepEqual(r.stdout.trimEnd().split("\n"), [
      "d/a.txt",
      "d/b.txt",
      "d/a.txt d/b.txt d/c.log d/* d/* d/*",
      "d/sub/s.txt /d/a.txt /d/b.txt d/b.txt",
      "hello",
      "world",
      "s.txt",
      "x1.dat",
      "x2.dat",
      ".",
      "..",
      "s.txt",
      "x1.dat",
      "x2.dat",
    ]);
    // What the shell did, as debugfs sees it.
    equal(await debugfs(image, "cat /d/note"), "hello\nworld\n");
    equal(await debugfs(image, "cat /d/sub/x2.dat"), "x2.dat");
    match(await debugfs(image, "ls /d"), /\.h\.txt/);
    ok(!(await debugfs(image, "ls /d")).includes("c.log"), "rm d/*.log left c.log");
    await checkImage(image, "ext4");

    // A redirection needs a file; into a directory it fails; with -r it is refused.
    let e = await lkl(["mount-shell", "-i", image, "-c", "echo x >"]);
    equal(e.code, 2);
    match(e.stderr, /> needs a file name/);
    e = await lkl(["mount-shell", "-i", image, "-c", "echo x > d"]);
    equal(e.code, 1);
    equal(e.stderr, "mount-shell: d: Is a directory\n");
    const before = await sha256(image);
    e = await lkl(["mount-shell", "-r", "-i", image, "-c", "ls d/*.txt > d/list"]);
    equal(e.code, 1);
    equal(e.stderr, "mount-shell: d/list: refused: the image is open read-only (mount-shell -r)\n");
    equal(await sha256(image), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mount-shell put: names the file system refuses are reported, the rest is copied", async () => {
  const dir = await tempDir("shell-put-vfat");
  try {
    const host = join(dir, "host");
    await Deno.mkdir(host);
    for (const name of ["aaa", "a:b", "q?", "zzz"]) {
      await Deno.writeTextFile(join(host, name), name);
    }
    const image = join(dir, "vfat.img");
    await sh("mkfs.vfat", ["-C", image, "8192"]);
    const r = await lkl(["mount-shell", "-i", image, "-c", `put ${host}/. /`]);
    equal(r.code, 1, r.stderr);
    deepEqual(r.stderr.trim().split("\n").sort(), [
      "put: cannot copy 'a:b': Invalid argument",
      "put: cannot copy 'q?': Invalid argument",
    ]);
    const listing = await sh("mdir", ["-b", "-i", image, "::/"]);
    deepEqual(listing.trim().split("\n").map((l) => l.toLowerCase()).sort(), ["::/aaa", "::/zzz"]);
    await sh("fsck.vfat", ["-n", image]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mount-shell: */ is directories only; names that are not UTF-8 glob, print, copy, put", async () => {
  const dir = await tempDir("shell-bytes");
  try {
    const src = join(dir, "src");
    await Deno.mkdir(join(src, "d1"), { recursive: true });
    await sh("python3", ["-c", `open(b'${src}/bad\\xff\\xfe.txt','wb').write(b'x')`]);
    const image = join(dir, "disk.img");
    await sh("truncate", ["-s", "32M", image]);
    await sh("mkfs.ext4", ["-q", "-d", src, image]);
    const r = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        MAIN,
        "mount-shell",
        "-i",
        image,
        "-c",
        `mkdir d2; echo */; echo bad*; cp bad* copied; mkdir in; put ${src}/bad* in/; ls in`,
      ],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(r.stderr);
    equal(r.code, 0, stderr);
    const raw = [...r.stdout].map((b) => String.fromCharCode(b)).join(""); // a char per byte
    equal(raw, "d1/ d2/ lost+found/\nbad\xff\xfe.txt\nbad\xff\xfe.txt\n");
    equal(await debugfs(image, "cat /copied"), "x");
    const { stdout } = await new Deno.Command("debugfs", { args: ["-R", "ls -p /in", image] })
      .output();
    ok([...stdout].map((b) => String.fromCharCode(b)).join("").includes("/bad\xff\xfe.txt/"));
    await checkImage(image, "ext4");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mount-shell: head, tail and ls of several operands print what GNU prints", async () => {
  const dir = await tempDir("shell-heads");
  try {
    const src = join(dir, "src");
    await Deno.mkdir(src);
    await Deno.writeTextFile(join(src, "h1"), "0\n1\n");
    await Deno.writeTextFile(join(src, "h2"), "abc"); // no final newline
    await Deno.writeTextFile(join(src, "h3"), "x\n");
    await Deno.mkdir(join(src, "d"));
    await Deno.writeTextFile(join(src, "d", "x"), "");
    const image = join(dir, "disk.img");
    await sh("truncate", ["-s", "32M", image]);
    await sh("mkfs.ext4", ["-q", "-d", src, image]);
    for (
      const [tool, ...args] of [
        ["head", "-n", "1", "h1", "h2", "h3"],
        ["tail", "-n", "1", "h1", "h2", "h3"],
        ["tail", "-n", "-1", "h1"], // -n -N is the last N, as GNU reads it
        ["ls", "nosuch", "d"], // a header for each operand, even after a failure
      ]
    ) {
      const gnu = await new Deno.Command(tool, { args, cwd: src }).output();
      const ours = await lkl([
        "mount-shell",
        "-r",
        "-i",
        image,
        "-c",
        `cd /; ${tool} ${args.join(" ")}`,
      ]);
      equal(ours.stdout, new TextDecoder().decode(gnu.stdout), tool);
      equal(ours.code === 0, gnu.code === 0, `${tool}: ${ours.stderr}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mount-shell cp -r and mv: into itself is refused through a symlink and on a case-blind FAT", async () => {
  const dir = await tempDir("shell-itself");
  try {
    const ext4 = join(dir, "ext4.img");
    await makeImage(ext4, "ext4", 32 << 20);
    let r = await lkl([
      "mount-shell",
      "-i",
      ext4,
      "-c",
      "mkdir -p sub/deep; ln -s sub L; cp -r sub L/; ln -s /sub/deep D; cp -r sub D/x; mv sub L/; cp -r sub ok",
    ]);
    equal(r.code, 0, r.stderr); // the last cp succeeded
    deepEqual(r.stderr.trim().split("\n"), [
      "cp: cannot copy a directory, 'sub', into itself, 'L/sub'",
      "cp: cannot copy a directory, 'sub', into itself, 'D/x'",
      "mv: cannot move 'sub' to a subdirectory of itself, 'L/sub'",
    ]);
    equal((await debugfs(ext4, "ls /sub")).includes("sub"), false);
    await checkImage(ext4, "ext4");
    const vfat = join(dir, "vfat.img");
    await sh("mkfs.vfat", ["-C", vfat, "8192"]);
    r = await lkl(["mount-shell", "-i", vfat, "-c", "mkdir dir; cp -r dir DIR/sub"]);
    equal(r.code, 1);
    equal(r.stderr, "cp: cannot copy a directory, 'dir', into itself, 'DIR/sub'\n");
    await sh("fsck.vfat", ["-n", vfat]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("mount-shell -r: writing commands are refused, the image does not change", async () => {
  const dir = await tempDir("shell-ro");
  try {
    const src = join(dir, "src");
    await Deno.mkdir(src);
    await Deno.writeTextFile(join(src, "keep.txt"), "kept\n");
    const image = join(dir, "disk.img");
    await Deno.writeFile(image, new Uint8Array(0));
    await Deno.truncate(image, 16 << 20);
    await sh("mkfs.ext4", ["-q", "-d", src, image]);
    const before = await sha256(image);
    const r = await lkl([
      "mount-shell",
      "-i",
      image,
      "-r",
      "-c",
      [
        "rm /keep.txt",
        "mkdir /x",
        "write /y <<E",
        "E",
        "xattr -w user.a b /keep.txt",
        "put /etc/hostname /",
        "cat /keep.txt",
        `get /keep.txt ${join(dir, "out.txt")}`,
      ].join("\n"),
    ]);
    equal(r.code, 0, r.stderr);
    equal(r.stdout, "kept\n");
    const refused = r.stderr.trim().split("\n");
    deepEqual(refused.map((l) => l.split(":")[0]), ["rm", "mkdir", "write", "xattr", "put"]);
    ok(refused.every((l) => l.endsWith("refused: the image is open read-only (mount-shell -r)")));
    equal(await Deno.readTextFile(join(dir, "out.txt")), "kept\n");
    equal(await sha256(image), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A tmux session running the shell in a pseudo-terminal. */
class Tmux {
  readonly name = `lkl-shell-${crypto.randomUUID().slice(0, 8)}`;

  async start(command: string): Promise<void> {
    await sh("tmux", ["new-session", "-d", "-s", this.name, "-x", "120", "-y", "40", command]);
  }

  /**
   * Types `keys` one after the other, as a person would: text sent in one
   * burst with a Tab reaches readline as a paste, Tab included.
   */
  async keys(...keys: string[]): Promise<void> {
    for (const key of keys) {
      await sh("tmux", ["send-keys", "-t", this.name, key]);
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  screen(): Promise<string> {
    return sh("tmux", ["capture-pane", "-p", "-t", this.name]);
  }

  /** Waits until the screen matches `pattern` (or fails after `ms`). */
  async waitFor(pattern: RegExp, ms = 20_000): Promise<string> {
    const end = Date.now() + ms;
    for (;;) {
      const text = await this.screen();
      if (pattern.test(text)) return text;
      if (Date.now() > end) throw new Error(`screen never matched ${pattern}:\n${text}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    await sh("tmux", ["kill-session", "-t", this.name], { ok: [0, 1] });
  }
}

Deno.test("mount-shell at a terminal: completion, history, Ctrl-C, write with Ctrl-D, exit", async () => {
  const dir = await tempDir("shell-tty");
  const tmux = new Tmux();
  try {
    const image = join(dir, "disk.img");
    await makeImage(image, "ext4", 64 << 20);
    const setup = await lkl([
      "mount-shell",
      "-i",
      image,
      "-c",
      "mkdir -p '/srv/web site/assets'; write /srv/readme <<E\nhello\nE\ntruncate -s 8G /srv/huge",
    ]);
    equal(setup.code, 0, setup.stderr);
    const status = join(dir, "status");
    await tmux.start(
      `NO_COLOR=1 ${Deno.execPath()} run -A ${MAIN} mount-shell -i ${image}; echo $? > ${status}`,
    );
    await tmux.waitFor(/disk\.img:\/\$\s*$/m);
    // Tab completes a directory name with a space in it, escaped.
    await tmux.keys("cd /srv/w", "Tab");
    await tmux.waitFor(/cd \/srv\/web\\ site\/$/m);
    await tmux.keys("Enter");
    await tmux.waitFor(/disk\.img:\/srv\/web site\$\s*$/m);
    // Two candidates: a second Tab lists them.
    await tmux.keys("ls /srv/", "Tab", "Tab");
    await tmux.waitFor(/\/srv\/huge\s+\/srv\/readme\s+\/srv\/web\\ site\//);
    await tmux.keys("C-u", "cat /srv/rea", "Tab", "Enter");
    await tmux.waitFor(/^hello$/m);
    // Ctrl-C at the prompt drops the line.
    await tmux.keys("rm -r /srv", "C-c");
    await tmux.waitFor(/rm -r \/srv\^C/);
    // Ctrl-C cancels a long command (tail looks back through 8 GiB of holes), not the shell.
    await tmux.keys("tail /srv/huge", "Enter");
    await new Promise((r) => setTimeout(r, 800));
    await tmux.keys("C-c");
    await tmux.waitFor(/tail: interrupted/);
    // History: Up brings back the last line.
    await tmux.keys("pwd", "Enter");
    await tmux.waitFor(/^\/srv\/web site$/m);
    await tmux.keys("Up", "Up");
    await tmux.waitFor(/\$ tail \/srv\/huge$/m);
    await tmux.keys("C-u", "write typed.txt", "Enter", "first line", "Enter", "C-d");
    await new Promise((r) => setTimeout(r, 500));
    await tmux.keys("rm /srv/huge", "Enter", "C-d");
    for (let i = 0; i < 100; i++) {
      if (await Deno.stat(status).then(() => true, () => false)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    equal((await Deno.readTextFile(status)).trim(), "0");
    equal(await debugfs(image, 'cat "/srv/web site/typed.txt"'), "first line\n");
    ok(!(await debugfs(image, "ls /srv")).includes("huge"));
    match(await debugfs(image, "ls /srv"), /readme/);
    await checkImage(image, "ext4");
  } finally {
    await tmux.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
