// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-mmio devices, host side: the register file of each device and the
 * processing of its split virtqueues.
 *
 * Each device gets a register window at slot << 24 (slot 1..255); the
 * kernel's readl/writel end up in lkl_iomem_access(). The rings live in
 * kernel RAM, which is host memory at the same addresses, so the device
 * reads and writes them directly; ordering rests on real memory barriers
 * on both sides.
 */
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "host_int.h"
#include "virtio.h"

/* Registers (virtio 1.2, 4.2.2). */
#define REG_MAGIC		0x000
#define REG_VERSION		0x004
#define REG_DEVICE_ID		0x008
#define REG_VENDOR_ID		0x00c
#define REG_DEVICE_FEATURES	0x010
#define REG_DEVICE_FEATURES_SEL	0x014
#define REG_DRIVER_FEATURES	0x020
#define REG_DRIVER_FEATURES_SEL	0x024
#define REG_QUEUE_SEL		0x030
#define REG_QUEUE_NUM_MAX	0x034
#define REG_QUEUE_NUM		0x038
#define REG_QUEUE_READY		0x044
#define REG_QUEUE_NOTIFY	0x050
#define REG_INTERRUPT_STATUS	0x060
#define REG_INTERRUPT_ACK	0x064
#define REG_STATUS		0x070
#define REG_QUEUE_DESC_LOW	0x080
#define REG_QUEUE_DESC_HIGH	0x084
#define REG_QUEUE_AVAIL_LOW	0x090
#define REG_QUEUE_AVAIL_HIGH	0x094
#define REG_QUEUE_USED_LOW	0x0a0
#define REG_QUEUE_USED_HIGH	0x0a4
#define REG_SHM_LEN_LOW		0x0b0
#define REG_SHM_LEN_HIGH	0x0b4
#define REG_CONFIG_GENERATION	0x0fc
#define REG_CONFIG		0x100

#define MAGIC_VALUE		0x74726976	/* "virt" */
#define VENDOR_LKL		0x004c4b4c	/* "LKL" */
#define WINDOW_SIZE		0x1000
#define SLOT_SHIFT		24
#define MAX_SLOTS		256

#define STATUS_FEATURES_OK	8
#define INT_VRING		1

#define VRING_DESC_F_NEXT	1
#define VRING_DESC_F_WRITE	2
#define VRING_DESC_F_INDIRECT	4
#define VRING_AVAIL_F_NO_INTERRUPT 1

struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];	/* then: used_event */
};

struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[];	/* then: avail_event */
};

static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
/* Read without the lock by register accesses: set before, cleared after. */
static struct virtio_dev *slots[MAX_SLOTS];

int virtio_has_feature(const struct virtio_dev *dev, int bit)
{
	return (dev->driver_features >> bit) & 1;
}

static struct virtio_queue *selected_queue(struct virtio_dev *dev)
{
	if (dev->queue_sel >= (uint32_t)dev->num_queues)
		return NULL;
	return &dev->queues[dev->queue_sel];
}

static void queue_reset(struct virtio_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->ready = 0;
	q->num = 0;
	q->desc_addr = q->avail_addr = q->used_addr = 0;
	q->last_avail_idx = 0;
	q->last_used_idx_signaled = 0;
	pthread_mutex_unlock(&q->lock);
}

static void dev_reset(struct virtio_dev *dev)
{
	int i;

	for (i = 0; i < dev->num_queues; i++)
		queue_reset(&dev->queues[i]);
	__atomic_store_n(&dev->int_status, 0, __ATOMIC_SEQ_CST);
	dev->driver_features = 0;
	dev->device_features_sel = 0;
	dev->driver_features_sel = 0;
	dev->queue_sel = 0;
	dev->status = 0;
	if (dev->ops->reset)
		dev->ops->reset(dev);
}

