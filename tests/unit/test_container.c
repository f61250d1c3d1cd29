/*
 * test_container.c: runner/container and runner/mlcube: shell_split against
 * Python's shlex.split (expected words computed once with /usr/bin/python3),
 * container_task_get, container_config_check's refusals at their lines, the
 * conversion of legacy mlcube.yaml files (the reference's examples) with
 * every refusal at its line, and container_config_load /
 * mlcube_workspace_mounts on real files.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/yaml.h"
#include "runner/container.h"
#include "runner/mlcube.h"

/* ------------------------------------------------------------------ */
/* shell_split                                                         */
/* ------------------------------------------------------------------ */

/* Each input with the words shlex.split(input) gave (Python 3.11). */
static const struct {
	const char *in;
	const char *words[6];
} split_cases[] = {
	{"python3 /project/prepare.py", {"python3", "/project/prepare.py"}},
	{"  a\t b\n c  ", {"a", "b", "c"}},
	{"'a b' \"c d\"", {"a b", "c d"}},
	{"a'' b\"\"c", {"a", "bc"}},
	{"''", {""}},
	{"\"\" x", {"", "x"}},
	{"a\\ b", {"a b"}},
	{"a\\\\b", {"a\\b"}},
	{"\"a\\\"b\" 'a\\\"b'", {"a\"b", "a\\\"b"}},
	{"\"a\\b\" \"a\\\\b\" \"\\$x\"", {"a\\b", "a\\b", "\\$x"}},
	{"'it'\\''s'", {"it's"}},
	{"--x=\"a b\"c --y='1 2'", {"--x=a bc", "--y=1 2"}},
	{"a\\\nb", {"a\nb"}},
	{"\"x\ny\"", {"x\ny"}},
	{"é ünï", {"é", "ünï"}},
	{"\\\"quoted\\\"", {"\"quoted\""}},
	{"a #b", {"a", "#b"}},
	{"", {NULL}},
	{"   ", {NULL}},
};

/* Inputs shlex.split refuses ("No closing quotation", "No escaped character"). */
static const char *const split_errors[] = {"\"open", "'open", "end\\", "\"a\\", "ok 'x",
	"it'\\''s"};

START_TEST(split_as_shlex)
{
	struct strv w = STRV_INIT;
	mp_errbuf e;
	size_t n = 0;

	ck_assert_int_eq(shell_split(split_cases[_i].in, &w, &e), MP_OK);
	while (split_cases[_i].words[n])
		n++;
	ck_assert_msg(w.n == n, "'%s': %zu words, wanted %zu", split_cases[_i].in, w.n, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(w.v[i], split_cases[_i].words[i]);
	strv_free(&w);
}
END_TEST

START_TEST(split_refuses_unfinished)
{
	struct strv w = STRV_INIT;
	mp_errbuf e;

	ck_assert_int_eq(shell_split(split_errors[_i], &w, &e), MP_EINVAL);
	ck_assert_msg(strstr(e.msg, "closing quotation") || strstr(e.msg, "escaped character"),
		      "%s", e.msg);
	strv_free(&w);
}
END_TEST

/* ------------------------------------------------------------------ */
/* container_config_check and container_task_get                       */
/* ------------------------------------------------------------------ */

static json_t *parse(const char *text, struct yaml_doc **doc)
{
	json_t *v = NULL;
	mp_errbuf e;

	ck_assert_msg(yaml_parse(text, strlen(text), "t.yaml", &v, doc, &e) == MP_OK, "%s",
		      e.msg);
	return v;
}

static const char *const TASKS_CFG =
	"container_type: DockerImage\n"
	"image: example/model:2\n"
	"tasks:\n"
	"  infer:\n"
	"    run_args:\n"
	"      command: python3 '/project/my infer.py' --flag=\"a b\"\n"
	"      entrypoint: /bin/sh\n"
	"      environment: {THREADS: 2, NAME: x, FLAG: true, RATE: 0.5}\n"
	"      gpus: 1\n"
	"      shm_size: 2g\n"
	"    input_volumes:\n"
	"      data_path: {mount_path: /in/data, type: directory}\n"
	"      parameters_file: {mount_path: /in/p.yaml, type: file}\n"
	"    output_volumes:\n"
	"      output_path: {mount_path: /out, type: directory}\n"
	"  train:\n"
	"    run_args:\n"
	"      command: [python3, train.py, 3]\n";

START_TEST(task_get_string_command_env_volumes)
{
	struct yaml_doc *doc = NULL;
	json_t *cfg = parse(TASKS_CFG, &doc);
	struct container_task t;
	enum container_type type;
	mp_errbuf e;

	ck_assert_int_eq(container_config_check(cfg, doc, "c.yaml", &type, &e), MP_OK);
	ck_assert_int_eq(type, CT_DOCKER_IMAGE);
	ck_assert_int_eq(container_task_get(cfg, "infer", &t, &e), MP_OK);
	ck_assert_uint_eq(t.command.n, 3);
	ck_assert_str_eq(t.command.v[0], "python3");
	ck_assert_str_eq(t.command.v[1], "/project/my infer.py");
	ck_assert_str_eq(t.command.v[2], "--flag=a b");
	ck_assert_str_eq(t.entrypoint, "/bin/sh");
	ck_assert_uint_eq(t.env.n, 4);
	ck_assert_str_eq(t.env.v[0], "THREADS=2");
	ck_assert_str_eq(t.env.v[1], "NAME=x");
	ck_assert_str_eq(t.env.v[2], "FLAG=True");
	ck_assert_str_eq(t.env.v[3], "RATE=0.5");
	ck_assert_str_eq(t.gpus, "1");
	ck_assert_str_eq(t.shm_size, "2g");
	ck_assert_uint_eq(t.n_volumes, 3);
	ck_assert_str_eq(t.volumes[0].key, "data_path");
	ck_assert_str_eq(t.volumes[0].mount_path, "/in/data");
	ck_assert_int_eq(t.volumes[0].is_file, 0);
	ck_assert_int_eq(t.volumes[0].output, 0);
	ck_assert_str_eq(t.volumes[1].key, "parameters_file");
	ck_assert_int_eq(t.volumes[1].is_file, 1);
	ck_assert_str_eq(t.volumes[2].key, "output_path");
	ck_assert_int_eq(t.volumes[2].output, 1);
	container_task_free(&t);
	ck_assert_int_eq(container_task_get(cfg, "train", &t, &e), MP_OK);
	ck_assert_uint_eq(t.command.n, 3);
	ck_assert_str_eq(t.command.v[1], "train.py");
	ck_assert_str_eq(t.command.v[2], "3");
	ck_assert_ptr_null(t.entrypoint);
	ck_assert_ptr_null(t.gpus);
	ck_assert_uint_eq(t.env.n, 0);
	ck_assert_uint_eq(t.n_volumes, 0);
	container_task_free(&t);
	ck_assert_int_eq(container_task_get(cfg, "evaluate", &t, &e), MP_ENOTFOUND);
	json_decref(cfg);
	yaml_doc_free(doc);
}
END_TEST

START_TEST(task_get_refuses_bad_items)
{
	json_t *cfg = parse("container_type: DockerImage\nimage: x\ntasks:\n"
			    "  a: {run_args: {command: [ok, [no]]}}\n"
			    "  b: {run_args: {command: \"x 'open\"}}\n"
			    "  c: {run_args: {command: x, environment: {\"A=B\": 1}}}\n"
			    "  d: {run_args: {command: x, environment: {A: [1]}}}\n", NULL);
	struct container_task t;
	mp_errbuf e;

	ck_assert_int_eq(container_task_get(cfg, "a", &t, &e), MP_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "item 2"));
	ck_assert_int_eq(container_task_get(cfg, "b", &t, &e), MP_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "no closing quotation"));
	ck_assert_int_eq(container_task_get(cfg, "c", &t, &e), MP_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "'A=B'"));
	ck_assert_int_eq(container_task_get(cfg, "d", &t, &e), MP_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "'A'"));
	json_decref(cfg);
}
END_TEST

