/**
 * File names as strings: every byte sequence survives decodeName then
 * encodeName (and cString), valid UTF-8 decodes as usual, and a real
 * character outside the BMP is never taken for an escaped byte.
 */

import { deepEqual, equal } from "node:assert/strict";
import { cString, CStringScratch, decodeName, encodeName } from "../../ffi/cstring.ts";

Deno.test("decodeName/encodeName: any bytes round trip; UTF-8 decodes as UTF-8", () => {
  const cases = [
    [0x63, 0x61, 0x66, 0xe9], // Latin-1 "café"
    [0xff, 0xfe, 0x80, 0xc0, 0xaf], // never valid
    [0xed, 0xa0, 0x80], // an encoded surrogate: not valid UTF-8
    [0xe2, 0x82], // a cut sequence
    [0xf0, 0x9f, 0x98, 0x80, 0xe9], // an emoji, then a raw byte
  ];
  for (const bytes of cases) {
    const raw = new Uint8Array(bytes);
    deepEqual(encodeName(decodeName(raw)), raw, `${bytes}`);
    deepEqual(cString(decodeName(raw)), new Uint8Array([...bytes, 0]));
    deepEqual(new CStringScratch().encode(decodeName(raw)), new Uint8Array([...bytes, 0]));
  }
  for (let round = 0; round < 200; round++) {
    const raw = crypto.getRandomValues(new Uint8Array(1 + (round % 40)));
    deepEqual(encodeName(decodeName(raw)), raw);
  }
  equal(decodeName(new TextEncoder().encode("día 😀")), "día 😀");
  equal(decodeName(new Uint8Array([0x63, 0xe9])), "c\udce9");
  // U+1F480 is the pair D83D DC80: its low half is no escape.
  deepEqual(encodeName("\u{1f480}"), new TextEncoder().encode("\u{1f480}"));
});
