/**
 * Checks the networking constants and structure layouts of ffi/ against
 * the C compiler: a small program built with the kernel's uapi headers
 * (build/include, installed by the build) prints each value. Ignored
 * when the build output is missing (see tests/helpers/build_output.ts).
 */

import { deepEqual } from "node:assert/strict";
import * as C from "../../ffi/constants.ts";
import * as S from "../../ffi/net_structs.ts";
import { BUILD, ignoreWithout } from "../helpers/build_output.ts";
import { join } from "../helpers/path.ts";

const INCLUDE = join(BUILD, "include");

/** C name of each constant of a group: prefix + key, or a function. */
const GROUPS: [Record<string, number>, (key: string) => string][] = [
  [C.AF, (k) => `AF_${k}`],
  [C.SOCK, (k) => `SOCK_${k}`],
  [C.IPPROTO, (k) => `IPPROTO_${k}`],
  [C.SOL, (k) => `SOL_${k}`],
  [C.SO, (k) => k === "TIMESTAMPNS" ? "SO_TIMESTAMPNS_OLD" : `SO_${k}`],
  [C.TCP, (k) => `TCP_${k}`],
  [C.IP, (k) => `IP_${k}`],
  [C.IPV6, (k) => `IPV6_${k}`],
  [C.MSG, (k) => `MSG_${k}`],
  [C.SHUT, (k) => `SHUT_${k}`],
  [C.EPOLL, (k) => k.includes("_") || k === "CLOEXEC" ? `EPOLL_${k}` : `EPOLL${k}`],
  [C.EFD, (k) => `EFD_${k}`],
  [C.SIOC, (k) => `SIOC${k}`],
  [C.IFF, (k) => `IFF_${k}`],
  [C.NETLINK, (k) => `NETLINK_${k}`],
  [C.NLMSG, (k) => `NLMSG_${k}`],
  [C.NLM_F, (k) => `NLM_F_${k}`],
  [C.NLMSGERR_ATTR, (k) => `NLMSGERR_ATTR_${k}`],
  [C.RTM, (k) => `RTM_${k}`],
  [C.IFLA, (k) => `IFLA_${k}`],
  [C.IFA, (k) => `IFA_${k}`],
  [C.IFA_F, (k) => `IFA_F_${k}`],
  [C.RTA, (k) => `RTA_${k}`],
  [C.RT_SCOPE, (k) => `RT_SCOPE_${k}`],
  [C.RT_TABLE, (k) => `RT_TABLE_${k}`],
  [C.RTPROT, (k) => `RTPROT_${k}`],
  [C.RTN, (k) => `RTN_${k}`],
];

/** ICMP types have other C names. */
const ICMP_NAMES: Record<keyof typeof C.ICMP, string> = {
  ECHO_REPLY: "ICMP_ECHOREPLY",
  ECHO: "ICMP_ECHO",
  V6_ECHO_REQUEST: "ICMPV6_ECHO_REQUEST",
  V6_ECHO_REPLY: "ICMPV6_ECHO_REPLY",
};

