/**
 * lkl: the Linux 6.12 kernel as a library, driven from TypeScript.
 *
 * ```ts
 * import { Kernel } from "./mod.ts";
 * await using kernel = await Kernel.boot({ memoryMiB: 64 });
 * console.log(kernel.uname().release);
 * ```
 *
 * @module
 */

export { type BootOptions, Kernel, type SyscallArg } from "./lib/kernel.ts";
export { Fs, type StatxOptions } from "./lib/fs.ts";
export {
  type AttachOptions,
  Disk,
  DiskError,
  type DiskProblem,
  type Partition,
} from "./lib/disk.ts";
export { Mount, type MountOptions } from "./lib/mount.ts";
export {
  type FileTime,
  FileTree,
  type FsStats,
  type MkdirOptions,
  type OpenOptions,
  type RemoveOptions,
  type WriteFileOptions,
} from "./lib/tree.ts";
export { type DataRange, FileHandle } from "./lib/file.ts";
export { Directory, type DirEntry } from "./lib/directory.ts";
export { type FileInfo } from "./lib/file_info.ts";
export {
  detectFsType,
  FS_TYPES,
  type FsProbe,
  type FsType,
  type RecordedError,
  type RecordedErrors,
} from "./lib/fstype.ts";
export {
  type CopyEnd,
  type CopyFailure,
  type CopyOptions,
  type CopyProgress,
  type CopyStats,
  copyTree,
  prepareCopyWorker,
} from "./lib/copy.ts";
export { type CPath, type System } from "./lib/system.ts";
export {
  checkClean,
  checkImage,
  checkMount,
  type CheckOptions,
  type CheckProblem,
  type CheckProgress,
  type CheckReport,
  type MountCheck,
} from "./lib/check.ts";
export { scrubBtrfs, type ScrubOptions, type ScrubResult } from "./lib/scrub.ts";
export { type KernelMessage } from "./lib/kernel_messages.ts";
export {
  Network,
  parseMac,
  type Route,
  TapError,
  type TapOptions,
  type TapProblem,
} from "./lib/net.ts";
export {
  type AddAddressOptions,
  type AddressFilter,
  Interface,
  type InterfaceAddress,
  type InterfaceStatistics,
} from "./lib/interface.ts";
export { type ConnectOptions, type ListenOptions, TcpConn, TcpListener } from "./lib/tcp.ts";
export { DatagramConn, type DatagramOptions, type DatagramTarget } from "./lib/udp.ts";
export { type EchoError, type EchoReply, PingSocket, type PingSocketOptions } from "./lib/ping.ts";
export { type NetAddr } from "./lib/socket.ts";
export {
  AddressError,
  formatIp,
  type IpAddress,
  type IpFamily,
  type IpPrefix,
  isLinkLocal,
  needsZone,
  parseIp,
  parsePrefix,
} from "./lib/address.ts";
export { check, LklError, type LklErrorOptions } from "./lib/errors.ts";
export * from "./lib/abi.ts";
