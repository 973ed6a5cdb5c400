/**
 * The kernel ABI values and structures that the typed API takes and
 * returns, for users of mod.ts (they are defined in ffi/).
 *
 * @module
 */

export {
  AT,
  AT_FDCWD,
  CLOCK,
  DT,
  MNT,
  MS,
  O,
  RENAME,
  RESOLVE,
  S,
  SEEK,
  STATX,
  XATTR,
} from "../ffi/constants.ts";
export { ERRNO, errnoMessage, type ErrnoName, errnoName } from "../ffi/errno.ts";
export { SYS, type SyscallName } from "../ffi/syscalls.ts";
export type { Dirent64, Statx, Timespec, Utsname } from "../ffi/structs.ts";
