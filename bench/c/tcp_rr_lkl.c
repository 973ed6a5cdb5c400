// SPDX-License-Identifier: GPL-2.0
/*
 * The TCP_RR server of bench/net.ts written in C on liblkl.so: blocking
 * system calls, no FFI, no event loop. Beside bench/programs/tcp_rr.ts's
 * lkl server it shows how much of a transaction the TypeScript side costs
 * and how much the kernel and the TAP path do.
 *
 *   tcp_rr_lkl TAP ADDR OFFLOAD PORT
 *     ADDR is an IPv4 address (a /24); OFFLOAD is 0 or 1. Prints "ready",
 *     answers each 1-byte request of one connection with 1 byte, halts.
 *
 * The numbers and structures of the generic syscall ABI used here are
 * those of the x86-64 host headers (as tests/c/net_test.c).
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "lkl.h"

#define NR_ioctl 29
#define NR_socket 198
#define NR_bind 200
#define NR_listen 201
#define NR_accept 202
#define NR_sendto 206
#define NR_recvfrom 207
#define NR_setsockopt 208

static long sys(long nr, long a1, long a2, long a3)
{
	return lkl_syscall(nr, a1, a2, a3, 0, 0, 0);
}

static long sys5(long nr, long a1, long a2, long a3, long a4, long a5)
{
	return lkl_syscall(nr, a1, a2, a3, a4, a5, 0);
}

static int fail(const char *what, long ret)
{
	fprintf(stderr, "tcp_rr_lkl: %s: %ld\n", what, ret);
	return 1;
}

/* eth0 gets addr/24 and comes up (lo is not needed). */
static int configure(const char *addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct ifreq ifr;
	long fd, ret;

	fd = sys(NR_socket, AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return fail("socket", fd);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "eth0");
	inet_pton(AF_INET, addr, &sin.sin_addr);
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	ret = sys(NR_ioctl, fd, SIOCSIFADDR, (long)&ifr);
	if (ret < 0)
		return fail("SIOCSIFADDR", ret);
	inet_pton(AF_INET, "255.255.255.0", &sin.sin_addr);
	memcpy(&ifr.ifr_netmask, &sin, sizeof(sin));
	ret = sys(NR_ioctl, fd, SIOCSIFNETMASK, (long)&ifr);
	if (ret < 0)
		return fail("SIOCSIFNETMASK", ret);
	ret = sys(NR_ioctl, fd, SIOCGIFFLAGS, (long)&ifr);
	ifr.ifr_flags |= IFF_UP;
	ret = sys(NR_ioctl, fd, SIOCSIFFLAGS, (long)&ifr);
	return ret < 0 ? fail("SIOCSIFFLAGS", ret) : 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	long listener, conn, ret;
	int one = 1, id;
	char byte;

	if (argc != 5) {
		fprintf(stderr, "usage: tcp_rr_lkl TAP ADDR OFFLOAD PORT\n");
		return 2;
	}
	if (lkl_boot("quiet", 64ULL << 20) < 0)
		return fail("boot", -1);
	id = lkl_net_add_tap(argv[1], NULL, atoi(argv[3]) ? LKL_NET_OFFLOAD : 0);
	if (id < 0)
		return fail("lkl_net_add_tap", id);
	if (configure(argv[2]))
		return 1;
	listener = sys(NR_socket, AF_INET, SOCK_STREAM, 0);
	sys5(NR_setsockopt, listener, SOL_SOCKET, SO_REUSEADDR, (long)&one, sizeof(one));
	sin.sin_port = htons(atoi(argv[4]));
	ret = sys(NR_bind, listener, (long)&sin, sizeof(sin));
	if (ret < 0)
		return fail("bind", ret);
	sys(NR_listen, listener, 4, 0);
	printf("ready\n");
	fflush(stdout);
	conn = sys(NR_accept, listener, 0, 0);
	if (conn < 0)
		return fail("accept", conn);
	sys5(NR_setsockopt, conn, IPPROTO_TCP, TCP_NODELAY, (long)&one, sizeof(one));
	while (sys5(NR_recvfrom, conn, (long)&byte, 1, 0, 0) == 1)
		sys5(NR_sendto, conn, (long)&byte, 1, 0, 0);
	lkl_halt();
	return 0;
}
