/**
 * NUL-terminated strings for C.
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const strict = new TextDecoder("utf-8", { fatal: true });

// File names are bytes, and not every name is UTF-8. A byte that is not
// part of valid UTF-8 travels in a string as the lone low surrogate
// U+DC80..U+DCFF (Python's "surrogateescape"), so that a name read from
// the kernel and handed back reaches it byte for byte. Printed, such a
// character shows as U+FFFD.

/** A lone low surrogate (not the second half of a pair) standing for one raw byte. */
const ESCAPED_BYTE = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/;

/** Length of the valid UTF-8 sequence at `i`, or 0 when the byte there starts none. */
function sequenceLength(b: Uint8Array, i: number): number {
  const c = b[i];
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf) =>
    i + k < b.length && b[i + k] >= lo && b[i + k] <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const ok1 = c === 0xe0 ? cont(1, 0xa0) : c === 0xed ? cont(1, 0x80, 0x9f) : cont(1);
    return ok1 && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const ok1 = c === 0xf0 ? cont(1, 0x90) : c === 0xf4 ? cont(1, 0x80, 0x8f) : cont(1);
    return ok1 && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/**
 * A file name (or link target) from the kernel as a string: UTF-8, with
 * the bytes that are not UTF-8 kept as escapes that {@link encodeName}
 * (and {@link cString}) turn back into the same bytes.
 *
 * ```ts
 * import { decodeName, encodeName } from "./cstring.ts";
 * const raw = new Uint8Array([0x63, 0x61, 0x66, 0xe9]); // "caf\xe9", Latin-1
 * encodeName(decodeName(raw)); // the same four bytes
 * ```
 */
export function decodeName(bytes: Uint8Array): string {
  try {
    return strict.decode(bytes);
  } catch {
    let out = "";
    let run = 0; // start of the current run of valid UTF-8
    let i = 0;
    while (i < bytes.length) {
      const n = sequenceLength(bytes, i);
      if (n > 0) {
        i += n;
        continue;
      }
      out += strict.decode(bytes.subarray(run, i)) + String.fromCharCode(0xdc00 + bytes[i]);
      run = ++i;
    }
    return out + strict.decode(bytes.subarray(run));
  }
}

/** The bytes of a name made by {@link decodeName} (plain UTF-8 for any other string). */
export function encodeName(text: string): Uint8Array<ArrayBuffer> {
  if (!ESCAPED_BYTE.test(text)) return encoder.encode(text);
  const parts: Uint8Array[] = [];
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const prev = i > 0 ? text.charCodeAt(i - 1) : 0;
    if (unit >= 0xdc80 && unit <= 0xdcff && !(prev >= 0xd800 && prev <= 0xdbff)) {
      parts.push(encoder.encode(text.slice(run, i)), new Uint8Array([unit - 0xdc00]));
      run = i + 1;
    }
  }
  parts.push(encoder.encode(text.slice(run)));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** `text` as bytes ({@link encodeName}) followed by one NUL. Throws when `text` holds a NUL. */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  if (text.includes("\0")) {
    throw new TypeError(`string passed to the kernel contains NUL: ${JSON.stringify(text)}`);
  }
  const bytes = encodeName(text);
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

  /** `text` as bytes ({@link encodeName}) followed by one NUL. Throws when `text` holds a NUL. */
  encode(text: string): Uint8Array<ArrayBuffer> {
    if (text.includes("\0")) {
      throw new TypeError(`string passed to the kernel contains NUL: ${JSON.stringify(text)}`);
    }
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (text.length * 3 + 1 > this.#buf.length) this.#buf = new Uint8Array(text.length * 3 + 1);
    let n: number;
    if (ESCAPED_BYTE.test(text)) {
      const bytes = encodeName(text);
      this.#buf.set(bytes);
      n = bytes.length;
    } else {
      n = encoder.encodeInto(text, this.#buf).written;
    }
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
