/*
 * entity.c: the field tables of every entity (see entity.h). The order of
 * each table is the wire order of the original server's serializers.
 */
#include <string.h>

#include "store/entity.h"

const char *const state_choices[] = {"DEVELOPMENT", "OPERATION", NULL};
const char *const approval_choices[] = {"PENDING", "APPROVED", "REJECTED", NULL};
const char *const automode_choices[] = {"NEVER", "ALWAYS", "ALLOWLIST", NULL};
const char *const modeltype_choices[] = {"ASSET", "CONTAINER", NULL};

#define ID {"id", FT_ID, FF_READONLY, 0, NULL, 0, NULL}
#define CREATED {"created_at", FT_DT, FF_READONLY | FF_AUTO_NOW, 0, NULL, 0, NULL}
#define MODIFIED {"modified_at", FT_DT, FF_READONLY | FF_AUTO_MOD, 0, NULL, 0, NULL}
#define OWNER {"owner", FT_FK, FF_READONLY, 0, NULL, ENT_USER, NULL}
#define STATE(extra) {"state", FT_ENUM, (extra), 0, state_choices, 0, "\"DEVELOPMENT\""}
#define IS_VALID {"is_valid", FT_BOOL, FF_OPEDIT, 0, NULL, 0, "true"}
#define JSONOBJ(n, fl) {n, FT_JSON, (fl), 0, NULL, 0, "{}"}
#define STR(n, len, fl) {n, FT_STR, (fl), len, NULL, 0, NULL}
#define BLANKSTR(n, len, fl) {n, FT_STR, FF_BLANK | (fl), len, NULL, 0, "\"\""}
#define FK(n, target, fl) {n, FT_FK, (fl), 0, NULL, target, NULL}
#define APPROVAL(fl) {"approval_status", FT_ENUM, (fl), 0, approval_choices, 0, "\"PENDING\""}
#define DT(n, fl) {n, FT_DT, FF_READONLY | FF_NULLABLE | (fl), 0, NULL, 0, "null"}

static const struct field user_fields[] = {
	ID,
	{"username", FT_STR, FF_READONLY, 150, NULL, 0, NULL},
	{"email", FT_STR, FF_READONLY, 254, NULL, 0, "\"\""},
	{"first_name", FT_STR, FF_READONLY, 150, NULL, 0, "\"\""},
	{"last_name", FT_STR, FF_READONLY, 150, NULL, 0, "\"\""},
	JSONOBJ("metadata", 0),
	{"is_admin", FT_BOOL, FF_HIDDEN | FF_READONLY, 0, NULL, 0, "false"},
	{"is_active", FT_BOOL, FF_HIDDEN | FF_READONLY, 0, NULL, 0, "true"},
	{"created_at", FT_DT, FF_HIDDEN | FF_READONLY | FF_AUTO_NOW, 0, NULL, 0, NULL},
	{"modified_at", FT_DT, FF_HIDDEN | FF_READONLY | FF_AUTO_MOD, 0, NULL, 0, NULL},
};

static const struct field mlcube_fields[] = {
	ID,
	STR("name", 128, FF_REQUIRED | FF_UNIQUE),
	{"container_config", FT_JSON, FF_REQUIRED, 0, NULL, 0, NULL},
	{"parameters_config", FT_JSON, FF_NULLABLE, 0, NULL, 0, "null"},
	STR("image_hash", 100, FF_REQUIRED),
	BLANKSTR("additional_files_tarball_url", 256, FF_OPEDIT),
	BLANKSTR("additional_files_tarball_hash", 100, 0),
	STATE(0),
	IS_VALID,
	JSONOBJ("metadata", FF_NULLABLE),
	JSONOBJ("user_metadata", FF_NULLABLE | FF_OPEDIT),
	CREATED,
	MODIFIED,
	OWNER,
};

