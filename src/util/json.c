/* JSON (RFC 8259) into a tree: recursive descent, depth-limited, every byte checked. */
#include "bd.h"
#include "util/json.h"

#include <stdlib.h>

#define MAX_DEPTH 256

struct jp {
	struct bd_arena *a;
	const char *p, *start, *end;
	struct bd_error *err;
	enum bd_status rc;
};

static bool jfail(struct jp *j, enum bd_status code, const char *what)
{
	if (!j->rc)
		j->rc = bd_fail(j->err, code, (uint64_t)(j->p - j->start), NULL, "%s", what);
	return false;
}

static void skip_ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static bool literal(struct jp *j, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
		return jfail(j, BD_EFORMAT, "not JSON: unexpected character");
	j->p += n;
	return true;
}

static void put_utf8(struct bd_buf *b, uint32_t c)
{
	char u[4];
	size_t n;

	if (c < 0x80) {
		u[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		u[0] = (char)(0xC0 | (c >> 6));
		u[1] = (char)(0x80 | (c & 0x3F));
		n = 2;
	} else if (c < 0x10000) {
		u[0] = (char)(0xE0 | (c >> 12));
		u[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		u[2] = (char)(0x80 | (c & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (c >> 18));
		u[1] = (char)(0x80 | ((c >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((c >> 6) & 0x3F));
		u[3] = (char)(0x80 | (c & 0x3F));
		n = 4;
	}
	bd_buf_add(b, u, n);
}

static bool hex4(struct jp *j, uint32_t *out)
{
	*out = 0;
	if (j->end - j->p < 4)
		return jfail(j, BD_EFORMAT, "bad \\u escape in a JSON string");
	for (int i = 0; i < 4; i++) {
		int d = bd_hex_digit(*j->p++);
		if (d < 0)
			return jfail(j, BD_EFORMAT, "bad \\u escape in a JSON string");
		*out = *out << 4 | (uint32_t)d;
	}
	return true;
}

/* At the opening quote; the string, unescaped, into the arena. */
static bool string(struct jp *j, const char **out, size_t *len)
{
	struct bd_buf b = BD_BUF_INIT;
	bool ok = false;

	j->p++;
	while (j->p < j->end && *j->p != '"') {
		unsigned char c = (unsigned char)*j->p;
		if (c < 0x20) {
			jfail(j, BD_EFORMAT, "control character in a JSON string");
			goto done;
		}
		if (c != '\\') {
			const char *run = j->p;
			while (j->p < j->end && *j->p != '"' && *j->p != '\\' &&
			       (unsigned char)*j->p >= 0x20)
				j->p++;
			bd_buf_add(&b, run, (size_t)(j->p - run));
			continue;
		}
		if (++j->p >= j->end)
			break;
		c = (unsigned char)*j->p++;
		switch (c) {
		case '"': case '\\': case '/': bd_buf_addch(&b, (char)c); break;
		case 'b': bd_buf_addch(&b, '\b'); break;
		case 'f': bd_buf_addch(&b, '\f'); break;
		case 'n': bd_buf_addch(&b, '\n'); break;
		case 'r': bd_buf_addch(&b, '\r'); break;
		case 't': bd_buf_addch(&b, '\t'); break;
		case 'u': {
			uint32_t cp, lo;
			if (!hex4(j, &cp))
				goto done;
			if (cp >= 0xD800 && cp < 0xDC00 && j->end - j->p >= 6 && j->p[0] == '\\' &&
			    j->p[1] == 'u') {
				j->p += 2;
				if (!hex4(j, &lo))
					goto done;
				if (lo >= 0xDC00 && lo < 0xE000)
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				else
					cp = 0xFFFD;
			} else if (cp >= 0xD800 && cp < 0xE000) {
				cp = 0xFFFD; /* a lone surrogate */
			}
			put_utf8(&b, cp);
			break;
		}
		default:
			j->p--;
			jfail(j, BD_EFORMAT, "bad escape in a JSON string");
			goto done;
		}
	}
	if (j->p >= j->end) {
		jfail(j, BD_EFORMAT, "JSON string not closed");
		goto done;
	}
	j->p++;
	if (b.oom || !(*out = bd_arena_strndup(j->a, b.ptr, b.len))) {
		jfail(j, BD_ENOMEM, "out of memory reading JSON");
		goto done;
	}
	*len = b.len;
	ok = true;
done:
	bd_buf_release(&b);
	return ok;
}

static bool number(struct jp *j, struct bd_json *v)
{
	const char *s = j->p;
	char tmp[64];
	bool digits = false;

	if (j->p < j->end && *j->p == '-')
		j->p++;
	while (j->p < j->end && ((*j->p >= '0' && *j->p <= '9') || *j->p == '.' || *j->p == 'e' ||
				 *j->p == 'E' || *j->p == '+' || *j->p == '-')) {
		digits |= *j->p >= '0' && *j->p <= '9';
		j->p++;
	}
	if (!digits || (size_t)(j->p - s) >= sizeof(tmp))
		return jfail(j, BD_EFORMAT, "bad JSON number");
	memcpy(tmp, s, (size_t)(j->p - s));
	tmp[j->p - s] = '\0';
	char *e;
	v->type = BD_JSON_NUM;
	v->num = strtod(tmp, &e);
	if (*e)
		return jfail(j, BD_EFORMAT, "bad JSON number");
	v->is_uint = bd_parse_u64(bd_slice_make(s, (size_t)(j->p - s)), &v->u);
	return true;
}

static bool value(struct jp *j, struct bd_json *v, unsigned depth);

static bool container(struct jp *j, struct bd_json *v, unsigned depth, char close)
{
	struct bd_json **tail = &v->first;

	if (depth >= MAX_DEPTH)
		return jfail(j, BD_ELIMIT, "JSON nested too deep");
	v->type = close == ']' ? BD_JSON_ARR : BD_JSON_OBJ;
	j->p++;
	skip_ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return true;
	}
	for (;;) {
		struct bd_json *c = bd_arena_calloc(j->a, 1, sizeof(*c));
		if (!c)
			return jfail(j, BD_ENOMEM, "out of memory reading JSON");
		skip_ws(j);
		if (close == '}') {
			size_t klen;
			if (j->p >= j->end || *j->p != '"')
				return jfail(j, BD_EFORMAT, "expected a member name in a JSON object");
			if (!string(j, &c->key, &klen))
				return false;
			skip_ws(j);
			if (j->p >= j->end || *j->p != ':')
				return jfail(j, BD_EFORMAT, "expected ':' in a JSON object");
			j->p++;
		}
		if (!value(j, c, depth + 1))
			return false;
		*tail = c;
		tail = &c->next;
		v->n++;
		skip_ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			return true;
		}
		return jfail(j, BD_EFORMAT, close == ']' ? "expected ',' or ']' in a JSON array"
							 : "expected ',' or '}' in a JSON object");
	}
}

static bool value(struct jp *j, struct bd_json *v, unsigned depth)
{
	skip_ws(j);
	if (j->p >= j->end)
		return jfail(j, BD_EFORMAT, "JSON text ends early");
	switch (*j->p) {
	case '{': return container(j, v, depth, '}');
	case '[': return container(j, v, depth, ']');
	case '"': v->type = BD_JSON_STR; return string(j, &v->str, &v->len);
	case 't': v->type = BD_JSON_BOOL; v->b = true; return literal(j, "true");
	case 'f': v->type = BD_JSON_BOOL; return literal(j, "false");
	case 'n': v->type = BD_JSON_NULL; return literal(j, "null");
	default: return number(j, v);
	}
}

enum bd_status bd_json_parse(struct bd_arena *a, const char *text, size_t len,
			     struct bd_json **out, struct bd_error *err)
{
	struct jp j = { a, text, text, text + len, err, BD_OK };
	struct bd_json *root = bd_arena_calloc(a, 1, sizeof(*root));

	*out = NULL;
	if (!root)
		return bd_fail(err, BD_ENOMEM, BD_NO_OFFSET, NULL, "out of memory reading JSON");
	if (!value(&j, root, 0))
		return j.rc;
	skip_ws(&j);
	if (j.p != j.end)
		return bd_fail(err, BD_EFORMAT, (uint64_t)(j.p - text), NULL,
			       "not JSON: text after the end of the value");
	*out = root;
	return BD_OK;
}

const struct bd_json *bd_json_get(const struct bd_json *obj, const char *key)
{
	if (!obj || obj->type != BD_JSON_OBJ)
		return NULL;
	for (const struct bd_json *c = obj->first; c; c = c->next)
		if (strcmp(c->key, key) == 0)
			return c;
	return NULL;
}
