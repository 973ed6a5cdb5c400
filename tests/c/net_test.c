// SPDX-License-Identifier: GPL-2.0
/*
 * Attaches host TAP interfaces to liblkl.so from C and talks through them
 * with the kernel's own TCP/IP stack: ICMP echo to the host, and a bulk
 * TCP stream each way. Driven by net_test.sh, which makes the TAPs in a
 * network namespace of its own and runs the host side of every exchange.
 *
 *   net_test run TAP OFFLOAD DIR [TAP2]
 *     lkl is 10.99.0.2/24 on TAP (the host 10.99.0.1, MTU 1500), and
 *     10.99.1.2/24 on TAP2 (the host 10.99.1.1, MTU 9000). OFFLOAD is 0
 *     or 1 (LKL_NET_OFFLOAD).
 *     Pings the host, sends DIR/data to the host's port 5001, then
 *     listens on port 5002 (creating DIR/listening) and stores what
 *     arrives in DIR/tolkl; finally creates DIR/ready and keeps the
 *     interfaces up until DIR/done appears, for the host to ping.
 *   net_test attach TAP
 *     Prints "attach <result of lkl_net_add_tap>" and halts.
 *
 * The numbers and structures of the generic syscall ABI used here are
 * those of the x86-64 host headers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "lkl.h"

/* Numbers of the kernel's generic table (scripts/syscall.tbl). */
#define NR_ioctl 29
#define NR_mkdirat 34
#define NR_mount 40
#define NR_openat 56
#define NR_close 57
#define NR_getdents64 61
#define NR_read 63
#define NR_write 64
#define NR_ppoll 73
#define NR_socket 198
#define NR_bind 200
#define NR_listen 201
#define NR_accept 202
#define NR_connect 203
#define NR_sendto 206
#define NR_recvfrom 207
#define NR_setsockopt 208
#define NR_shutdown 210

#define AT_FDCWD_ -100
#define O_WRONLY_ 01
#define O_RDONLY_ 0
#define O_DIRECTORY_ 0200000

#define HOST_PORT 5001
#define LKL_PORT 5002
#define CHUNK (256 << 10)
#define IO_TIMEOUT_S 20

static long sys(long nr, long a1, long a2, long a3, long a4, long a5,
		long a6)
{
	return lkl_syscall(nr, a1, a2, a3, a4, a5, a6);
}

static void check(int ok, const char *what, long ret)
{
	printf("%s %s (%ld)\n", ok ? "ok  " : "FAIL", what, ret);
	fflush(stdout);
	if (!ok)
		exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The only entry not starting with "." in directory path, or "". */
static void only_entry(const char *path, const char *prefix, char *name,
		       size_t size)
{
	char buf[4096];
	long fd, n, off;

	name[0] = 0;
	fd = sys(NR_openat, AT_FDCWD_, (long)path, O_RDONLY_ | O_DIRECTORY_,
		 0, 0, 0);
	if (fd < 0)
		return;
	n = sys(NR_getdents64, fd, (long)buf, sizeof(buf), 0, 0, 0);
	sys(NR_close, fd, 0, 0, 0, 0, 0);
	for (off = 0; off < n;) {
		unsigned short reclen = *(unsigned short *)(buf + off + 16);
		const char *entry = buf + off + 19;

		if (entry[0] != '.' && !strncmp(entry, prefix, strlen(prefix)))
			snprintf(name, size, "%s", entry);
		off += reclen;
	}
}

/* The kernel's interface for network device id, from sysfs. */
static void iface_name(int id, char *name, size_t size)
{
	char path[256], virtio[64];

	snprintf(path, sizeof(path), "/sys/devices/platform/virtio-mmio.%d",
		 id);
	only_entry(path, "virtio", virtio, sizeof(virtio));
	check(virtio[0] != 0, path, 0);
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%s/net",
		 virtio);
	only_entry(path, "", name, size);
	check(name[0] != 0, path, 0);
}

static void write_proc(const char *path, const char *value)
{
	long fd, ret;

	fd = sys(NR_openat, AT_FDCWD_, (long)path, O_WRONLY_, 0, 0, 0);
	check(fd >= 0, path, fd);
	ret = sys(NR_write, fd, (long)value, strlen(value), 0, 0, 0);
	check(ret == (long)strlen(value), value, ret);
	sys(NR_close, fd, 0, 0, 0, 0, 0);
}

