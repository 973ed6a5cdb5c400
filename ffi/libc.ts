/**
 * The few host C library functions that copying between the host and an
 * image needs and that Deno's own file API lacks: nanosecond times
 * (statx, utimensat), xattrs, mknod, lchown, holes (lseek SEEK_DATA and
 * SEEK_HOLE), and the *at calls that keep a copy inside its destination
 * directory. Deno does not expose the host fd of a Deno.FsFile, so file
 * data goes through open/pread/pwrite/close here too.
 *
 * The host is x86-64 Linux, whose open flags, AT_* flags, struct statx,
 * struct statfs and getdents64 records are those of the lkl kernel's
 * generic ABI: ffi/constants.ts and ffi/structs.ts serve both.
 *
 * Every function returns -1 and sets errno on failure, like C. The calls
 * are synchronous (on the JS thread), so errno can be read right after the
 * call, before anything else runs on the thread: see {@link errno}.
 *
 * @module
 */

/** The FFI declarations of the host libc functions used. */
export const libcSymbols = {
  /** int *__errno_location(void): the calling thread's errno. */
  __errno_location: { parameters: [], result: "pointer" },
  /** int openat(int dirfd, const char *path, int flags, mode_t mode) */
  openat: {
    parameters: [
      "i32", // int dirfd
      "buffer", // const char *path
      "i32", // int flags
      "u32", // mode_t mode
    ],
    result: "i32",
  },
  /** int close(int fd) */
  close: { parameters: ["i32"], result: "i32" },
  /** ssize_t pread64(int fd, void *buf, size_t count, off64_t offset) */
  pread64: {
    parameters: [
      "i32", // int fd
      "buffer", // void *buf (filled)
      "usize", // size_t count
      "i64", // off64_t offset
    ],
    result: "isize",
  },
  /** ssize_t pwrite64(int fd, const void *buf, size_t count, off64_t offset) */
  pwrite64: {
    parameters: [
      "i32", // int fd
      "buffer", // const void *buf
      "usize", // size_t count
      "i64", // off64_t offset
    ],
    result: "isize",
  },
  /** off64_t lseek64(int fd, off64_t offset, int whence) */
  lseek64: {
    parameters: [
      "i32", // int fd
      "i64", // off64_t offset
      "i32", // int whence (SEEK_DATA, SEEK_HOLE ...)
    ],
    result: "i64",
  },
  /** int ftruncate64(int fd, off64_t length) */
  ftruncate64: { parameters: ["i32", "i64"], result: "i32" },
  /** int posix_fadvise(int fd, off_t offset, off_t len, int advice): 0 or an errno */
  posix_fadvise: { parameters: ["i32", "i64", "i64", "i32"], result: "i32" },
  /** int sync_file_range(int fd, off64_t offset, off64_t nbytes, unsigned int flags) */
  sync_file_range: { parameters: ["i32", "i64", "i64", "u32"], result: "i32" },
  /** int fsync(int fd) */
  fsync: { parameters: ["i32"], result: "i32" },
  /** int statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *buf) */
  statx: {
    parameters: [
      "i32", // int dirfd
      "buffer", // const char *path
      "i32", // int flags (AT_*)
      "u32", // unsigned int mask (STATX_*)
      "buffer", // struct statx *buf (256 bytes, filled)
    ],
    result: "i32",
  },
  /** ssize_t getdents64(int fd, void *buf, size_t count) */
  getdents64: {
    parameters: [
      "i32", // int fd (a directory)
      "buffer", // void *buf (filled with struct linux_dirent64 records)
      "usize", // size_t count
    ],
    result: "isize",
  },
  /** int mkdirat(int dirfd, const char *path, mode_t mode) */
  mkdirat: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  /** int mknodat(int dirfd, const char *path, mode_t mode, dev_t dev) */
  mknodat: {
    parameters: [
      "i32", // int dirfd
      "buffer", // const char *path
      "u32", // mode_t mode (S_IF* | permissions)
      "u64", // dev_t dev (gnu_dev_makedev encoding)
    ],
    result: "i32",
  },
  /** int symlinkat(const char *target, int dirfd, const char *path) */
  symlinkat: { parameters: ["buffer", "i32", "buffer"], result: "i32" },
  /** ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t size) */
  readlinkat: { parameters: ["i32", "buffer", "buffer", "usize"], result: "isize" },
  /** int linkat(int olddirfd, const char *old, int newdirfd, const char *new, int flags) */
  linkat: { parameters: ["i32", "buffer", "i32", "buffer", "i32"], result: "i32" },
  /** int unlinkat(int dirfd, const char *path, int flags) */
  unlinkat: { parameters: ["i32", "buffer", "i32"], result: "i32" },
  /** int renameat2(int olddirfd, const char *old, int newdirfd, const char *new, unsigned flags) */
  renameat2: { parameters: ["i32", "buffer", "i32", "buffer", "u32"], result: "i32" },
  /** int fchmod(int fd, mode_t mode) */
  fchmod: { parameters: ["i32", "u32"], result: "i32" },
  /** int fchown(int fd, uid_t uid, gid_t gid) */
  fchown: { parameters: ["i32", "u32", "u32"], result: "i32" },
  /** int futimens(int fd, const struct timespec times[2]) */
  futimens: { parameters: ["i32", "buffer"], result: "i32" },
  /** int fchmodat(int dirfd, const char *path, mode_t mode, int flags) */
  fchmodat: { parameters: ["i32", "buffer", "u32", "i32"], result: "i32" },
  /** int fchownat(int dirfd, const char *path, uid_t uid, gid_t gid, int flags) */
  fchownat: { parameters: ["i32", "buffer", "u32", "u32", "i32"], result: "i32" },
  /** int utimensat(int dirfd, const char *path, const struct timespec times[2], int flags) */
  utimensat: {
    parameters: [
      "i32", // int dirfd
      "buffer", // const char *path (NULL: dirfd itself)
      "buffer", // const struct timespec times[2] (atime, mtime)
      "i32", // int flags (AT_SYMLINK_NOFOLLOW)
    ],
    result: "i32",
  },
  /** int fstatfs(int fd, struct statfs *buf) */
  fstatfs: { parameters: ["i32", "buffer"], result: "i32" },
  /** ssize_t lgetxattr(const char *path, const char *name, void *value, size_t size) */
  lgetxattr: { parameters: ["buffer", "buffer", "buffer", "usize"], result: "isize" },
  /** ssize_t llistxattr(const char *path, char *list, size_t size) */
  llistxattr: { parameters: ["buffer", "buffer", "usize"], result: "isize" },
  /** int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags) */
  lsetxattr: { parameters: ["buffer", "buffer", "buffer", "usize", "i32"], result: "i32" },
  /** int lremovexattr(const char *path, const char *name) */
  lremovexattr: { parameters: ["buffer", "buffer"], result: "i32" },
  /**
   * long syscall(long nr, ...): for openat2, which glibc 2.36 does not
   * wrap. Called with integer arguments only, which x86-64 passes in the
   * same registers whether or not the callee is variadic.
   */
  syscall: {
    parameters: [
      "i64", // long nr
      "i64", // a1
      "i64", // a2
      "i64", // a3
      "i64", // a4
    ],
    result: "i64",
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** The opened host libc. */
export type Libc = Deno.DynamicLibrary<typeof libcSymbols>["symbols"];

/** x86-64 system call number of openat2 (the generic table's is 437 too). */
export const HOST_SYS_OPENAT2 = 437;

let opened: Libc | undefined;
let errnoView: Deno.UnsafePointerView | undefined;

/** The host C library, opened once. */
export function libc(): Libc {
  if (opened) return opened;
  opened = Deno.dlopen("libc.so.6", libcSymbols).symbols;
  const pointer = opened.__errno_location();
  if (pointer === null) throw new Error("libc: __errno_location returned NULL");
  errnoView = new Deno.UnsafePointerView(pointer);
  return opened;
}

/**
 * errno of the JS thread: valid right after a failed synchronous call of
 * {@link libc}, before any other call (its storage is per thread, and this
 * is always the thread that calls).
 */
export function errno(): number {
  libc();
  return errnoView!.getInt32();
}
