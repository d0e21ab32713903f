/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where each field of a config file is: libcyaml reports what is wrong but
 * not the line, so a second, cheap pass with libyaml's event parser maps
 * field paths ("ports[1].device") to the line of their key or item.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "conf_internal.h"

#define PATH_LEN 128
#define MAX_DEPTH 32

struct line_entry {
	char path[PATH_LEN];
	unsigned int line;
};

struct conf_lines {
	struct line_entry *e;
	unsigned int n, cap;
};

struct frame {
	bool is_map;
	bool want_key;		/* map: next scalar is a key */
	unsigned int idx;	/* seq: next item index */
	char base[PATH_LEN];
	char key_path[PATH_LEN]; /* map: path of the key whose value comes next */
};

static void add(struct conf_lines *cl, const char *path, unsigned int line)
{
	if (cl->n == cl->cap) {
		unsigned int cap = cl->cap ? cl->cap * 2 : 64;
		struct line_entry *e = realloc(cl->e, cap * sizeof(*e));

		if (e == NULL)
			return;
		cl->e = e;
		cl->cap = cap;
	}
	snprintf(cl->e[cl->n].path, PATH_LEN, "%s", path);
	cl->e[cl->n].line = line;
	cl->n++;
}

/* Path of the value about to start under frame @p f; records it when it is a seq item. */
static void child_path(struct conf_lines *cl, struct frame *f, char *out, unsigned int line)
{
	if (f == NULL) {
		out[0] = '\0';
		return;
	}
	if (f->is_map) {
		snprintf(out, PATH_LEN, "%s", f->key_path);
		f->want_key = true;
	} else {
		snprintf(out, PATH_LEN, "%.100s[%u]", f->base, f->idx++);
		add(cl, out, line);
	}
}

struct conf_lines *conf_lines_read(const char *path)
{
	struct frame stack[MAX_DEPTH];
	int depth = 0;
	yaml_parser_t parser;
	struct conf_lines *cl;
	FILE *fp;
	bool done = false;

	cl = calloc(1, sizeof(*cl));
	if (cl == NULL)
		return NULL;
	fp = fopen(path, "rb");
	if (fp == NULL)
		return cl;
	if (!yaml_parser_initialize(&parser)) {
		fclose(fp);
		return cl;
	}
	yaml_parser_set_input_file(&parser, fp);
	while (!done) {
		yaml_event_t ev;
		struct frame *top = depth > 0 ? &stack[depth - 1] : NULL;
		unsigned int line;
		char p[PATH_LEN];

		if (!yaml_parser_parse(&parser, &ev))
			break;
		line = (unsigned int)ev.start_mark.line + 1;
		switch (ev.type) {
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			child_path(cl, top, p, line);
			if (depth == MAX_DEPTH) {
				done = true;
				break;
			}
			memset(&stack[depth], 0, sizeof(stack[depth]));
			stack[depth].is_map = ev.type == YAML_MAPPING_START_EVENT;
			stack[depth].want_key = true;
			snprintf(stack[depth].base, PATH_LEN, "%s", p);
			depth++;
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			if (depth > 0)
				depth--;
			break;
		case YAML_SCALAR_EVENT:
			if (top != NULL && top->is_map && top->want_key) {
				snprintf(top->key_path, PATH_LEN, "%.60s%s%.60s", top->base,
					 top->base[0] ? "." : "", (const char *)ev.data.scalar.value);
				add(cl, top->key_path, line);
				top->want_key = false;
			} else {
				child_path(cl, top, p, line);
			}
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	fclose(fp);
	return cl;
}

unsigned int conf_lines_find(const struct conf_lines *cl, const char *field)
{
	if (cl == NULL)
		return 0;
	for (unsigned int i = 0; i < cl->n; i++)
		if (strcmp(cl->e[i].path, field) == 0)
			return cl->e[i].line;
	return 0;
}

void conf_lines_free(struct conf_lines *cl)
{
	if (cl == NULL)
		return;
	free(cl->e);
	free(cl);
}
