// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net on a host TAP interface.
 *
 * Frames the kernel sends (TX, queue 1) are written to the TAP in the
 * kernel thread that kicks the queue; the TAP is non-blocking, so a full
 * TAP leaves them on the queue until it can take more. Frames from the TAP
 * (RX, queue 0) are read by one poll thread per device, which waits for
 * the TAP and for wakeups on an eventfd: a kick when the kernel adds
 * receive buffers after running out of them, a write that hit a full TAP,
 * and removal.
 *
 * With offloads the TAP carries a virtio_net_hdr_v1 in front of every
 * frame (IFF_VNET_HDR), which both sides pass through untouched: checksum
 * offload and TSO in both directions, and 64 KiB receive packets spread
 * over several mergeable receive buffers. Without offloads the TAP carries
 * plain frames: the header is dropped on TX and a blank one made up on RX.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "lkl.h"
#include "host_int.h"
#include "virtio.h"

/* Features (virtio 1.2, 5.1.3). */
#define VIRTIO_NET_F_CSUM		0
#define VIRTIO_NET_F_GUEST_CSUM		1
#define VIRTIO_NET_F_MTU		3
#define VIRTIO_NET_F_MAC		5
#define VIRTIO_NET_F_GUEST_TSO4		7
#define VIRTIO_NET_F_GUEST_TSO6		8
#define VIRTIO_NET_F_GUEST_ECN		9
#define VIRTIO_NET_F_HOST_TSO4		11
#define VIRTIO_NET_F_HOST_TSO6		12
#define VIRTIO_NET_F_HOST_ECN		13
#define VIRTIO_NET_F_MRG_RXBUF		15
#define VIRTIO_NET_F_STATUS		16

#define VIRTIO_NET_S_LINK_UP		1

#define RX_QUEUE		0
#define TX_QUEUE		1
#define QUEUE_SIZE		256

/* The largest frame a TAP hands over: a 64 KiB GSO packet (with VLAN tag). */
#define RX_FRAME_MAX		(65536 + 14 + 4)
/* Frames lost in a row (too big for the buffers, failed) before a pause. */
#define RX_DROPS_MAX		64
#define POLL_STACK_SIZE		(8UL << 20)

/* In front of every frame, little-endian (virtio 1.2, 5.1.6). */
struct net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};
_Static_assert(sizeof(struct net_hdr) == 12, "virtio_net_hdr_v1");

/*
 * Device configuration space, little-endian (virtio 1.2, 5.1.4); no MQ,
 * so max_virtqueue_pairs is unused.
 */
struct net_config {
	uint8_t mac[6];
	uint16_t status;
	uint16_t max_virtqueue_pairs;
	uint16_t mtu;
} __attribute__((packed));

/* What went wrong once already, so that it is reported once. */
#define REPORTED_READ	1
#define REPORTED_WRITE	2
#define REPORTED_GONE	4

struct tap_dev {
	struct virtio_dev dev;		/* first: handle() gets it */
	struct virtio_queue queues[2];
	struct net_config config;
	char ifname[IFNAMSIZ];
	int fd;				/* the TAP, non-blocking */
	int wake_fd;			/* eventfd waking the poll thread */
	int vnet_hdr;			/* the TAP carries struct net_hdr */
	pthread_t poll_thread;
	int polling;			/* poll_thread runs */
	int reported;

	/* Set by anyone, taken by the poll thread. */
	int stop;			/* end the poll thread */
	int rx_kicked;			/* the kernel added receive buffers */
	int tx_blocked;			/* a write found the TAP full */

	/* The poll thread's own. */
	int rx_starved;			/* wait for a kick, not for the TAP */
	int rx_tap_empty;		/* the last receive emptied the TAP */
	struct iovec rx_iov[VIRTIO_MAX_SEGS];

	struct tap_dev *next;		/* in nets */
};

static pthread_mutex_t nets_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tap_dev *nets;

/* The device whose poll thread this is. */
static __thread struct tap_dev *poll_self;

static void report_once(struct tap_dev *net, int what, const char *msg,
			int err)
{
	if (__atomic_fetch_or(&net->reported, what, __ATOMIC_RELAXED) & what)
		return;
	fprintf(stderr, "lkl: net %d (TAP %s): %s: %s\n", net->dev.id,
		net->ifname, msg, strerror(err));
}

