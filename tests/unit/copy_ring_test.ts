/**
 * The record ring of lib/copy_stream.ts: records of every size go through
 * in order, wrapping at the end of the ring, and the producer is told to
 * wait when the consumer has not freed enough.
 */

import { deepEqual, equal } from "node:assert/strict";
import { align8, REC, Ring } from "../../lib/copy_stream.ts";

Deno.test("copy ring: records come out in order, across the end of the ring", () => {
  const ring = Ring.create(4096, false);
  const sent: number[] = [];
  const got: number[] = [];
  let seed = 7;
  const size = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 1500 + 8;
  for (let i = 0; i < 2000;) {
    // Produce until full, then consume about half.
    for (;;) {
      const n = align8(size() + 8);
      const at = ring.reserve(n);
      if (at < 0) break;
      equal(at % 8, 0);
      ring.view.setUint32(at, REC.DATA, true);
      ring.view.setUint32(at + 4, n, true);
      ring.view.setUint32(at + 8, i, true);
      ring.bytes.fill(i & 0xff, at + 12, at + n);
      ring.commit(n);
      sent.push(i++);
    }
    for (let k = 0; k < 3; k++) {
      const at = ring.next();
      if (at < 0) break;
      const n = ring.view.getUint32(at + 4, true);
      const i = ring.view.getUint32(at + 8, true);
      for (let b = at + 12; b < at + n; b++) equal(ring.bytes[b], i & 0xff);
      got.push(i);
      ring.release(n);
    }
  }
  for (let at = ring.next(); at >= 0; at = ring.next()) {
    got.push(ring.view.getUint32(at + 8, true));
    ring.release(ring.view.getUint32(at + 4, true));
  }
  deepEqual(got, sent);
});

Deno.test("copy ring: a full ring refuses a record until room is freed", () => {
  const ring = Ring.create(1024, false);
  equal(ring.reserve(512), 0);
  ring.view.setUint32(0, REC.DATA, true);
  ring.view.setUint32(4, 512, true);
  ring.commit(512);
  equal(ring.reserve(512), 512);
  ring.view.setUint32(512, REC.DATA, true);
  ring.view.setUint32(516, 512, true);
  ring.commit(512);
  equal(ring.reserve(8), -1);
  equal(ring.next(), 0);
  ring.release(512);
  // 512 bytes free, at the start: the end of the ring is taken.
  equal(ring.reserve(8), 0);
});