/* A refused configuration: its text, the line named, and part of the message. */
struct refusal {
	const char *yaml;
	int line;
	const char *part;
};

static const struct refusal check_refusals[] = {
	{"container_type: DockerImage\nimage: x\ntasks: {a: {}}\nextra: 1\n", 4,
	 "unknown key 'extra'"},
	{"image: x\ntasks: {a: {}}\n", 1, "'container_type' is missing"},
	{"container_type: DockerImage\n\ncontainer_type: Mlcube\nimage: x\n", 3,
	 "container_type must be one of"},
	{"container_type: DockerImage\nimage: ''\ntasks: {a: {}}\n", 2, "'image' must be given"},
	{"container_type: DockerImage\nimage: x\ntasks: {}\n", 3, "at least one task"},
	{"container_type: DockerImage\nimage: x\ntasks:\n  a: [1]\n", 4, "must be a mapping"},
	{"container_type: DockerImage\nimage: x\ntasks:\n  a:\n    mounts: {}\n", 5,
	 "unknown key 'mounts'"},
	{"container_type: DockerImage\nimage: x\ntasks:\n  a:\n    run_args: 3\n", 5,
	 "run_args must be a mapping"},
	{"container_type: DockerImage\nimage: x\ntasks:\n  a:\n    run_args:\n      user: root\n",
	 6, "'user' is not allowed"},
	{"container_type: DockerImage\nimage: x\ntasks:\n  a:\n    run_args:\n      command: 3\n",
	 5, "command must be a string or a list"},
	{"container_type: DockerImage\nimage: x\ntasks:\n  a:\n    run_args:\n"
	 "      environment: [A]\n", 5, "environment must be a mapping"},
	{"container_type: DockerImage\nimage: x\ntasks:\n  a:\n    input_volumes:\n"
	 "      k: /in\n", 6, "must be a mapping with mount_path and type"},
	{"container_type: DockerImage\nimage: x\ntasks:\n  a:\n    input_volumes:\n"
	 "      k:\n        type: file\n        mount_path: [1]\n", 8,
	 "mount_path must be a string"},
	{"container_type: DockerImage\nimage: x\ntasks:\n  a:\n    input_volumes:\n"
	 "      k: {type: file}\n", 6, "has no mount_path"},
	{"container_type: DockerImage\nimage: x\ntasks:\n  a:\n    output_volumes:\n"
	 "      k: {mount_path: out, type: file}\n", 6, "must be an absolute path"},
	{"container_type: DockerImage\nimage: x\ntasks:\n  a:\n    input_volumes:\n"
	 "      k: {mount_path: /in}\n", 6, "has no type"},
	{"container_type: DockerImage\nimage: x\ntasks:\n  a:\n    input_volumes:\n"
	 "      k: {mount_path: /in, type: folder}\n", 6, "type must be file or directory"},
	{"container_type: DockerImage\nimage: x\ntasks:\n  a:\n    input_volumes:\n"
	 "      k:\n        mount_path: /in\n        type: 1\n", 8, "type must be a string"},
	{"container_type: DockerImage\nimage: x\ntasks:\n  infer:\n    input_volumes:\n"
	 "      secrets: {mount_path: /s, type: directory}\n", 6,
	 "'secrets' is not a mount MedPerf provides to infer"},
	{"container_type: DockerImage\nimage: x\ntasks:\n  evaluate:\n    input_volumes:\n"
	 "      labels: {mount_path: /l, type: directory}\n", 4,
	 "must declare the output volume 'output_path'"},
	/* NativeArchive is checked like the others */
	{"container_type: NativeArchive\ntasks: {a: {}}\n", 1, "'image' must be given"},
	{"container_type: NativeArchive\nimage: prog.tar.gz\ntasks:\n  infer:\n"
	 "    input_volumes:\n      data_path: {mount_path: data, type: directory}\n", 6,
	 "'data' must be an absolute path"},
	{"container_type: NativeArchive\nimage: prog.tar.gz\ntasks:\n  infer:\n"
	 "    run_args: {command: ./infer}\n    output_volumes:\n"
	 "      output_path: {mount_path: /o, type: dir}\n", 7, "type must be file or directory"},
};

