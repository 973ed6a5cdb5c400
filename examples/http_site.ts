/**
 * Serves a small static web site from a host directory with the library
 * kernel's own TCP/IP stack, over a TAP interface: the host kernel only
 * moves Ethernet frames, lkl does IP, TCP and the listening socket.
 *
 *   deno run -A examples/http_site.ts --tap tap0 --addr 10.0.0.2/24 [--port 8080] DIR
 *
 * HTTP/1.1 GET and HEAD, one request per connection, index.html for
 * directories, 404 for anything missing, and nothing outside DIR (the path
 * is resolved by a host FileTree, which cannot leave its root). Stops on
 * Ctrl-C or after --count requests.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { FileTree, Kernel, type TcpConn } from "../mod.ts";

const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  css: "text/css",
  js: "text/javascript",
  json: "application/json",
  txt: "text/plain; charset=utf-8",
  png: "image/png",
  jpg: "image/jpeg",
  svg: "image/svg+xml",
};

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    tap: { type: "string" },
    addr: { type: "string" },
    port: { type: "string", default: "8080" },
    count: { type: "string" },
  },
});
if (!values.tap || !values.addr || positionals.length !== 1) {
  console.error("usage: http_site.ts --tap IF --addr ADDR/PREFIX [--port N] [--count N] DIR");
  Deno.exit(2);
}
const site = FileTree.host(positionals[0]);
const encoder = new TextEncoder();

/** The request line and headers, up to the blank line (small requests only). */
async function readHead(conn: TcpConn): Promise<string | null> {
  const buf = new Uint8Array(8192);
  let head = "";
  while (!head.includes("\r\n\r\n")) {
    const n = await conn.read(buf);
    if (n === null || head.length > 64 * 1024) return null;
    head += new TextDecoder().decode(buf.subarray(0, n));
  }
  return head;
}

async function respond(
  conn: TcpConn,
  status: string,
  type: string,
  body: Uint8Array,
  head: boolean,
) {
  await conn.writeAll(encoder.encode(
    `HTTP/1.1 ${status}\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\n` +
      "Connection: close\r\nServer: lkl\r\n\r\n",
  ));
  if (!head) await conn.writeAll(body);
}

async function serve(conn: TcpConn): Promise<string> {
  const head = await readHead(conn);
  const [method, target] = head?.split("\r\n")[0].split(" ") ?? [];
  if (method !== "GET" && method !== "HEAD") {
    await respond(
      conn,
      "405 Method Not Allowed",
      TYPES.txt,
      encoder.encode("GET or HEAD\n"),
      false,
    );
    return `${method} 405`;
  }
  let path = decodeURIComponent(target.split("?")[0]);
  try {
    if ((await site.stat(path)).isDirectory) path = `${path}/index.html`;
    const body = await site.readFile(path);
    const type = TYPES[path.split(".").pop()!] ?? "application/octet-stream";
    await respond(conn, "200 OK", type, body, method === "HEAD");
    return `${method} ${target} 200`;
  } catch {
    await respond(conn, "404 Not Found", TYPES.txt, encoder.encode("not found\n"), false);
    return `${method} ${target} 404`;
  }
}

await using kernel = await Kernel.boot();
const iface = await kernel.addTap(values.tap);
await iface.up();
await iface.addAddress(values.addr);
using listener = kernel.listen({ port: Number(values.port) });
console.error(`serving ${positionals[0]} on http://${values.addr.split("/")[0]}:${values.port}/`);

const limit = values.count === undefined ? Infinity : Number(values.count);
Deno.addSignalListener("SIGINT", () => listener.close());
let served = 0;
try {
  for await (const conn of listener) {
    try {
      console.error(await serve(conn));
    } finally {
      conn.close();
    }
    if (++served >= limit) break;
  }
} catch (e) {
  // Closed by Ctrl-C: stop quietly.
  if (!(e instanceof Error && /closed|cancel|abort/i.test(e.message))) throw e;
}
