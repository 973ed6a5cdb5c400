/**
 * examples/http_site.ts: a static site served by the library kernel's TCP
 * stack over a TAP, fetched by the host's curl, in a network namespace of
 * this test's own (deleted at the end; nothing is sent anywhere else).
 *
 * @module
 */

import { equal, match } from "node:assert/strict";
import { join } from "node:path";
import { Netns, prepareCli, REPO, requireRoot, tempDir } from "../helpers/netns.ts";

Deno.test("examples/http_site.ts serves files, index.html, 404, and nothing outside its directory", async () => {
  requireRoot();
  const example = join(REPO, "examples", "http_site.ts");
  await prepareCli();
  const cache = await new Deno.Command(Deno.execPath(), { args: ["cache", example] }).output();
  equal(cache.code, 0);
  await using dir = await tempDir();
  const site = join(dir.path, "site");
  await Deno.mkdir(join(site, "docs"), { recursive: true });
  await Deno.writeTextFile(join(site, "index.html"), "<h1>hello from lkl</h1>\n");
  await Deno.writeTextFile(join(site, "docs", "a.txt"), "a text file\n");
  await Deno.writeTextFile(join(dir.path, "secret"), "outside the site\n");

  await using ns = await Netns.create();
  await ns.addTap("tap0", { addresses: ["10.78.0.1/24"] });
  const server = ns.spawn([
    Deno.execPath(),
    "run",
    "-A",
    "--cached-only",
    example,
    "--tap",
    "tap0",
    "--addr",
    "10.78.0.2/24",
    "--count",
    "4",
    site,
  ], { timeoutMs: 60_000 });
  // The server's TCP port is in lkl's kernel, not the namespace's: poll with curl.
  const curl = (path: string, extra: string[] = []) =>
    ns.run(["curl", "-s", "-S", "--max-time", "10", ...extra, `http://10.78.0.2:8080${path}`]);
  let index = await curl("/");
  for (let i = 0; i < 50 && index.code !== 0; i++) {
    await new Promise((r) => setTimeout(r, 100));
    index = await curl("/");
  }
  equal(index.code, 0, index.stderr + server.stderrSoFar());
  equal(index.stdout, "<h1>hello from lkl</h1>\n");

  const file = await curl("/docs/a.txt", ["-i"]);
  match(file.stdout, /^HTTP\/1\.1 200 OK\r\n/);
  match(file.stdout, /Content-Type: text\/plain/);
  match(file.stdout, /a text file\n$/);

  const missing = await curl("/nope.html", ["-o", "/dev/null", "-w", "%{http_code}"]);
  equal(missing.stdout, "404");
  const escape = await curl("/../secret", [
    "--path-as-is",
    "-o",
    "/dev/null",
    "-w",
    "%{http_code}",
  ]);
  equal(escape.stdout, "404");

  const done = await server.output;
  equal(done.code, 0, done.stderr);
  match(done.stderr, /GET \/ 200/);
});