static void mount_fs(const char *type, const char *dir)
{
	long ret;

	sys(NR_mkdirat, AT_FDCWD_, (long)dir, 0755, 0, 0, 0);
	ret = sys(NR_mount, (long)type, (long)dir, (long)type, 0, 0, 0);
	check(ret == 0, dir, ret);
}

static struct sockaddr_in inet_addr_port(const char *addr, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port) };

	inet_pton(AF_INET, addr, &sin.sin_addr);
	return sin;
}

/* Sets IFF_UP on iface (lo gets 127.0.0.1 by itself). */
static void link_up(long fd, const char *iface)
{
	struct ifreq ifr;
	char what[128];
	long ret;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", iface);
	ret = sys(NR_ioctl, fd, SIOCGIFFLAGS, (long)&ifr, 0, 0, 0);
	check(ret == 0, "SIOCGIFFLAGS", ret);
	ifr.ifr_flags |= IFF_UP;
	ret = sys(NR_ioctl, fd, SIOCSIFFLAGS, (long)&ifr, 0, 0, 0);
	snprintf(what, sizeof(what), "%s up", iface);
	check(ret == 0, what, ret);
}

/*
 * Checks iface's MAC (mac, or a random 02:xx:... one when NULL) and MTU,
 * gives it addr/24 and brings it up, with lo.
 */
static void iface_up(const char *iface, const char *addr,
		     const uint8_t *mac, int mtu)
{
	struct sockaddr_in sin = inet_addr_port(addr, 0);
	struct ifreq ifr;
	const uint8_t *hw = (uint8_t *)ifr.ifr_hwaddr.sa_data;
	char what[128];
	long fd, ret;

	fd = sys(NR_socket, AF_INET, SOCK_DGRAM, 0, 0, 0, 0);
	check(fd >= 0, "socket for interface ioctls", fd);

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", iface);
	ret = sys(NR_ioctl, fd, SIOCGIFHWADDR, (long)&ifr, 0, 0, 0);
	check(ret == 0, "SIOCGIFHWADDR", ret);
	snprintf(what, sizeof(what), "%s has MAC %02x:%02x:%02x:%02x:%02x:%02x",
		 iface, hw[0], hw[1], hw[2], hw[3], hw[4], hw[5]);
	check(mac ? !memcmp(hw, mac, 6)
		  : hw[0] == 0x02 && memcmp(hw + 1, "\0\0\0\0", 5),
	      what, 0);

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", iface);
	ret = sys(NR_ioctl, fd, SIOCGIFMTU, (long)&ifr, 0, 0, 0);
	snprintf(what, sizeof(what), "%s has the TAP's MTU %d", iface, mtu);
	check(ret == 0 && ifr.ifr_mtu == mtu, what, ifr.ifr_mtu);

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", iface);
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	ret = sys(NR_ioctl, fd, SIOCSIFADDR, (long)&ifr, 0, 0, 0);
	snprintf(what, sizeof(what), "%s address %s", iface, addr);
	check(ret == 0, what, ret);
	sin = inet_addr_port("255.255.255.0", 0);
	memcpy(&ifr.ifr_netmask, &sin, sizeof(sin));
	ret = sys(NR_ioctl, fd, SIOCSIFNETMASK, (long)&ifr, 0, 0, 0);
	check(ret == 0, "netmask /24", ret);

	link_up(fd, "lo");
	link_up(fd, iface);
	sys(NR_close, fd, 0, 0, 0, 0, 0);
}

static void set_timeouts(long fd)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };

	sys(NR_setsockopt, fd, SOL_SOCKET, SO_RCVTIMEO, (long)&tv, sizeof(tv),
	    0);
	sys(NR_setsockopt, fd, SOL_SOCKET, SO_SNDTIMEO, (long)&tv, sizeof(tv),
	    0);
}

/*
 * count ICMP echoes with size bytes of payload to host, through a ping
 * socket; all must come back.
 */
