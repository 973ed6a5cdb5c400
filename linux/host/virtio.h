/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host side of virtio-mmio devices (private to the shim): the register
 * file the kernel's virtio-mmio driver talks to, and the split virtqueues
 * it shares with it. The device models (blk.c, net_tap.c) take requests
 * off the queues and complete them.
 *
 * Numbers are those of the virtio 1.2 specification.
 */
#ifndef LKL_HOST_VIRTIO_H
#define LKL_HOST_VIRTIO_H

#include <pthread.h>
#include <stdint.h>
#include <sys/uio.h>

/* Device types. */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2

/* Feature bits common to all devices. */
#define VIRTIO_RING_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

/* The most buffers a request may have, over all its chains. */
#define VIRTIO_MAX_SEGS 260
/* The most descriptor chains one request may gather (virtio_req_append). */
#define VIRTIO_MAX_CHAINS 64

struct virtio_dev;

/*
 * One request: a descriptor chain, as host buffers. A device that spreads
 * one item over several chains (virtio-net's mergeable receive buffers)
 * appends the following chains with virtio_req_append; their buffers
 * follow in iov.
 */
struct virtio_req {
	struct virtio_dev *dev;
	int queue;
	int n;			/* buffers in iov */
	int n_out;		/* the first n_out are readable, the rest writable */
	int chains;		/* descriptor chains: 1, more if appended */
	struct {
		uint16_t head;	/* to complete it */
		int end;	/* index in iov past its last buffer */
	} chain[VIRTIO_MAX_CHAINS];
	struct iovec iov[VIRTIO_MAX_SEGS];
};

struct virtio_dev_ops {
	/*
	 * Takes one request off queue req->queue. Returns 0 once the request
	 * is handled (completed, now or later, with virtio_req_complete): all
	 * its chains leave the queue. Returns -EAGAIN to leave it, appended
	 * chains included, on the queue and stop processing it for now.
	 */
	int (*handle)(struct virtio_req *req);
	/* The driver accepted these features; non-zero refuses them. */
	int (*check_features)(struct virtio_dev *dev);
	/* The driver reset the device (status 0). */
	void (*reset)(struct virtio_dev *dev);
};

struct virtio_queue {
	uint32_t num_max;
	uint32_t num;
	uint32_t ready;
	uint64_t desc_addr, avail_addr, used_addr;
	uint16_t last_avail_idx;
	uint16_t last_used_idx_signaled;
	/* Serializes the device side: notify vs. a device thread. */
	pthread_mutex_t lock;
};

struct virtio_dev {
	uint32_t device_id;
	uint64_t device_features;
	uint64_t driver_features;
	uint32_t device_features_sel;
	uint32_t driver_features_sel;
	uint32_t queue_sel;
	uint32_t status;
	uint32_t int_status;
	uint32_t config_generation;
	void *config;
	uint32_t config_len;
	struct virtio_queue *queues;
	int num_queues;
	const struct virtio_dev_ops *ops;

	/* Assigned by virtio_dev_add. */
	int id;			/* "virtio-mmio.<id>" in the kernel */
	int irq;
	unsigned long base;	/* register window */
};

/*
 * Registers dev (its device_id, features, config, queues and ops filled in)
 * with the kernel, which probes it before this returns. Returns the device
 * id, or a negative errno.
 */
int virtio_dev_add(struct virtio_dev *dev);
/* Unbinds and forgets dev; afterwards nothing touches it. */
int virtio_dev_remove(struct virtio_dev *dev);
/* After halt (the kernel reset every device): only forgets dev. */
void virtio_dev_forget(struct virtio_dev *dev);

/*
 * Completes req, with len bytes written into its writable buffers. Each
 * chain of req gets a used element: the bytes written are counted against
 * the chains in order, each filled up before the next, the last taking
 * the rest. The driver sees all of them at once.
 */
void virtio_req_complete(struct virtio_req *req, uint32_t len);
/*
 * Only from handle(req): appends the next available chain of req's queue
 * to req. Returns 0; -EAGAIN when the driver has made no further chain
 * available (it is then asked to notify the queue as soon as it adds
 * one); -ENOSPC when req is full; -EINVAL when the chain is malformed or
 * has readable buffers after req's writable ones (it is left alone, and
 * the queue fails it when its turn comes).
 */
int virtio_req_append(struct virtio_req *req);
/*
 * Keeps only as many chains of req as len bytes written into its writable
 * buffers fill (at least one), and gives the others back to the queue.
 * Returns the number of chains kept.
 */
int virtio_req_trim(struct virtio_req *req, uint32_t len);
/* Processes queue q of dev, as a notify does (for device threads). */
void virtio_process_queue(struct virtio_dev *dev, int q);
/* Whether the driver accepted feature bit. */
int virtio_has_feature(const struct virtio_dev *dev, int bit);

#endif /* LKL_HOST_VIRTIO_H */
