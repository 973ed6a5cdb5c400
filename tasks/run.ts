/**
 * Runs a build command quietly: its output (stdout and stderr together)
 * goes to a log file and a ring of the last lines, and is echoed only with
 * `verbose`. On failure the caller prints the tail.
 *
 * @module
 */

/** Options of {@link runLogged}. */
export interface RunOptions {
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
  /** Echo every output line to stderr as it comes. */
  verbose?: boolean;
  /** Append the whole output to this file. */
  logFile?: string;
  /** How many final lines to keep (default 60). */
  tailLines?: number;
  /** Called with every output line (for progress displays). */
  onLine?: (line: string) => void;
}

/** The outcome of {@link runLogged}. */
export interface RunResult {
  success: boolean;
  code: number;
  /** The last lines of output. */
  tail: string[];
}

async function pump(
  stream: ReadableStream<Uint8Array>,
  each: (line: string) => void,
): Promise<void> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const parts = (rest + chunk).split("\n");
    rest = parts.pop() ?? "";
    for (const line of parts) each(line);
  }
  if (rest !== "") each(rest);
}

/** Runs `cmd args` and collects its output as described in the module doc. */
export async function runLogged(
  cmd: string,
  args: string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const keep = options.tailLines ?? 60;
  const tail: string[] = [];
  const log = options.logFile
    ? await Deno.open(options.logFile, { create: true, append: true })
    : undefined;
  const encoder = new TextEncoder();
  const each = (line: string) => {
    tail.push(line);
    if (tail.length > keep) tail.shift();
    log?.writeSync(encoder.encode(line + "\n"));
    if (options.verbose) console.error(line);
    options.onLine?.(line);
  };
  try {
    log?.writeSync(encoder.encode(`$ ${cmd} ${args.join(" ")}\n`));
    const child = new Deno.Command(cmd, {
      args,
      cwd: options.cwd,
      env: options.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    await Promise.all([pump(child.stdout, each), pump(child.stderr, each)]);
    const status = await child.status;
    return { success: status.success, code: status.code, tail };
  } finally {
    log?.close();
  }
}

/** Runs a command and returns its stdout; throws with stderr on failure. */
export async function capture(cmd: string, args: string[]): Promise<string> {
  const { success, stdout, stderr } = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(stderr).trim()}`);
  }
  return new TextDecoder().decode(stdout);
}
