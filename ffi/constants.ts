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

// ---------------------------------------------------------------------------
// Networking. AF_*, SOCK_*, SOL_* and MSG_* come from the kernel's
// include/linux/socket.h and include/linux/net.h (not uapi, same values
// as glibc's); the rest from the uapi headers named beside each group.
// ---------------------------------------------------------------------------

/** Address families (include/linux/socket.h). */
export const AF = { UNSPEC: 0, UNIX: 1, INET: 2, INET6: 10, NETLINK: 16, PACKET: 17 } as const;

/** Socket types and socket()/accept4() flags (include/linux/net.h). */
export const SOCK = {
  STREAM: 1,
  DGRAM: 2,
  RAW: 3,
  NONBLOCK: 0o4000, // O_NONBLOCK
  CLOEXEC: 0o2000000, // O_CLOEXEC
} as const;

/** IP protocol numbers (include/uapi/linux/in.h, in6.h). */
export const IPPROTO = { IP: 0, ICMP: 1, TCP: 6, UDP: 17, IPV6: 41, ICMPV6: 58 } as const;

/** setsockopt() levels (include/linux/socket.h). */
export const SOL = { SOCKET: 1, IP: 0, TCP: 6, IPV6: 41, NETLINK: 270 } as const;

/** SOL_SOCKET options (include/uapi/asm-generic/socket.h; the 64-bit time variants). */
export const SO = {
  REUSEADDR: 2,
  ERROR: 4,
  BROADCAST: 6,
  SNDBUF: 7,
  RCVBUF: 8,
  KEEPALIVE: 9,
  REUSEPORT: 15,
  TIMESTAMPNS: 35, // SO_TIMESTAMPNS_OLD: struct timespec with 64-bit fields
} as const;

/** SOL_TCP options (include/uapi/linux/tcp.h). */
export const TCP = { NODELAY: 1, KEEPIDLE: 4, KEEPINTVL: 5, KEEPCNT: 6 } as const;

/** SOL_IP options (include/uapi/linux/in.h). */
export const IP = { TTL: 2, RECVERR: 11, RECVTTL: 12 } as const;

/** SOL_IPV6 options (include/uapi/linux/in6.h). */
export const IPV6 = {
  UNICAST_HOPS: 16,
  RECVERR: 25,
  V6ONLY: 26,
  RECVHOPLIMIT: 51,
  HOPLIMIT: 52,
} as const;

/** send/recv flags (include/linux/socket.h). */
export const MSG = {
  PEEK: 0x2,
  CTRUNC: 0x8,
  TRUNC: 0x20,
  DONTWAIT: 0x40,
  WAITALL: 0x100,
  ERRQUEUE: 0x2000,
  NOSIGNAL: 0x4000,
} as const;

/** shutdown() directions (include/linux/net.h). */
export const SHUT = { RD: 0, WR: 1, RDWR: 2 } as const;

/** epoll_ctl() operations and event bits (include/uapi/linux/eventpoll.h). */
export const EPOLL = {
  CTL_ADD: 1,
  CTL_DEL: 2,
  CTL_MOD: 3,
  IN: 0x1,
  PRI: 0x2,
  OUT: 0x4,
  ERR: 0x8,
  HUP: 0x10,
  RDHUP: 0x2000,
  ONESHOT: 1 << 30,
  CLOEXEC: 0o2000000,
} as const;

/** eventfd2() flags (include/uapi/linux/eventfd.h: O_NONBLOCK, O_CLOEXEC). */
export const EFD = { NONBLOCK: 0o4000, CLOEXEC: 0o2000000 } as const;

/** Interface ioctls (include/uapi/linux/sockios.h). */
export const SIOC = {
  GIFNAME: 0x8910,
  GIFFLAGS: 0x8913,
  SIFFLAGS: 0x8914,
  GIFMTU: 0x8921,
  SIFMTU: 0x8922,
  GIFHWADDR: 0x8927,
  GIFINDEX: 0x8933,
} as const;

