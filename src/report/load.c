/* A saved JSON report read back into the report model, so one reader serves both. */
#include "bd.h"
#include "report/model.h"
#include "util/json.h"

struct rm_node *bd_rm_from_json(struct rm_builder *b, struct rm_node *parent, const struct bd_json *v)
{
	const char *key = v->key;
	struct rm_node *n;

	switch (v->type) {
	case BD_JSON_NULL:
		return bd_rm_null(b, parent, key);
	case BD_JSON_BOOL:
		return bd_rm_bool(b, parent, key, v->b);
	case BD_JSON_NUM:
		if (v->is_uint)
			return bd_rm_uint(b, parent, key, v->u);
		if (v->num >= -9.2e18 && v->num < 0 && v->num == (double)(int64_t)v->num)
			return bd_rm_int(b, parent, key, (int64_t)v->num);
		return bd_rm_float(b, parent, key, v->num);
	case BD_JSON_STR:
		return bd_rm_slice(b, parent, key, bd_slice_make(v->str, v->len));
	case BD_JSON_ARR:
	case BD_JSON_OBJ:
		n = v->type == BD_JSON_ARR ? bd_rm_arr(b, parent, key) : bd_rm_obj(b, parent, key);
		for (const struct bd_json *c = v->first; c && n; c = c->next)
			bd_rm_from_json(b, n, c);
		return n;
	}
	return NULL;
}

const struct rm_node *bd_rm_child(const struct rm_node *n, const char *key)
{
	if (!n)
		return NULL;
	for (const struct rm_node *c = n->first; c; c = c->next)
		if (c->key && strcmp(c->key, key) == 0)
			return c;
	return NULL;
}
