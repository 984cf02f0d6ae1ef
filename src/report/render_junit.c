/*
 * JUnit XML of a check report: one test suite, one test case per rule, a
 * <failure> naming each violation, so CI servers show the rules natively.
 */
#include "bd.h"
#include "report/model.h"
#include "util/utf8.h"

#include <stdio.h>

/*
 * Text as XML 1.0 character data: markup escaped, control characters
 * (which XML forbids, or a terminal would act on) as '?', and bytes that
 * are not well-formed UTF-8 as U+FFFD.
 */
static void xml_text(FILE *out, const char *p, size_t len)
{
	const unsigned char *u = (const unsigned char *)p;

	for (size_t i = 0; i < len;) {
		unsigned char c = u[i];
		size_t n = bd_utf8_len(u + i, len - i, NULL);
		switch (c) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\n': case '\t': fputc(c, out); break;
		default:
			if (!n)
				fputs("\xEF\xBF\xBD", out);
			else if (bd_is_control(bd_utf8_decode(u + i, n)))
				fputc('?', out);
			else
				fwrite(u + i, 1, n, out);
			break;
		}
		i += n ? n : 1;
	}
}

static void xml_node(FILE *out, const struct rm_node *n)
{
	char buf[48];

	if (!n || n->kind == RM_NULL) {
		fputs("-", out);
		return;
	}
	switch (n->kind) {
	case RM_STR:
		xml_text(out, n->v.s.ptr, n->v.s.len);
		return;
	case RM_UINT:
		if (n->unit == RM_UNIT_BYTES)
			bd_rm_format_bytes(buf, sizeof(buf), n->v.u);
		else
			snprintf(buf, sizeof(buf), "%llu", (unsigned long long)n->v.u);
		break;
	case RM_INT:
		snprintf(buf, sizeof(buf), "%lld", (long long)n->v.i);
		break;
	case RM_FLOAT:
		snprintf(buf, sizeof(buf), "%g", n->v.f);
		break;
	case RM_BOOL:
		snprintf(buf, sizeof(buf), "%s", n->v.b ? "true" : "false");
		break;
	default:
		buf[0] = '\0';
		break;
	}
	fputs(buf, out);
}

bool bd_rm_render_junit(const struct bd_report *r, FILE *out)
{
	const struct rm_node *rules = bd_rm_child(r->root, "rules");
	size_t failures = 0;

	if (!rules)
		return false;
	for (const struct rm_node *c = rules->first; c; c = c->next) {
		const struct rm_node *p = bd_rm_child(c, "passed");
		failures += p && p->kind == RM_BOOL && !p->v.b;
	}
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		     "<testsuites name=\"beamdump check\" tests=\"%zu\" failures=\"%zu\" errors=\"0\">\n"
		     "  <testsuite name=\"beamdump check\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
		     "skipped=\"0\">\n",
		rules->n_children, failures, rules->n_children, failures);
	for (const struct rm_node *c = rules->first; c; c = c->next) {
		const struct rm_node *passed = bd_rm_child(c, "passed");
		const struct rm_node *viol = bd_rm_child(c, "violations");
		fputs("    <testcase classname=\"beamdump.check\" name=\"", out);
		xml_node(out, bd_rm_child(c, "rule"));
		fputs("\"", out);
		if (passed && passed->kind == RM_BOOL && passed->v.b) {
			fputs("/>\n", out);
			continue;
		}
		fputs(">\n      <failure type=\"rule\" message=\"", out);
		xml_node(out, bd_rm_child(c, "violations_count"));
		fputs(" violation(s), threshold ", out);
		xml_node(out, bd_rm_child(c, "threshold"));
		fputs("\">", out);
		for (const struct rm_node *v = viol ? viol->first : NULL; v; v = v->next) {
			xml_node(out, bd_rm_child(v, "evidence"));
			fputs("\n", out);
		}
		fputs("</failure>\n    </testcase>\n", out);
	}
	fputs("  </testsuite>\n</testsuites>\n", out);
	return true;
}
