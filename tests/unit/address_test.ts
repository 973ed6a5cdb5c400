import { deepEqual, equal, throws } from "node:assert/strict";
import {
  AddressError,
  broadcastOf,
  formatIp,
  isLinkLocal,
  needsZone,
  networkOf,
  parseIp,
  parsePrefix,
} from "../../lib/address.ts";

Deno.test("IPv4: parse and format", () => {
  const a = parseIp("10.0.0.2");
  equal(a.family, 4);
  deepEqual([...a.bytes], [10, 0, 0, 2]);
  equal(formatIp(a.bytes), "10.0.0.2");
  equal(formatIp(parseIp("255.255.255.255").bytes), "255.255.255.255");
});

Deno.test("IPv6: parse every form, format as RFC 5952", () => {
  const cases: [string, string][] = [
    ["fd00::2", "fd00::2"],
    ["::", "::"],
    ["::1", "::1"],
    ["FD00:0:0:0:0:0:0:2", "fd00::2"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // the first of two equal runs
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // one zero group stays
    ["fe80::1:2:3:4", "fe80::1:2:3:4"],
    ["::ffff:10.0.0.1", "::ffff:10.0.0.1"],
    ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
  ];
  for (const [text, formatted] of cases) {
    const a = parseIp(text);
    equal(a.family, 6, text);
    equal(formatIp(a.bytes), formatted, text);
  }
});

Deno.test("IPv6 zones and link-local addresses", () => {
  const a = parseIp("fe80::1%eth0");
  equal(a.zone, "eth0");
  equal(isLinkLocal(a), true);
  equal(isLinkLocal(parseIp("fd00::1")), false);
  for (
    const [text, zoned] of [
      ["fe80::1", true],
      ["ff02::1", true],
      ["ff01::1", true],
      ["ff05::2", false],
      ["fd00::1", false],
      ["224.0.0.1", false],
    ] as const
  ) {
    equal(needsZone(parseIp(text)), zoned, text);
  }
  equal(isLinkLocal(parseIp("10.0.0.1")), false);
});

Deno.test("bad addresses say what is wrong", () => {
  const cases: [string, RegExp][] = [
    ["", /empty/],
    ["10.0.0", /four numbers/],
    ["10.0.0.256", /"256" is not a number from 0 to 255/],
    ["10.0.0.01", /leading zero/],
    ["fd00::zz", /"zz" is not a hex group/],
    ["fd00::1::2", /"::" may appear only once/],
    ["1:2:3:4:5:6:7", /8 groups, this has 7/],
    ["1:2:3:4:5:6:7:8:9", /8 groups, this has 9/],
    ["1:2:3:4::5:6:7:8", /too many groups/],
    ["example.com", /no name resolver/],
    ["fe80::1%", /bad zone/],
  ];
  for (const [text, reason] of cases) {
    throws(() => parseIp(text), (e: unknown) => {
      return e instanceof AddressError && e.text === text && reason.test(e.message);
    }, text);
  }
});

Deno.test("prefixes: parse, network and broadcast", () => {
  const p = parsePrefix("10.1.2.3/20");
  equal(p.prefixLength, 20);
  equal(formatIp(networkOf(p.address, 20)), "10.1.0.0");
  equal(formatIp(broadcastOf(p.address, 20)), "10.1.15.255");
  equal(parsePrefix("fd00::2").prefixLength, 128);
  equal(formatIp(networkOf(parsePrefix("fd00::2:3/64").address, 64)), "fd00::");
  throws(() => parsePrefix("10.0.0.1/33"), /from 0 to 32/);
  throws(() => parsePrefix("fd00::1/129"), /from 0 to 128/);
  throws(() => parsePrefix("fd00::zz/64"), /bad address "fd00::zz\/64": "zz" is not a hex group/);
});