static void wake(struct tap_dev *net)
{
	uint64_t one = 1;

	/* Fails only when the counter is full: it is readable then anyway. */
	while (write(net->wake_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

static size_t iov_bytes(const struct iovec *iov, int n)
{
	size_t total = 0;

	while (n-- > 0)
		total += (iov++)->iov_len;
	return total;
}

/* Copies len bytes of src into iov, from byte off of it on. */
static void iov_write(const struct iovec *iov, int n, size_t off,
		      const void *src, size_t len)
{
	for (; n > 0 && len > 0; iov++, n--) {
		size_t chunk;

		if (off >= iov->iov_len) {
			off -= iov->iov_len;
			continue;
		}
		chunk = iov->iov_len - off;
		if (chunk > len)
			chunk = len;
		memcpy((char *)iov->iov_base + off, src, chunk);
		src = (const char *)src + chunk;
		len -= chunk;
		off = 0;
	}
}

/*
 * Makes dst the buffers of src past its first skip bytes, and returns how
 * many there are. dst may be src.
 */
static int iov_skip(struct iovec *dst, const struct iovec *src, int n,
		    size_t skip)
{
	int i, k = 0;

	for (i = 0; i < n; i++) {
		size_t len = src[i].iov_len;
		char *base = src[i].iov_base;

		if (skip >= len) {
			skip -= len;
			continue;
		}
		dst[k].iov_base = base + skip;
		dst[k].iov_len = len - skip;
		skip = 0;
		k++;
	}
	return k;
}

/*
 * Reads one frame from the TAP into req. On the poll thread only: a call
 * from anyone else is a kick (the kernel added buffers after running out),
 * passed on to the poll thread.
 */
static int rx_handle(struct virtio_req *req)
{
	struct tap_dev *net = (struct tap_dev *)req->dev;
	struct net_hdr hdr = { .num_buffers = htole16(1) };
	struct iovec *iov = req->iov;
	int n = req->n, drops;
	size_t room;
	ssize_t len;

	if (poll_self != net) {
		__atomic_store_n(&net->rx_kicked, 1, __ATOMIC_SEQ_CST);
		wake(net);
		return -EAGAIN;
	}
	room = iov_bytes(req->iov, req->n);
	if (req->n_out || room < sizeof(hdr)) {
		/* Not a receive buffer: give it back unused. */
		virtio_req_complete(req, 0);
		return 0;
	}
	if (virtio_has_feature(&net->dev, VIRTIO_NET_F_MRG_RXBUF)) {
		/* Room for the largest packet, or wait for more buffers. */
		while (room < sizeof(hdr) + RX_FRAME_MAX) {
			int first = req->n, ret = virtio_req_append(req);

			if (ret == -EAGAIN)
				return -EAGAIN;
			if (ret)
				break;
			room += iov_bytes(&req->iov[first], req->n - first);
		}
		n = req->n;
	}
	if (!net->vnet_hdr) {
		n = iov_skip(net->rx_iov, iov, n, sizeof(hdr));
		iov = net->rx_iov;
	}

	for (drops = 0;; drops++) {
		if (drops == RX_DROPS_MAX) {
			/* Let TX and removal in; POLLIN brings us back. */
			net->rx_tap_empty = 1;
			return -EAGAIN;
		}
		len = readv(net->fd, iov, n);
		if (len < 0 && errno == EAGAIN) {
			net->rx_tap_empty = 1;
			return -EAGAIN;
		}
		if (len < 0) {
			/* The TAP dropped the frame it could not hand over. */
			if (errno != EINTR)
				report_once(net, REPORTED_READ, "read", errno);
			continue;
		}
		if (!net->vnet_hdr)
			len += sizeof(hdr);
		/* The TAP cut a frame too big for the buffers: dropped. */
		if ((size_t)len <= room && (size_t)len >= sizeof(hdr))
			break;
	}

	hdr.num_buffers = htole16(virtio_req_trim(req, len));
	if (net->vnet_hdr)
		iov_write(req->iov, req->n, offsetof(struct net_hdr,
						     num_buffers),
			  &hdr.num_buffers, sizeof(hdr.num_buffers));
	else
		iov_write(req->iov, req->n, 0, &hdr, sizeof(hdr));
	virtio_req_complete(req, len);
	return 0;
}

/* Writes one frame to the TAP; a full TAP leaves it on the queue. */
static int tx_handle(struct virtio_req *req)
{
	struct tap_dev *net = (struct tap_dev *)req->dev;
	int n = req->n_out;

	if (!net->vnet_hdr)
		n = iov_skip(req->iov, req->iov, n, sizeof(struct net_hdr));
	for (;;) {
		if (writev(net->fd, req->iov, n) >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			__atomic_store_n(&net->tx_blocked, 1, __ATOMIC_SEQ_CST);
			if (poll_self != net)
				wake(net);
			return -EAGAIN;
		}
		/* Dropped, as a wire would; EIO: the host side is down. */
		if (errno != EIO)
			report_once(net, REPORTED_WRITE, "write", errno);
		break;
	}
	virtio_req_complete(req, 0);
	return 0;
}

static int net_handle(struct virtio_req *req)
{
	return req->queue == RX_QUEUE ? rx_handle(req) : tx_handle(req);
}

/* What the TAP may hand over, from what the driver takes. */
static unsigned int tun_offload(struct virtio_dev *dev)
{
	unsigned int offload = 0;

	if (virtio_has_feature(dev, VIRTIO_NET_F_GUEST_CSUM))
		offload |= TUN_F_CSUM;
	if (virtio_has_feature(dev, VIRTIO_NET_F_GUEST_TSO4))
		offload |= TUN_F_TSO4;
	if (virtio_has_feature(dev, VIRTIO_NET_F_GUEST_TSO6))
		offload |= TUN_F_TSO6;
	if (virtio_has_feature(dev, VIRTIO_NET_F_GUEST_ECN))
		offload |= TUN_F_TSO_ECN;
	return offload;
}

static int net_check_features(struct virtio_dev *dev)
{
	struct tap_dev *net = (struct tap_dev *)dev;

	if (!net->vnet_hdr)
		return 0;
	return ioctl(net->fd, TUNSETOFFLOAD, tun_offload(dev)) < 0 ? -errno
								   : 0;
}

static void net_reset(struct virtio_dev *dev)
{
	struct tap_dev *net = (struct tap_dev *)dev;

	/* No driver, no offloads: the next one negotiates its own. */
	if (net->vnet_hdr)
		ioctl(net->fd, TUNSETOFFLOAD, 0);
}

static const struct virtio_dev_ops net_ops = {
	.handle = net_handle,
	.check_features = net_check_features,
	.reset = net_reset,
};

/* Drains the TAP into the receive queue, or finds the buffers run out. */
static void receive(struct tap_dev *net)
{
	net->rx_tap_empty = 0;
	virtio_process_queue(&net->dev, RX_QUEUE);
	if (!net->rx_tap_empty)
		net->rx_starved = 1;
}

static void *poll_main(void *arg)
{
	struct tap_dev *net = arg;
	int tap_ok = 1;

	poll_self = net;
	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = net->wake_fd, .events = POLLIN },
			{ .fd = tap_ok ? net->fd : -1 },
		};
		uint64_t count;
		int rx = 0;

		if (!net->rx_starved)
			fds[1].events |= POLLIN;
		if (__atomic_load_n(&net->tx_blocked, __ATOMIC_SEQ_CST))
			fds[1].events |= POLLOUT;
		if (poll(fds, 2, -1) < 0) {
			if (errno != EINTR)
				usleep(1000);
			continue;
		}
		if (fds[0].revents & POLLIN)
			while (read(net->wake_fd, &count, sizeof(count)) < 0 &&
			       errno == EINTR)
				;
		if (__atomic_load_n(&net->stop, __ATOMIC_SEQ_CST))
			break;

		if (fds[1].revents & (POLLERR | POLLHUP | POLLNVAL)) {
			/* The interface was deleted: writes fail from now on */
			report_once(net, REPORTED_GONE, "TAP gone", EIO);
			tap_ok = 0;
			__atomic_store_n(&net->tx_blocked, 0,
					 __ATOMIC_SEQ_CST);
			virtio_process_queue(&net->dev, TX_QUEUE);
		}
		if (__atomic_exchange_n(&net->rx_kicked, 0, __ATOMIC_SEQ_CST)) {
			net->rx_starved = 0;
			rx = 1;
		}
		if (fds[1].revents & POLLIN)
			rx = 1;
		if (rx && tap_ok && !net->rx_starved)
			receive(net);
		if ((fds[1].revents & POLLOUT) &&
		    __atomic_exchange_n(&net->tx_blocked, 0, __ATOMIC_SEQ_CST))
			virtio_process_queue(&net->dev, TX_QUEUE);
	}
	return NULL;
}

