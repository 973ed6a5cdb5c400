import { deepEqual, equal, match } from "node:assert/strict";
import { findLibrary, libraryCandidates, LibraryNotFoundError } from "../../ffi/library.ts";
import { thrown } from "../helpers/assert.ts";

Deno.test("library: LKL_LIBRARY is the only candidate when set", () => {
  deepEqual(libraryCandidates("/opt/lkl/liblkl.so"), ["/opt/lkl/liblkl.so"]);
});

Deno.test("library: otherwise build/liblkl.so beside the checkout's ffi/", () => {
  const [path] = libraryCandidates("", "file:///src/lkl/ffi/library.ts");
  equal(path, "/src/lkl/build/liblkl.so");
  deepEqual(libraryCandidates("", "file:///a%20b/ffi/library.ts"), ["/a b/build/liblkl.so"]);
});

Deno.test("library: no local candidate for a remote module", () => {
  deepEqual(libraryCandidates("", "https://example.invalid/lkl/ffi/library.ts"), []);
});

Deno.test("library: the not-found error lists every path tried and how to build", () => {
  const tried = ["/nonexistent/one/liblkl.so", "/nonexistent/two/liblkl.so"];
  const e = thrown(() => findLibrary(tried), LibraryNotFoundError);
  deepEqual(e.tried, tried);
  for (const p of tried) match(e.message, new RegExp(p.replaceAll("/", "\\/")));
  match(e.message, /deno task build/);
  match(e.message, /LKL_LIBRARY/);
});

Deno.test("library: an existing file is found", () => {
  const file = Deno.makeTempFileSync({ suffix: ".so" });
  try {
    equal(findLibrary(["/nonexistent/liblkl.so", file]), file);
  } finally {
    Deno.removeSync(file);
  }
});