static void assert_refusal(const struct refusal *r, const char *file, const char *msg)
{
	char head[300];

	snprintf(head, sizeof(head), "%s:%d: ", file, r->line);
	ck_assert_msg(strncmp(msg, head, strlen(head)) == 0, "wanted '%s...', got '%s' for:\n%s",
		      head, msg, r->yaml);
	ck_assert_msg(strstr(msg, r->part) != NULL, "'%s' not in '%s' for:\n%s", r->part, msg,
		      r->yaml);
}

START_TEST(check_refuses_at_line)
{
	const struct refusal *r = &check_refusals[_i];
	struct yaml_doc *doc = NULL;
	json_t *cfg = parse(r->yaml, &doc);
	enum container_type type;
	mp_errbuf e;

	ck_assert_int_eq(container_config_check(cfg, doc, "c.yaml", &type, &e), MP_EINVAL);
	assert_refusal(r, "c.yaml", e.msg);
	json_decref(cfg);
	yaml_doc_free(doc);
}
END_TEST

START_TEST(check_accepts_native_archive)
{
	struct yaml_doc *doc = NULL;
	json_t *cfg = parse("container_type: NativeArchive\nimage: prog.tar.gz\ntasks:\n"
			    "  infer:\n    run_args: {command: ./infer --fast}\n"
			    "    input_volumes:\n"
			    "      data_path: {mount_path: /data, type: directory}\n"
			    "    output_volumes:\n"
			    "      output_path: {mount_path: /out, type: directory}\n", &doc);
	enum container_type type;
	mp_errbuf e;

	ck_assert_int_eq(container_config_check(cfg, doc, "c.yaml", &type, &e), MP_OK);
	ck_assert_int_eq(type, CT_NATIVE_ARCHIVE);
	ck_assert_str_eq(container_type_name(type), "NativeArchive");
	ck_assert_int_eq(container_image_kind(type), IMG_NATIVE_ARCHIVE);
	ck_assert_int_eq(container_type_encrypted(type), 0);
	json_decref(cfg);
	yaml_doc_free(doc);
}
END_TEST

/* ------------------------------------------------------------------ */
/* mlcube_convert                                                      */
/* ------------------------------------------------------------------ */

/* examples/ChestXRay/chexpert_prep/mlcube/mlcube.yaml as reference 3.7 describes it */
static const char *const CHEXPERT =
	"name: MLCommons Chexpert Preprocessor\n"
	"description: MLCommons cube for preprocessing chexpert-like datasets\n"
	"authors:\n"
	" - {name: \"MLCommons Best Practices Working Group\"}\n"
	"\n"
	"platform:\n"
	"  accelerator_count: 0\n"
	"\n"
	"docker:\n"
	"  # Image name.\n"
	"  image: mlcommons/chexpert-prep:0.1.0\n"
	"  build_context: \"../project\"\n"
	"  build_file: \"Dockerfile\"\n"
	"\n"
	"tasks:\n"
	"  prepare:\n"
	"    parameters:\n"
	"      inputs: {data_path: CheXpert-v1.0-small, labels_path: "
	"CheXpert-v1.0-small/valid.csv, parameters_file: parameters.yaml}\n"
	"      outputs: {output_path: data/}\n"
	"  sanity_check:\n"
	"    parameters:\n"
	"      inputs: {data_path: data/, parameters_file: parameters.yaml}\n"
	"  statistics:\n"
	"    parameters:\n"
	"      inputs: {data_path: data/, parameters_file: parameters.yaml}\n"
	"      outputs: {output_path: {type: file, default: statistics.yaml}}\n";

