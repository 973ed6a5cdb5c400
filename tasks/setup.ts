/**
 * The Debian packages that building liblkl.so and running the tests need.
 *
 * `deno task setup` checks them with dpkg-query. As root it installs the
 * missing ones with apt-get; otherwise it prints the exact `sudo apt-get
 * install` line and exits non-zero. `tasks/build.ts` runs the same check as
 * its first stage.
 *
 * @module
 */

/** Packages the kernel and shim build needs. */
export const BUILD_PACKAGES: readonly string[] = [
  "linux-source-6.12", // /usr/src/linux-source-6.12.tar.xz, the kernel we build
  "build-essential", // gcc, make, libc headers, binutils (ld, nm)
  "gcc",
  "make",
  "bc",
  "flex",
  "bison",
  "patch", // linux/patches/ onto the extracted tree
  "ccache",
  "libelf-dev",
  "libssl-dev",
  "xz-utils",
];

/** Tools the tests use to make and check disk images and to drive the network. */
export const TEST_PACKAGES: readonly string[] = [
  "e2fsprogs",
  "dosfstools",
  "mtools",
  "btrfs-progs",
  "xfsprogs",
  "exfatprogs",
  "f2fs-tools",
  "squashfs-tools",
  "xorriso",
  "fdisk", // sfdisk: MBR partition tables for the partition tests
  "gdisk", // sgdisk: GPT partition tables
  "iproute2",
  "iputils-ping",
  "socat",
  "netcat-openbsd",
  "iperf3",
  "nftables", // nft: random packet loss when the host kernel has no netem
  "radvd", // router advertisements for the SLAAC test of ping6
  "slirp4netns", // the userspace TCP/IP reference of the network benchmarks
  "ethtool", // TSO off on the veth of the native network benchmarks
  "tmux",
  "zsh", // the completion scripts of lkl completions are checked in each shell
  "fish",
];

/** Every package setup checks, build packages first. */
export const ALL_PACKAGES: readonly string[] = [...BUILD_PACKAGES, ...TEST_PACKAGES];

/** The exact command a non-root user has to run to install `packages`. */
export function installCommand(packages: readonly string[]): string {
  return `sudo apt-get install -y --no-install-recommends ${packages.join(" ")}`;
}

/**
 * The packages of `packages` that dpkg does not report as installed
 * ("ii" status), in the order given.
 */
export async function missingPackages(packages: readonly string[]): Promise<string[]> {
  const { stdout } = await new Deno.Command("dpkg-query", {
    args: ["-W", "-f=${Package} ${db:Status-Abbrev}\\n", ...packages],
    stdout: "piped",
    stderr: "null", // "no packages found matching X" for unknown names: they count as missing
  }).output();
  const installed = new Set<string>();
  for (const line of new TextDecoder().decode(stdout).split("\n")) {
    const [name, status] = line.trim().split(/\s+/);
    // Multi-arch packages print as name:arch.
    if (name && status === "ii") installed.add(name.replace(/:.*$/, ""));
  }
  return packages.filter((p) => !installed.has(p));
}

/** Raised when packages are missing and we may not install them. */
export class SetupError extends Error {
  /** The packages still missing. */
  readonly missing: readonly string[];

  constructor(message: string, missing: readonly string[]) {
    super(message);
    this.name = "SetupError";
    this.missing = missing;
  }
}

function isRoot(): boolean {
  return Deno.uid() === 0;
}

/** Runs a command with its output on stderr (stdout is for results). */
async function run(cmd: string, args: string[], env?: Record<string, string>): Promise<boolean> {
  const child = new Deno.Command(cmd, {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  await child.stdout.pipeTo(Deno.stderr.writable, { preventClose: true });
  return (await child.status).success;
}

/** True when apt knows an installation candidate for every package. */
async function aptKnows(packages: readonly string[]): Promise<boolean> {
  const { stdout } = await new Deno.Command("apt-cache", {
    args: ["policy", ...packages],
    stdout: "piped",
    stderr: "null",
  }).output();
  const text = new TextDecoder().decode(stdout);
  const candidates = [...text.matchAll(/Candidate: (\S+)/g)].map((m) => m[1]);
  return candidates.length === packages.length && candidates.every((c) => c !== "(none)");
}

/** Options of {@link ensurePackages}. */
export interface EnsureOptions {
  /** Packages to check; defaults to {@link ALL_PACKAGES}. */
  packages?: readonly string[];
  /** Where progress messages go; defaults to stderr. */
  log?: (line: string) => void;
}

/**
 * Makes sure every package is installed. As root, installs the missing ones
 * (running `apt-get update` first when apt does not know them); otherwise
 * throws a {@link SetupError} carrying the exact install command.
 *
 * Returns the packages that were installed (empty when nothing was missing).
 */
export async function ensurePackages(options: EnsureOptions = {}): Promise<string[]> {
  const packages = options.packages ?? ALL_PACKAGES;
  const log = options.log ?? ((line: string) => console.error(line));
  const missing = await missingPackages(packages);
  if (missing.length === 0) return [];

  if (!isRoot()) {
    throw new SetupError(
      `missing Debian packages: ${missing.join(" ")}\n` +
        `Install them, then run the command again:\n  ${installCommand(missing)}`,
      missing,
    );
  }

  log(`setup: installing ${missing.join(" ")}`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  if (!(await aptKnows(missing))) {
    log("setup: apt-get update");
    if (!(await run("apt-get", ["update"], env))) {
      throw new SetupError("apt-get update failed (see its output above)", missing);
    }
  }
  const args = ["install", "-y", "--no-install-recommends", ...missing];
  if (!(await run("apt-get", args, env))) {
    throw new SetupError(`apt-get ${args.join(" ")} failed (see its output above)`, missing);
  }
  const still = await missingPackages(missing);
  if (still.length > 0) {
    throw new SetupError(`still missing after apt-get install: ${still.join(" ")}`, still);
  }
  return missing;
}

if (import.meta.main) {
  const help = Deno.args.includes("--help") || Deno.args.includes("-h");
  if (help) {
    console.log(
      "Usage: deno task setup\n\n" +
        "Checks the Debian packages that the build and the tests need. As root,\n" +
        "installs the missing ones with apt-get; otherwise prints the install\n" +
        "command and exits with status 1.\n\nPackages:\n  " + ALL_PACKAGES.join(" "),
    );
    Deno.exit(0);
  }
  try {
    const installed = await ensurePackages();
    console.error(
      installed.length === 0
        ? `setup: all ${ALL_PACKAGES.length} packages are installed`
        : `setup: installed ${installed.join(" ")}`,
    );
  } catch (e) {
    if (!(e instanceof SetupError)) throw e;
    console.error(`setup: ${e.message}`);
    Deno.exit(1);
  }
}
