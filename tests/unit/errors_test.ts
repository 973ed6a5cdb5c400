import { equal } from "node:assert/strict";
import { thrown } from "../helpers/assert.ts";
import { check, LklError } from "../../lib/errors.ts";

Deno.test("LklError: code, errno, syscall, path and a readable message", () => {
  const e = new LklError(2, "openat", { path: "/foo" });
  equal(e.message, "openat /foo: No such file or directory (ENOENT)");
  equal(e.code, "ENOENT");
  equal(e.errno, 2);
  equal(e.syscall, "openat");
  equal(e.path, "/foo");
  equal(e.name, "LklError");
  equal(e instanceof Error, true);
});

Deno.test("LklError: negative errno, no path, custom detail", () => {
  const e = new LklError(-19, "getpid", { detail: "kernel is halted" });
  equal(e.message, "getpid: kernel is halted (ENODEV)");
  equal(e.errno, 19);
  equal(e.path, undefined);
});

Deno.test("check: passes results >= 0 through, throws LklError for -errno", () => {
  equal(check(0, "close"), 0);
  equal(check(7n, "read"), 7);
  const e = thrown(() => check(-17, "mkdirat", "/data"), LklError);
  equal(e.code, "EEXIST");
  equal(e.message, "mkdirat /data: File exists (EEXIST)");
  const b = thrown(() => check(-2n, "openat"), LklError);
  equal(b.code, "ENOENT");
});