static const char *const CHEXPERT_CONVERTED =
	"{\"container_type\": \"DockerImage\", \"image\": \"mlcommons/chexpert-prep:0.1.0\","
	" \"tasks\": {"
	"  \"prepare\": {"
	"   \"run_args\": {\"command\": [\"prepare\", \"--data_path=/mlcube_io/data_path\","
	"     \"--labels_path=/mlcube_io/labels_path/valid.csv\","
	"     \"--parameters_file=/mlcube_io/parameters_file/parameters.yaml\","
	"     \"--output_path=/mlcube_io/output_path\"]},"
	"   \"input_volumes\": {"
	"    \"data_path\": {\"mount_path\": \"/mlcube_io/data_path\", \"type\": \"directory\"},"
	"    \"labels_path\": {\"mount_path\": \"/mlcube_io/labels_path/valid.csv\","
	"                      \"type\": \"file\"},"
	"    \"parameters_file\": {\"mount_path\": \"/mlcube_io/parameters_file/parameters.yaml\","
	"                          \"type\": \"file\"}},"
	"   \"output_volumes\": {"
	"    \"output_path\": {\"mount_path\": \"/mlcube_io/output_path\", \"type\": \"directory\"}}},"
	"  \"sanity_check\": {"
	"   \"run_args\": {\"command\": [\"sanity_check\", \"--data_path=/mlcube_io/data_path\","
	"     \"--parameters_file=/mlcube_io/parameters_file/parameters.yaml\"]},"
	"   \"input_volumes\": {"
	"    \"data_path\": {\"mount_path\": \"/mlcube_io/data_path\", \"type\": \"directory\"},"
	"    \"parameters_file\": {\"mount_path\": \"/mlcube_io/parameters_file/parameters.yaml\","
	"                          \"type\": \"file\"}}},"
	"  \"statistics\": {"
	"   \"run_args\": {\"command\": [\"statistics\", \"--data_path=/mlcube_io/data_path\","
	"     \"--parameters_file=/mlcube_io/parameters_file/parameters.yaml\","
	"     \"--output_path=/mlcube_io/output_path/statistics.yaml\"]},"
	"   \"input_volumes\": {"
	"    \"data_path\": {\"mount_path\": \"/mlcube_io/data_path\", \"type\": \"directory\"},"
	"    \"parameters_file\": {\"mount_path\": \"/mlcube_io/parameters_file/parameters.yaml\","
	"                          \"type\": \"file\"}},"
	"   \"output_volumes\": {"
	"    \"output_path\": {\"mount_path\": \"/mlcube_io/output_path/statistics.yaml\","
	"                      \"type\": \"file\"}}}}}";

/* examples/ChestXRay/metrics/mlcube/mlcube.yaml, with a GPU asked for */
static const char *const METRICS =
	"name: MLCommons Metrics\n"
	"description: MLCommons metrics cube for evaluating the performance of models\n"
	"authors:\n"
	" - {name: \"MLCommons Best Practices Working Group\", email: a@b.org, org: MLCommons}\n"
	"platform:\n"
	"  accelerator_count: 1\n"
	"  host_memory_gb: 1.5\n"
	"  need_internet_access: false\n"
	"docker:\n"
	"  image: mlcommons/metrics:0.1.0\n"
	"singularity:\n"
	"  image: metrics.sif\n"
	"tasks:\n"
	"  evaluate:\n"
	"  # Executes a number of metrics specified by the params file\n"
	"    parameters:\n"
	"      inputs: {predictions: predictions, labels: labels, parameters_file: parameters.yaml}\n"
	"      outputs: {output_path: {type: \"file\", default: \"results.yaml\"}}\n";

static const char *const METRICS_CONVERTED =
	"{\"container_type\": \"DockerImage\", \"image\": \"mlcommons/metrics:0.1.0\","
	" \"tasks\": {\"evaluate\": {"
	"   \"run_args\": {\"gpus\": 1, \"command\": [\"evaluate\","
	"     \"--predictions=/mlcube_io/predictions\", \"--labels=/mlcube_io/labels\","
	"     \"--parameters_file=/mlcube_io/parameters_file/parameters.yaml\","
	"     \"--output_path=/mlcube_io/output_path/results.yaml\"]},"
	"   \"input_volumes\": {"
	"    \"predictions\": {\"mount_path\": \"/mlcube_io/predictions\", \"type\": \"directory\"},"
	"    \"labels\": {\"mount_path\": \"/mlcube_io/labels\", \"type\": \"directory\"},"
	"    \"parameters_file\": {\"mount_path\": \"/mlcube_io/parameters_file/parameters.yaml\","
	"                          \"type\": \"file\"}},"
	"   \"output_volumes\": {"
	"    \"output_path\": {\"mount_path\": \"/mlcube_io/output_path/results.yaml\","
	"                      \"type\": \"file\"}}}}}";

static json_t *convert_ok(const char *yaml)
{
	struct yaml_doc *doc = NULL;
	json_t *m = parse(yaml, &doc), *cfg = NULL;
	enum container_type type;
	mp_errbuf e;

	ck_assert_int_eq(mlcube_detect("x/mlcube.yaml", m), 1);
	ck_assert_msg(mlcube_convert(m, doc, "mlcube.yaml", &cfg, &e) == MP_OK, "%s", e.msg);
	ck_assert_msg(container_config_check(cfg, NULL, "converted", &type, &e) == MP_OK, "%s",
		      e.msg);
	ck_assert_int_eq(type, CT_DOCKER_IMAGE);
	json_decref(m);
	yaml_doc_free(doc);
	return cfg;
}

static void assert_json(const json_t *got, const char *want_text)
{
	json_error_t err;
	json_t *want = json_loads(want_text, 0, &err);
	char *g;

	ck_assert_msg(want != NULL, "bad expected JSON: %s", err.text);
	g = json_dumps(got, JSON_SORT_KEYS);
	ck_assert_msg(json_equal(got, want), "got %s", g);
	free(g);
	json_decref(want);
}

START_TEST(convert_chexpert_prep)
{
	json_t *cfg = convert_ok(CHEXPERT);
	struct container_task t;
	mp_errbuf e;

	assert_json(cfg, CHEXPERT_CONVERTED);
	/* and the runner path reads it as any container_config */
	ck_assert_int_eq(container_task_get(cfg, "prepare", &t, &e), MP_OK);
	ck_assert_uint_eq(t.command.n, 5);
	ck_assert_str_eq(t.command.v[0], "prepare");
	ck_assert_str_eq(t.command.v[2], "--labels_path=/mlcube_io/labels_path/valid.csv");
	ck_assert_uint_eq(t.n_volumes, 4);
	ck_assert_str_eq(t.volumes[1].key, "labels_path");
	ck_assert_int_eq(t.volumes[1].is_file, 1);
	ck_assert_int_eq(t.volumes[3].output, 1);
	ck_assert_int_eq(t.volumes[3].is_file, 0);
	ck_assert_ptr_null(t.gpus);
	container_task_free(&t);
	json_decref(cfg);
}
END_TEST