/* One poll thread, with every signal blocked: they are for the application. */
static int start_poll_thread(struct tap_dev *net)
{
	pthread_attr_t attr;
	sigset_t all, old;
	int err;

	net->stop = 0;
	err = pthread_attr_init(&attr);
	if (err)
		return -err;
	err = pthread_attr_setstacksize(&attr, POLL_STACK_SIZE);
	if (err)
		goto out_attr;
	sigfillset(&all);
	err = pthread_sigmask(SIG_SETMASK, &all, &old);
	if (err)
		goto out_attr;
	err = pthread_create(&net->poll_thread, &attr, poll_main, net);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!err) {
		net->polling = 1;
		pthread_setname_np(net->poll_thread, "lkl-net");
	}
out_attr:
	pthread_attr_destroy(&attr);
	return -err;
}

static void stop_poll_thread(struct tap_dev *net)
{
	if (!net->polling)
		return;
	__atomic_store_n(&net->stop, 1, __ATOMIC_SEQ_CST);
	wake(net);
	pthread_join(net->poll_thread, NULL);
	net->polling = 0;
}

/* A random locally administered unicast address: 02:xx:xx:xx:xx:xx. */
static void random_mac(uint8_t *mac)
{
	struct timespec ts;
	int i;

	mac[0] = 0x02;
	if (getrandom(mac + 1, 5, GRND_NONBLOCK) == 5)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	for (i = 1; i < 6; i++)
		mac[i] = (ts.tv_nsec >> (8 * (i - 1))) ^ (getpid() >> i);
}

