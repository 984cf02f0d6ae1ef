/*
 * A graph a report can draw: deadlocks' wait-for graph. The report keeps it
 * typed beside its tree, and the DOT renderer draws it; a report without
 * one cannot be written as DOT.
 */
#ifndef BD_REPORT_GRAPH_H
#define BD_REPORT_GRAPH_H

#include "bd.h"

enum bd_graph_mark {
	BD_MARK_PLAIN,
	BD_MARK_END,    /* where a chain starts or stops: drawn bold */
	BD_MARK_CYCLE,  /* on a cycle: drawn red */
};

struct bd_graph_node {
	struct bd_slice id;     /* unique: a pid */
	struct bd_slice label;  /* may hold line breaks */
	enum bd_graph_mark mark;
};

struct bd_graph_edge {
	size_t from, to;        /* node indexes */
	struct bd_slice label;
	bool cycle;             /* both ends on one cycle: drawn red */
};

struct bd_graph {
	const char *name;       /* the DOT graph's name */
	const struct bd_graph_node *nodes;
	size_t n_nodes;
	const struct bd_graph_edge *edges;
	size_t n_edges;
};

#endif