START_TEST(convert_metrics)
{
	json_t *cfg = convert_ok(METRICS);
	struct container_task t;
	mp_errbuf e;

	assert_json(cfg, METRICS_CONVERTED);
	ck_assert_int_eq(container_task_get(cfg, "evaluate", &t, &e), MP_OK);
	ck_assert_str_eq(t.gpus, "1");
	ck_assert_str_eq(t.command.v[4], "--output_path=/mlcube_io/output_path/results.yaml");
	container_task_free(&t);
	json_decref(cfg);
}
END_TEST

/* The type rule for paths written without a type. */
START_TEST(convert_type_rule)
{
	json_t *cfg = convert_ok(
		"docker: {image: x/y:1}\n"
		"tasks:\n"
		"  train:\n"
		"    parameters:\n"
		"      inputs:\n"
		"        a: CheXpert-v1.0-small\n"
		"        b: valid.csv\n"
		"        c: scans/img.nii.gz\n"
		"        d: v1.0\n"
		"        e: .hidden\n"
		"        f: weights.pt/\n"
		"        g: {default: conf.yaml}\n"
		"        h: {type: file, default: ./data/README}\n"
		"        i: notes.thisistoolong\n"
		"        j: .\n"
		"      outputs: {o: out/, p: {type: file, default: logs/log.txt}}\n"
		"  bare: {}\n"
		"  empty: {parameters: {inputs: , outputs: {}}}\n");
	json_t *in = json_object_get(json_object_get(json_object_get(cfg, "tasks"), "train"),
				     "input_volumes");
	static const char *const want[][2] = {
		{"a", "directory"}, {"b", "file"}, {"c", "file"}, {"d", "directory"},
		{"e", "directory"}, {"f", "directory"}, {"g", "file"}, {"h", "file"},
		{"i", "directory"}, {"j", "directory"},
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		json_t *v = json_object_get(in, want[i][0]);
		ck_assert_msg(v != NULL, "no volume %s", want[i][0]);
		ck_assert_msg(strcmp(json_string_value(json_object_get(v, "type")), want[i][1]) == 0,
			      "%s: %s", want[i][0], json_string_value(json_object_get(v, "type")));
	}
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(in, "h"),
							   "mount_path")), "/mlcube_io/h/README");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(in, "c"),
							   "mount_path")), "/mlcube_io/c/img.nii.gz");
	assert_json(json_object_get(json_object_get(cfg, "tasks"), "bare"),
		    "{\"run_args\": {\"command\": [\"bare\"]}}");
	assert_json(json_object_get(json_object_get(cfg, "tasks"), "empty"),
		    "{\"run_args\": {\"command\": [\"empty\"]}}");
	json_decref(cfg);
}
END_TEST

#define CUBE_HEAD "docker: {image: a/b:1}\ntasks:\n  train:\n    parameters:\n"

