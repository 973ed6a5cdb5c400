/**
 * A one-line progress display on stderr for work that lasts more than a
 * moment (fsck, mount-shell's get and put): shown only on a TTY, after a
 * short delay, and always torn down by {@link StatusLine.stop}.
 *
 * @module
 */

import process from "node:process"; // cli-progress writes to a Node stream
import cliProgress from "cli-progress";

/** Values for the `{name}` fields of the format. */
export type StatusPayload = Record<string, string | number>;

/** A progress line: `format` has `{name}` fields filled from the payload of {@link update}. */
export class StatusLine {
  #bar: cliProgress.SingleBar | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #payload: StatusPayload;
  #format: string;

  /** Shows nothing unless `enabled` (callers pass "stderr is a TTY and no --verbose"). */
  constructor(enabled: boolean, format: string, initial: StatusPayload, delayMs = 500) {
    this.#format = format;
    this.#payload = initial;
    if (!enabled) return;
    this.#timer = setTimeout(() => {
      this.#bar = new cliProgress.SingleBar({
        stream: process.stderr,
        format: this.#format,
        hideCursor: true,
        clearOnComplete: true,
        fps: 10,
      });
      this.#bar.start(1, 0, this.#payload);
    }, delayMs);
  }

  /** New values, and a new format when given. */
  update(payload: StatusPayload, format?: string): void {
    this.#payload = payload;
    if (format !== undefined && format !== this.#format) {
      this.#format = format;
      // cli-progress keeps its format: restart the bar with the new one.
      if (this.#bar) {
        this.#bar.stop();
        this.#bar = new cliProgress.SingleBar({
          stream: process.stderr,
          format,
          hideCursor: true,
          clearOnComplete: true,
          fps: 10,
        });
        this.#bar.start(1, 0, payload);
      }
    }
    this.#bar?.update(0, payload);
  }

  /** Removes the line (and cancels it when it was not shown yet). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#bar?.stop();
    this.#bar = undefined;
  }
}

/** `path` cut to its last `max` characters. */
export function shortPath(path: string, max = 40): string {
  return path.length > max ? "…" + path.slice(-(max - 1)) : path;
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return (bytes / 1048576).toFixed(1);
}