static void set_status(struct virtio_dev *dev, uint32_t status)
{
	if (status == 0) {
		dev_reset(dev);
		return;
	}
	/* Any subset of what we offer, as long as it is modern. */
	if ((status & STATUS_FEATURES_OK) &&
	    !(dev->status & STATUS_FEATURES_OK)) {
		if (!virtio_has_feature(dev, VIRTIO_F_VERSION_1) ||
		    (dev->driver_features & ~dev->device_features) ||
		    (dev->ops->check_features &&
		     dev->ops->check_features(dev)))
			status &= ~STATUS_FEATURES_OK;
	}
	dev->status = status;
}

static int config_access(struct virtio_dev *dev, uint32_t offset, void *val,
			 int size, int write)
{
	if (offset + (uint32_t)size > dev->config_len)
		return -EINVAL;
	if (write)
		memcpy((char *)dev->config + offset, val, size);
	else
		memcpy(val, (char *)dev->config + offset, size);
	return 0;
}

static uint32_t reg_read(struct virtio_dev *dev, uint32_t offset)
{
	struct virtio_queue *q = selected_queue(dev);

	switch (offset) {
	case REG_MAGIC:
		return MAGIC_VALUE;
	case REG_VERSION:
		return 2;
	case REG_DEVICE_ID:
		return dev->device_id;
	case REG_VENDOR_ID:
		return VENDOR_LKL;
	case REG_DEVICE_FEATURES:
		if (dev->device_features_sel > 1)
			return 0;
		return dev->device_features >> (32 * dev->device_features_sel);
	case REG_QUEUE_NUM_MAX:
		return q ? q->num_max : 0;
	case REG_QUEUE_READY:
		return q ? q->ready : 0;
	case REG_INTERRUPT_STATUS:
		return __atomic_load_n(&dev->int_status, __ATOMIC_SEQ_CST);
	case REG_STATUS:
		return dev->status;
	case REG_CONFIG_GENERATION:
		return dev->config_generation;
	case REG_SHM_LEN_LOW:
	case REG_SHM_LEN_HIGH:
		/* No shared memory regions. */
		return 0xffffffff;
	}
	return 0;
}

static void set_half(uint64_t *addr, uint32_t val, int high)
{
	if (high)
		*addr = (*addr & 0xffffffffULL) | ((uint64_t)val << 32);
	else
		*addr = (*addr & ~0xffffffffULL) | val;
}

static void reg_write(struct virtio_dev *dev, uint32_t offset, uint32_t val)
{
	struct virtio_queue *q = selected_queue(dev);

	switch (offset) {
	case REG_DEVICE_FEATURES_SEL:
		dev->device_features_sel = val;
		return;
	case REG_DRIVER_FEATURES:
		if (dev->driver_features_sel == 0)
			dev->driver_features = (dev->driver_features &
						~0xffffffffULL) | val;
		else if (dev->driver_features_sel == 1)
			dev->driver_features = (dev->driver_features &
						0xffffffffULL) |
					       ((uint64_t)val << 32);
		return;
	case REG_DRIVER_FEATURES_SEL:
		dev->driver_features_sel = val;
		return;
	case REG_QUEUE_SEL:
		dev->queue_sel = val;
		return;
	case REG_QUEUE_NOTIFY:
		if (val < (uint32_t)dev->num_queues)
			virtio_process_queue(dev, val);
		return;
	case REG_INTERRUPT_ACK:
		__atomic_fetch_and(&dev->int_status, ~val, __ATOMIC_SEQ_CST);
		return;
	case REG_STATUS:
		set_status(dev, val);
		return;
	}

	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	switch (offset) {
	case REG_QUEUE_NUM:
		/* A power of two no larger than what we offer. */
		if (val && val <= q->num_max && !(val & (val - 1)))
			q->num = val;
		break;
	case REG_QUEUE_READY:
		q->ready = val && q->num && q->desc_addr && q->avail_addr &&
			   q->used_addr;
		break;
	case REG_QUEUE_DESC_LOW:
	case REG_QUEUE_DESC_HIGH:
		set_half(&q->desc_addr, val, offset == REG_QUEUE_DESC_HIGH);
		break;
	case REG_QUEUE_AVAIL_LOW:
	case REG_QUEUE_AVAIL_HIGH:
		set_half(&q->avail_addr, val, offset == REG_QUEUE_AVAIL_HIGH);
		break;
	case REG_QUEUE_USED_LOW:
	case REG_QUEUE_USED_HIGH:
		set_half(&q->used_addr, val, offset == REG_QUEUE_USED_HIGH);
		break;
	}
	pthread_mutex_unlock(&q->lock);
}