static const struct field asset_fields[] = {
	ID,
	STR("name", 128, FF_REQUIRED | FF_UNIQUE),
	STR("asset_hash", 100, FF_REQUIRED),
	STR("asset_url", 256, FF_REQUIRED | FF_OPEDIT),
	STATE(0),
	IS_VALID,
	JSONOBJ("metadata", FF_NULLABLE),
	JSONOBJ("user_metadata", FF_NULLABLE | FF_OPEDIT),
	CREATED,
	MODIFIED,
	OWNER,
};

static const struct field model_fields[] = {
	ID,
	FK("container", ENT_MLCUBE, FF_NULLABLE | FF_NESTED | FF_NOUPDATE),
	FK("asset", ENT_ASSET, FF_NULLABLE | FF_NESTED | FF_NOUPDATE),
	STR("name", 128, FF_REQUIRED | FF_UNIQUE),
	STATE(0),
	{"is_valid", FT_BOOL, FF_OPEDIT, 0, NULL, 0, "true"},
	JSONOBJ("metadata", FF_NULLABLE),
	JSONOBJ("user_metadata", FF_NULLABLE | FF_OPEDIT),
	{"type", FT_ENUM, FF_REQUIRED, 0, modeltype_choices, 0, NULL},
	CREATED,
	MODIFIED,
	{"owner", FT_FK, FF_READONLY, 0, NULL, ENT_USER, NULL},
};

static const struct field benchmark_fields[] = {
	ID,
	STR("name", 128, FF_REQUIRED | FF_UNIQUE),
	BLANKSTR("description", 256, 0),
	BLANKSTR("docs_url", 100, 0),
	STR("demo_dataset_tarball_url", 256, FF_REQUIRED | FF_OPEDIT),
	STR("demo_dataset_tarball_hash", 100, FF_REQUIRED),
	STR("demo_dataset_generated_uid", 128, FF_REQUIRED),
	JSONOBJ("metadata", FF_NULLABLE),
	STATE(0),
	IS_VALID,
	{"is_active", FT_BOOL, FF_OPEDIT, 0, NULL, 0, "true"},
	APPROVAL(FF_NOCREATE | FF_OPEDIT),
	{"dataset_auto_approval_allow_list", FT_JSON, FF_PRIVATE | FF_OPEDIT, 0, NULL, 0, "[]"},
	{"dataset_auto_approval_mode", FT_ENUM, FF_OPEDIT, 0, automode_choices, 0, "\"NEVER\""},
	{"model_auto_approval_allow_list", FT_JSON, FF_PRIVATE | FF_OPEDIT, 0, NULL, 0, "[]"},
	{"model_auto_approval_mode", FT_ENUM, FF_OPEDIT, 0, automode_choices, 0, "\"NEVER\""},
	JSONOBJ("user_metadata", FF_NULLABLE | FF_OPEDIT),
	DT("approved_at", 0),
	CREATED,
	MODIFIED,
	OWNER,
	FK("data_preparation_mlcube", ENT_MLCUBE, FF_REQUIRED),
	FK("reference_model", ENT_MODEL, FF_REQUIRED),
	FK("data_evaluator_mlcube", ENT_MLCUBE, FF_REQUIRED),
};

static const struct field dataset_fields[] = {
	ID,
	STR("name", 128, FF_REQUIRED),
	BLANKSTR("description", 256, 0),
	BLANKSTR("location", 128, 0),
	STR("input_data_hash", 128, FF_REQUIRED),
	STR("generated_uid", 128, FF_REQUIRED),
	{"split_seed", FT_INT, FF_REQUIRED, 0, NULL, 0, NULL},
	{"is_valid", FT_BOOL, FF_OPEDIT, 0, NULL, 0, "true"},
	{"submitted_as_prepared", FT_BOOL, FF_REQUIRED, 0, NULL, 0, NULL},
	{"state", FT_ENUM, FF_NOCREATE, 0, state_choices, 0, "\"DEVELOPMENT\""},
	JSONOBJ("generated_metadata", 0),
	JSONOBJ("user_metadata", FF_NULLABLE | FF_OPEDIT),
	JSONOBJ("report", FF_NULLABLE | FF_PRIVATE),
	CREATED,
	MODIFIED,
	{"owner", FT_FK, FF_READONLY, 0, NULL, ENT_USER, NULL},
	FK("data_preparation_mlcube", ENT_MLCUBE, FF_REQUIRED),
};

