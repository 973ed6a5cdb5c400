// SPDX-License-Identifier: GPL-2.0
/*
 * RAM: one block of host memory, at the same address for the kernel and
 * the host (physical == virtual), handed to memblock at boot. Its size is
 * the mem= boot option.
 */
#include <linux/init.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/pfn.h>
#include <asm/host_ops.h>

#include "../kernel/internal.h"

unsigned long memory_start, memory_end;
void *empty_zero_page;

static unsigned long mem_size = (unsigned long)CONFIG_LKL_DEFAULT_MEMORY_MIB
				<< 20;

static int __init early_mem(char *p)
{
	mem_size = memparse(p, &p);
	return 0;
}
early_param("mem", early_mem);

void __init lkl_bootmem_init(void)
{
	unsigned long max_zone_pfn[MAX_NR_ZONES] = { 0 };
	void *ram;

	mem_size = PAGE_ALIGN(mem_size);
	if (mem_size < (16UL << 20))
		panic("lkl: mem=%luK is too small (16M at least)\n",
		      mem_size >> 10);

	ram = lkl_ops->page_alloc(mem_size);
	if (!ram)
		panic("lkl: cannot get %lu MiB of host memory\n",
		      mem_size >> 20);

	memory_start = (unsigned long)ram;
	memory_end = memory_start + mem_size;
	min_low_pfn = PFN_UP(memory_start);
	max_low_pfn = PFN_DOWN(memory_end);
	max_pfn = max_low_pfn;
	high_memory = (void *)memory_end;

	memblock_add(__pa(memory_start), mem_size);

	empty_zero_page = memblock_alloc(PAGE_SIZE, PAGE_SIZE);
	if (!empty_zero_page)
		panic("lkl: no memory for the zero page\n");

	max_zone_pfn[ZONE_NORMAL] = max_low_pfn;
	free_area_init(max_zone_pfn);

	pr_info("lkl: %lu MiB of RAM at 0x%lx\n", mem_size >> 20,
		memory_start);
}

void __init mem_init(void)
{
	/* Every page in the block, reserved ones too, has a struct page. */
	set_max_mapnr(max_low_pfn - min_low_pfn);
	memblock_free_all();
}