static struct virtio_dev *dev_of(unsigned long addr, uint32_t *offset)
{
	unsigned long slot = addr >> SLOT_SHIFT;

	if (!slot || slot >= MAX_SLOTS)
		return NULL;
	*offset = addr & ((1UL << SLOT_SHIFT) - 1);
	if (*offset >= WINDOW_SIZE)
		return NULL;
	return __atomic_load_n(&slots[slot], __ATOMIC_ACQUIRE);
}

void *lkl_iomem_map(unsigned long addr, unsigned long size)
{
	uint32_t offset;

	if (!dev_of(addr, &offset) || offset + size > WINDOW_SIZE)
		return NULL;
	return (void *)addr;
}

int lkl_iomem_access(const volatile void *addr, void *val, int size,
		     int write)
{
	struct virtio_dev *dev;
	uint32_t offset;

	dev = dev_of((unsigned long)addr, &offset);
	if (!dev)
		return -EINVAL;
	if (offset >= REG_CONFIG)
		return config_access(dev, offset - REG_CONFIG, val, size,
				     write);
	if (size != 4)
		return -EINVAL;
	if (write)
		reg_write(dev, offset, le32toh(*(uint32_t *)val));
	else
		*(uint32_t *)val = htole32(reg_read(dev, offset));
	return 0;
}

/* Queue memory: driver-owned rings, addressed as host pointers. */
static struct vring_desc *desc_table(struct virtio_queue *q)
{
	return (struct vring_desc *)(uintptr_t)q->desc_addr;
}

static struct vring_avail *avail_ring(struct virtio_queue *q)
{
	return (struct vring_avail *)(uintptr_t)q->avail_addr;
}

static struct vring_used *used_ring(struct virtio_queue *q)
{
	return (struct vring_used *)(uintptr_t)q->used_addr;
}

/*
 * Walks the descriptor chain at head into req, after the buffers req holds
 * already. Returns -EINVAL for a malformed chain, -ENOSPC when it does not
 * fit; req is then left as it was.
 */
static int add_chain(struct virtio_queue *q, uint16_t head,
		     struct virtio_req *req)
{
	struct vring_desc *table = desc_table(q);
	uint32_t num = q->num;
	uint16_t i = head;
	int n = req->n, n_out = req->n_out;
	int writable = n > n_out;

	if (req->chains == VIRTIO_MAX_CHAINS)
		return -ENOSPC;
	for (;;) {
		struct vring_desc *d;
		uint16_t flags;

		if (i >= num)
			return -EINVAL;
		/* Also ends a looping chain. */
		if (n == VIRTIO_MAX_SEGS)
			return req->chains ? -ENOSPC : -EINVAL;
		d = &table[i];
		flags = le16toh(d->flags);
		if (flags & VRING_DESC_F_INDIRECT)
			return -EINVAL;	/* never offered */
		if (flags & VRING_DESC_F_WRITE)
			writable = 1;
		else if (writable)
			return -EINVAL;	/* readable after writable */
		else
			n_out++;
		req->iov[n].iov_base = (void *)(uintptr_t)le64toh(d->addr);
		req->iov[n].iov_len = le32toh(d->len);
		n++;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		i = le16toh(d->next);
	}
	req->n = n;
	req->n_out = n_out;
	req->chain[req->chains].head = head;
	req->chain[req->chains].end = n;
	req->chains++;
	return 0;
}

