// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk on a disk image file (or a host block device).
 *
 * Requests are served synchronously, in the kernel thread that kicks the
 * queue, with preadv/pwritev at 64-bit offsets. The image is locked with
 * flock: exclusively when writable, shared when read-only, so that two
 * processes can never write one image at the same time.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lkl.h"
#include "host_int.h"
#include "virtio.h"

/* Features (virtio 1.2, 5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX		1
#define VIRTIO_BLK_F_SEG_MAX		2
#define VIRTIO_BLK_F_RO			5
#define VIRTIO_BLK_F_BLK_SIZE		6
#define VIRTIO_BLK_F_FLUSH		9
#define VIRTIO_BLK_F_DISCARD		13
#define VIRTIO_BLK_F_WRITE_ZEROES	14

/* Request types and status. */
#define VIRTIO_BLK_T_IN			0
#define VIRTIO_BLK_T_OUT		1
#define VIRTIO_BLK_T_FLUSH		4
#define VIRTIO_BLK_T_GET_ID		8
#define VIRTIO_BLK_T_DISCARD		11
#define VIRTIO_BLK_T_WRITE_ZEROES	13
#define VIRTIO_BLK_S_OK			0
#define VIRTIO_BLK_S_IOERR		1
#define VIRTIO_BLK_S_UNSUPP		2

#define SECTOR_SIZE		512
#define QUEUE_SIZE		256
#define SEG_MAX			(QUEUE_SIZE - 2)
#define SIZE_MAX_BYTES		(1U << 20)
#define DISCARD_MAX_SECTORS	(1U << 22)
#define ID_BYTES		20

/* Device configuration space, little-endian (virtio 1.2, 5.2.4). */
struct blk_config {
	uint64_t capacity;
	uint32_t size_max;
	uint32_t seg_max;
	uint16_t cylinders;
	uint8_t heads;
	uint8_t sectors;
	uint32_t blk_size;
	uint8_t physical_block_exp;
	uint8_t alignment_offset;
	uint16_t min_io_size;
	uint32_t opt_io_size;
	uint8_t writeback;
	uint8_t unused0;
	uint16_t num_queues;
	uint32_t max_discard_sectors;
	uint32_t max_discard_seg;
	uint32_t discard_sector_alignment;
	uint32_t max_write_zeroes_sectors;
	uint32_t max_write_zeroes_seg;
	uint8_t write_zeroes_may_unmap;
	uint8_t unused1[3];
} __attribute__((packed));

struct blk_req_header {
	uint32_t type;
	uint32_t ioprio;
	uint64_t sector;
};

