/* Graphviz DOT of a report's graph: its nodes, then its edges, cycles in red. */
#include "bd.h"
#include "report/graph.h"
#include "report/model.h"

#include <stdio.h>

/* A DOT string: quotes and backslashes escaped, line breaks as \n, other controls dropped. */
static void dot_string(FILE *out, struct bd_slice s)
{
	fputc('"', out);
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.ptr[i];
		if (c == '"' || c == '\\')
			fputc('\\', out);
		if (c == '\n')
			fputs("\\n", out);
		else if (c >= 0x20 || c == '\t')
			fputc(c, out);
	}
	fputc('"', out);
}

static const char *const red = ", color=red, fontcolor=red, penwidth=2";

bool bd_rm_render_dot(const struct bd_report *r, FILE *out)
{
	const struct bd_graph *g = r->graph;

	if (!g)
		return false;
	fprintf(out, "digraph %s {\n\trankdir=LR;\n\tnode [shape=box, fontname=\"monospace\"];\n"
		"\tedge [fontname=\"monospace\", fontsize=10];\n", g->name);
	for (size_t i = 0; i < g->n_nodes; i++) {
		const struct bd_graph_node *n = &g->nodes[i];
		fputc('\t', out);
		dot_string(out, n->id);
		fputs(" [label=", out);
		dot_string(out, n->label);
		if (n->mark == BD_MARK_CYCLE)
			fputs(red, out);
		else if (n->mark == BD_MARK_END)
			fputs(", style=bold", out);
		fputs("];\n", out);
	}
	for (size_t i = 0; i < g->n_edges; i++) {
		const struct bd_graph_edge *e = &g->edges[i];
		fputc('\t', out);
		dot_string(out, g->nodes[e->from].id);
		fputs(" -> ", out);
		dot_string(out, g->nodes[e->to].id);
		fputs(" [label=", out);
		dot_string(out, e->label);
		if (e->cycle)
			fputs(red, out);
		fputs("];\n", out);
	}
	fputs("}\n", out);
	return true;
}
