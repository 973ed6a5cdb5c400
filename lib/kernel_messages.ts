/**
 * The kernel log lines printed while a file system was in use, and which
 * of them report damage: what `lkl fsck` collects besides the errors of
 * its own system calls.
 *
 * @module
 */

/** One kernel log line, as a check reports it. */
export interface KernelMessage {
  /** The line, without its printk timestamp. */
  text: string;
  /** Whether it reports damage or a failed read (see {@link isDamageMessage}). */
  error: boolean;
  /** Paths of the files it is about, when it names inodes the walk saw or a path. */
  paths: string[];
}

// What the drivers print at error and warning level about damage. Info
// lines ("BTRFS info ... using crc32c checksum algorithm") never match.
const DAMAGE = [
  /EXT[234]-fs error/,
  /EXT[234]-fs warning/,
  /EXT[234]-fs \([^)]*\): warning: mounting fs with errors/,
  /BTRFS (error|critical|warning)/,
  /XFS \([^)]*\): .*(corrupt|Corruption|I\/O error|verifier|failed)/i,
  /FAT-fs \([^)]*\): error/,
  /exFAT-fs \([^)]*\): error/,
  /F2FS-fs \([^)]*\): .*(error|inconsistent|corrupt|mismatch|invalid|Wrong|failed)/i,
  /SQUASHFS error/,
  /ISOFS: .*(error|corrupt|bad|unable)/i,
  /\bI\/O error\b/,
  /critical medium error|blk_update_request/,
];

/** Whether a kernel log line reports damage or a failed read. */
export function isDamageMessage(text: string): boolean {
  return DAMAGE.some((re) => re.test(text));
}

/** The printk timestamp "[    1.234567] " at the start of a line. */
const TIMESTAMP = /^\[\s*\d+\.\d+\]\s?/;

/** The lines of a slice of the kernel log, without timestamps or empty lines. */
export function logLines(log: string): string[] {
  return log.split("\n").map((l) => l.replace(TIMESTAMP, "").trimEnd()).filter((l) => l !== "");
}

/**
 * The inode numbers a line names: ext4's "inode #12", btrfs's "ino 257",
 * "inode 257" and "root 5 ino 257", xfs's "ino 0x83". Returns
 * [subvolume or null, inode] pairs.
 */
export function inodeReferences(text: string): [number | null, number][] {
  const out: [number | null, number][] = [];
  const root = text.match(/\broot (\d+)\b/);
  const subvol = root ? Number(root[1]) : null;
  for (const m of text.matchAll(/\b(?:inode #?|ino[=# ]?)(0x[0-9a-f]+|\d+)\b/gi)) {
    out.push([subvol, Number(m[1])]);
  }
  return out;
}

/** The path a btrfs scrub warning names: "... (path: dir/file)". */
export function namedPath(text: string): string | null {
  return text.match(/\(path: ([^)]*)\)/)?.[1] ?? null;
}