static int build_req(struct virtio_queue *q, uint16_t head,
		     struct virtio_req *req)
{
	req->n = 0;
	req->n_out = 0;
	req->chains = 0;
	return add_chain(q, head, req);
}

static uint16_t avail_idx(struct virtio_queue *q)
{
	return le16toh(__atomic_load_n(&avail_ring(q)->idx, __ATOMIC_ACQUIRE));
}

/* Tells the driver where to kick next: once it passes idx. */
static void set_avail_event(struct virtio_queue *q, uint16_t idx)
{
	struct vring_used *used = used_ring(q);

	__atomic_store_n((uint16_t *)&used->ring[q->num], htole16(idx),
			 __ATOMIC_RELEASE);
}

int virtio_req_append(struct virtio_req *req)
{
	struct virtio_dev *dev = req->dev;
	struct virtio_queue *q = &dev->queues[req->queue];
	uint16_t idx = q->last_avail_idx + req->chains;

	if (req->chains == VIRTIO_MAX_CHAINS)
		return -ENOSPC;
	if (avail_idx(q) == idx) {
		if (!virtio_has_feature(dev, VIRTIO_RING_F_EVENT_IDX))
			return -EAGAIN;
		set_avail_event(q, idx);
		/* A chain added meanwhile is seen here, or kicks. */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (avail_idx(q) == idx)
			return -EAGAIN;
	}
	return add_chain(q, le16toh(avail_ring(q)->ring[idx % q->num]), req);
}

/* Bytes the device may write into chain c of req. */
static size_t chain_room(const struct virtio_req *req, int c)
{
	int i = c ? req->chain[c - 1].end : 0;
	size_t room = 0;

	if (i < req->n_out)
		i = req->n_out;
	for (; i < req->chain[c].end; i++)
		room += req->iov[i].iov_len;
	return room;
}

int virtio_req_trim(struct virtio_req *req, uint32_t len)
{
	int c;

	for (c = 0; c < req->chains - 1; c++) {
		size_t room = chain_room(req, c);

		if (len <= room)
			break;
		len -= room;
	}
	req->chains = c + 1;
	req->n = req->chain[c].end;
	if (req->n_out > req->n)
		req->n_out = req->n;
	return req->chains;
}

void virtio_req_complete(struct virtio_req *req, uint32_t len)
{
	struct virtio_queue *q = &req->dev->queues[req->queue];
	struct vring_used *used = used_ring(q);
	uint16_t idx = le16toh(used->idx);
	int c;

	for (c = 0; c < req->chains; c++) {
		struct vring_used_elem *e = &used->ring[(uint16_t)(idx + c) %
							q->num];
		uint32_t part = len;

		if (c < req->chains - 1) {
			size_t room = chain_room(req, c);

			if (room < part)
				part = room;
		}
		e->id = htole32(req->chain[c].head);
		e->len = htole32(part);
		len -= part;
	}
	/* The elements must be visible before the index that publishes them. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&used->idx, htole16(idx + req->chains),
			 __ATOMIC_RELEASE);
}

/* Whether the driver wants an interrupt for what was just completed. */
static int need_signal(struct virtio_dev *dev, struct virtio_queue *q)
{
	struct vring_avail *avail = avail_ring(q);
	uint16_t new_idx = le16toh(used_ring(q)->idx);
	uint16_t old_idx = q->last_used_idx_signaled;
	uint16_t event;

	if (new_idx == old_idx)
		return 0;
	/* Read the driver's wishes only after publishing the used index. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!virtio_has_feature(dev, VIRTIO_RING_F_EVENT_IDX)) {
		q->last_used_idx_signaled = new_idx;
		return !(le16toh(avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
	}
	event = le16toh(avail->ring[q->num]);
	if ((uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx)) {
		q->last_used_idx_signaled = new_idx;
		return 1;
	}
	return 0;
}

void virtio_process_queue(struct virtio_dev *dev, int qi)
{
	struct virtio_queue *q = &dev->queues[qi];
	struct virtio_req req;
	int signal = 0;

	pthread_mutex_lock(&q->lock);
	if (!q->ready)
		goto out;
	req.dev = dev;
	req.queue = qi;
	for (;;) {
		struct vring_avail *avail = avail_ring(q);
		uint16_t avail_idx;
		uint16_t head;

		avail_idx = le16toh(__atomic_load_n(&avail->idx,
						    __ATOMIC_ACQUIRE));
		if (q->last_avail_idx == avail_idx) {
			if (!virtio_has_feature(dev, VIRTIO_RING_F_EVENT_IDX))
				break;
			set_avail_event(q, avail_idx);
			/* A kick racing with the event update is not lost. */
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (le16toh(__atomic_load_n(&avail->idx,
						    __ATOMIC_ACQUIRE)) ==
			    avail_idx)
				break;
			continue;
		}

		head = le16toh(avail->ring[q->last_avail_idx % q->num]);
		if (build_req(q, head, &req)) {
			fprintf(stderr, "lkl: virtio-mmio.%d: bad descriptor "
				"chain on queue %d\n", dev->id, qi);
			req.n = req.n_out = 0;
			req.chains = 1;
			req.chain[0].head = head;
			req.chain[0].end = 0;
			virtio_req_complete(&req, 0);
		} else if (dev->ops->handle(&req) == -EAGAIN) {
			break;
		}
		q->last_avail_idx += req.chains;
	}
	signal = need_signal(dev, q);
