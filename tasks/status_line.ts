/**
 * One self-updating status line on stderr for a long build stage. On a
 * terminal it is redrawn in place (at most ten times a second); elsewhere
 * (CI logs) it prints a heartbeat line once a minute so a long quiet stage
 * does not look hung. `clear()` always removes it, so use it in `finally`.
 *
 * @module
 */

const encoder = new TextEncoder();

/** A status line; see the module doc. */
export class StatusLine {
  readonly #tty = Deno.stderr.isTerminal();
  readonly #start = performance.now();
  readonly #label: string;
  #text = "";
  #drawn = false;
  #lastDraw = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  /** Starts a status line for the stage `label`. */
  constructor(label: string) {
    this.#label = label;
    this.#timer = setInterval(
      () => this.#tty ? this.#draw() : this.#heartbeat(),
      this.#tty ? 1000 : 60_000,
    );
  }

  /** Sets the text shown after the label and the elapsed time. */
  update(text: string): void {
    this.#text = text;
    if (this.#tty && performance.now() - this.#lastDraw > 100) this.#draw();
  }

  #elapsed(): string {
    const s = Math.round((performance.now() - this.#start) / 1000);
    return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  }

  #draw(): void {
    this.#lastDraw = performance.now();
    const columns = (() => {
      try {
        return Deno.consoleSize().columns;
      } catch {
        return 80;
      }
    })();
    const line = `${this.#label} ${this.#elapsed()} ${this.#text}`.slice(0, columns - 1);
    Deno.stderr.writeSync(encoder.encode(`\r\x1b[K${line}`));
    this.#drawn = true;
  }

  #heartbeat(): void {
    console.error(`${this.#label}: still running after ${this.#elapsed()} ${this.#text}`);
  }

  /** Removes the line and stops updating it. */
  clear(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#drawn) Deno.stderr.writeSync(encoder.encode("\r\x1b[K"));
    this.#drawn = false;
  }
}
