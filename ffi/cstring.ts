/**
 * NUL-terminated strings for C.
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `text` as UTF-8 bytes followed by one NUL. Throws when `text` holds a NUL. */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  if (text.includes("\0")) {
    throw new TypeError(`string passed to the kernel contains NUL: ${JSON.stringify(text)}`);
  }
  const bytes = encoder.encode(text);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** Reads the NUL-terminated string at a C pointer (null gives ""). */
export function readCString(pointer: Deno.PointerValue): string {
  return pointer === null ? "" : new Deno.UnsafePointerView(pointer).getCString();
}

/** Decodes bytes up to the first NUL (or all of them). */
export function decodeCString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return decoder.decode(end < 0 ? bytes : bytes.subarray(0, end));
}
