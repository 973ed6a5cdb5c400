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

/**
 * A reusable buffer for {@link cString}'s work, for hot paths: `encode`
 * returns a view that is valid until the next `encode` of the same
 * scratch, so it suits one synchronous call (use two scratches for a call
 * that takes two strings).
 */
export class CStringScratch {
  #buf = new Uint8Array(256);

  /** `text` as UTF-8 bytes followed by one NUL. Throws when `text` holds a NUL. */
  encode(text: string): Uint8Array<ArrayBuffer> {
    if (text.includes("\0")) {
      throw new TypeError(`string passed to the kernel contains NUL: ${JSON.stringify(text)}`);
    }
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (text.length * 3 + 1 > this.#buf.length) this.#buf = new Uint8Array(text.length * 3 + 1);
    const n = encoder.encodeInto(text, this.#buf).written;
    this.#buf[n] = 0;
    return this.#buf.subarray(0, n + 1);
  }
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
