/*
 * entity.h: the data model. One table per entity lists its fields in wire
 * order (the order the original server serializes them: id, declared nested
 * fields, plain fields in declaration order with created_at and modified_at,
 * then foreign keys) with their types and rules.
 *
 * Both layers above read these tables: the store maps fields to columns
 * (column name == field name), the server validates request bodies and
 * serializes rows from them. Rules that belong to the API (read-only,
 * editable in OPERATION, private) are flags here too, so that there is one
 * place per field; the store ignores them.
 */
#ifndef MP_ENTITY_H
#define MP_ENTITY_H

#include <stddef.h>

enum entity_id {
	ENT_USER,
	ENT_MLCUBE,
	ENT_ASSET,
	ENT_MODEL,
	ENT_BENCHMARK,
	ENT_DATASET,
	ENT_BENCHMARK_DATASET,
	ENT_BENCHMARK_MODEL,
	ENT_RESULT,
	ENT__MAX
};

enum field_type {
	FT_ID,    /* 64-bit auto-increment primary key */
	FT_STR,   /* string of at most maxlen characters */
	FT_TEXT,  /* unbounded string */
	FT_INT,   /* 64-bit integer */
	FT_BOOL,
	FT_JSON,  /* any JSON value, stored as compact text */
	FT_DT,    /* datetime, stored as microseconds since the epoch */
	FT_ENUM,  /* one of choices[] */
	FT_FK,    /* id of a row of entity fk */
};

/* Field flags. */
#define FF_REQUIRED  0x0001u /* must be present on create */
#define FF_BLANK     0x0002u /* "" accepted (strings) */
#define FF_NULLABLE  0x0004u /* JSON null accepted and stored */
#define FF_READONLY  0x0008u /* never taken from a request body */
#define FF_NOCREATE  0x0010u /* ignored on create, writable on update */
#define FF_NOUPDATE  0x0020u /* taken on create only */
#define FF_PRIVATE   0x0040u /* left out of the public serializer */
#define FF_OPEDIT    0x0080u /* may change while the object is in OPERATION */
#define FF_UNIQUE    0x0100u /* unique among all rows */
#define FF_HIDDEN    0x0200u /* never serialized, never read from bodies */
#define FF_AUTO_NOW  0x0400u /* set by the store on insert (created_at) */
#define FF_AUTO_MOD  0x0800u /* set by the store on every write (modified_at) */
#define FF_NESTED    0x1000u /* serialized as the full referenced object */

struct field {
	const char *name;
	enum field_type type;
	unsigned flags;
	int maxlen;                     /* FT_STR */
	const char *const *choices;     /* FT_ENUM, NULL-terminated */
	enum entity_id fk;              /* FT_FK */
	const char *def;                /* default, as JSON text; NULL: none */
};

struct entity {
	const char *name;          /* for messages: "benchmark", "ml cube" */
	const char *table;
	const struct field *fields;
	int nfields;
	const char *order;         /* default ordering: "modified_at" or "-priority" */
};

extern const struct entity entities[ENT__MAX];

extern const char *const state_choices[];     /* DEVELOPMENT, OPERATION */
extern const char *const approval_choices[];  /* PENDING, APPROVED, REJECTED */
extern const char *const automode_choices[];  /* NEVER, ALWAYS, ALLOWLIST */
extern const char *const modeltype_choices[]; /* ASSET, CONTAINER */

/* Index of field name in entity, or -1. */
int entity_field(enum entity_id ent, const char *name);
/* The field itself, or NULL. */
const struct field *entity_get_field(enum entity_id ent, const char *name);

#endif
