/*
 * yaml.h: YAML files as jansson values, read and written the way MedPerf's
 * Python does (PyYAML's safe_load and safe_dump), with the line of every
 * node kept so that messages can say where a problem is.
 *
 * Reading follows PyYAML's SafeLoader (YAML 1.1 resolution): plain scalars
 * become null (~, null, empty), booleans (true/false, yes/no, on/off in
 * their three spellings), integers (decimal, 0x hex, 0 octal, 0b binary,
 * 1:30 base 60, underscores allowed; "0o17" is a string, as in PyYAML),
 * floats (with a '.' and a signed exponent if any, or .inf/.nan) or strings;
 * quoted scalars are strings. .nan, .inf and -.inf become the strings "nan",
 * "Infinity" and "-Infinity" (MedPerf's sanitize_json), since JSON has no
 * such numbers. An integer outside int64 is an error, never a rounded real.
 * The tags !!str, !!int, !!float, !!bool, !!null, !!seq, !!map and
 * !!timestamp are honoured; any other tag is an error. Mapping keys that are
 * not strings become their JSON text ("1", "true", "null"). Aliases and "<<"
 * merge keys are expanded. Timestamps stay strings. A later duplicate key
 * replaces an earlier one, as in PyYAML.
 *
 * Limits: text over 64 MiB is MP_ETOOBIG; more than one document, nesting
 * deeper than 1000 levels, and aliases that would add more than a million
 * nodes or 64 MiB of text to the document as written ("billion laughs") are
 * MP_EINVAL.
 *
 * Writing produces block-style YAML in the object's key order; strings that
 * would read back as something else (numbers, booleans, "null", "", leading
 * or trailing blanks, special characters) are quoted, so that
 * yaml_parse(yaml_dump(v)) == v for every value without NaN. The text is
 * what PyYAML's safe_dump(v, sort_keys=False, allow_unicode=True) writes
 * (floats like 1.0e+16, a root plain scalar ended by "..."), except that
 * long lines are not folded and strings with line breaks or control
 * characters are double-quoted with escapes ("a\nb").
 */
#ifndef MP_YAML_H
#define MP_YAML_H

#include <stddef.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"

/* Positions of a parsed document's nodes (opaque). */
struct yaml_doc;

/*
 * Parses text (len bytes). On success *out is the value (an empty document
 * is JSON null) and, when doc is not NULL, *doc keeps the node positions
 * (free with yaml_doc_free). On a syntax error returns MP_EINVAL and e says
 * "NAME:LINE:COLUMN: problem" (name is used only in messages).
 */
int yaml_parse(const char *text, size_t len, const char *name, json_t **out,
	       struct yaml_doc **doc, mp_errbuf *e);
/* yaml_parse of a whole file of at most max bytes (0: 16 MiB). */
int yaml_load_file(const char *path, size_t max, json_t **out, struct yaml_doc **doc,
		   mp_errbuf *e);
/*
 * Line (1-based) of the node at JSON pointer ptr ("" is the root,
 * "/tasks/infer/input_volumes/data_path"; "~1" and "~0" escape '/' and '~'),
 * or of its closest existing ancestor; 0 when doc is NULL. The line of a
 * mapping member is the line of its key; that of an alias, where it is used.
 */
int yaml_line(const struct yaml_doc *doc, const char *ptr);
void yaml_doc_free(struct yaml_doc *doc);

/*
 * Appends v as block-style YAML to out. MP_EINVAL for a string that is not
 * UTF-8 or nesting deeper than 1000 levels; out is unchanged on failure.
 */
int yaml_dump(struct buf *out, const json_t *v);
/* Writes v as YAML to path atomically (temp file + rename), with mode. */
int yaml_write_file(const char *path, const json_t *v, int mode, mp_errbuf *e);

#endif
