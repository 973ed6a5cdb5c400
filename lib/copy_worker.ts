/**
 * The Worker that reads the source of a copy (see lib/copy_stream.ts): it
 * makes the source system's calls on a thread of its own, through its own
 * handle of libc or of liblkl.so (every thread of the process shares the
 * one kernel and its fd table), and writes the records into the shared
 * ring. It takes one request, walks, says so, and ends.
 *
 * @module
 */

import { openLibrary } from "../ffi/library.ts";
import { Ring, walkBlocking, type WalkOptions, type WalkStart } from "./copy_stream.ts";
import { hostSystem } from "./host.ts";
import { lklSystem } from "./system.ts";

/** What the copying thread asks. */
export interface WalkRequest {
  /** The ring: control words and data. */
  buffer: SharedArrayBuffer;
  /** The source system. */
  system: "lkl" | "host";
  /** Where to start. */
  start: WalkStart;
  /** What to send. */
  options: WalkOptions;
}

/** What the worker answers: "ready" once loaded, then "done" after the walk. */
export type WalkReply = { ready: true } | { done: true; error?: string };

// The worker global scope (this file only runs as a Worker).
const scope = self as unknown as {
  onmessage: ((e: MessageEvent<WalkRequest>) => void) | null;
  postMessage(message: WalkReply): void;
  close(): void;
};

scope.onmessage = (e) => {
  const request = e.data;
  let error: string | undefined;
  try {
    const sys = request.system === "lkl" ? lklSystem(openLibrary().symbols) : hostSystem();
    walkBlocking(new Ring(request.buffer), sys, request.start, request.options);
  } catch (e) {
    error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  }
  scope.postMessage(error === undefined ? { done: true } : { done: true, error });
  scope.close();
};

scope.postMessage({ ready: true });