#define PING_MAX 9000
static void ping(const char *host, int count, int size)
{
	struct sockaddr_in to = inet_addr_port(host, 0);
	struct timeval tv = { .tv_sec = 2 };
	static unsigned char pkt[PING_MAX], reply[PING_MAX];
	struct icmphdr *icmp = (struct icmphdr *)pkt;
	struct icmphdr *r = (struct icmphdr *)reply;
	long len = sizeof(*icmp) + size, fd, ret;
	double rtt_sum = 0, rtt_max = 0;
	char what[128];
	int seq;

	fd = sys(NR_socket, AF_INET, SOCK_DGRAM, IPPROTO_ICMP, 0, 0, 0);
	check(fd >= 0, "ICMP ping socket", fd);
	sys(NR_setsockopt, fd, SOL_SOCKET, SO_RCVTIMEO, (long)&tv, sizeof(tv),
	    0);
	for (seq = 1; seq <= count; seq++) {
		double start, rtt;

		memset(pkt, 0, sizeof(*icmp));
		icmp->type = ICMP_ECHO;
		icmp->un.echo.sequence = htons(seq);
		memset(pkt + sizeof(*icmp), 'a' + seq, size);
		start = now();
		ret = sys(NR_sendto, fd, (long)pkt, len, 0, (long)&to,
			  sizeof(to));
		check(ret == len, "send echo request", ret);
		/* Skip stray replies; bounded by the receive timeout. */
		do {
			ret = sys(NR_recvfrom, fd, (long)reply, sizeof(reply),
				  0, 0, 0);
		} while (ret >= (long)sizeof(*r) &&
			 ntohs(r->un.echo.sequence) != seq);
		rtt = (now() - start) * 1e3;
		snprintf(what, sizeof(what), "echo reply from %s, %d bytes, "
			 "seq %d (%.3f ms)", host, size, seq, rtt);
		check(ret == len && r->type == ICMP_ECHOREPLY &&
		      !memcmp(reply + sizeof(*r), pkt + sizeof(*icmp), size),
		      what, ret);
		rtt_sum += rtt;
		if (rtt > rtt_max)
			rtt_max = rtt;
	}
	printf("ping %s: %d/%d, rtt avg %.3f ms, max %.3f ms\n", host, count,
	       count, rtt_sum / count, rtt_max);
	sys(NR_close, fd, 0, 0, 0, 0, 0);
}

static void report_rate(const char *what, unsigned long long bytes,
			double secs)
{
	printf("%s: %llu bytes in %.3f s = %.1f MiB/s (%.0f Mbit/s)\n", what,
	       bytes, secs, bytes / secs / (1 << 20), bytes * 8 / secs / 1e6);
	fflush(stdout);
}

/* Sends the host file path to host:port, and waits for the peer's close. */
static void send_file(const char *path, const char *host, int port)
{
	struct sockaddr_in to = inet_addr_port(host, port);
	static char buf[CHUNK];
	unsigned long long total = 0;
	double start;
	long fd, ret = -1;
	int file, tries;

	file = open(path, O_RDONLY);
	check(file >= 0, path, file);
	fd = sys(NR_socket, AF_INET, SOCK_STREAM, 0, 0, 0, 0);
	check(fd >= 0, "TCP socket", fd);
	set_timeouts(fd);
	/* The host's listener is started first; allow it some time. */
	for (tries = 0; tries < 50; tries++) {
		ret = sys(NR_connect, fd, (long)&to, sizeof(to), 0, 0, 0);
		if (ret != -ECONNREFUSED)
			break;
		usleep(100000);
	}
	check(ret == 0, "connect to the host", ret);
	start = now();
	for (;;) {
		ssize_t n = read(file, buf, sizeof(buf)), off = 0;

		if (n < 0)
			check(0, "read the data file", n);
		if (n == 0)
			break;
		while (off < n) {
			ret = sys(NR_sendto, fd, (long)buf + off, n - off, 0,
				  0, 0);
			if (ret <= 0)
				check(0, "send", ret);
			off += ret;
		}
		total += n;
	}
	ret = sys(NR_shutdown, fd, SHUT_WR, 0, 0, 0, 0);
	check(ret == 0, "shutdown(SHUT_WR)", ret);
	/* The host closes once it has everything. */
	ret = sys(NR_recvfrom, fd, (long)buf, sizeof(buf), 0, 0, 0);
	check(ret == 0, "the host closes after the data", ret);
	report_rate("lkl -> host", total, now() - start);
	sys(NR_close, fd, 0, 0, 0, 0, 0);
	close(file);
}