/** Interface flags (include/uapi/linux/if.h). */
export const IFF = {
  UP: 0x1,
  BROADCAST: 0x2,
  LOOPBACK: 0x8,
  RUNNING: 0x40,
  MULTICAST: 0x1000,
  LOWER_UP: 0x10000,
} as const;

/** Netlink protocols and socket options (include/uapi/linux/netlink.h). */
export const NETLINK = { ROUTE: 0, EXT_ACK: 11, GET_STRICT_CHK: 12 } as const;

/** Netlink message types and flags (include/uapi/linux/netlink.h). */
export const NLMSG = { NOOP: 1, ERROR: 2, DONE: 3 } as const;

/** nlmsghdr flags (include/uapi/linux/netlink.h). */
export const NLM_F = {
  REQUEST: 0x1,
  MULTI: 0x2,
  ACK: 0x4,
  DUMP: 0x300,
  REPLACE: 0x100,
  EXCL: 0x200,
  CREATE: 0x400,
  CAPPED: 0x100, // in an ack: the request was not echoed
  ACK_TLVS: 0x200, // in an ack: extended-ack attributes follow
} as const;

/** Extended ack attributes (include/uapi/linux/netlink.h). */
export const NLMSGERR_ATTR = { MSG: 1, OFFS: 2 } as const;

/** rtnetlink message types (include/uapi/linux/rtnetlink.h). */
export const RTM = {
  NEWLINK: 16,
  DELLINK: 17,
  GETLINK: 18,
  SETLINK: 19,
  NEWADDR: 20,
  DELADDR: 21,
  GETADDR: 22,
  NEWROUTE: 24,
  DELROUTE: 25,
  GETROUTE: 26,
} as const;

/** Link attributes (include/uapi/linux/if_link.h). */
export const IFLA = { ADDRESS: 1, IFNAME: 3, MTU: 4, OPERSTATE: 16 } as const;

/** Address attributes (include/uapi/linux/if_addr.h). */
export const IFA = {
  ADDRESS: 1,
  LOCAL: 2,
  LABEL: 3,
  BROADCAST: 4,
  CACHEINFO: 6,
  FLAGS: 8,
} as const;

/** Address flags (include/uapi/linux/if_addr.h). */
export const IFA_F = {
  SECONDARY: 0x01,
  NODAD: 0x02,
  OPTIMISTIC: 0x04,
  DADFAILED: 0x08,
  DEPRECATED: 0x20,
  TENTATIVE: 0x40,
  PERMANENT: 0x80,
  NOPREFIXROUTE: 0x200,
} as const;

/** Route attributes (include/uapi/linux/rtnetlink.h). */
export const RTA = {
  DST: 1,
  SRC: 2,
  OIF: 4,
  GATEWAY: 5,
  PRIORITY: 6,
  PREFSRC: 7,
  TABLE: 15,
} as const;

/** Route and address scopes (include/uapi/linux/rtnetlink.h). */
export const RT_SCOPE = { UNIVERSE: 0, SITE: 200, LINK: 253, HOST: 254, NOWHERE: 255 } as const;

/** Routing tables (include/uapi/linux/rtnetlink.h). */
export const RT_TABLE = { MAIN: 254 } as const;

/** Who added a route (include/uapi/linux/rtnetlink.h). */
export const RTPROT = { KERNEL: 2, BOOT: 3, STATIC: 4, RA: 9 } as const;

/** Route types (include/uapi/linux/rtnetlink.h). */
export const RTN = { UNICAST: 1, LOCAL: 2 } as const;

/** ICMP and ICMPv6 echo types (include/uapi/linux/icmp.h, icmpv6.h). */
export const ICMP = { ECHO_REPLY: 0, ECHO: 8, V6_ECHO_REQUEST: 128, V6_ECHO_REPLY: 129 } as const;

/** Where an error of the error queue comes from (include/uapi/linux/errqueue.h). */
export const SO_EE_ORIGIN = { LOCAL: 1, ICMP: 2, ICMP6: 3 } as const;