static const struct field benchmark_dataset_fields[] = {
	ID,
	{"metadata", FT_JSON, FF_REQUIRED, 0, NULL, 0, NULL},
	APPROVAL(0),
	DT("approved_at", 0),
	CREATED,
	MODIFIED,
	FK("dataset", ENT_DATASET, FF_REQUIRED),
	FK("benchmark", ENT_BENCHMARK, FF_REQUIRED),
	FK("initiated_by", ENT_USER, FF_READONLY),
};

static const struct field benchmark_model_fields[] = {
	ID,
	{"metadata", FT_JSON, FF_REQUIRED, 0, NULL, 0, NULL},
	APPROVAL(0),
	DT("approved_at", 0),
	CREATED,
	MODIFIED,
	{"priority", FT_INT, FF_NOCREATE, 0, NULL, 0, "0"},
	FK("model", ENT_MODEL, FF_REQUIRED),
	FK("benchmark", ENT_BENCHMARK, FF_REQUIRED),
	FK("initiated_by", ENT_USER, FF_READONLY),
};

static const struct field result_fields[] = {
	ID,
	BLANKSTR("name", 128, 0),
	JSONOBJ("results", 0),
	{"finalized", FT_BOOL, FF_READONLY, 0, NULL, 0, "false"},
	JSONOBJ("metadata", 0),
	JSONOBJ("user_metadata", 0),
	APPROVAL(FF_NOCREATE),
	{"is_valid", FT_BOOL, 0, 0, NULL, 0, "true"},
	JSONOBJ("model_report", FF_NULLABLE),
	JSONOBJ("evaluation_report", FF_NULLABLE),
	DT("finalized_at", 0),
	DT("approved_at", 0),
	CREATED,
	MODIFIED,
	OWNER,
	FK("benchmark", ENT_BENCHMARK, FF_REQUIRED | FF_NOUPDATE),
	FK("model", ENT_MODEL, FF_REQUIRED | FF_NOUPDATE),
	FK("dataset", ENT_DATASET, FF_REQUIRED | FF_NOUPDATE),
};

#define ENTITY(nm, tbl, arr, ord) {nm, tbl, arr, (int)(sizeof(arr) / sizeof(arr[0])), ord}

const struct entity entities[ENT__MAX] = {
	[ENT_USER] = ENTITY("user", "users", user_fields, "id"),
	[ENT_MLCUBE] = ENTITY("ml cube", "mlcube", mlcube_fields, "modified_at"),
	[ENT_ASSET] = ENTITY("asset", "asset", asset_fields, "modified_at"),
	[ENT_MODEL] = ENTITY("model", "model", model_fields, "modified_at"),
	[ENT_BENCHMARK] = ENTITY("benchmark", "benchmark", benchmark_fields, "modified_at"),
	[ENT_DATASET] = ENTITY("dataset", "dataset", dataset_fields, "modified_at"),
	[ENT_BENCHMARK_DATASET] = ENTITY("benchmark dataset", "benchmark_dataset",
					 benchmark_dataset_fields, "modified_at"),
	[ENT_BENCHMARK_MODEL] = ENTITY("benchmark model", "benchmark_model",
				       benchmark_model_fields, "-priority"),
	[ENT_RESULT] = ENTITY("model result", "model_result", result_fields, "modified_at"),
};

int entity_field(enum entity_id ent, const char *name)
{
	const struct entity *en = &entities[ent];

	for (int i = 0; i < en->nfields; i++)
		if (strcmp(en->fields[i].name, name) == 0)
			return i;
	return -1;
}

const struct field *entity_get_field(enum entity_id ent, const char *name)
{
	int i = entity_field(ent, name);

	return i < 0 ? NULL : &entities[ent].fields[i];
}
