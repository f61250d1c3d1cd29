/*
 * routes.c: the routing table: every endpoint of the API, its handler, and
 * what the dispatcher does before calling it. Patterns end in '/'; "{id}"
 * matches a positive integer. The dispatcher also answers the same path
 * without its trailing slash. openapi.c describes exactly these routes.
 *
 * flags: RT_PUBLIC  no authentication (otherwise 401 for anonymous callers)
 *        RT_BODY    a JSON body is read (415 for other media types, 400 if malformed)
 *        RT_WRITE   the handler runs in one write transaction
 * allow: the roles admitted (policy.h), as in the original's permission classes;
 *        handlers enforce them, with the object-level facts they load.
 */
#include "server/policy.h"
#include "server/server.h"

#define W (RT_BODY | RT_WRITE)
#define AUTH ROLE_AUTH
#define ADMIN ROLE_ADMIN
#define OWNER ROLE_OWNER
#define BOWN ROLE_BENCH_OWNER
#define DOWN ROLE_DATASET_OWNER
#define MOWN ROLE_MODEL_OWNER
#define V "/api/v0"
#define NONE (-1)

const struct route routes[] = {
	{"GET", "/version", api_version, RT_PUBLIC, 0, "API version", NONE, 0},
	{"GET", V "/schema/", api_schema, RT_PUBLIC, 0, "OpenAPI 3 description of this API", NONE, 0},

	{"GET", V "/users/", users_list, 0, ADMIN, "List users", ENT_USER, 1},
	{"GET", V "/users/{id}/", users_get, 0, ADMIN | ROLE_SELF | ROLE_PREP_OWNER, "Get a user", ENT_USER, 0},
	{"PUT", V "/users/{id}/", users_put, W, ADMIN | ROLE_SELF, "Update a user's metadata", ENT_USER, 0},
	{"DELETE", V "/users/{id}/", users_delete, RT_WRITE, ADMIN, "Delete a user", NONE, 0},
	{"GET", V "/users/{id}/metadata/", users_metadata, 0, AUTH, "Get a user's metadata", NONE, 0},

	{"GET", V "/me/", me_get, 0, AUTH, "The caller (created on first sight)", ENT_USER, 0},
	{"GET", V "/me/benchmarks/", me_benchmarks, 0, AUTH, "The caller's benchmarks", ENT_BENCHMARK, 1},
	{"GET", V "/me/mlcubes/", me_mlcubes, 0, AUTH, "The caller's containers", ENT_MLCUBE, 1},
	{"GET", V "/me/assets/", me_assets, 0, AUTH, "The caller's assets", ENT_ASSET, 1},
	{"GET", V "/me/models/", me_models, 0, AUTH, "The caller's models", ENT_MODEL, 1},
	{"GET", V "/me/datasets/", me_datasets, 0, AUTH, "The caller's datasets", ENT_DATASET, 1},
	{"GET", V "/me/results/", me_results, 0, AUTH, "The caller's results", ENT_RESULT, 1},
	{"GET", V "/me/datasets/associations/", me_dataset_assocs, 0, AUTH,
	 "Dataset associations of the caller's datasets or benchmarks", ENT_BENCHMARK_DATASET, 1},
	{"GET", V "/me/models/associations/", me_model_assocs, 0, AUTH,
	 "Model associations of the caller's models or benchmarks", ENT_BENCHMARK_MODEL, 1},

	{"GET", V "/mlcubes/", mlcubes_list, 0, AUTH, "List containers", ENT_MLCUBE, 1},
	{"POST", V "/mlcubes/", mlcubes_create, W, AUTH, "Register a container", ENT_MLCUBE, 0},
	{"GET", V "/mlcubes/{id}/", mlcubes_get, 0, AUTH, "Get a container", ENT_MLCUBE, 0},
	{"PUT", V "/mlcubes/{id}/", mlcubes_put, W, ADMIN | OWNER, "Update a container", ENT_MLCUBE, 0},
	{"DELETE", V "/mlcubes/{id}/", mlcubes_delete, RT_WRITE, ADMIN, "Delete a container", NONE, 0},
	{"GET", V "/mlcubes/{id}/datasets/", mlcubes_datasets, 0, ADMIN | OWNER,
	 "Datasets prepared with a container", ENT_DATASET, 1},
	{"GET", V "/mlcubes/{id}/model/", mlcubes_model, 0, AUTH, "The model wrapping a container", ENT_MODEL, 0},

	{"GET", V "/assets/", assets_list, 0, AUTH, "List assets", ENT_ASSET, 1},
	{"POST", V "/assets/", assets_create, W, AUTH, "Register an asset", ENT_ASSET, 0},
	{"GET", V "/assets/{id}/", assets_get, 0, AUTH, "Get an asset", ENT_ASSET, 0},
	{"PUT", V "/assets/{id}/", assets_put, W, ADMIN | OWNER, "Update an asset", ENT_ASSET, 0},
	{"DELETE", V "/assets/{id}/", assets_delete, RT_WRITE, ADMIN, "Delete an asset", NONE, 0},
	{"GET", V "/assets/{id}/model/", assets_model, 0, AUTH, "The model wrapping an asset", ENT_MODEL, 0},

	{"GET", V "/models/", models_list, 0, AUTH, "List models", ENT_MODEL, 1},
	{"POST", V "/models/", models_create, W, AUTH, "Register a model with its container or asset", ENT_MODEL, 0},
	{"POST", V "/models/benchmarks/", massoc_create, W, ADMIN | BOWN | MOWN,
	 "Request a model-benchmark association", ENT_BENCHMARK_MODEL, 0},
	{"GET", V "/models/{id}/", models_get, 0, AUTH, "Get a model", ENT_MODEL, 0},
	{"PUT", V "/models/{id}/", models_put, W, ADMIN | OWNER, "Update a model", ENT_MODEL, 0},
	{"DELETE", V "/models/{id}/", models_delete, RT_WRITE, ADMIN, "Delete a model", NONE, 0},
	{"GET", V "/models/{id}/benchmarks/", massoc_list, 0, ADMIN | MOWN,
	 "A model's association history", ENT_BENCHMARK_MODEL, 1},
	{"GET", V "/models/{id}/benchmarks/{id}/", massoc_get, 0, ADMIN | BOWN | MOWN,
	 "History of one model-benchmark pair", NONE, 0},
	{"PUT", V "/models/{id}/benchmarks/{id}/", massoc_put, W, ADMIN | BOWN | MOWN,
	 "Approve, reject or prioritise the latest model association", NONE, 0},
	{"DELETE", V "/models/{id}/benchmarks/{id}/", massoc_delete, RT_WRITE, ADMIN,
	 "Delete a model-benchmark pair's history", NONE, 0},

	{"GET", V "/benchmarks/", benchmarks_list, 0, AUTH, "List benchmarks", ENT_BENCHMARK, 1},
	{"POST", V "/benchmarks/", benchmarks_create, W, AUTH, "Register a benchmark", ENT_BENCHMARK, 0},
	{"GET", V "/benchmarks/{id}/", benchmarks_get, 0, AUTH, "Get a benchmark", ENT_BENCHMARK, 0},
	{"PUT", V "/benchmarks/{id}/", benchmarks_put, W, ADMIN | OWNER,
	 "Update a benchmark (approval_status: admin only)", ENT_BENCHMARK, 0},
	{"DELETE", V "/benchmarks/{id}/", benchmarks_delete, RT_WRITE, ADMIN,
	 "Delete a benchmark with its associations and results", NONE, 0},
	{"GET", V "/benchmarks/{id}/models/", benchmarks_models, 0, ADMIN | BOWN | ROLE_APPROVED_DATA,
	 "Model associations of a benchmark", NONE, 1},
	{"GET", V "/benchmarks/{id}/datasets/", benchmarks_datasets, 0, ADMIN | BOWN | ROLE_APPROVED_MODEL,
	 "Dataset associations of a benchmark", NONE, 1},
	{"GET", V "/benchmarks/{id}/results/", benchmarks_results, 0, ADMIN | BOWN,
	 "Results of a benchmark", ENT_RESULT, 1},
	{"GET", V "/benchmarks/{id}/participants_info/", benchmarks_participants, 0, ADMIN | BOWN,
	 "Owners of the datasets approved in a benchmark", NONE, 1},
	{"GET", V "/benchmarks/{id}/leaderboard/", benchmarks_leaderboard, 0, ADMIN | BOWN,
	 "Latest finalized result per model and dataset of a benchmark", NONE, 0},

	{"GET", V "/datasets/", datasets_list, 0, AUTH, "List datasets", ENT_DATASET, 1},
	{"POST", V "/datasets/", datasets_create, W, AUTH, "Register a dataset", ENT_DATASET, 0},
	{"POST", V "/datasets/benchmarks/", dassoc_create, W, ADMIN | BOWN | DOWN,
	 "Request a dataset-benchmark association", ENT_BENCHMARK_DATASET, 0},
	{"GET", V "/datasets/{id}/", datasets_get, 0, AUTH, "Get a dataset", ENT_DATASET, 0},
	{"PUT", V "/datasets/{id}/", datasets_put, W, ADMIN | OWNER, "Update a dataset", ENT_DATASET, 0},
	{"DELETE", V "/datasets/{id}/", datasets_delete, RT_WRITE, ADMIN, "Delete a dataset", NONE, 0},
	{"GET", V "/datasets/{id}/benchmarks/", dassoc_list, 0, ADMIN | DOWN,
	 "A dataset's association history", ENT_BENCHMARK_DATASET, 1},
	{"GET", V "/datasets/{id}/benchmarks/{id}/", dassoc_get, 0, ADMIN | BOWN | DOWN,
	 "History of one dataset-benchmark pair", NONE, 0},
	{"PUT", V "/datasets/{id}/benchmarks/{id}/", dassoc_put, W, ADMIN | BOWN | DOWN,
	 "Approve or reject the latest dataset association", NONE, 0},
	{"DELETE", V "/datasets/{id}/benchmarks/{id}/", dassoc_delete, RT_WRITE, ADMIN,
	 "Delete a dataset-benchmark pair's history", NONE, 0},

	{"GET", V "/results/", results_list, 0, ADMIN, "List all results", ENT_RESULT, 1},
	{"POST", V "/results/", results_create, W, ADMIN | DOWN, "Create a result before a run", ENT_RESULT, 0},
	{"GET", V "/results/{id}/", results_get, 0, ADMIN | DOWN | BOWN, "Get a result", ENT_RESULT, 0},
	{"PUT", V "/results/{id}/", results_put, W, ADMIN | DOWN,
	 "Update a result; a body with \"results\" finalizes it", ENT_RESULT, 0},
	{"DELETE", V "/results/{id}/", results_delete, RT_WRITE, ADMIN, "Delete a result", NONE, 0},
};

const int nroutes = (int)(sizeof(routes) / sizeof(routes[0]));
