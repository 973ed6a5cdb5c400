// SPDX-License-Identifier: GPL-2.0
/*
 * Devices the host adds while the kernel runs: virtio-mmio platform
 * devices, whose registers the host emulates (linux/host/virtio.c). The
 * stock virtio-mmio driver binds to them, then virtio-blk or virtio-net.
 */
#include <linux/platform_device.h>
#include <linux/ioport.h>
#include <linux/mutex.h>
#include <linux/err.h>
#include <asm/host_ops.h>

#include "internal.h"

#define MAX_DEVICES 256

/* Only touched in the kernel, by tasks: a kernel mutex is enough. */
static DEFINE_MUTEX(devices_lock);
static struct platform_device *devices[MAX_DEVICES];

struct lkl_device_add {
	unsigned long base;
	unsigned long size;
	int irq;
	int id;
};

static long add_device(void *arg)
{
	struct lkl_device_add *add = arg;
	struct resource res[] = {
		DEFINE_RES_MEM(add->base, add->size),
		DEFINE_RES_IRQ(add->irq),
	};
	struct platform_device *pdev;
	long ret = 0;

	mutex_lock(&devices_lock);
	if (devices[add->id]) {
		ret = -EEXIST;
		goto out;
	}
	pdev = platform_device_register_simple("virtio-mmio", add->id, res,
					       ARRAY_SIZE(res));
	if (IS_ERR(pdev)) {
		ret = PTR_ERR(pdev);
		goto out;
	}
	/* Probing is synchronous: no driver now means it refused. */
	if (!pdev->dev.driver) {
		platform_device_unregister(pdev);
		ret = -ENODEV;
		goto out;
	}
	devices[add->id] = pdev;
out:
	mutex_unlock(&devices_lock);
	return ret;
}

static long remove_device(void *arg)
{
	int id = *(int *)arg;
	struct platform_device *pdev;

	mutex_lock(&devices_lock);
	pdev = devices[id];
	devices[id] = NULL;
	mutex_unlock(&devices_lock);
	if (!pdev)
		return -ENOENT;
	platform_device_unregister(pdev);
	return 0;
}

int lkl_kernel_device_add(unsigned long base, unsigned long size, int irq,
			  int id)
{
	struct lkl_device_add add = {
		.base = base, .size = size, .irq = irq, .id = id,
	};

	if (id < 0 || id >= MAX_DEVICES || !size || irq <= 0)
		return -EINVAL;
	return lkl_call_as_task(add_device, &add);
}

int lkl_kernel_device_remove(int id)
{
	if (id < 0 || id >= MAX_DEVICES)
		return -EINVAL;
	return lkl_call_as_task(remove_device, &id);
}
