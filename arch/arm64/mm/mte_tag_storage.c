// SPDX-License-Identifier: GPL-2.0
/*
 * The tag storage hook: one registered driver learns when tag storage becomes live (reserve)
 * and when it may become idle (release). See include/linux/mte_tag_storage.h.
 */
#include <linux/export.h>
#include <linux/mm.h>
#include <linux/mte_tag_storage.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <asm/mte.h>

/* Not exported: the inline users (try_page_mte_tagging() and the free path) are built in. */
DEFINE_STATIC_KEY_FALSE(mte_tag_storage_key);

static const struct mte_tag_storage_ops __rcu *tag_storage_ops;
static DEFINE_MUTEX(tag_storage_mutex);

/**
 * mte_tag_storage_register() - install the one driver that reuses idle tag storage
 * @ops: its callbacks; both must be set
 *
 * Callbacks may run before this returns: the driver must be ready for them.
 *
 * Return: 0, -EINVAL for incomplete ops, -EBUSY when a driver is registered already.
 */
int mte_tag_storage_register(const struct mte_tag_storage_ops *ops)
{
	int ret = 0;

	if (!ops || !ops->reserve || !ops->release)
		return -EINVAL;
	mutex_lock(&tag_storage_mutex);
	if (rcu_access_pointer(tag_storage_ops)) {
		ret = -EBUSY;
	} else {
		rcu_assign_pointer(tag_storage_ops, ops);
		static_branch_enable(&mte_tag_storage_key);
	}
	mutex_unlock(&tag_storage_mutex);
	return ret;
}
EXPORT_SYMBOL_GPL(mte_tag_storage_register);

/**
 * mte_tag_storage_unregister() - remove the driver; returns once no callback runs
 * @ops: the callbacks given to mte_tag_storage_register()
 */
void mte_tag_storage_unregister(const struct mte_tag_storage_ops *ops)
{
	mutex_lock(&tag_storage_mutex);
	if (rcu_access_pointer(tag_storage_ops) == ops) {
		static_branch_disable(&mte_tag_storage_key);
		RCU_INIT_POINTER(tag_storage_ops, NULL);
		synchronize_rcu();
	}
	mutex_unlock(&tag_storage_mutex);
}
EXPORT_SYMBOL_GPL(mte_tag_storage_unregister);

/**
 * __mte_tag_storage_reserve() - call the driver's reserve callback
 * @page: first page about to be tagged
 * @order: log2 of the number of pages
 */
void __mte_tag_storage_reserve(struct page *page, unsigned int order)
{
	const struct mte_tag_storage_ops *ops;

	rcu_read_lock();
	ops = rcu_dereference(tag_storage_ops);
	if (ops)
		ops->reserve(page, order);
	rcu_read_unlock();
}
EXPORT_SYMBOL_GPL(__mte_tag_storage_reserve);

/**
 * __mte_tag_storage_free() - call the driver's release callback for a block with tags
 * @page: first page of the block being freed
 * @order: log2 of the number of pages
 */
void __mte_tag_storage_free(struct page *page, unsigned int order)
{
	const struct mte_tag_storage_ops *ops;
	unsigned long i;

	for (i = 0; i < (1UL << order); i++)
		if (page_mte_tagged(page + i))
			break;
	if (i == (1UL << order))
		return;
	rcu_read_lock();
	ops = rcu_dereference(tag_storage_ops);
	if (ops)
		ops->release(page, order);
	rcu_read_unlock();
}
EXPORT_SYMBOL_GPL(__mte_tag_storage_free);