static int valid_mac(const uint8_t *mac)
{
	static const uint8_t zero[6];

	return !(mac[0] & 1) && memcmp(mac, zero, sizeof(zero));
}

/* Opens and attaches the TAP, as the device's fd. */
static int tap_open(struct tap_dev *net, const char *ifname, int offload)
{
	struct ifreq ifr;
	int size = sizeof(struct net_hdr), le = 1, ret;

	net->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (net->fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	if (ioctl(net->fd, TUNSETIFF, &ifr) < 0)
		goto err;
	memcpy(net->ifname, ifr.ifr_name, IFNAMSIZ);
	net->ifname[IFNAMSIZ - 1] = 0;
	if (!offload)
		return 0;
	net->vnet_hdr = 1;
	/* Offloads are set once the driver has taken its features. */
	if (ioctl(net->fd, TUNSETVNETHDRSZ, &size) < 0 ||
	    ioctl(net->fd, TUNSETOFFLOAD, 0) < 0)
		goto err;
	/* The header is little-endian; the TAP's default on such hosts. */
	if (ioctl(net->fd, TUNSETVNETLE, &le) < 0 &&
	    __BYTE_ORDER != __LITTLE_ENDIAN)
		goto err;
	return 0;
err:
	ret = -errno;
	close(net->fd);
	return ret;
}

static void link_net(struct tap_dev *net)
{
	pthread_mutex_lock(&nets_lock);
	net->next = nets;
	nets = net;
	pthread_mutex_unlock(&nets_lock);
}

static struct tap_dev *unlink_net(int id)
{
	struct tap_dev **p, *net = NULL;

	pthread_mutex_lock(&nets_lock);
	for (p = &nets; *p; p = &(*p)->next) {
		if ((*p)->dev.id == id) {
			net = *p;
			*p = net->next;
			break;
		}
	}
	pthread_mutex_unlock(&nets_lock);
	return net;
}

/* The TAP's MTU, which the kernel's interface should not exceed; or 0. */
static int tap_mtu(const char *ifname)
{
	struct ifreq ifr;
	int fd, ret;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", ifname);
	ret = ioctl(fd, SIOCGIFMTU, &ifr);
	close(fd);
	return ret < 0 || ifr.ifr_mtu <= 0 || ifr.ifr_mtu > 65535 ? 0
								: ifr.ifr_mtu;
}

int lkl_host_net_add_tap(const char *ifname, const uint8_t *mac,
			 uint32_t flags)
{
	int offload = flags & LKL_NET_OFFLOAD;
	struct tap_dev *net;
	uint64_t features;
	size_t len = strlen(ifname);
	int mtu, ret;

	if (!len || len >= IFNAMSIZ || (mac && !valid_mac(mac)))
		return -EINVAL;
	net = calloc(1, sizeof(*net));
	if (!net)
		return -ENOMEM;
	ret = tap_open(net, ifname, offload);
	if (ret < 0)
		goto free_net;
	net->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (net->wake_fd < 0) {
		ret = -errno;
		goto close_tap;
	}

	features = 1ULL << VIRTIO_NET_F_MAC |
		   1ULL << VIRTIO_NET_F_STATUS |
		   1ULL << VIRTIO_RING_F_EVENT_IDX;
	if (offload)
		features |= 1ULL << VIRTIO_NET_F_CSUM |
			    1ULL << VIRTIO_NET_F_GUEST_CSUM |
			    1ULL << VIRTIO_NET_F_GUEST_TSO4 |
			    1ULL << VIRTIO_NET_F_GUEST_TSO6 |
			    1ULL << VIRTIO_NET_F_GUEST_ECN |
			    1ULL << VIRTIO_NET_F_HOST_TSO4 |
			    1ULL << VIRTIO_NET_F_HOST_TSO6 |
			    1ULL << VIRTIO_NET_F_HOST_ECN |
			    1ULL << VIRTIO_NET_F_MRG_RXBUF;
	mtu = tap_mtu(net->ifname);
	if (mtu) {
		features |= 1ULL << VIRTIO_NET_F_MTU;
		net->config.mtu = htole16(mtu);
	}
	if (mac)
		memcpy(net->config.mac, mac, sizeof(net->config.mac));
	else
		random_mac(net->config.mac);
	net->config.status = htole16(VIRTIO_NET_S_LINK_UP);

	net->queues[RX_QUEUE].num_max = QUEUE_SIZE;
	net->queues[TX_QUEUE].num_max = QUEUE_SIZE;
	net->dev.device_id = VIRTIO_ID_NET;
	net->dev.device_features = features;
	net->dev.config = &net->config;
	net->dev.config_len = sizeof(net->config);
	net->dev.queues = net->queues;
	net->dev.num_queues = 2;
	net->dev.ops = &net_ops;

	/*
	 * The driver fills and kicks the receive queue while probing; the
	 * kick waits in rx_kicked until the poll thread starts.
	 */
	ret = virtio_dev_add(&net->dev);
	if (ret < 0)
		goto close_wake;
	ret = start_poll_thread(net);
	if (ret < 0)
		goto remove_dev;
	link_net(net);
	return net->dev.id;

remove_dev:
	/* Should the kernel keep the device, halt releases it. */
	if (virtio_dev_remove(&net->dev) < 0) {
		link_net(net);
		return ret;
	}
close_wake:
	close(net->wake_fd);
close_tap:
	close(net->fd);
free_net:
	free(net);
	return ret;
}

static void net_free(struct tap_dev *net)
{
	close(net->wake_fd);
	close(net->fd);
	free(net);
}

int lkl_host_net_remove(int id)
{
	struct tap_dev *net = unlink_net(id);
	int ret;

	if (!net)
		return -ENOENT;
	/* Nothing may touch the queues once virtio_dev_remove forgot them. */
	stop_poll_thread(net);
	ret = virtio_dev_remove(&net->dev);
	if (ret < 0) {
		start_poll_thread(net);
		link_net(net);
		return ret;
	}
	net_free(net);
	return 0;
}

/* After halt: the kernel reset every device; stop and close them. */
void lkl_host_nets_release(void)
{
	struct tap_dev *net;

	pthread_mutex_lock(&nets_lock);
	while ((net = nets)) {
		nets = net->next;
		stop_poll_thread(net);
		virtio_dev_forget(&net->dev);
		net_free(net);
	}
	pthread_mutex_unlock(&nets_lock);
}