struct blk_discard_segment {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

struct blk_dev {
	struct virtio_dev dev;
	struct virtio_queue queue;
	struct blk_config config;
	int fd;
	int read_only;
	uint64_t size;		/* bytes */
	struct blk_dev *next;	/* in disks */
};

static pthread_mutex_t disks_lock = PTHREAD_MUTEX_INITIALIZER;
static struct blk_dev *disks;

/* Reads or writes iov at offset, all of it; 0 or a negative errno. */
static int rw_all(int fd, int write, struct iovec *iov, int n, off_t offset)
{
	while (n > 0) {
		ssize_t done = write ? pwritev(fd, iov, n, offset)
				     : preadv(fd, iov, n, offset);

		if (done < 0 && errno == EINTR)
			continue;
		if (done < 0)
			return -errno;
		if (done == 0)
			return -EIO;
		offset += done;
		/* Skip what was done: whole buffers, then part of one. */
		while (n > 0 && (size_t)done >= iov->iov_len) {
			done -= iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + done;
			iov->iov_len -= done;
		}
	}
	return 0;
}

static size_t iov_bytes(const struct iovec *iov, int n)
{
	size_t total = 0;

	while (n-- > 0)
		total += (iov++)->iov_len;
	return total;
}

static int in_range(struct blk_dev *blk, uint64_t sector, uint64_t bytes)
{
	return sector <= blk->size / SECTOR_SIZE &&
	       bytes <= blk->size - sector * SECTOR_SIZE;
}

/* DISCARD and WRITE_ZEROES: segments in the readable data buffers. */
static int discard(struct blk_dev *blk, struct iovec *data, int n, int zero)
{
	int i;

	for (i = 0; i < n; i++) {
		struct blk_discard_segment *seg = data[i].iov_base;
		size_t count = data[i].iov_len / sizeof(*seg);

		for (; count > 0; count--, seg++) {
			uint64_t sector = le64toh(seg->sector);
			uint64_t bytes = (uint64_t)le32toh(seg->num_sectors) *
					 SECTOR_SIZE;
			int mode = zero ? FALLOC_FL_ZERO_RANGE
					: FALLOC_FL_PUNCH_HOLE |
					  FALLOC_FL_KEEP_SIZE;

			if (!in_range(blk, sector, bytes))
				return VIRTIO_BLK_S_IOERR;
			if (fallocate(blk->fd, mode, sector * SECTOR_SIZE,
				      bytes) < 0)
				return errno == EOPNOTSUPP ?
				       VIRTIO_BLK_S_UNSUPP : VIRTIO_BLK_S_IOERR;
		}
	}
	return VIRTIO_BLK_S_OK;
}

static int blk_handle(struct virtio_req *req)
{
	struct blk_dev *blk = (struct blk_dev *)req->dev;
	struct blk_req_header *hdr;
	struct iovec *data = &req->iov[1];
	int n_data = req->n - 2;
	uint8_t *status;
	uint32_t written = 0;
	uint64_t sector;
	size_t bytes;
	int st;

	if (req->n < 2 || req->iov[0].iov_len < sizeof(*hdr) ||
	    req->iov[req->n - 1].iov_len < 1 || req->n_out < 1) {
		virtio_req_complete(req, 0);
		return 0;
	}
	hdr = req->iov[0].iov_base;
	status = (uint8_t *)req->iov[req->n - 1].iov_base +
		 req->iov[req->n - 1].iov_len - 1;
	sector = le64toh(hdr->sector);
	bytes = iov_bytes(data, n_data);

	switch (le32toh(hdr->type)) {
	case VIRTIO_BLK_T_IN:
		if (!in_range(blk, sector, bytes) ||
		    rw_all(blk->fd, 0, data, n_data, sector * SECTOR_SIZE)) {
			st = VIRTIO_BLK_S_IOERR;
			break;
		}
		written = bytes;
		st = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_OUT:
		st = !blk->read_only && in_range(blk, sector, bytes) &&
		     !rw_all(blk->fd, 1, data, n_data, sector * SECTOR_SIZE) ?
		     VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_FLUSH:
		st = blk->read_only || !fdatasync(blk->fd) ?
		     VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_GET_ID:
		if (n_data < 1 || data[0].iov_len < ID_BYTES) {
			st = VIRTIO_BLK_S_IOERR;
			break;
		}
		memset(data[0].iov_base, 0, ID_BYTES);
		snprintf(data[0].iov_base, ID_BYTES, "lkl%d", blk->dev.id);
		written = ID_BYTES;
		st = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		st = blk->read_only ? VIRTIO_BLK_S_IOERR :
		     discard(blk, data, n_data,
			     le32toh(hdr->type) == VIRTIO_BLK_T_WRITE_ZEROES);
		break;
	default:
		st = VIRTIO_BLK_S_UNSUPP;
	}
	*status = st;
	virtio_req_complete(req, written + 1);
	return 0;
}

static const struct virtio_dev_ops blk_ops = {
	.handle = blk_handle,
};

static int image_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode)) {
		*size = st.st_size;
		return 0;
	}
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, size) < 0 ? -errno : 0;
	return -EINVAL;
}

