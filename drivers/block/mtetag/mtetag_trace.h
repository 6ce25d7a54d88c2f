/* SPDX-License-Identifier: GPL-2.0 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM mtetag

#if !defined(_MTETAG_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _MTETAG_TRACE_H

#include <linux/tracepoint.h>

TRACE_EVENT(reserve,
	    TP_PROTO(unsigned long pfn, unsigned int order, u32 moved, u64 ns),
	    TP_ARGS(pfn, order, moved, ns),
	    TP_STRUCT__entry(__field(unsigned long, pfn)
			     __field(unsigned int, order)
			     __field(u32, moved)
			     __field(u64, ns)),
	    TP_fast_assign(__entry->pfn = pfn;
			   __entry->order = order;
			   __entry->moved = moved;
			   __entry->ns = ns;),
	    TP_printk("pfn=%#lx order=%u moved=%u ns=%llu", __entry->pfn, __entry->order,
		      __entry->moved, __entry->ns)
);

TRACE_EVENT(evict,
	    TP_PROTO(u32 tag_index, u32 bytes),
	    TP_ARGS(tag_index, bytes),
	    TP_STRUCT__entry(__field(u32, tag_index)
			     __field(u32, bytes)),
	    TP_fast_assign(__entry->tag_index = tag_index;
			   __entry->bytes = bytes;),
	    TP_printk("tag_page=%u bytes=%u", __entry->tag_index, __entry->bytes)
);

TRACE_EVENT(release,
	    TP_PROTO(unsigned long pfn, unsigned int order),
	    TP_ARGS(pfn, order),
	    TP_STRUCT__entry(__field(unsigned long, pfn)
			     __field(unsigned int, order)),
	    TP_fast_assign(__entry->pfn = pfn;
			   __entry->order = order;),
	    TP_printk("pfn=%#lx order=%u", __entry->pfn, __entry->order)
);

#endif /* _MTETAG_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE mtetag_trace
#include <trace/define_trace.h>