static const struct refusal mlcube_refusals[] = {
	/* top level */
	{"", 1, "empty or not a mapping"},
	{"docker: {image: a/b:1}\ntasks: {t: {}}\nrunner: {}\n", 3, "unknown key 'runner'"},
	{"name: [x]\ndocker: {image: a}\ntasks: {t: {}}\n", 1, "name: must be a string"},
	{"description: 3\ndocker: {image: a}\ntasks: {t: {}}\n", 1, "description: must be a string"},
	{"authors: x\ndocker: {image: a}\ntasks: {t: {}}\n", 1, "must be a list"},
	{"authors:\n  - {name: a}\n  - x\ndocker: {image: a}\ntasks: {t: {}}\n", 3,
	 "authors.1: an author is a mapping"},
	{"authors:\n  - {name: a,\n     role: b}\ndocker: {image: a}\ntasks: {t: {}}\n", 3,
	 "unknown key 'role'"},
	{"authors:\n  - name: a\n    email: [b]\ndocker: {image: a}\ntasks: {t: {}}\n", 3,
	 "authors.0.email: must be a string"},
	{"platform: 1\ndocker: {image: a}\ntasks: {t: {}}\n", 1, "platform: must be a mapping"},
	{"platform:\n  accelerator_count: 0\n  cpus: 4\ndocker: {image: a}\ntasks: {t: {}}\n", 3,
	 "unknown key 'cpus'"},
	{"platform:\n  accelerator_count: -1\ndocker: {image: a}\ntasks: {t: {}}\n", 2,
	 "whole number"},
	{"platform:\n  accelerator_count: '1'\ndocker: {image: a}\ntasks: {t: {}}\n", 2,
	 "whole number"},
	{"platform:\n  host_memory_gb: lots\ndocker: {image: a}\ntasks: {t: {}}\n", 2,
	 "must be a number"},
	{"platform:\n  need_internet_access: 1\ndocker: {image: a}\ntasks: {t: {}}\n", 2,
	 "true or false"},
	{"platform:\n  accelerator_model: 100\ndocker: {image: a}\ntasks: {t: {}}\n", 2,
	 "must be a string"},
	/* docker and singularity */
	{"name: x\ntasks: {t: {}}\n", 1, "'docker' with its image is missing"},
	{"name: x\ndocker: a/b\ntasks: {t: {}}\n", 2, "docker: must be a mapping"},
	{"name: x\ndocker:\n  build_file: Dockerfile\ntasks: {t: {}}\n", 2,
	 "docker.image must be given"},
	{"docker:\n  image: [a]\ntasks: {t: {}}\n", 2, "docker.image must be given"},
	{"docker:\n  image: ''\ntasks: {t: {}}\n", 2, "is not an image name"},
	{"docker:\n  image: --privileged\ntasks: {t: {}}\n", 2, "is not an image name"},
	{"docker:\n  image: a b\ntasks: {t: {}}\n", 2, "is not an image name"},
	{"docker:\n  image: a\n  gpu_args: --gpus=all\ntasks: {t: {}}\n", 3,
	 "unknown key 'gpu_args'"},
	{"docker:\n  image: a\n  build_context: 1\ntasks: {t: {}}\n", 3, "must be a string"},
	{"docker: {image: a}\nsingularity: x.sif\ntasks: {t: {}}\n", 2, "must be a mapping"},
	{"docker: {image: a}\nsingularity:\n  image: x.sif\n  image_dir: /i\ntasks: {t: {}}\n",
	 4, "unknown key 'image_dir'"},
	/* tasks */
	{"docker: {image: a}\n", 1, "'tasks' must be a mapping with at least one task"},
	{"docker: {image: a}\ntasks: [prepare]\n", 2, "'tasks' must be a mapping"},
	{"docker: {image: a}\ntasks: {}\n", 2, "at least one task"},
	{"docker: {image: a}\ntasks:\n  infer:\n", 3, "a task must be a mapping"},
	{"docker: {image: a}\ntasks:\n  infer: run\n", 3, "a task must be a mapping"},
	{"docker: {image: a}\ntasks:\n  infer: [a]\n", 3, "a task must be a mapping"},
	{"docker: {image: a}\ntasks:\n  -infer: {}\n", 3, "a task name is"},
	{"docker: {image: a}\ntasks:\n  in fer: {}\n", 3, "a task name is"},
	{"docker: {image: a}\ntasks:\n  infer:\n    entrypoint: x\n", 4, "unknown key 'entrypoint'"},
	{"docker: {image: a}\ntasks:\n  infer:\n    parameters: [a]\n", 4,
	 "must be a mapping with inputs and outputs"},
	{"docker: {image: a}\ntasks:\n  infer:\n    parameters:\n      input: {}\n", 5,
	 "unknown key 'input'"},
	{CUBE_HEAD "      inputs: [a]\n", 5, "must be a mapping of parameter names"},
	{CUBE_HEAD "      outputs: out/\n", 5, "must be a mapping of parameter names"},
	/* parameters */
	{CUBE_HEAD "      inputs:\n        data: 3\n", 6, "must be a path or a mapping"},
	{CUBE_HEAD "      inputs:\n        data:\n", 6, "must be a path or a mapping"},
	{CUBE_HEAD "      inputs:\n        data: [a]\n", 6, "must be a path or a mapping"},
	{CUBE_HEAD "      inputs:\n        data: /data\n", 6, "not absolute"},
	{CUBE_HEAD "      inputs:\n        data: ../data\n", 6, "no '..'"},
	{CUBE_HEAD "      inputs:\n        data: a/../../b\n", 6, "no '..'"},
	{CUBE_HEAD "      inputs:\n        data: a/..\n", 6, "no '..'"},
	{CUBE_HEAD "      inputs:\n        data: ''\n", 6, "the path is empty"},
	{CUBE_HEAD "      inputs:\n        data: ${runtime.workspace}/d\n", 6, "interpolation"},
	{CUBE_HEAD "      inputs:\n        data:\n          type: file\n          default: /abs\n",
	 8, "not absolute"},
	{CUBE_HEAD "      inputs:\n        data:\n          type: file\n          default: 3\n",
	 8, "must be a string"},
	{CUBE_HEAD "      inputs:\n        data:\n          type: file\n", 6, "no default"},
	{CUBE_HEAD "      inputs:\n        data:\n          default: d\n          type: folder\n",
	 8, "type must be file or directory"},
	{CUBE_HEAD "      inputs:\n        data:\n          default: d\n          type: unknown\n",
	 8, "type must be file or directory"},
	{CUBE_HEAD "      inputs:\n        data:\n          default: d\n          optional: true\n",
	 8, "unknown key 'optional'"},
	{CUBE_HEAD "      inputs:\n        data: {type: file, default: dir/}\n", 6,
	 "a file path must end with a file name"},
	{CUBE_HEAD "      inputs:\n        data: {type: file, default: .}\n", 6,
	 "a file path must end with a file name"},
	{CUBE_HEAD "      outputs:\n        out: predictions\n", 6, "is it a file or a directory?"},
	{CUBE_HEAD "      outputs:\n        out: {default: results.yaml}\n", 6,
	 "is it a file or a directory?"},
	{CUBE_HEAD "      inputs:\n        data/x: d/\n", 6, "a parameter name is"},
	{CUBE_HEAD "      inputs:\n        '--data': d/\n", 6, "a parameter name is"},
	{CUBE_HEAD "      inputs:\n        ..: d/\n", 6, "a parameter name is"},
	{CUBE_HEAD "      inputs:\n        a: d/\n      outputs:\n        a: e/\n", 8,
	 "'a' is both an input and an output"},
};

START_TEST(convert_refuses_at_line)
{
	const struct refusal *r = &mlcube_refusals[_i];
	struct yaml_doc *doc = NULL;
	json_t *m = parse(r->yaml, &doc), *cfg = (json_t *)1;
	mp_errbuf e;

	ck_assert_int_eq(mlcube_convert(m, doc, "mlcube.yaml", &cfg, &e), MP_EINVAL);
	ck_assert_ptr_null(cfg);
	assert_refusal(r, "mlcube.yaml", e.msg);
	json_decref(m);
	yaml_doc_free(doc);
}
END_TEST

