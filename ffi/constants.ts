/**
 * Constants of the kernel's user ABI that the binding needs, written by
 * hand from the Linux 6.12 uapi headers named beside each group. The lkl
 * arch uses the generic (asm-generic) variants. For open() flags these are
 * the values of x86-64 too, but not of arm64, whose O_DIRECTORY,
 * O_NOFOLLOW, O_DIRECT and O_LARGEFILE differ.
 *
 * @module
 */

/** dirfd meaning "the current directory" (include/uapi/linux/fcntl.h). */
export const AT_FDCWD: -100 = -100;

/** *at() flags (include/uapi/linux/fcntl.h). */
export const AT = {
  SYMLINK_NOFOLLOW: 0x100,
  REMOVEDIR: 0x200,
  EACCESS: 0x200,
  SYMLINK_FOLLOW: 0x400,
  NO_AUTOMOUNT: 0x800,
  EMPTY_PATH: 0x1000,
  STATX_SYNC_AS_STAT: 0x0000,
  STATX_FORCE_SYNC: 0x2000,
  STATX_DONT_SYNC: 0x4000,
  RECURSIVE: 0x8000,
} as const;

/** open() flags (include/uapi/asm-generic/fcntl.h). */
export const O = {
  ACCMODE: 0o3,
  RDONLY: 0o0,
  WRONLY: 0o1,
  RDWR: 0o2,
  CREAT: 0o100,
  EXCL: 0o200,
  NOCTTY: 0o400,
  TRUNC: 0o1000,
  APPEND: 0o2000,
  NONBLOCK: 0o4000,
  DSYNC: 0o10000,
  DIRECT: 0o40000,
  LARGEFILE: 0o100000,
  DIRECTORY: 0o200000,
  NOFOLLOW: 0o400000,
  NOATIME: 0o1000000,
  CLOEXEC: 0o2000000,
  SYNC: 0o4000000 | 0o10000, // __O_SYNC | O_DSYNC
  PATH: 0o10000000,
  TMPFILE: 0o20000000 | 0o200000, // __O_TMPFILE | O_DIRECTORY
} as const;

/** lseek() whence (include/uapi/linux/fs.h). */
export const SEEK = { SET: 0, CUR: 1, END: 2, DATA: 3, HOLE: 4 } as const;

/** renameat2() flags (include/uapi/linux/fs.h). */
export const RENAME = { NOREPLACE: 1, EXCHANGE: 2, WHITEOUT: 4 } as const;

/** File type and mode bits (include/uapi/linux/stat.h). */
export const S = {
  IFMT: 0o170000,
  IFSOCK: 0o140000,
  IFLNK: 0o120000,
  IFREG: 0o100000,
  IFBLK: 0o060000,
  IFDIR: 0o040000,
  IFCHR: 0o020000,
  IFIFO: 0o010000,
  ISUID: 0o4000,
  ISGID: 0o2000,
  ISVTX: 0o1000,
  IRWXU: 0o700,
  IRUSR: 0o400,
  IWUSR: 0o200,
  IXUSR: 0o100,
  IRWXG: 0o070,
  IRGRP: 0o040,
  IWGRP: 0o020,
  IXGRP: 0o010,
  IRWXO: 0o007,
  IROTH: 0o004,
  IWOTH: 0o002,
  IXOTH: 0o001,
} as const;

/** statx() request and result mask bits (include/uapi/linux/stat.h). */
export const STATX = {
  TYPE: 0x1,
  MODE: 0x2,
  NLINK: 0x4,
  UID: 0x8,
  GID: 0x10,
  ATIME: 0x20,
  MTIME: 0x40,
  CTIME: 0x80,
  INO: 0x100,
  SIZE: 0x200,
  BLOCKS: 0x400,
  BASIC_STATS: 0x7ff,
  BTIME: 0x800,
  MNT_ID: 0x1000,
  DIOALIGN: 0x2000,
  MNT_ID_UNIQUE: 0x4000,
  SUBVOL: 0x8000,
  WRITE_ATOMIC: 0x10000,
} as const;

/** statx() stx_attributes bits (include/uapi/linux/stat.h). */
export const STATX_ATTR = {
  COMPRESSED: 0x4,
  IMMUTABLE: 0x10,
  APPEND: 0x20,
  NODUMP: 0x40,
  ENCRYPTED: 0x800,
  AUTOMOUNT: 0x1000,
  MOUNT_ROOT: 0x2000,
  VERITY: 0x100000,
  DAX: 0x200000,
  WRITE_ATOMIC: 0x400000,
} as const;

/** Clock ids (include/uapi/linux/time.h). */
export const CLOCK = {
  REALTIME: 0,
  MONOTONIC: 1,
  PROCESS_CPUTIME_ID: 2,
  THREAD_CPUTIME_ID: 3,
  MONOTONIC_RAW: 4,
  REALTIME_COARSE: 5,
  MONOTONIC_COARSE: 6,
  BOOTTIME: 7,
  REALTIME_ALARM: 8,
  BOOTTIME_ALARM: 9,
  TAI: 11,
} as const;

/** mount() flags (include/uapi/linux/mount.h). */
export const MS = {
  RDONLY: 1,
  NOSUID: 2,
  NODEV: 4,
  NOEXEC: 8,
  SYNCHRONOUS: 16,
  REMOUNT: 32,
  MANDLOCK: 64,
  DIRSYNC: 128,
  NOSYMFOLLOW: 256,
  NOATIME: 1024,
  NODIRATIME: 2048,
  BIND: 4096,
  MOVE: 8192,
  REC: 16384,
  SILENT: 32768,
  POSIXACL: 1 << 16,
  UNBINDABLE: 1 << 17,
  PRIVATE: 1 << 18,
  SLAVE: 1 << 19,
  SHARED: 1 << 20,
  RELATIME: 1 << 21,
  STRICTATIME: 1 << 24,
  LAZYTIME: 1 << 25,
} as const;

/** umount2() flags (include/linux/fs.h). */
export const MNT = { FORCE: 1, DETACH: 2, EXPIRE: 4, UMOUNT_NOFOLLOW: 8 } as const;

/** linux_dirent64 d_type values (include/linux/fs_types.h). */
export const DT = {
  UNKNOWN: 0,
  FIFO: 1,
  CHR: 2,
  DIR: 4,
  BLK: 6,
  REG: 8,
  LNK: 10,
  SOCK: 12,
  WHT: 14,
} as const;

/** openat2() struct open_how resolve flags (include/uapi/linux/openat2.h). */
export const RESOLVE = {
  NO_XDEV: 0x01,
  NO_MAGICLINKS: 0x02,
  NO_SYMLINKS: 0x04,
  BENEATH: 0x08,
  IN_ROOT: 0x10,
  CACHED: 0x20,
} as const;

/** setxattr() flags (include/uapi/linux/xattr.h). */
export const XATTR = { CREATE: 1, REPLACE: 2 } as const;