/* Reads /sys/class/net/iface/statistics/stat. */
static long long iface_stat(const char *iface, const char *stat)
{
	char path[256], buf[32];
	long fd, n;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/%s",
		 iface, stat);
	fd = sys(NR_openat, AT_FDCWD_, (long)path, O_RDONLY_, 0, 0, 0);
	if (fd < 0)
		check(0, path, fd);
	n = sys(NR_read, fd, (long)buf, sizeof(buf) - 1, 0, 0, 0);
	sys(NR_close, fd, 0, 0, 0, 0, 0);
	if (n <= 0)
		check(0, path, n);
	buf[n] = 0;
	return atoll(buf);
}

/* The interface's counters; errors fail the test. */
static void iface_stats(const char *iface)
{
	long long rx_errors = iface_stat(iface, "rx_errors");
	long long tx_errors = iface_stat(iface, "tx_errors");
	char what[256];

	snprintf(what, sizeof(what), "%s: rx %lld packets, %lld dropped, "
		 "%lld errors; tx %lld packets, %lld dropped, %lld errors",
		 iface, iface_stat(iface, "rx_packets"),
		 iface_stat(iface, "rx_dropped"), rx_errors,
		 iface_stat(iface, "tx_packets"),
		 iface_stat(iface, "tx_dropped"), tx_errors);
	check(rx_errors == 0 && tx_errors == 0, what, 0);
}

static void touch(const char *dir, const char *name)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	check(fd >= 0, path, fd);
	close(fd);
}

/* Accepts one connection on port and stores the stream in path. */
static void receive_file(const char *dir, const char *path, int port)
{
	struct sockaddr_in sin = inet_addr_port("0.0.0.0", port);
	struct pollfd pfd;
	struct timespec ts = { .tv_sec = IO_TIMEOUT_S };
	static char buf[CHUNK];
	unsigned long long total = 0;
	double start;
	long lfd, fd, ret;
	int one = 1, file;

	lfd = sys(NR_socket, AF_INET, SOCK_STREAM, 0, 0, 0, 0);
	check(lfd >= 0, "TCP listening socket", lfd);
	sys(NR_setsockopt, lfd, SOL_SOCKET, SO_REUSEADDR, (long)&one,
	    sizeof(one), 0);
	ret = sys(NR_bind, lfd, (long)&sin, sizeof(sin), 0, 0, 0);
	check(ret == 0, "bind", ret);
	ret = sys(NR_listen, lfd, 4, 0, 0, 0, 0);
	check(ret == 0, "listen", ret);
	touch(dir, "listening");
	pfd.fd = lfd;
	pfd.events = POLLIN;
	ret = sys(NR_ppoll, (long)&pfd, 1, (long)&ts, 0, 0, 0);
	check(ret == 1, "a connection from the host", ret);
	fd = sys(NR_accept, lfd, 0, 0, 0, 0, 0);
	check(fd >= 0, "accept", fd);
	set_timeouts(fd);
	file = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	check(file >= 0, path, file);
	start = now();
	for (;;) {
		ret = sys(NR_recvfrom, fd, (long)buf, sizeof(buf), 0, 0, 0);
		if (ret < 0)
			check(0, "receive", ret);
		if (ret == 0)
			break;
		if (write(file, buf, ret) != ret)
			check(0, "write the received data", ret);
		total += ret;
	}
	report_rate("host -> lkl", total, now() - start);
	close(file);
	sys(NR_close, fd, 0, 0, 0, 0, 0);
	sys(NR_close, lfd, 0, 0, 0, 0, 0);
}

/* Waits (at most 60 s) for dir/name to appear. */
static void wait_for(const char *dir, const char *name)
{
	char path[4096];
	int i;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (i = 0; i < 1200 && access(path, F_OK); i++)
		usleep(50000);
	check(!access(path, F_OK), path, 0);
}