START_TEST(detect_legacy_files)
{
	json_t *plain = parse("tasks: {infer: {run_args: {command: x}}}\n", NULL);
	json_t *params = parse("tasks: {infer: {parameters: {}}}\n", NULL);
	json_t *docker = parse("docker: {image: a}\n", NULL);
	json_t *platform = parse("platform: {}\n", NULL);
	json_t *both = parse("container_type: DockerImage\ndocker: {image: a}\n", NULL);
	json_t *list = parse("[docker]\n", NULL);

	ck_assert_int_eq(mlcube_detect("container_config.yaml", plain), 0);
	ck_assert_int_eq(mlcube_detect("a/mlcube.yaml", plain), 1);
	ck_assert_int_eq(mlcube_detect("mlcube.yaml", plain), 1);
	ck_assert_int_eq(mlcube_detect("a/mlcube.yaml.bak", plain), 0);
	ck_assert_int_eq(mlcube_detect(NULL, plain), 0);
	ck_assert_int_eq(mlcube_detect("c.yaml", params), 1);
	ck_assert_int_eq(mlcube_detect("c.yaml", docker), 1);
	ck_assert_int_eq(mlcube_detect("c.yaml", platform), 1);
	ck_assert_int_eq(mlcube_detect("mlcube.yaml", both), 0);
	ck_assert_int_eq(mlcube_detect("mlcube.yaml", list), 0);
	json_decref(plain);
	json_decref(params);
	json_decref(docker);
	json_decref(platform);
	json_decref(both);
	json_decref(list);
}
END_TEST

/* ------------------------------------------------------------------ */
/* container_config_load and mlcube_workspace_mounts, on files         */
/* ------------------------------------------------------------------ */

static char T[64];

static void setup_dir(void)
{
	snprintf(T, sizeof(T), "/tmp/test_container-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(T));
}

static void teardown_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", T);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *write_file(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", T, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(text, 1, strlen(text), f), strlen(text));
	fclose(f);
	return path;
}

START_TEST(load_converts_legacy_files)
{
	const char *path = write_file("mlcube.yaml", CHEXPERT);
	struct yaml_doc *doc = NULL;
	enum container_type type;
	json_t *cfg = NULL;
	mp_errbuf e;

	ck_assert_msg(container_config_load(path, &cfg, &doc, &type, &e) == MP_OK, "%s", e.msg);
	ck_assert_int_eq(type, CT_DOCKER_IMAGE);
	ck_assert_ptr_nonnull(doc);
	assert_json(cfg, CHEXPERT_CONVERTED);
	/* the positions are the MLCube file's */
	ck_assert_int_eq(yaml_line(doc, "/tasks/statistics/parameters/outputs"), 26);
	json_decref(cfg);
	yaml_doc_free(doc);
	/* any name, recognised by its content; doc not wanted */
	path = write_file("cube.yaml", METRICS);
	ck_assert_int_eq(container_config_load(path, &cfg, NULL, &type, &e), MP_OK);
	assert_json(cfg, METRICS_CONVERTED);
	json_decref(cfg);
	/* a container_config is checked as it is */
	path = write_file("container_config.yaml", TASKS_CFG);
	ck_assert_int_eq(container_config_load(path, &cfg, &doc, &type, &e), MP_OK);
	ck_assert_int_eq(type, CT_DOCKER_IMAGE);
	ck_assert_ptr_nonnull(json_object_get(json_object_get(cfg, "tasks"), "train"));
	json_decref(cfg);
	yaml_doc_free(doc);
}
END_TEST

/* What MedPerf supplies to each task, said in the MLCube file's terms and lines. */
static const struct refusal load_refusals[] = {
	/* xrv_resnet: MedPerf passes weights through additional_files */
	{"docker: {image: mlcommons/xrv-resnet:0.0.2}\n"
	 "tasks:\n"
	 "  infer:\n"
	 "    parameters:\n"
	 "      inputs: {data_path: data/,\n"
	 "               weights: additional_files/weights.pt}\n"
	 "      outputs: {output_path: {type: directory, default: predictions}}\n", 6,
	 "tasks.infer.parameters.inputs: 'weights' is not a parameter MedPerf passes to infer"},
	{"docker: {image: a}\ntasks:\n  sanity_check:\n    parameters:\n"
	 "      inputs: {data_path: data/}\n      outputs: {report: r/}\n", 6,
	 "'report' is not a parameter MedPerf passes to sanity_check (it passes: none)"},
	{"docker: {image: a}\ntasks:\n  evaluate:\n    parameters:\n"
	 "      inputs: {predictions: p/, labels: l/}\n", 3,
	 "task 'evaluate' must have the output parameter 'output_path'"},
	{"docker: {image: a}\ntasks:\n  prepare:\n    parameters:\n"
	 "      inputs: {data_path: /data}\n", 5, "not absolute"},
};

START_TEST(load_refuses_at_line)
{
	const struct refusal *r = &load_refusals[_i];
	const char *path = write_file("mlcube.yaml", r->yaml);
	char full[300];
	struct yaml_doc *doc = (struct yaml_doc *)1;
	enum container_type type;
	json_t *cfg = (json_t *)1;
	mp_errbuf e;

	snprintf(full, sizeof(full), "%s", path);
	ck_assert_int_eq(container_config_load(full, &cfg, &doc, &type, &e), MP_EINVAL);
	ck_assert_ptr_null(cfg);
	ck_assert_ptr_null(doc);
	ck_assert_int_eq(type, CT_INVALID);
	assert_refusal(r, full, e.msg);
}
END_TEST

