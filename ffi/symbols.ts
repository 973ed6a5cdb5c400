/**
 * The symbol table of liblkl.so: every function of linux/host/lkl.h, with
 * the C prototype beside each parameter. The `*_async` entries are the
 * same C functions declared `nonblocking`: Deno runs them on a thread of
 * its blocking pool and returns a Promise, so the event loop stays alive
 * while the kernel works or a system call waits.
 *
 * tests/unit/symbols_test.ts checks this table against what the library
 * really exports, both ways.
 *
 * @module
 */

const SYSCALL_PARAMETERS = [
  "i64", // int64_t nr
  "i64", // int64_t a1
  "i64", // int64_t a2
  "i64", // int64_t a3
  "i64", // int64_t a4
  "i64", // int64_t a5
  "i64", // int64_t a6
] as const;

/** The FFI declarations of liblkl.so, for `Deno.dlopen`. */
export const symbols = {
  /** const char *lkl_version(void): static "0.1.0 Linux 6.12.117". */
  lkl_version: {
    parameters: [],
    result: "pointer", // const char *
  },
  /** int lkl_boot(const char *cmdline, uint64_t mem_bytes) */
  lkl_boot: {
    parameters: [
      "buffer", // const char *cmdline (NUL-terminated, or NULL)
      "u64", // uint64_t mem_bytes (0: 64 MiB)
    ],
    result: "i32",
  },
  /** lkl_boot on a pool thread. */
  lkl_boot_async: {
    name: "lkl_boot",
    parameters: [
      "buffer", // const char *cmdline
      "u64", // uint64_t mem_bytes
    ],
    result: "i32",
    nonblocking: true,
  },
  /** int lkl_halt(void) */
  lkl_halt: {
    parameters: [],
    result: "i32",
  },
  /** lkl_halt on a pool thread. */
  lkl_halt_async: {
    name: "lkl_halt",
    parameters: [],
    result: "i32",
    nonblocking: true,
  },
  /** int lkl_state(void): one of LKL_STATE_*. */
  lkl_state: {
    parameters: [],
    result: "i32",
  },
  /** int64_t lkl_syscall(int64_t nr, int64_t a1, ..., int64_t a6) */
  lkl_syscall: {
    parameters: SYSCALL_PARAMETERS,
    result: "i64",
  },
  /** lkl_syscall on a pool thread: for calls that may block. */
  lkl_syscall_async: {
    name: "lkl_syscall",
    parameters: SYSCALL_PARAMETERS,
    result: "i64",
    nonblocking: true,
  },
  // The same function with some arguments declared "buffer": Deno passes
  // a typed array's address itself, with no pointer object or bigint to
  // make. For the file calls of hot loops (lib/system.ts); a buffer
  // argument may also be null.
  /** lkl_syscall, a2 a buffer: openat, pread64, pwrite64, getdents64, mkdirat, fchownat... */
  lkl_syscall_b2: {
    name: "lkl_syscall",
    parameters: ["i64", "i64", "buffer", "i64", "i64", "i64", "i64"],
    result: "i64",
  },
  /** lkl_syscall, a2 and a3 buffers: openat2, readlinkat, utimensat. */
  lkl_syscall_b2b3: {
    name: "lkl_syscall",
    parameters: ["i64", "i64", "buffer", "buffer", "i64", "i64", "i64"],
    result: "i64",
  },
  /** lkl_syscall, a2 and a4 buffers: linkat, renameat2. */
  lkl_syscall_b2b4: {
    name: "lkl_syscall",
    parameters: ["i64", "i64", "buffer", "i64", "buffer", "i64", "i64"],
    result: "i64",
  },
  /** lkl_syscall, a2 and a5 buffers: statx. */
  lkl_syscall_b2b5: {
    name: "lkl_syscall",
    parameters: ["i64", "i64", "buffer", "i64", "i64", "buffer", "i64"],
    result: "i64",
  },
  /** lkl_syscall, a1 and a3 buffers: symlinkat. */
  lkl_syscall_b1b3: {
    name: "lkl_syscall",
    parameters: ["i64", "buffer", "i64", "buffer", "i64", "i64", "i64"],
    result: "i64",
  },
  /** int lkl_disk_add(const char *path, uint32_t flags): device id >= 1 */
  lkl_disk_add: {
    parameters: [
      "buffer", // const char *path (NUL-terminated image file or block device)
      "u32", // uint32_t flags (LKL_DISK_READ_ONLY)
    ],
    result: "i32",
  },
  /** lkl_disk_add on a pool thread: it returns once the kernel has probed the disk. */
  lkl_disk_add_async: {
    name: "lkl_disk_add",
    parameters: [
      "buffer", // const char *path
      "u32", // uint32_t flags
    ],
    result: "i32",
    nonblocking: true,
  },
  /** int lkl_disk_remove(int id) */
  lkl_disk_remove: {
    parameters: [
      "i32", // int id
    ],
    result: "i32",
  },
  /** lkl_disk_remove on a pool thread. */
  lkl_disk_remove_async: {
    name: "lkl_disk_remove",
    parameters: [
      "i32", // int id
    ],
    result: "i32",
    nonblocking: true,
  },
  /** int lkl_net_add_tap(const char *ifname, const uint8_t *mac, uint32_t flags): device id >= 1 */
  lkl_net_add_tap: {
    parameters: [
      "buffer", // const char *ifname (NUL-terminated TAP name)
      "buffer", // const uint8_t *mac (6 bytes, read during the call only), or NULL
      "u32", // uint32_t flags (LKL_NET_OFFLOAD)
    ],
    result: "i32",
  },
  /** lkl_net_add_tap on a pool thread: it returns once the kernel has probed the device. */
  lkl_net_add_tap_async: {
    name: "lkl_net_add_tap",
    parameters: [
      "buffer", // const char *ifname
      "buffer", // const uint8_t *mac
      "u32", // uint32_t flags
    ],
    result: "i32",
    nonblocking: true,
  },
  /** int lkl_net_remove(int id) */
  lkl_net_remove: {
    parameters: [
      "i32", // int id
    ],
    result: "i32",
  },
  /** lkl_net_remove on a pool thread. */
  lkl_net_remove_async: {
    name: "lkl_net_remove",
    parameters: [
      "i32", // int id
    ],
    result: "i32",
    nonblocking: true,
  },
  /** int64_t lkl_log_read(char *buf, uint64_t len, uint64_t *pos) */
  lkl_log_read: {
    parameters: [
      "buffer", // char *buf (caller-owned, filled)
      "u64", // uint64_t len
      "buffer", // uint64_t *pos (in: first byte wanted; out: past the last byte copied)
    ],
    result: "i64",
  },
  /** int lkl_log_echo(int fd) */
  lkl_log_echo: {
    parameters: [
      "i32", // int fd (-1 stops echoing)
    ],
    result: "i32",
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** The opened library's functions. */
export type LklSymbols = Deno.DynamicLibrary<typeof symbols>["symbols"];

/** The kernel states of lkl_state() (LKL_STATE_* in lkl.h). */
export const LKL_STATE = { OFF: 0, BOOTING: 1, RUNNING: 2, HALTED: 3 } as const;

/** lkl_disk_add() flag: open the image read-only (LKL_DISK_READ_ONLY). */
export const LKL_DISK_READ_ONLY = 1 as const;

/** lkl_net_add_tap() flag: virtio-net header with offloads (LKL_NET_OFFLOAD). */
export const LKL_NET_OFFLOAD = 1 as const;

/** Exit status of a process whose library kernel panicked (LKL_EXIT_PANIC). */
export const LKL_EXIT_PANIC = 70 as const;
