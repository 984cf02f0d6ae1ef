/*
 * The `Link list:` of a =proc: links are bare pids or ports; monitors are
 * {to,Target,Ref} (this process monitors Target) and {from,Watcher,Ref}
 * (Watcher monitors it). Target may be {Name,Node} for a named monitor.
 * A watcher is always a pid, but for a NIF resource's monitor (OTP 27+),
 * written {from,{Module,Type},Ref}: not a process on another node.
 */
#include "bd.h"
#include "parse/parse.h"

/* The next top-level item of "[a, {b,c}, d]": splits on commas outside brackets. */
static bool next_item(struct bd_slice *rest, struct bd_slice *item)
{
	const char *p = rest->ptr;
	const char *end;
	int depth = 0;

	if (!rest->len)
		return false;
	end = p + rest->len;

	while (p < end && (*p == '[' || *p == ' ' || *p == ','))
		p++;
	if (p >= end || *p == ']')
		return false;
	const char *start = p;
	for (; p < end; p++) {
		if (*p == '{' || *p == '<' || *p == '(')
			depth++;
		else if ((*p == '}' || *p == '>' || *p == ')') && depth > 0)
			depth--;
		else if (depth == 0 && (*p == ',' || *p == ']'))
			break;
	}
	*item = bd_slice_trim(bd_slice_make(start, (size_t)(p - start)));
	*rest = bd_slice_make(p, (size_t)(end - p));
	return true;
}

bool bd_next_link(struct bd_slice *rest, struct bd_link *out)
{
	struct bd_slice item;

	memset(out, 0, sizeof(*out));
	if (!next_item(rest, &item))
		return false;
	out->text = item;
	out->kind = BD_LINK;
	out->target = item;
	if (item.len < 2 || item.ptr[0] != '{' || item.ptr[item.len - 1] != '}')
		return true;
	/* {to,Target,Ref} / {from,Watcher,Ref} */
	struct bd_slice inner = bd_slice_make(item.ptr + 1, item.len - 2);
	struct bd_slice tag, target, ref;
	if (!next_item(&inner, &tag) || !next_item(&inner, &target) || !next_item(&inner, &ref))
		return true;
	if (bd_slice_eq(tag, "to"))
		out->kind = BD_MONITOR_TO;
	else if (bd_slice_eq(tag, "from"))
		out->kind = target.len && target.ptr[0] == '{' ? BD_MONITOR_RESOURCE : BD_MONITOR_FROM;
	else
		return true;
	out->target = target;
	out->ref = ref;
	return true;
}