int lkl_host_disk_add(const char *path, uint32_t flags)
{
	int read_only = flags & LKL_DISK_READ_ONLY;
	struct blk_dev *blk;
	uint64_t features;
	int ret;

	blk = calloc(1, sizeof(*blk));
	if (!blk)
		return -ENOMEM;
	blk->read_only = read_only;
	blk->fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (blk->fd < 0) {
		ret = -errno;
		goto free_blk;
	}
	if (flock(blk->fd, (read_only ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto close_fd;
	}
	ret = image_size(blk->fd, &blk->size);
	if (ret < 0)
		goto close_fd;
	if (blk->size < SECTOR_SIZE) {
		ret = -EINVAL;
		goto close_fd;
	}

	features = 1ULL << VIRTIO_BLK_F_SIZE_MAX |
		   1ULL << VIRTIO_BLK_F_SEG_MAX |
		   1ULL << VIRTIO_BLK_F_BLK_SIZE |
		   1ULL << VIRTIO_BLK_F_FLUSH |
		   1ULL << VIRTIO_RING_F_EVENT_IDX;
	if (read_only)
		features |= 1ULL << VIRTIO_BLK_F_RO;
	else
		features |= 1ULL << VIRTIO_BLK_F_DISCARD |
			    1ULL << VIRTIO_BLK_F_WRITE_ZEROES;

	blk->config.capacity = htole64(blk->size / SECTOR_SIZE);
	blk->config.size_max = htole32(SIZE_MAX_BYTES);
	blk->config.seg_max = htole32(SEG_MAX);
	blk->config.blk_size = htole32(SECTOR_SIZE);
	blk->config.max_discard_sectors = htole32(DISCARD_MAX_SECTORS);
	blk->config.max_discard_seg = htole32(1);
	blk->config.discard_sector_alignment = htole32(1);
	blk->config.max_write_zeroes_sectors = htole32(DISCARD_MAX_SECTORS);
	blk->config.max_write_zeroes_seg = htole32(1);

	blk->queue.num_max = QUEUE_SIZE;
	blk->dev.device_id = VIRTIO_ID_BLOCK;
	blk->dev.device_features = features;
	blk->dev.config = &blk->config;
	blk->dev.config_len = sizeof(blk->config);
	blk->dev.queues = &blk->queue;
	blk->dev.num_queues = 1;
	blk->dev.ops = &blk_ops;

	ret = virtio_dev_add(&blk->dev);
	if (ret < 0)
		goto close_fd;

	pthread_mutex_lock(&disks_lock);
	blk->next = disks;
	disks = blk;
	pthread_mutex_unlock(&disks_lock);
	return ret;

close_fd:
	close(blk->fd);
free_blk:
	free(blk);
	return ret;
}

static struct blk_dev *unlink_disk(int id)
{
	struct blk_dev **p, *blk = NULL;

	pthread_mutex_lock(&disks_lock);
	for (p = &disks; *p; p = &(*p)->next) {
		if ((*p)->dev.id == id) {
			blk = *p;
			*p = blk->next;
			break;
		}
	}
	pthread_mutex_unlock(&disks_lock);
	return blk;
}

static void disk_free(struct blk_dev *blk)
{
	close(blk->fd);
	free(blk);
}

int lkl_host_disk_remove(int id)
{
	struct blk_dev *blk = unlink_disk(id);
	int ret;

	if (!blk)
		return -ENOENT;
	ret = virtio_dev_remove(&blk->dev);
	if (ret < 0) {
		pthread_mutex_lock(&disks_lock);
		blk->next = disks;
		disks = blk;
		pthread_mutex_unlock(&disks_lock);
		return ret;
	}
	disk_free(blk);
	return 0;
}

/* After halt: the kernel reset every device; close the images. */
void lkl_host_disks_release(void)
{
	struct blk_dev *blk;

	pthread_mutex_lock(&disks_lock);
	while ((blk = disks)) {
		disks = blk->next;
		virtio_dev_forget(&blk->dev);
		disk_free(blk);
	}
	pthread_mutex_unlock(&disks_lock);
}
