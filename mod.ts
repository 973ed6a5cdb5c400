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
export { check, LklError, type LklErrorOptions } from "./lib/errors.ts";
export * from "./lib/abi.ts";
