/* The node's =memory figures, which several reports weigh their findings against. */
#include "bd.h"
#include "analyze/analyze.h"

/* A =memory value in bytes ("processes", "binary", ...), or 0 if absent. */
uint64_t bd_memory_bytes(struct bd_dump *d, const char *key)
{
	struct bd_slice rest, line, k, v;
	uint64_t n;

	if (!bd_section_body(d, BD_SECT_MEMORY, &rest))
		return 0;
	while (bd_slice_next_line(&rest, &line)) {
		if (bd_slice_split_kv(line, &k, &v) && bd_slice_eq(k, key) &&
		    bd_parse_u64(bd_slice_trim(v), &n))
			return n;
	}
	return 0;
}