static int attach_only(const char *tap)
{
	int ret;

	check(lkl_boot("loglevel=4", 64ULL << 20) == 0, "boot", 0);
	ret = lkl_net_add_tap(tap, NULL, 0);
	printf("attach %d\n", ret);
	check(lkl_halt() == 0, "halt", 0);
	return 0;
}

int main(int argc, char **argv)
{
	static const uint8_t mac[6] = { 0x02, 0x00, 0x00, 0x99, 0x00, 0x02 };
	static const uint8_t multicast[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
	const char *tap, *dir, *tap2;
	char iface[IFNAMSIZ], iface2[IFNAMSIZ], path[4096];
	int offload, id, id2 = 0, ret;

	if (getenv("LKL_ECHO"))
		lkl_log_echo(2);
	if (argc == 3 && !strcmp(argv[1], "attach"))
		return attach_only(argv[2]);
	if (argc < 5 || argc > 6 || strcmp(argv[1], "run")) {
		fprintf(stderr, "usage: net_test run TAP OFFLOAD DIR [TAP2]\n"
				"       net_test attach TAP\n");
		return 2;
	}
	tap = argv[2];
	offload = atoi(argv[3]) ? LKL_NET_OFFLOAD : 0;
	dir = argv[4];
	tap2 = argc == 6 ? argv[5] : NULL;

	check(lkl_net_add_tap(tap, NULL, 0) == -ENODEV,
	      "attaching before boot is -ENODEV", 0);
	check(lkl_boot("loglevel=4", 64ULL << 20) == 0, "boot", 0);
	check(lkl_net_add_tap("", NULL, 0) == -EINVAL,
	      "an empty name is -EINVAL", 0);
	check(lkl_net_add_tap("a-name-far-too-long-for-linux", NULL, 0) ==
	      -EINVAL, "a name too long is -EINVAL", 0);
	check(lkl_net_add_tap(tap, NULL, 2) == -EINVAL,
	      "unknown flags are -EINVAL", 0);
	check(lkl_net_add_tap(tap, multicast, 0) == -EINVAL,
	      "a multicast MAC is -EINVAL", 0);
	ret = lkl_net_add_tap("lo", NULL, 0);
	check(ret == -EINVAL, "lo (not a TAP) is -EINVAL", ret);
	check(lkl_net_remove(99) == -ENOENT, "removing an unknown id is "
	      "-ENOENT", 0);

	id = lkl_net_add_tap(tap, offload ? mac : NULL, offload);
	check(id > 0, offload ? "attach with offloads" : "attach", id);
	ret = lkl_net_add_tap(tap, NULL, offload);
	check(ret == -EBUSY, "attaching it twice is -EBUSY", ret);
	if (tap2) {
		id2 = lkl_net_add_tap(tap2, NULL, offload);
		check(id2 > 0 && id2 != id, "attach a second TAP", id2);
	}

	mount_fs("sysfs", "/sys");
	mount_fs("proc", "/proc");
	write_proc("/proc/sys/net/ipv4/ping_group_range", "0 2147483647");
	iface_name(id, iface, sizeof(iface));
	printf("interface %s\n", iface);

	iface_up(iface, "10.99.0.2", offload ? mac : NULL, 1500);
	ping("10.99.0.1", 5, 56);
	ping("10.99.0.1", 2, 1472);
	if (tap2) {
		/* Jumbo frames: the host made this TAP's MTU 9000. */
		iface_name(id2, iface2, sizeof(iface2));
		iface_up(iface2, "10.99.1.2", NULL, 9000);
		ping("10.99.1.1", 3, 8972);
	}

	snprintf(path, sizeof(path), "%s/data", dir);
	send_file(path, "10.99.0.1", HOST_PORT);
	snprintf(path, sizeof(path), "%s/tolkl", dir);
	receive_file(dir, path, LKL_PORT);

	touch(dir, "ready");
	wait_for(dir, "done");

	iface_stats(iface);
	if (tap2)
		iface_stats(iface2);
	ret = lkl_net_remove(id);
	check(ret == 0, "detach", ret);
	/* The second one, if any, is released by halt. */
	check(lkl_halt() == 0, "halt", 0);
	printf("PASS\n");
	return 0;
}
