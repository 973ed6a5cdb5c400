/**
 * A 3 TiB sparse image: the kernel sees all of it, and a write near its
 * far end lands at the right offset of the file (64-bit sectors all the
 * way). Runs in a process of its own.
 */

import { deepEqual, equal } from "node:assert/strict";
import { join } from "node:path";
import { O, SYS } from "../../mod.ts";
import { cString } from "../../ffi/cstring.ts";
import { sparseFile, tempDir } from "../helpers/images.ts";
import { haltTest, sharedKernel } from "../helpers/kernel.ts";

const TiB = 2 ** 40;

Deno.test("a 3 TiB sparse image: write near the end, read it back from the host and the kernel", async () => {
  const kernel = await sharedKernel();
  const dir = await tempDir("large");
  try {
    const image = join(dir, "3TiB.img");
    const size = 3 * TiB;
    await sparseFile(image, size);
    const data = crypto.getRandomValues(new Uint8Array(65536));
    const offset = size - 1024 * 1024; // the last MiB

    {
      await using disk = await kernel.attachDisk(image);
      equal(disk.size, size);
      const fd = kernel.syscall(
        SYS.openat,
        -100,
        cString(`/dev/${disk.device}`),
        O.RDWR | O.CLOEXEC,
        0,
      );
      equal(
        await kernel.syscallAsync(SYS.pwrite64, fd, data, data.length, BigInt(offset)),
        data.length,
      );
      kernel.syscall(SYS.fsync, fd);
      kernel.syscall(SYS.close, fd);
    }

    // The host file holds the bytes at that offset.
    using file = await Deno.open(image);
    await file.seek(offset, Deno.SeekMode.Start);
    const back = new Uint8Array(data.length);
    let got = 0;
    while (got < back.length) got += (await file.read(back.subarray(got)))!;
    deepEqual(back, data);

    // And a fresh attach reads them back through the kernel.
    await using disk = await kernel.attachDisk(image, { readOnly: true });
    const fd = kernel.syscall(
      SYS.openat,
      -100,
      cString(`/dev/${disk.device}`),
      O.RDONLY | O.CLOEXEC,
      0,
    );
    const again = new Uint8Array(data.length);
    equal(
      await kernel.syscallAsync(SYS.pread64, fd, again, again.length, BigInt(offset)),
      again.length,
    );
    kernel.syscall(SYS.close, fd);
    deepEqual(again, data);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

haltTest();