out:
	pthread_mutex_unlock(&q->lock);
	/*
	 * Raised after the lock is released: the interrupt may run right
	 * here, nested, and its handler may kick this queue again.
	 */
	if (signal) {
		__atomic_fetch_or(&dev->int_status, INT_VRING,
				  __ATOMIC_SEQ_CST);
		lkl_irq_trigger(dev->irq);
	}
}

int virtio_dev_add(struct virtio_dev *dev)
{
	int slot, ret, i;

	for (i = 0; i < dev->num_queues; i++)
		pthread_mutex_init(&dev->queues[i].lock, NULL);
	dev->device_features |= 1ULL << VIRTIO_F_VERSION_1;

	pthread_mutex_lock(&slots_lock);
	for (slot = 1; slot < MAX_SLOTS; slot++)
		if (!slots[slot])
			break;
	if (slot == MAX_SLOTS) {
		pthread_mutex_unlock(&slots_lock);
		return -ENOSPC;
	}
	dev->id = slot;
	dev->base = (unsigned long)slot << SLOT_SHIFT;
	__atomic_store_n(&slots[slot], dev, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&slots_lock);

	dev->irq = lkl_irq_alloc("virtio");
	if (dev->irq < 0) {
		ret = dev->irq;
		goto free_slot;
	}
	ret = lkl_kernel_device_add(dev->base, WINDOW_SIZE, dev->irq, dev->id);
	if (ret < 0)
		goto free_irq;
	return dev->id;

free_irq:
	lkl_irq_free(dev->irq, "virtio");
free_slot:
	__atomic_store_n(&slots[slot], NULL, __ATOMIC_RELEASE);
	return ret;
}

void virtio_dev_forget(struct virtio_dev *dev)
{
	int i;

	lkl_irq_free(dev->irq, "virtio");
	__atomic_store_n(&slots[dev->id], NULL, __ATOMIC_RELEASE);
	for (i = 0; i < dev->num_queues; i++)
		pthread_mutex_destroy(&dev->queues[i].lock);
}

int virtio_dev_remove(struct virtio_dev *dev)
{
	int ret;

	/* The driver's remove resets the device: the queues stop. */
	ret = lkl_kernel_device_remove(dev->id);
	if (ret < 0)
		return ret;
	virtio_dev_forget(dev);
	return 0;
}
