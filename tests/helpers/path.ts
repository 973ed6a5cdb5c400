/**
 * Path helpers for tests (node:path plus file URL conversion).
 *
 * @module
 */

import { fileURLToPath } from "node:url";

export { basename, dirname, join, relative } from "node:path";

/** The file system path of a file: URL. */
export function fromFileUrl(url: string | URL): string {
  return fileURLToPath(url);
}
