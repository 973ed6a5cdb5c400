/**
 * Puts an SSH public key into `/home/USER/.ssh/authorized_keys` of an ext4
 * image, with the owner and modes sshd insists on (0700 for .ssh, 0600 for
 * the file), without root, loop devices or a VM: the kernel's own ext4
 * driver, inside this process.
 *
 *   deno run -A examples/authorized_keys.ts IMAGE KEY.pub [--user NAME] [--uid N] [--gid N] [--partition N]
 *
 * A key already in the file is not added twice. Run with a path to a
 * checkout's mod.ts, or import "lkl" from where you installed it.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { Kernel } from "../mod.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    user: { type: "string", default: "user" },
    uid: { type: "string", default: "1000" },
    gid: { type: "string", default: "1000" },
    partition: { type: "string" },
  },
});
if (positionals.length !== 2) {
  console.error("usage: authorized_keys.ts IMAGE KEY.pub [--user NAME] [--uid N] [--gid N]");
  Deno.exit(2);
}
const [image, keyFile] = positionals;
const uid = Number(values.uid);
const gid = Number(values.gid);
const key = (await Deno.readTextFile(keyFile)).trim();
if (!/^(ssh|ecdsa|sk)-\S+ \S+/.test(key)) {
  console.error(`${keyFile}: not an SSH public key`);
  Deno.exit(1);
}

await using kernel = await Kernel.boot();
await using disk = await kernel.attachDisk(image);
await using mount = await disk.mount({
  partition: values.partition === undefined ? undefined : Number(values.partition),
});

const home = `home/${values.user}`;
const ssh = `${home}/.ssh`;
const file = `${ssh}/authorized_keys`;

await mount.mkdir(home, { recursive: true, mode: 0o755 });
await mount.mkdir(ssh, { recursive: true, mode: 0o700 });
const existing = await mount.readTextFile(file).catch((e) => {
  if (e?.code === "ENOENT") return "";
  throw e;
});
if (existing.split("\n").includes(key)) {
  console.error(`${file}: the key is there already`);
} else {
  const text = existing === "" || existing.endsWith("\n") ? existing : existing + "\n";
  await mount.writeTextFile(file, `${text}${key}\n`, { mode: 0o600 });
  console.error(`${file}: key added`);
}
// Whatever existed before: sshd refuses keys that others can write.
await mount.chown(home, uid, gid);
await mount.chown(ssh, uid, gid);
await mount.chmod(ssh, 0o700);
await mount.chown(file, uid, gid);
await mount.chmod(file, 0o600);