START_TEST(load_reports_missing_and_malformed_files)
{
	char path[128];
	json_t *cfg;
	enum container_type type;
	mp_errbuf e;

	snprintf(path, sizeof(path), "%s/none.yaml", T);
	ck_assert_int_ne(container_config_load(path, &cfg, NULL, &type, &e), MP_OK);
	ck_assert_ptr_nonnull(strstr(e.msg, "none.yaml"));
	snprintf(path, sizeof(path), "%s", write_file("mlcube.yaml", "tasks: [a\n"));
	ck_assert_int_eq(container_config_load(path, &cfg, NULL, &type, &e), MP_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "mlcube.yaml:"));
}
END_TEST

START_TEST(workspace_defaults)
{
	const char *path;
	char full[300], real[PATH_MAX], want[PATH_MAX + 64];
	const char *given[] = {"parameters_file", NULL};
	struct strv keys = STRV_INIT, hosts = STRV_INIT;
	mp_errbuf e;

	path = write_file("mlcube.yaml", CHEXPERT);
	snprintf(full, sizeof(full), "%s", path);
	ck_assert_ptr_nonnull(realpath(T, real));
	strv_push(&keys, "data_path");
	strv_push(&hosts, "/given/data");
	ck_assert_int_eq(mlcube_workspace_mounts(full, "prepare", given, &keys, &hosts, &e), MP_OK);
	ck_assert_uint_eq(keys.n, 3);
	ck_assert_str_eq(keys.v[0], "data_path");
	ck_assert_str_eq(hosts.v[0], "/given/data");
	ck_assert_str_eq(keys.v[1], "labels_path");
	snprintf(want, sizeof(want), "%s/workspace/CheXpert-v1.0-small/valid.csv", real);
	ck_assert_str_eq(hosts.v[1], want);
	ck_assert_str_eq(keys.v[2], "output_path");
	snprintf(want, sizeof(want), "%s/workspace/data", real);
	ck_assert_str_eq(hosts.v[2], want);
	/* a task it does not have: nothing */
	ck_assert_int_eq(mlcube_workspace_mounts(full, "infer", NULL, &keys, &hosts, &e), MP_OK);
	ck_assert_uint_eq(keys.n, 3);
	strv_free(&keys);
	strv_free(&hosts);
	/* relative path, "." as the workspace itself */
	write_file("cube.yaml", "docker: {image: a}\ntasks:\n  t:\n    parameters:\n"
		   "      inputs: {all: ., cfg: {type: file, default: ./c.yaml}}\n");
	ck_assert_int_eq(chdir(T), 0);
	ck_assert_int_eq(mlcube_workspace_mounts("cube.yaml", "t", NULL, &keys, &hosts, &e),
			 MP_OK);
	ck_assert_uint_eq(keys.n, 2);
	snprintf(want, sizeof(want), "%s/workspace", real);
	ck_assert_str_eq(hosts.v[0], want);
	snprintf(want, sizeof(want), "%s/workspace/./c.yaml", real);
	ck_assert_str_eq(hosts.v[1], want);
	strv_free(&keys);
	strv_free(&hosts);
	/* a container_config: nothing; a bad MLCube: its error */
	path = write_file("container_config.yaml", TASKS_CFG);
	ck_assert_int_eq(mlcube_workspace_mounts(path, "infer", NULL, &keys, &hosts, &e), MP_OK);
	ck_assert_uint_eq(keys.n, 0);
	path = write_file("mlcube.yaml", "docker: {image: a}\ntasks:\n  t:\n    parameters:\n"
			  "      inputs: {x: ../up}\n");
	ck_assert_int_eq(mlcube_workspace_mounts(path, "t", NULL, &keys, &hosts, &e), MP_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "mlcube.yaml:5: "));
	ck_assert_uint_eq(keys.n, 0);
	ck_assert_int_eq(chdir("/"), 0);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("container");
	TCase *split = tcase_create("shell_split"), *cfg = tcase_create("container_config");
	TCase *cube = tcase_create("mlcube"), *files = tcase_create("files");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(split, split_as_shlex, 0,
			    (int)(sizeof(split_cases) / sizeof(split_cases[0])));
	tcase_add_loop_test(split, split_refuses_unfinished, 0,
			    (int)(sizeof(split_errors) / sizeof(split_errors[0])));
	tcase_add_test(cfg, task_get_string_command_env_volumes);
	tcase_add_test(cfg, task_get_refuses_bad_items);
	tcase_add_loop_test(cfg, check_refuses_at_line, 0,
			    (int)(sizeof(check_refusals) / sizeof(check_refusals[0])));
	tcase_add_test(cfg, check_accepts_native_archive);
	tcase_add_test(cube, convert_chexpert_prep);
	tcase_add_test(cube, convert_metrics);
	tcase_add_test(cube, convert_type_rule);
	tcase_add_loop_test(cube, convert_refuses_at_line, 0,
			    (int)(sizeof(mlcube_refusals) / sizeof(mlcube_refusals[0])));
	tcase_add_test(cube, detect_legacy_files);
	tcase_add_checked_fixture(files, setup_dir, teardown_dir);
	tcase_add_test(files, load_converts_legacy_files);
	tcase_add_loop_test(files, load_refuses_at_line, 0,
			    (int)(sizeof(load_refusals) / sizeof(load_refusals[0])));
	tcase_add_test(files, load_reports_missing_and_malformed_files);
	tcase_add_test(files, workspace_defaults);
	suite_add_tcase(su, split);
	suite_add_tcase(su, cfg);
	suite_add_tcase(su, cube);
	suite_add_tcase(su, files);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
