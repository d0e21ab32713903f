/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A first, cheap pass over a config with libyaml's event parser, before
 * libcyaml loads it:
 * - maps field paths ("ports[1].device") to the line of their key or item,
 *   since libcyaml reports what is wrong but not where;
 * - reports a YAML syntax error at libyaml's problem mark (line and column
 *   of the offending character), not the line libcyaml's message suggests;
 * - walks the libcyaml schema beside the document and reports every
 *   unknown key, each with the nearest allowed key ("did you mean"), where
 *   libcyaml stops at the first.
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
	bool want_key;	  /* map: next scalar is a key */
	unsigned int idx; /* seq: next item index */
	char base[PATH_LEN];
	char key_path[PATH_LEN];	    /* map: path of the key whose value comes next */
	const cyaml_schema_value_t *schema; /* this container's; NULL: not checked */
	const cyaml_schema_value_t *child;  /* map: the value schema of the current key */
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

/* Schema of a value that starts under @p f (its container's schema for it). */
static const cyaml_schema_value_t *child_schema(const struct frame *f)
{
	if (f == NULL || f->schema == NULL)
		return NULL;
	if (f->is_map)
		return f->child;
	if (f->schema->type == CYAML_SEQUENCE || f->schema->type == CYAML_SEQUENCE_FIXED)
		return f->schema->sequence.entry;
	return NULL;
}

/* Levenshtein distance, for "did you mean". */
static unsigned int distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned int row[64];

	if (la >= 64 || lb >= 64)
		return 99;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned int)j;
	for (size_t i = 1; i <= la; i++) {
		unsigned int diag = row[0];

		row[0] = (unsigned int)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned int up = row[j];
			unsigned int best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* The mapping fields of schema @p v (itself, or a sequence's entries), or NULL. */
static const cyaml_schema_field_t *fields_of(const cyaml_schema_value_t *v)
{
	if (v == NULL)
		return NULL;
	if (v->type == CYAML_SEQUENCE || v->type == CYAML_SEQUENCE_FIXED)
		v = v->sequence.entry;
	return v != NULL && v->type == CYAML_MAPPING ? v->mapping.fields : NULL;
}

/* Search the whole schema for a key named @p key (or one typo away): its path in @p out. */
static bool find_anywhere(const cyaml_schema_value_t *v, const char *prefix, const char *key,
			  unsigned int max_dist, char *out, size_t outlen, int depth)
{
	const cyaml_schema_field_t *f = fields_of(v);

	if (f == NULL || depth > 4)
		return false;
	for (; f->key != NULL; f++) {
		char p[PATH_LEN];

		snprintf(p, sizeof(p), "%.60s%s%.60s", prefix, prefix[0] ? "." : "", f->key);
		if (distance(key, f->key) <= max_dist) {
			snprintf(out, outlen, "%s", p);
			return true;
		}
		if (find_anywhere(&f->value, p, key, max_dist, out, outlen, depth + 1))
			return true;
	}
	return false;
}

static void unknown_key(const cyaml_schema_value_t *root, const struct frame *f, const char *key,
			const char *path, const yaml_mark_t *mark, struct conf_errs *errs)
{
	const cyaml_schema_field_t *best = NULL;
	unsigned int best_d = 99;
	size_t klen = strlen(key);
	unsigned int limit = klen <= 3 ? 1 : klen <= 6 ? 2 : 3;
	char hint[PATH_LEN + 48] = "";
	char where[PATH_LEN];
	struct conf_err *e;

	for (const cyaml_schema_field_t *fl = f->schema->mapping.fields; fl->key != NULL; fl++) {
		unsigned int d = distance(key, fl->key);

		if (d < best_d) {
			best_d = d;
			best = fl;
		}
	}
	if (best != NULL && best_d <= limit)
		snprintf(hint, sizeof(hint), "; did you mean '%s'?", best->key);
	else if (find_anywhere(root, "", key, klen <= 6 ? 0 : 1, where, sizeof(where), 0))
		snprintf(hint, sizeof(hint), "; did you mean '%s' (in another section)?", where);
	e = conf_errs_add(errs);
	if (e == NULL)
		return;
	snprintf(e->field, sizeof(e->field), "%s", path);
	snprintf(e->msg, sizeof(e->msg), "unknown key%s (config/natprobe.yaml lists every key)",
		 hint);
	e->line = (unsigned int)mark->line + 1;
}

struct conf_lines *conf_lines_parse(const char *buf, size_t len, const cyaml_schema_value_t *root,
				    struct conf_errs *errs)
{
	struct frame stack[MAX_DEPTH];
	int depth = 0;
	yaml_parser_t parser;
	struct conf_lines *cl;
	bool done = false;

	cl = calloc(1, sizeof(*cl));
	if (cl == NULL)
		return NULL;
	if (!yaml_parser_initialize(&parser))
		return cl;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!done) {
		yaml_event_t ev;
		struct frame *top = depth > 0 ? &stack[depth - 1] : NULL;
		const cyaml_schema_value_t *sch;
		unsigned int line;
		char p[PATH_LEN];

		if (!yaml_parser_parse(&parser, &ev)) {
			struct conf_err *e = errs != NULL ? conf_errs_add(errs) : NULL;

			if (e != NULL) {
				snprintf(e->field, sizeof(e->field), "(yaml)");
				snprintf(e->msg, sizeof(e->msg), "syntax error: %s%s%s",
					 parser.problem ? parser.problem : "cannot parse",
					 parser.context ? ", " : "",
					 parser.context ? parser.context : "");
				if (parser.context != NULL) {
					size_t n = strlen(e->msg);

					snprintf(e->msg + n, sizeof(e->msg) - n,
						 " at line %lu column %lu",
						 (unsigned long)parser.context_mark.line + 1,
						 (unsigned long)parser.context_mark.column + 1);
				}
				e->line = (unsigned int)parser.problem_mark.line + 1;
				e->col = (unsigned int)parser.problem_mark.column + 1;
				e->syntax = true;
			}
			break;
		}
		line = (unsigned int)ev.start_mark.line + 1;
		switch (ev.type) {
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			sch = top == NULL ? root : child_schema(top);
			child_path(cl, top, p, line);
			if (depth == MAX_DEPTH) {
				done = true;
				break;
			}
			memset(&stack[depth], 0, sizeof(stack[depth]));
			stack[depth].is_map = ev.type == YAML_MAPPING_START_EVENT;
			stack[depth].want_key = true;
			/* a type mismatch is libcyaml's to report: stop checking keys below */
			if (sch != NULL && stack[depth].is_map != (sch->type == CYAML_MAPPING))
				sch = NULL;
			stack[depth].schema = sch;
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
				const char *key = (const char *)ev.data.scalar.value;

				snprintf(top->key_path, PATH_LEN, "%.60s%s%.60s", top->base,
					 top->base[0] ? "." : "", key);
				add(cl, top->key_path, line);
				top->want_key = false;
				top->child = NULL;
				if (top->schema != NULL) {
					const cyaml_schema_field_t *f = top->schema->mapping.fields;

					while (f->key != NULL && strcmp(f->key, key) != 0)
						f++;
					if (f->key != NULL)
						top->child = &f->value;
					else if (errs != NULL)
						unknown_key(root, top, key, top->key_path,
							    &ev.start_mark, errs);
				}
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