const LAYOUT: [string, number][] = [
  ["sizeof(struct sockaddr_in)", S.SOCKADDR_IN_SIZE],
  ["sizeof(struct sockaddr_in6)", S.SOCKADDR_IN6_SIZE],
  ["offsetof(struct sockaddr_in6, sin6_addr)", 8],
  ["offsetof(struct sockaddr_in6, sin6_scope_id)", 24],
  ["sizeof(struct sockaddr_nl)", S.SOCKADDR_NL_SIZE],
  ["sizeof(struct sockaddr_storage)", S.SOCKADDR_STORAGE_SIZE],
  ["sizeof(struct ifreq)", S.IFREQ_SIZE],
  ["IFNAMSIZ", S.IFNAMSIZ],
  ["offsetof(struct ifreq, ifr_mtu)", S.IFREQ_UNION],
  ["offsetof(struct ifreq, ifr_hwaddr)", S.IFREQ_UNION],
  ["sizeof(struct epoll_event)", S.EPOLL_EVENT_SIZE],
  ["sizeof(struct msghdr)", S.MSGHDR_SIZE],
  ["offsetof(struct msghdr, msg_iov)", 16],
  ["offsetof(struct msghdr, msg_control)", 32],
  ["offsetof(struct msghdr, msg_controllen)", 40],
  ["offsetof(struct msghdr, msg_flags)", 48],
  ["sizeof(struct iovec)", S.IOVEC_SIZE],
  ["sizeof(struct cmsghdr)", S.CMSGHDR_SIZE],
  ["sizeof(struct nlmsghdr)", S.NLMSGHDR_SIZE],
  ["sizeof(struct ifinfomsg)", S.IFINFOMSG_SIZE],
  ["sizeof(struct ifaddrmsg)", S.IFADDRMSG_SIZE],
  ["sizeof(struct rtmsg)", S.RTMSG_SIZE],
  ["sizeof(struct rtattr)", S.RTATTR_SIZE],
  ["sizeof(struct icmphdr)", S.ICMP_HEADER_SIZE],
];

function expected(): Map<string, number> {
  const out = new Map<string, number>();
  for (const [group, name] of GROUPS) {
    for (const [key, value] of Object.entries(group)) out.set(name(key), value);
  }
  for (const [key, name] of Object.entries(ICMP_NAMES)) {
    out.set(name, C.ICMP[key as keyof typeof C.ICMP]);
  }
  for (const [expr, value] of LAYOUT) out.set(expr, value);
  return out;
}

function program(names: string[]): string {
  return [
    "#include <stddef.h>",
    "#include <stdio.h>",
    "#include <sys/socket.h>", // AF_*, SOCK_*, MSG_*, msghdr: not in the uapi headers
    "#include <sys/uio.h>",
    "#include <linux/in.h>",
    "#include <linux/in6.h>",
    "#include <linux/if.h>",
    "#include <linux/netlink.h>",
    "#include <linux/rtnetlink.h>",
    "#include <linux/if_addr.h>",
    "#include <linux/if_link.h>",
    "#include <linux/eventpoll.h>",
    "#include <linux/eventfd.h>",
    "#include <linux/sockios.h>",
    "#include <linux/icmp.h>",
    "#include <linux/icmpv6.h>",
    "#include <linux/tcp.h>",
    "#include <asm/socket.h>",
    // Not in the uapi headers: include/linux/socket.h defines them so.
    "#ifndef SOL_NETLINK",
    "#define SOL_NETLINK 270",
    "#endif",
    "#define SOL_IP IPPROTO_IP",
    "#define SOL_TCP IPPROTO_TCP",
    "#define SOL_IPV6 IPPROTO_IPV6",
    "int main(void) {",
    ...names.map((n) => `  printf("%s=%ld\\n", ${JSON.stringify(n)}, (long)(${n}));`),
    "  return 0;",
    "}",
  ].join("\n");
}

Deno.test({
  name: "network constants and structure layouts match the kernel headers",
  ignore: ignoreWithout(INCLUDE),
  async fn() {
    const want = expected();
    const dir = await Deno.makeTempDir({ prefix: "lkl-net-abi-" });
    try {
      const source = join(dir, "abi.c");
      await Deno.writeTextFile(source, program([...want.keys()]));
      const exe = join(dir, "abi");
      const cc = await new Deno.Command("gcc", {
        args: ["-I", INCLUDE, source, "-o", exe],
        stderr: "piped",
      }).output();
      if (!cc.success) throw new Error(`gcc failed:\n${new TextDecoder().decode(cc.stderr)}`);
      const run = await new Deno.Command(exe, { stdout: "piped" }).output();
      const got = new Map(
        new TextDecoder().decode(run.stdout).trim().split("\n").map((line) => {
          const i = line.lastIndexOf("=");
          return [line.slice(0, i), Number(line.slice(i + 1))] as const;
        }),
      );
      deepEqual(Object.fromEntries(want), Object.fromEntries(got));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
