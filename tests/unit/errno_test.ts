import { equal } from "node:assert/strict";
import { ERRNO, errnoMessage, errnoName } from "../../ffi/errno.ts";

Deno.test("errno: numbers of the generic table", () => {
  equal(ERRNO.EPERM, 1);
  equal(ERRNO.ENOENT, 2);
  equal(ERRNO.EAGAIN, 11);
  equal(ERRNO.EEXIST, 17);
  equal(ERRNO.ENODEV, 19);
  equal(ERRNO.EINVAL, 22);
  equal(ERRNO.ENOSYS, 38);
  equal(ERRNO.EALREADY, 114);
  equal(ERRNO.EHWPOISON, 133);
});

Deno.test("errno: aliases share the number of their target", () => {
  equal(ERRNO.EWOULDBLOCK, ERRNO.EAGAIN);
  equal(ERRNO.EDEADLOCK, ERRNO.EDEADLK);
  equal(errnoName(11), "EAGAIN");
});

Deno.test("errno: names and the C library's messages, sign ignored", () => {
  equal(errnoName(2), "ENOENT");
  equal(errnoName(-2), "ENOENT");
  equal(errnoMessage(2), "No such file or directory");
  equal(errnoMessage(-13), "Permission denied");
  equal(errnoMessage(9), "Bad file descriptor"); // glibc's wording, not the header's "Bad file number"
  equal(errnoMessage(95), "Operation not supported");
});

Deno.test("errno: every number from 1 to 133 has a name, except the alias gaps", () => {
  for (let n = 1; n <= 133; n++) {
    if (n === 41 || n === 58) continue; // EWOULDBLOCK and EDEADLOCK have no number of their own
    equal(errnoName(n).startsWith("E"), true, `errno ${n}`);
    equal(errnoMessage(n).startsWith("Unknown"), false, `errno ${n}`);
  }
});

Deno.test("errno: unknown numbers still give a name and a message", () => {
  equal(errnoName(999), "E999");
  equal(errnoMessage(999), "Unknown error 999");
});
