/*
 * test_yaml.c: unit tests for core/yaml. The expected JSON of every YAML
 * snippet below is what /usr/bin/python3 printed for
 * json.dumps(yaml.safe_load(text)) with PyYAML 6.0 (nan and infinities as
 * MedPerf's sanitize_json writes them), and the expected YAML text is what
 * yaml.safe_dump(v, sort_keys=False, allow_unicode=True) wrote, except where
 * a comment says how and why we differ. They were generated once and are
 * hard-coded, so the test needs no Python. Error messages and their line
 * and column numbers were checked against PyYAML's CSafeLoader, which uses
 * the same libyaml scanner and parser.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/jsonw.h"
#include "core/yaml.h"

/* A string literal and its length, embedded NULs included. */
#define LIT(s) s, sizeof(s) - 1

/* ------------------------------------------------------------------ */
/* Reading: whole documents                                            */
/* ------------------------------------------------------------------ */

struct doc_case {
	const char *name;
	const char *yaml;
	size_t len;
	const char *json;
};

static const struct doc_case docs[] = {
	{ "medperf container_config.yaml (tasks, volumes, run_args.command as a string)",
	  LIT("container_type: DockerImage\nimage: mlcommons/data-prep-manual:0.0.1\ntasks:\n  prepare:\n    run_args:\n      command: python3 /project/prepare.py\n    input_volumes:\n      data_path:\n        mount_path: /mlcommons/volumes/raw_data\n        type: directory\n      labels_path:\n        mount_path: /mlcommons/volumes/raw_labels\n        type: directory\n    output_volumes:\n      output_path:\n        mount_path: /mlcommons/volumes/data\n        type: directory\n      report_file:\n        mount_path: /mlcommons/volumes/report/report.yaml\n        type: file\n  sanity_check:\n    run_args:\n      command: python3 /project/sanity_check.py\n    input_volumes:\n      data_path:\n        mount_path: /mlcommons/volumes/data\n        type: directory\n"),
	  "{\"container_type\":\"DockerImage\",\"image\":\"mlcommons/data-prep-manual:0.0.1\",\"tasks\":{\"prepare\":{\"run_args\":{\"command\":\"python3 /project/prepare.py\"},\"input_volumes\":{\"data_path\":{\"mount_path\":\"/mlcommons/volumes/raw_data\",\"type\":\"directory\"},\"labels_path\":{\"mount_path\":\"/mlcommons/volumes/raw_labels\",\"type\":\"directory\"}},\"output_volumes\":{\"output_path\":{\"mount_path\":\"/mlcommons/volumes/data\",\"type\":\"directory\"},\"report_file\":{\"mount_path\":\"/mlcommons/volumes/report/report.yaml\",\"type\":\"file\"}}},\"sanity_check\":{\"run_args\":{\"command\":\"python3 /project/sanity_check.py\"},\"input_volumes\":{\"data_path\":{\"mount_path\":\"/mlcommons/volumes/data\",\"type\":\"directory\"}}}}}" },
	{ "run_args.command as a flow list, other run args",
	  LIT("tasks:\n  infer:\n    run_args:\n      command: [python3, /project/infer.py, --data, \"/x y\"]\n      gpus: all\n      shm_size: 2gb\n      entrypoint: ''\n      user: 1000:1000\n"),
	  "{\"tasks\":{\"infer\":{\"run_args\":{\"command\":[\"python3\",\"/project/infer.py\",\"--data\",\"/x y\"],\"gpus\":\"all\",\"shm_size\":\"2gb\",\"entrypoint\":\"\",\"user\":\"1000:1000\"}}}}" },
	{ "run_args.command as a block list, environment",
	  LIT("tasks:\n  infer:\n    run_args:\n      command:\n        - python3\n        - /project/infer.py\n        - --threshold=0.5\n      environment:\n        CUDA_VISIBLE_DEVICES: 0\n        OMP_NUM_THREADS: '4'\n    input_volumes: {}\n"),
	  "{\"tasks\":{\"infer\":{\"run_args\":{\"command\":[\"python3\",\"/project/infer.py\",\"--threshold=0.5\"],\"environment\":{\"CUDA_VISIBLE_DEVICES\":0,\"OMP_NUM_THREADS\":\"4\"}},\"input_volumes\":{}}}}" },
	{ "medperf parameters.yaml",
	  LIT("task: segmentation\nsegmentation_modalities: [\"t1c\", \"t1n\", \"t2f\", \"t2w\"]\n"),
	  "{\"task\":\"segmentation\",\"segmentation_modalities\":[\"t1c\",\"t1n\",\"t2f\",\"t2w\"]}" },
	{ "parameters with comments and mixed scalars",
	  LIT("# parameters\nbatch_size: 16   # per GPU\nlr: 1.0e-3\nmomentum: .9\nepochs: 1_000\nuse_amp: yes\nlabels: {0: background, 1: tumor, 2: edema}\nthresholds: [0.5, 1.0e+2, -1.5, +2.]\nnotes: ~\nempty:\n"),
	  "{\"batch_size\":16,\"lr\":0.001,\"momentum\":0.9,\"epochs\":1000,\"use_amp\":true,\"labels\":{\"0\":\"background\",\"1\":\"tumor\",\"2\":\"edema\"},\"thresholds\":[0.5,100.0,-1.5,2.0],\"notes\":null,\"empty\":null}" },
	{ "results.yaml with nan and infinities",
	  LIT("dice:\n  ET: 0.8123\n  TC: .nan\n  WT: .inf\n  neg: -.inf\nsamples: 42\nhd95: [1.5, 2, null]\n"),
	  "{\"dice\":{\"ET\":0.8123,\"TC\":\"nan\",\"WT\":\"Infinity\",\"neg\":\"-Infinity\"},\"samples\":42,\"hd95\":[1.5,2,null]}" },
	{ "statistics.yaml",
	  LIT("generated_cases: 12\nlabels:\n  0: 0.95\n  1: 0.03\n  2: 0.02\nsize:\n  mean: 155.5\n  std: 12.25\n"),
	  "{\"generated_cases\":12,\"labels\":{\"0\":0.95,\"1\":0.03,\"2\":0.02},\"size\":{\"mean\":155.5,\"std\":12.25}}" },
	{ "nested lists of maps",
	  LIT("- a: 1\n  b:\n  - x\n  - y: [1, {z: 2}]\n- - nested\n  - list\n-\n- {}\n- []\n"),
	  "[{\"a\":1,\"b\":[\"x\",{\"y\":[1,{\"z\":2}]}]},[\"nested\",\"list\"],null,{},[]]" },
	{ "block scalars",
	  LIT("lit: |\n  line one\n  line two\nfold: >\n  folded\n  text\n\n  para\nkeep: |+\n  kept\n\nstrip: |-\n  stripped\nindented: |2\n    two extra\nlast: end\n"),
	  "{\"lit\":\"line one\\nline two\\n\",\"fold\":\"folded text\\npara\\n\",\"keep\":\"kept\\n\\n\",\"strip\":\"stripped\",\"indented\":\"  two extra\\n\",\"last\":\"end\"}" },
	{ "anchors, aliases and a merge key",
	  LIT("base: &base\n  image: x\n  gpus: 1\nderived:\n  <<: *base\n  gpus: 2\nlist: &l [1, 2]\nagain: *l\nscalar: &s hello\nref: *s\n"),
	  "{\"base\":{\"image\":\"x\",\"gpus\":1},\"derived\":{\"image\":\"x\",\"gpus\":2},\"list\":[1,2],\"again\":[1,2],\"scalar\":\"hello\",\"ref\":\"hello\"}" },
	{ "merge of a list: earlier mappings win, own keys win",
	  LIT("a: &a {x: 1, y: 2}\nb: &b {y: 3, z: 4}\nc:\n  <<: [*a, *b]\n  w: 0\nd:\n  w: 0\n  <<: *b\n  z: 9\n"),
	  "{\"a\":{\"x\":1,\"y\":2},\"b\":{\"y\":3,\"z\":4},\"c\":{\"y\":2,\"z\":4,\"x\":1,\"w\":0},\"d\":{\"y\":3,\"z\":9,\"w\":0}}" },
	{ "explicit tags",
	  LIT("s: !!str 123\ni: !!int '42'\nf: !!float 3\nb: !!bool yes\nn: !!null whatever\nq: !!str\nt: !!str true\nfe: !!float '1e3'\nio: !!int 0o17\nbq: !!bool 'ON'\nv: !<tag:yaml.org,2002:int> 12\nm: !!map {a: !!seq [1]}\n"),
	  "{\"s\":\"123\",\"i\":42,\"f\":3.0,\"b\":true,\"n\":null,\"q\":\"\",\"t\":\"true\",\"fe\":1000.0,\"io\":15,\"bq\":true,\"v\":12,\"m\":{\"a\":[1]}}" },
	{ "non-specific tag: plain resolution even when quoted (as PyYAML)",
	  LIT("a: ! 12\nb: ! '12'\nc: ! x\nd: !!str\ne: ! ''\n"),
	  "{\"a\":12,\"b\":12,\"c\":\"x\",\"d\":\"\",\"e\":null}" },
	{ "duplicate key: last wins, first position",
	  LIT("dup: 1\nother: x\ndup: 2\n"),
	  "{\"dup\":2,\"other\":\"x\"}" },
	{ "duplicate key replaces a different type",
	  LIT("k: 1\nk: {a: 1}\nk: [1]\n"),
	  "{\"k\":[1]}" },
	{ "unicode",
	  LIT("nombre: Jos\xc3\xa9\nemoji: \"\\U0001F600\"\ncjk: \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\n\xc3\xa9t\xc3\xa9: summer\nesc: \"tab\\there\\nnewline \\x41 \\u00e9\"\nsq: 'it''s'\nsep: \"a\\Lb\"\n"),
	  "{\"nombre\":\"Jos\xc3\xa9\",\"emoji\":\"\xf0\x9f\x98\x80\",\"cjk\":\"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\",\"\xc3\xa9t\xc3\xa9\":\"summer\",\"esc\":\"tab\\there\\nnewline A \xc3\xa9\",\"sq\":\"it's\",\"sep\":\"a\\u2028b\"}" },
	{ "non-string keys become their JSON text",
	  LIT("1: a\n1.5: b\n~: d\n0x10: e\n.inf: f\n.nan: g\n-.inf: h\nno: i\n2001-12-14: j\n1e3: k\n'2': l\n1.0e+16: m\n"),
	  "{\"1\":\"a\",\"1.5\":\"b\",\"null\":\"d\",\"16\":\"e\",\"Infinity\":\"f\",\"NaN\":\"g\",\"-Infinity\":\"h\",\"false\":\"i\",\"2001-12-14\":\"j\",\"1e3\":\"k\",\"2\":\"l\",\"1e+16\":\"m\"}" },
	{ "multi-line flow scalars fold",
	  LIT("plain: multi\n  line\n  plain\nquoted: \"multi\n  line\"\nsingle: 'a\n\n  b'\n"),
	  "{\"plain\":\"multi line plain\",\"quoted\":\"multi line\",\"single\":\"a\\nb\"}" },
	{ "explicit document markers",
	  LIT("---\na: 1\n...\n"),
	  "{\"a\":1}" },
	{ "YAML directive",
	  LIT("%YAML 1.1\n---\na: 1\n"),
	  "{\"a\":1}" },
	{ "empty stream",
	  LIT(""),
	  "null" },
	{ "only a comment",
	  LIT("# only a comment\n"),
	  "null" },
	{ "empty document",
	  LIT("---\n"),
	  "null" },
	{ "root string",
	  LIT("just a string\n"),
	  "\"just a string\"" },
	{ "root integer",
	  LIT("42\n"),
	  "42" },
	{ "root flow sequence",
	  LIT("[1, 2, 3]\n"),
	  "[1,2,3]" },
	{ "root flow mapping",
	  LIT("{a: 1, b: [2, 3], c: {d: e}}\n"),
	  "{\"a\":1,\"b\":[2,3],\"c\":{\"d\":\"e\"}}" },
	{ "comments and indicators inside scalars",
	  LIT("a: 'single # not comment'\nb: value # comment\nc: \"x: y\"\nd: x:y\ne: -x\nf: --flag=1\ng: a#b\nh: [a, 'b, c']\n"),
	  "{\"a\":\"single # not comment\",\"b\":\"value\",\"c\":\"x: y\",\"d\":\"x:y\",\"e\":\"-x\",\"f\":\"--flag=1\",\"g\":\"a#b\",\"h\":[\"a\",\"b, c\"]}" },
	{ "keys with spaces, quoted and empty",
	  LIT("key with spaces: v\n\"quoted key\": v2\n'': empty key\n"),
	  "{\"key with spaces\":\"v\",\"quoted key\":\"v2\",\"\":\"empty key\"}" },
	{ "sequence of sequences",
	  LIT("seq_of_seq:\n- [a, b]\n- [c, [d, e]]\n"),
	  "{\"seq_of_seq\":[[\"a\",\"b\"],[\"c\",[\"d\",\"e\"]]]}" },
	{ "integers",
	  LIT("big: 9223372036854775807\nsmall: -9223372036854775808\nhex: 0x7fffffffffffffff\noct: 0777\nbin: 0b1010\nsexa: 1:30:00\nunder: 1_000_000\nplus: +12\nzero: 0\nnegzero: -0\n"),
	  "{\"big\":9223372036854775807,\"small\":-9223372036854775808,\"hex\":9223372036854775807,\"oct\":511,\"bin\":10,\"sexa\":5400,\"under\":1000000,\"plus\":12,\"zero\":0,\"negzero\":0}" },
	{ "floats",
	  LIT("f1: 1.0\nf2: -1.5\nf3: 1.0e+16\nf4: 1.0e-05\nf5: 0.1\nf6: 6.02e+23\nf7: 1.\nf8: .5\nf9: 1_0.5_0\nf10: 3.0E+2\nf11: 123456789.123456789\nf12: 1:30.5\nf13: -0.0\n"),
	  "{\"f1\":1.0,\"f2\":-1.5,\"f3\":1e+16,\"f4\":1e-05,\"f5\":0.1,\"f6\":6.02e+23,\"f7\":1.0,\"f8\":0.5,\"f9\":10.5,\"f10\":300.0,\"f11\":123456789.12345679,\"f12\":90.5,\"f13\":-0.0}" },
	{ "strings that look like numbers",
	  LIT("strs: [1e3, 1.0e5, -.5, +.5, 0o17, 09, '1', \"2.0\", 1:60, 0:30, _1, 0x, 0b, ., 1.0e5, 12e+3]\n"),
	  "{\"strs\":[\"1e3\",\"1.0e5\",\"-.5\",\"+.5\",\"0o17\",\"09\",\"1\",\"2.0\",\"1:60\",\"0:30\",\"_1\",\"0x\",\"0b\",\".\",\"1.0e5\",\"12e+3\"]}" },
	{ "timestamps stay strings",
	  LIT("dates: [2001-12-14, 2001-12-14t21:59:43.10-05:00, 2001-12-14 21:59:43.10 -5, 2002-1-1]\n"),
	  "{\"dates\":[\"2001-12-14\",\"2001-12-14t21:59:43.10-05:00\",\"2001-12-14 21:59:43.10 -5\",\"2002-1-1\"]}" },
	{ "booleans (YAML 1.1)",
	  LIT("t: [yes, No, TRUE, false, On, OFF, y, n, Y, N, tRue, 'yes']\n"),
	  "{\"t\":[true,false,true,false,true,false,\"y\",\"n\",\"Y\",\"N\",\"tRue\",\"yes\"]}" },
	{ "nulls",
	  LIT("n: [~, null, Null, NULL, nUll, '', 'null']\n"),
	  "{\"n\":[null,null,null,null,\"nUll\",\"\",\"null\"]}" },
	{ "'=' as a key is a string",
	  LIT("=: eq\n"),
	  "{\"=\":\"eq\"}" },
	{ "indented nested sequences",
	  LIT("a:\n  - 1\n  -   - 2\n      - 3\n"),
	  "{\"a\":[1,[2,3]]}" },
	{ "the same anchor used three times",
	  LIT("anchors:\n  - &x {a: 1}\n  - *x\n  - *x\n"),
	  "{\"anchors\":[{\"a\":1},{\"a\":1},{\"a\":1}]}" },
	{ "flow collections with trailing commas",
	  LIT("a: [1, 2, ]\nb: {x: 1, }\n"),
	  "{\"a\":[1,2],\"b\":{\"x\":1}}" },
	{ "double-quoted escapes",
	  LIT("k: \"\\0\\a\\b\\t\\n\\v\\f\\r\\e\\ \\\"\\/\\\\\\N\\_\\L\\P\"\n"),
	  "{\"k\":\"\\u0000\\u0007\\b\\t\\n\\u000b\\f\\r\\u001b \\\"/\\\\\xc2\x85\xc2\xa0\\u2028\\u2029\"}" },
	{ "spaces kept in quoted scalars",
	  LIT("k: 'trailing spaces   '\nj: \"  lead\"\n"),
	  "{\"k\":\"trailing spaces   \",\"j\":\"  lead\"}" },
	{ "blank lines between keys",
	  LIT("key: value\n\n\n\nother: 2\n"),
	  "{\"key\":\"value\",\"other\":2}" },
	{ "deep mapping",
	  LIT("a:\n  b:\n    c:\n      d: deep\n"),
	  "{\"a\":{\"b\":{\"c\":{\"d\":\"deep\"}}}}" },
	{ "tags on collections",
	  LIT("- !!map {a: 1}\n- !!seq [1]\n- !!str 1\n"),
	  "[{\"a\":1},[1],\"1\"]" },
	{ "CRLF line ends",
	  LIT("crlf: 1\r\nnext: 2\r\n"),
	  "{\"crlf\":1,\"next\":2}" },
	{ "UTF-8 byte order mark",
	  LIT("\xef\xbb\xbf" "bom: 1\n"),
	  "{\"bom\":1}" },
	{ "sequence item continued on the next line",
	  LIT("- x\n  - y\n"),
	  "[\"x - y\"]" },
	{ "complex key with a scalar",
	  LIT("? complex key\n: value\n"),
	  "{\"complex key\":\"value\"}" },
	/*
	 * Python's dict treats 1, 1.0 and True as one key (the first spelling
	 * with the last value); we compare keys as the JSON text they become.
	 */
	{ "keys equal in Python but not as text stay apart",
	  LIT("1: a\ntrue: b\n1.0: c\n"),
	  "{\"1\":\"a\",\"true\":\"b\",\"1.0\":\"c\"}" },
};

/* Parses text and compares the value, written as compact JSON, with want. */
static void assert_parses_to(const char *what, const char *text, size_t len, const char *want)
{
	struct yaml_doc *doc = NULL;
	mp_errbuf e = { { 0 } };
	json_t *v = NULL;
	char *got;
	int rc;

	rc = yaml_parse(text, len, "t.yaml", &v, &doc, &e);
	ck_assert_msg(rc == MP_OK, "%s: rc %d: %s", what, rc, e.msg);
	ck_assert_ptr_nonnull(v);
	ck_assert_ptr_nonnull(doc);
	got = jsonw_dumps(v);
	ck_assert_ptr_nonnull(got);
	ck_assert_msg(strcmp(got, want) == 0, "%s:\n got  %s\n want %s", what, got, want);
	free(got);
	json_decref(v);
	yaml_doc_free(doc);

	/* the same without positions */
	rc = yaml_parse(text, len, "t.yaml", &v, NULL, &e);
	ck_assert_int_eq(rc, MP_OK);
	got = jsonw_dumps(v);
	ck_assert_str_eq(got, want);
	free(got);
	json_decref(v);
}

START_TEST(test_docs)
{
	const struct doc_case *c = &docs[_i];

	assert_parses_to(c->name, c->yaml, c->len, c->json);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Reading: plain scalar resolution ("k: TEXT")                        */
/* ------------------------------------------------------------------ */

struct scalar_case {
	const char *text;
	const char *json;
};

static const struct scalar_case scalars[] = {
	{ "~", "null" },
	{ "null", "null" },
	{ "Null", "null" },
	{ "NULL", "null" },
	{ "nUll", "\"nUll\"" },
	{ "", "null" },
	{ "yes", "true" },
	{ "Yes", "true" },
	{ "YES", "true" },
	{ "no", "false" },
	{ "No", "false" },
	{ "NO", "false" },
	{ "true", "true" },
	{ "True", "true" },
	{ "TRUE", "true" },
	{ "false", "false" },
	{ "False", "false" },
	{ "FALSE", "false" },
	{ "on", "true" },
	{ "On", "true" },
	{ "ON", "true" },
	{ "off", "false" },
	{ "Off", "false" },
	{ "OFF", "false" },
	{ "y", "\"y\"" },
	{ "n", "\"n\"" },
	{ "oN", "\"oN\"" },
	{ "yES", "\"yES\"" },
	{ "0", "0" },
	{ "-0", "0" },
	{ "+0", "0" },
	{ "00", "0" },
	{ "0_", "0" },
	{ "017", "15" },
	{ "-017", "-15" },
	{ "0o17", "\"0o17\"" },
	{ "08", "\"08\"" },
	{ "09", "\"09\"" },
	{ "0b101", "5" },
	{ "-0b101", "-5" },
	{ "0b1_0", "2" },
	{ "0x1F", "31" },
	{ "0xff_ff", "65535" },
	{ "-0x10", "-16" },
	{ "0X1F", "\"0X1F\"" },
	{ "0xg", "\"0xg\"" },
	{ "1_000", "1000" },
	{ "+12", "12" },
	{ "-12", "-12" },
	{ "1__2", "12" },
	{ "_1", "\"_1\"" },
	{ "1_", "1" },
	{ "1:30", "90" },
	{ "-1:30", "-90" },
	{ "190:20:30", "685230" },
	{ "1:5:59", "3959" },
	{ "1:60", "\"1:60\"" },
	{ "0:30", "\"0:30\"" },
	{ "12:3", "723" },
	{ "9223372036854775807", "9223372036854775807" },
	{ "-9223372036854775808", "-9223372036854775808" },
	{ "1.0", "1.0" },
	{ "1.", "1.0" },
	{ ".5", "0.5" },
	{ "-.5", "\"-.5\"" },
	{ "+.5", "\"+.5\"" },
	{ "._5", "\"._5\"" },
	{ ".", "\".\"" },
	{ "1.0e5", "\"1.0e5\"" },
	{ "1.0e+5", "100000.0" },
	{ "1.0E-5", "1e-05" },
	{ "1e3", "\"1e3\"" },
	{ "1e+3", "\"1e+3\"" },
	{ "12.e+3", "12000.0" },
	{ "1.5e3", "\"1.5e3\"" },
	{ "1_000.5", "1000.5" },
	{ "1.5_", "1.5" },
	{ "1__2.3", "12.3" },
	{ "1:30.5", "90.5" },
	{ "0:30.5", "30.5" },
	{ "-1:30.5", "-90.5" },
	{ "1:30.", "90.0" },
	{ "6.02e+23", "6.02e+23" },
	{ "1.0e+400", "\"Infinity\"" },
	{ "-1.0e+400", "\"-Infinity\"" },
	{ "1.0e-400", "0.0" },
	{ "0.1", "0.1" },
	{ "3.141592653589793", "3.141592653589793" },
	{ "1.7976931348623157e+308", "1.7976931348623157e+308" },
	{ ".inf", "\"Infinity\"" },
	{ ".Inf", "\"Infinity\"" },
	{ ".INF", "\"Infinity\"" },
	{ "-.inf", "\"-Infinity\"" },
	{ "+.inf", "\"Infinity\"" },
	{ ".iNf", "\".iNf\"" },
	{ "inf", "\"inf\"" },
	{ ".nan", "\"nan\"" },
	{ ".NaN", "\"nan\"" },
	{ ".NAN", "\"nan\"" },
	{ "-.nan", "\"-.nan\"" },
	{ "nan", "\"nan\"" },
	{ "2001-12-14", "\"2001-12-14\"" },
	{ "2001-12-14T21:59:43Z", "\"2001-12-14T21:59:43Z\"" },
	{ "2001-1-1 1:00:00", "\"2001-1-1 1:00:00\"" },
	{ "2001-12-14x", "\"2001-12-14x\"" },
	{ "<<a", "\"<<a\"" },
	{ "==", "\"==\"" },
	{ "a=b", "\"a=b\"" },
	{ "hello", "\"hello\"" },
	{ "hello world", "\"hello world\"" },
	{ "-x", "\"-x\"" },
	{ "--flag", "\"--flag\"" },
	{ "x:y", "\"x:y\"" },
	{ "x#y", "\"x#y\"" },
	{ "a - b", "\"a - b\"" },
	{ "Jos\xc3\xa9", "\"Jos\xc3\xa9\"" },
	{ "'quoted'", "\"quoted\"" },
	{ "\"dq\"", "\"dq\"" },
	{ "~a", "\"~a\"" },
	{ "null_", "\"null_\"" },
	{ "yes!", "\"yes!\"" },
	{ "0.5%", "\"0.5%\"" },
	{ "1,000", "\"1,000\"" },
	{ "1.2.3", "\"1.2.3\"" },
	{ "v1.0", "\"v1.0\"" },
	{ "1_000_", "1000" },
	{ "0b", "\"0b\"" },
	{ "0x", "\"0x\"" },
	{ "+", "\"+\"" },
	{ "1e", "\"1e\"" },
	{ "1.0e", "\"1.0e\"" },
	{ "1.0e+", "\"1.0e+\"" },
	{ "0b_2", "\"0b_2\"" },
	{ "12:61", "\"12:61\"" },
	{ "1:2:3.5", "3723.5" },
};

START_TEST(test_scalars)
{
	const struct scalar_case *c = &scalars[_i];
	char doc[128], want[160];

	ck_assert_int_lt(snprintf(doc, sizeof(doc), "k: %s\n", c->text), (int)sizeof(doc));
	ck_assert_int_lt(snprintf(want, sizeof(want), "{\"k\":%s}", c->json), (int)sizeof(want));
	assert_parses_to(c->text, doc, strlen(doc), want);
}
END_TEST

/* Explicit tags take the text as it is, quoted or not. */
START_TEST(test_tags)
{
	static const struct scalar_case tagged[] = {
		{ "!!str 1.5", "\"1.5\"" },
		{ "!!str ~", "\"~\"" },
		{ "!!int \"0x1F\"", "31" },
		{ "!!int '1_000'", "1000" },
		{ "!!int 1:30", "90" },
		{ "!!float '1'", "1.0" },
		{ "!!float 1e3", "1000.0" },
		{ "!!float .NaN", "\"nan\"" },
		{ "!!float -.inf", "\"-Infinity\"" },
		{ "!!bool 'True'", "true" },
		{ "!!bool oFF", "false" },
		{ "!!null ''", "null" },
		{ "!!timestamp 2001-12-14", "\"2001-12-14\"" },
		{ "!<tag:yaml.org,2002:str> 12", "\"12\"" },
		{ "!!seq []", "[]" },
		{ "!!map {}", "{}" },
	};

	for (size_t i = 0; i < sizeof(tagged) / sizeof(tagged[0]); i++) {
		char doc[128], want[128];

		snprintf(doc, sizeof(doc), "k: %s\n", tagged[i].text);
		snprintf(want, sizeof(want), "{\"k\":%s}", tagged[i].json);
		assert_parses_to(tagged[i].text, doc, strlen(doc), want);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* Reading: errors                                                     */
/* ------------------------------------------------------------------ */

struct err_case {
	const char *name;
	const char *yaml;
	size_t len;
	const char *msg;
};

static const struct err_case errs[] = {
	{ "two documents", LIT("a: 1\n---\nb: 2\n"),
	  "t.yaml:2:1: expected a single document in the stream, but found another document" },
	{ "undefined alias", LIT("a: *y\n"),
	  "t.yaml:1:4: found undefined alias 'y'" },
	{ "duplicate anchor", LIT("a: &x 1\nb: &x 2\n"),
	  "t.yaml:2:4: found duplicate anchor 'x'" },
	{ "recursive alias", LIT("a: &r [*r]\n"),
	  "t.yaml:1:8: alias 'r' refers to a collection that contains it" },
	{ "unclosed flow sequence", LIT("[1, 2"),
	  "t.yaml:2:1: did not find expected ',' or ']' (while parsing a flow sequence at line 1)" },
	{ "unterminated single quote", LIT("a: 'x\n"),
	  "t.yaml:2:1: found unexpected end of stream (while scanning a quoted scalar at line 1)" },
	{ "bad indentation", LIT("a:\n  b: 1\n c: 2\n"),
	  "t.yaml:3:2: did not find expected key (while parsing a block mapping at line 1)" },
	{ "mapping value in a plain scalar", LIT("a: b: c\n"),
	  "t.yaml:1:5: mapping values are not allowed in this context" },
	{ "mapping after a sequence", LIT("- a\nb: 1\n"),
	  "t.yaml:2:1: did not find expected '-' indicator (while parsing a block collection at line 1)" },
	{ "unclosed flow at the end", LIT("ok: 1\nbad: [\n"),
	  "t.yaml:3:1: did not find expected node content (while parsing a flow node)" },
	{ "bad indentation after a list", LIT("x:\n  - 1\n  - 2\n y: 3\n"),
	  "t.yaml:4:2: did not find expected key (while parsing a block mapping at line 1)" },
	{ "indented key after a scalar", LIT("a: b\n  c: d\n"),
	  "t.yaml:2:4: mapping values are not allowed in this context" },
	{ "key without a colon", LIT("a: 1\nb\n"),
	  "t.yaml:3:1: could not find expected ':' (while scanning a simple key at line 2)" },
	{ "tab indentation", LIT("\tx: 1\n"),
	  "t.yaml:1:1: found character that cannot start any token (while scanning for the next token)" },
	{ "surrogate escape", LIT("key: \"\\uD800\"\n"),
	  "t.yaml:1:9: found invalid Unicode character escape code (while parsing a quoted scalar)" },
	{ "control character", LIT("a: \x01\n"),
	  "t.yaml:1:4: control characters are not allowed" },
	{ "invalid UTF-8", LIT("a: ok\nb: \xff\n"),
	  "t.yaml:2:4: invalid leading UTF-8 octet" },
	{ "unknown directive", LIT("%FOO bar\n---\na: 1\n"),
	  "t.yaml:1:5: found unknown directive name (while scanning a directive)" },
	{ "reserved indicator", LIT("a: @x\n"),
	  "t.yaml:1:4: found character that cannot start any token (while scanning for the next token)" },
	{ "unclosed flow mapping", LIT("{a: 1\n"),
	  "t.yaml:2:1: did not find expected ',' or '}' (while parsing a flow mapping at line 1)" },
	{ "sequence as a key", LIT("? [1]\n: 2\n"),
	  "t.yaml:1:3: found unhashable key (while constructing a mapping)" },
	{ "mapping as a key", LIT("? {a: 1}\n: 2\n"),
	  "t.yaml:1:3: found unhashable key (while constructing a mapping)" },
	{ "bad !!int", LIT("a: !!int 1.5"),
	  "t.yaml:1:4: invalid integer '1.5'" },
	{ "unknown !! tag", LIT("a: !!foo 1"),
	  "t.yaml:1:4: could not determine a constructor for the tag 'tag:yaml.org,2002:foo'" },
	{ "unknown local tag", LIT("a: !bar 1"),
	  "t.yaml:1:4: could not determine a constructor for the tag '!bar'" },
	{ "!!str on a sequence", LIT("a: !!str [1]"),
	  "t.yaml:1:4: expected a scalar node, but found sequence" },
	{ "!!map on a scalar", LIT("a: !!map 1"),
	  "t.yaml:1:4: expected a mapping node, but found scalar" },
	{ "!!seq on a mapping", LIT("a: !!seq {}"),
	  "t.yaml:1:4: expected a sequence node, but found mapping" },
	{ "bad !!bool", LIT("a: !!bool maybe\n"),
	  "t.yaml:1:4: invalid boolean 'maybe'" },
	{ "bad !!float", LIT("a: !!float abc\n"),
	  "t.yaml:1:4: invalid float 'abc'" },
	{ "merge key as a value", LIT("a: <<\n"),
	  "t.yaml:1:4: could not determine a constructor for the tag 'tag:yaml.org,2002:merge'" },
	{ "value key as a value", LIT("a: =\n"),
	  "t.yaml:1:4: could not determine a constructor for the tag 'tag:yaml.org,2002:value'" },
	{ "merge of a scalar", LIT("<<: 1\n"),
	  "t.yaml:1:5: expected a mapping or list of mappings for merging, but found scalar (while constructing the mapping at line 1)" },
	{ "merge of a list with a scalar", LIT("b: &b {x: 1}\n<<: [*b, 3]\n"),
	  "t.yaml:2:10: expected a mapping for merging, but found scalar (while constructing the mapping at line 1)" },
	{ "hex without digits", LIT("n: 0x_\n"),
	  "t.yaml:1:4: invalid integer '0x_'" },
	{ "integer over int64", LIT("a: 1\nb:\n  c: 99999999999999999999\n"),
	  "t.yaml:3:6: integer '99999999999999999999' does not fit in 64 bits" },
	{ "integer under int64", LIT("a: -9223372036854775809\n"),
	  "t.yaml:1:4: integer '-9223372036854775809' does not fit in 64 bits" },
	{ "hex over 64 bits", LIT("a: 0x10000000000000000\n"),
	  "t.yaml:1:4: integer '0x10000000000000000' does not fit in 64 bits" },
};

START_TEST(test_errors)
{
	const struct err_case *c = &errs[_i];
	struct yaml_doc *doc = (struct yaml_doc *)&doc; /* must be reset */
	mp_errbuf e = { { 0 } };
	json_t *v = json_true();

	ck_assert_msg(yaml_parse(c->yaml, c->len, "t.yaml", &v, &doc, &e) == MP_EINVAL, "%s",
		      c->name);
	ck_assert_ptr_null(v);
	ck_assert_ptr_null(doc);
	ck_assert_msg(strcmp(e.msg, c->msg) == 0, "%s:\n got  %s\n want %s", c->name, e.msg,
		      c->msg);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Positions                                                           */
/* ------------------------------------------------------------------ */

START_TEST(test_lines)
{
	static const char text[] =
		"# container config\n"              /* 1 */
		"container_type: DockerImage\n"      /* 2 */
		"image: x\n"                         /* 3 */
		"tasks:\n"                           /* 4 */
		"  infer:\n"                         /* 5 */
		"    input_volumes:\n"               /* 6 */
		"      data_path:\n"                 /* 7 */
		"        mount_path: /a\n"           /* 8 */
		"        type: directory\n"          /* 9 */
		"    run_args:\n"                    /* 10 */
		"      command:\n"                   /* 11 */
		"        - python3\n"                /* 12 */
		"        - \"a/b\"\n"                /* 13 */
		"weird/key~: 1\n"                    /* 14 */
		"list:\n"                            /* 15 */
		"- {x: 1}\n"                         /* 16 */
		"-\n"                                /* 17 */
		"  y: 2\n"                           /* 18 */
		"dup: 1\n"                           /* 19 */
		"anchor: &a [10,\n"                  /* 20 */
		"  20]\n"                            /* 21 */
		"alias: *a\n"                        /* 22 */
		"dup: 2\n";                          /* 23 */
	static const struct {
		const char *ptr;
		int line;
	} want[] = {
		{ "", 2 },
		{ "/container_type", 2 },
		{ "/image", 3 },
		{ "/tasks", 4 },
		{ "/tasks/infer", 5 },
		{ "/tasks/infer/input_volumes/data_path", 7 },
		{ "/tasks/infer/input_volumes/data_path/mount_path", 8 },
		{ "/tasks/infer/input_volumes/data_path/type", 9 },
		{ "/tasks/infer/run_args/command", 11 },
		{ "/tasks/infer/run_args/command/0", 12 },
		{ "/tasks/infer/run_args/command/1", 13 },
		{ "/weird~1key~0", 14 },
		{ "/list/0", 16 },
		{ "/list/0/x", 16 },
		{ "/list/1", 18 },
		{ "/list/1/y", 18 },
		{ "/dup", 23 },          /* the last duplicate wins */
		{ "/alias", 22 },        /* an alias is where it is used ... */
		{ "/alias/1", 21 },      /* ... its contents where they were written */
		{ "/anchor/0", 20 },
		/* missing nodes: the closest existing ancestor */
		{ "/tasks/infer/parameters", 5 },
		{ "/tasks/infer/input_volumes/labels_path/mount_path", 6 },
		{ "/tasks/infer/run_args/command/2", 11 },
		{ "/tasks/infer/run_args/command/01", 11 },
		{ "/tasks/infer/run_args/command/-", 11 },
		{ "/tasks/infer/run_args/command/x", 11 },
		{ "/image/0", 3 },
		{ "/weird/key~", 2 },
		{ "/nope", 2 },
		{ "nope", 2 },
		{ "/", 2 },
	};
	struct yaml_doc *doc = NULL;
	json_t *v = NULL;
	mp_errbuf e;

	ck_assert_int_eq(yaml_parse(text, sizeof(text) - 1, "c.yaml", &v, &doc, &e), MP_OK);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(yaml_line(doc, want[i].ptr) == want[i].line, "%s: got %d want %d",
			      want[i].ptr, yaml_line(doc, want[i].ptr), want[i].line);
	ck_assert_int_eq(yaml_line(NULL, ""), 0);
	ck_assert_int_eq(yaml_line(NULL, "/tasks"), 0);
	json_decref(v);
	yaml_doc_free(doc);
	yaml_doc_free(NULL);
}
END_TEST

START_TEST(test_lines_merge_and_empty)
{
	static const char merged[] = "base: &b\n  image: x\n  gpus: 1\nderived:\n  <<: *b\n  gpus: 2\n";
	struct yaml_doc *doc = NULL;
	json_t *v = NULL;
	mp_errbuf e;

	ck_assert_int_eq(yaml_parse(merged, sizeof(merged) - 1, "m", &v, &doc, &e), MP_OK);
	ck_assert_int_eq(yaml_line(doc, "/derived/image"), 2); /* from the merged mapping */
	ck_assert_int_eq(yaml_line(doc, "/derived/gpus"), 6);
	ck_assert_int_eq(yaml_line(doc, "/derived/nope"), 4);
	json_decref(v);
	yaml_doc_free(doc);

	/* an empty document is null at line 1 */
	ck_assert_int_eq(yaml_parse("", 0, "e", &v, &doc, &e), MP_OK);
	ck_assert(json_is_null(v));
	ck_assert_int_eq(yaml_line(doc, ""), 1);
	ck_assert_int_eq(yaml_line(doc, "/a/b"), 1);
	json_decref(v);
	yaml_doc_free(doc);

	/* a NULL text of length 0 is the empty document */
	ck_assert_int_eq(yaml_parse(NULL, 0, NULL, &v, NULL, &e), MP_OK);
	ck_assert(json_is_null(v));
	json_decref(v);

	/* a key with a NUL byte is kept whole */
	ck_assert_int_eq(yaml_parse(LIT("\"a\\0b\": 1\n"), "n", &v, &doc, &e), MP_OK);
	ck_assert_int_eq(json_object_size(v), 1);
	ck_assert_ptr_null(json_object_get(v, "a"));
	ck_assert_int_eq(yaml_line(doc, "/a"), 1);
	json_decref(v);
	yaml_doc_free(doc);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

/*
 * json_equal with keys compared by length: jansson's own looks keys up as C
 * strings, so it cannot see a key with a NUL byte in it.
 */
static int same_value(const json_t *a, const json_t *b)
{
	const char *key;
	size_t klen, i;
	json_t *val;

	if (json_typeof(a) != json_typeof(b))
		return 0;
	if (json_is_object(a)) {
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_keylen_foreach((json_t *)a, key, klen, val) {
			json_t *other = json_object_getn(b, key, klen);

			if (other == NULL || !same_value(val, other))
				return 0;
		}
		return 1;
	}
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return 0;
		json_array_foreach(a, i, val)
			if (!same_value(val, json_array_get(b, i)))
				return 0;
		return 1;
	}
	return json_equal(a, b);
}

/* Dumps v and compares with want; then parses it back and compares with v. */
static void assert_dumps_to(const json_t *v, const char *want)
{
	mp_errbuf e = { { 0 } };
	json_t *back = NULL;
	struct buf b;
	int rc;

	buf_init(&b, 0);
	ck_assert_int_eq(yaml_dump(&b, v), MP_OK);
	if (want)
		ck_assert_msg(strcmp(b.data, want) == 0, "\ngot:\n%s\nwant:\n%s", b.data, want);
	rc = yaml_parse(b.data, b.len, "dump", &back, NULL, &e);
	ck_assert_msg(rc == MP_OK, "%s\n%s", e.msg, b.data);
	ck_assert_msg(same_value(back, v), "round trip changed the value:\n%s", b.data);
	json_decref(back);
	buf_release(&b);
}

struct dump_case {
	const char *s;
	size_t len;
	const char *want; /* yaml_dump of {"k": s} */
};

static const struct dump_case dump_strings[] = {
	{ LIT("plain"), "k: plain\n" },
	{ LIT("hello world"), "k: hello world\n" },
	{ LIT("yes"), "k: 'yes'\n" },
	{ LIT("No"), "k: 'No'\n" },
	{ LIT("on"), "k: 'on'\n" },
	{ LIT("true"), "k: 'true'\n" },
	{ LIT("null"), "k: 'null'\n" },
	{ LIT("~"), "k: '~'\n" },
	{ LIT(""), "k: ''\n" },
	{ LIT("1"), "k: '1'\n" },
	{ LIT("-1"), "k: '-1'\n" },
	{ LIT("1.0"), "k: '1.0'\n" },
	{ LIT("1e3"), "k: 1e3\n" },
	{ LIT("1.0e+3"), "k: '1.0e+3'\n" },
	{ LIT(".inf"), "k: '.inf'\n" },
	{ LIT(".nan"), "k: '.nan'\n" },
	{ LIT("0x1F"), "k: '0x1F'\n" },
	{ LIT("017"), "k: '017'\n" },
	{ LIT("0o17"), "k: 0o17\n" },
	{ LIT("1:30"), "k: '1:30'\n" },
	{ LIT("0:30"), "k: 0:30\n" },
	{ LIT("1_000"), "k: '1_000'\n" },
	{ LIT("2001-12-14"), "k: '2001-12-14'\n" },
	{ LIT("<<"), "k: '<<'\n" },
	{ LIT("="), "k: '='\n" },
	{ LIT("a: b"), "k: 'a: b'\n" },
	{ LIT("a:"), "k: 'a:'\n" },
	{ LIT("a:b"), "k: a:b\n" },
	{ LIT("- x"), "k: '- x'\n" },
	{ LIT("-x"), "k: -x\n" },
	{ LIT("--flag"), "k: --flag\n" },
	{ LIT("-"), "k: '-'\n" },
	{ LIT("? x"), "k: '? x'\n" },
	{ LIT("?x"), "k: ?x\n" },
	{ LIT(":x"), "k: :x\n" },
	{ LIT("#c"), "k: '#c'\n" },
	{ LIT("a#c"), "k: a#c\n" },
	{ LIT("a #c"), "k: 'a #c'\n" },
	{ LIT(" lead"), "k: ' lead'\n" },
	{ LIT("trail "), "k: 'trail '\n" },
	{ LIT("  "), "k: '  '\n" },
	{ LIT("---"), "k: '---'\n" },
	{ LIT("--- x"), "k: '--- x'\n" },
	{ LIT("..."), "k: '...'\n" },
	{ LIT("it's"), "k: it's\n" },
	{ LIT("'q'"), "k: '''q'''\n" },
	{ LIT("\"q\""), "k: '\"q\"'\n" },
	{ LIT("[a"), "k: '[a'\n" },
	{ LIT("a]"), "k: a]\n" },
	{ LIT("{a}"), "k: '{a}'\n" },
	{ LIT("a,b"), "k: a,b\n" },
	{ LIT("&x"), "k: '&x'\n" },
	{ LIT("*x"), "k: '*x'\n" },
	{ LIT("!x"), "k: '!x'\n" },
	{ LIT("|x"), "k: '|x'\n" },
	{ LIT(">x"), "k: '>x'\n" },
	{ LIT("%x"), "k: '%x'\n" },
	{ LIT("@x"), "k: '@x'\n" },
	{ LIT("`x"), "k: '`x'\n" },
	{ LIT("a\\b"), "k: a\\b\n" },
	{ LIT("Jos\xc3\xa9"), "k: Jos\xc3\xa9\n" },
	{ LIT("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"), "k: \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\n" },
	{ LIT("\xf0\x9f\x98\x80"), "k: \xf0\x9f\x98\x80\n" },
	{ LIT("caf\xc3\xa9 au lait"), "k: caf\xc3\xa9 au lait\n" },
	{ LIT("a\xc2\xa0" "b"), "k: a\xc2\xa0" "b\n" },
	{ LIT("multi\nline"), "k: \"multi\\nline\"\n" }, /* PyYAML: "k: 'multi\n\n  line'\n" */
	{ LIT("trailing newline\n"), "k: \"trailing newline\\n\"\n" }, /* PyYAML: "k: 'trailing newline\n\n  '\n" */
	{ LIT("tab\there"), "k: \"tab\\there\"\n" },
	{ LIT("cr\r"), "k: \"cr\\r\"\n" },
	{ LIT("bell\x07"), "k: \"bell\\a\"\n" },
	{ LIT("nul\x00x"), "k: \"nul\\0x\"\n" },
	{ LIT("\x1b[0m"), "k: \"\\e[0m\"\n" },
	{ LIT("del\x7f"), "k: \"del\\x7F\"\n" },
	{ LIT("c1\xc2\x9f"), "k: \"c1\\x9F\"\n" },
	{ LIT("nel\xc2\x85"), "k: \"nel\\N\"\n" }, /* PyYAML: "k: 'nel\xc2\x85  '\n" */
	{ LIT("ls\xe2\x80\xa8"), "k: \"ls\\L\"\n" }, /* PyYAML: "k: 'ls\xe2\x80\xa8  '\n" */
	{ LIT("bom\xef\xbb\xbf"), "k: \"bom\\uFEFF\"\n" },
	{ LIT("nonchar\xef\xbf\xbe"), "k: \"nonchar\\uFFFE\"\n" },
	{ LIT("/mlcommons/volumes/data"), "k: /mlcommons/volumes/data\n" },
	{ LIT("python3 /project/prepare.py"), "k: python3 /project/prepare.py\n" },
	{ LIT("http://x.org/a?b=c#frag"), "k: http://x.org/a?b=c#frag\n" },
	{ LIT("C:\\path"), "k: C:\\path\n" },
	{ LIT("50%"), "k: 50%\n" },
	{ LIT("user@host"), "k: user@host\n" },
};

START_TEST(test_dump_strings)
{
	const struct dump_case *c = &dump_strings[_i];
	json_t *s = json_stringn(c->s, c->len);
	json_t *obj = json_object(), *arr = json_array(), *keyed = json_object();

	ck_assert_ptr_nonnull(s);
	json_object_set(obj, "k", s);
	json_array_append(arr, s);
	json_object_setn(keyed, c->s, c->len, s);
	assert_dumps_to(obj, c->want);
	assert_dumps_to(arr, NULL);
	assert_dumps_to(keyed, NULL);
	assert_dumps_to(s, NULL);
	json_decref(s);
	json_decref(obj);
	json_decref(arr);
	json_decref(keyed);
}
END_TEST

START_TEST(test_dump_exact)
{
	static const struct {
		const char *json;
		const char *yaml;
	} cases[] = {
		/* root scalars: a plain one is open-ended, so PyYAML ends it with "..." */
		{ "1", "1\n...\n" },
		{ "null", "null\n...\n" },
		{ "true", "true\n...\n" },
		{ "\"a\"", "a\n...\n" },
		{ "\"yes\"", "'yes'\n" },
		{ "\"\"", "''\n" },
		{ "{}", "{}\n" },
		{ "[]", "[]\n" },
		/* floats as PyYAML's represent_float: repr, and ".0" before a bare exponent */
		{ "[1e16, 1e-05, 0.1, 1.0, 1.5e16, 5e-324, -0.0, 1e22, 12345.678, 100.0, 1e15]",
		  "- 1.0e+16\n- 1.0e-05\n- 0.1\n- 1.0\n- 1.5e+16\n- 5.0e-324\n- -0.0\n- 1.0e+22\n"
		  "- 12345.678\n- 100.0\n- 1000000000000000.0\n" },
		{ "[9223372036854775807, -9223372036854775808, 0]",
		  "- 9223372036854775807\n- -9223372036854775808\n- 0\n" },
		/* layout: mappings indented by two, sequences in mappings not indented */
		{ "{\"a\":{},\"b\":[],\"c\":null}", "a: {}\nb: []\nc: null\n" },
		{ "[[1,2],[3]]", "- - 1\n  - 2\n- - 3\n" },
		{ "{\"a\":[{\"b\":1,\"c\":[1,2]}],\"d\":{\"e\":{\"f\":1}}}",
		  "a:\n- b: 1\n  c:\n  - 1\n  - 2\nd:\n  e:\n    f: 1\n" },
		{ "[{}, [], {\"a\":{\"b\":1}}]", "- {}\n- []\n- a:\n    b: 1\n" },
		{ "{\"a\":{\"b\":[[1,{\"c\":2,\"d\":3}]]}}",
		  "a:\n  b:\n  - - 1\n    - c: 2\n      d: 3\n" },
		{ "[[[1]],[[{}]]]", "- - - 1\n- - - {}\n" },
		/* keys that cannot be simple keys: empty, or 128 characters and more */
		{ "{\"\":{\"\":\"\"}}", "? ''\n: ? ''\n  : ''\n" },
		{ "{\"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\":{\"a\":1,\"b\":[1,2]}}",
		  "? zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\n"
		  ": a: 1\n  b:\n  - 1\n  - 2\n" },
		{ "[{\"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\":[1,[2]],\"b\":2}]",
		  "- ? zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\n"
		  "  : - 1\n    - - 2\n  b: 2\n" },
		/* a key with a line break: "? " as PyYAML, double quotes unlike it */
		{ "{\"a\\nb\":1}", "? \"a\\nb\"\n: 1\n" },
		/* key order is the object's */
		{ "{\"z\":1,\"a\":2,\"m\":3}", "z: 1\na: 2\nm: 3\n" },
		/* a MedPerf container config */
		{ "{\"container_type\":\"DockerImage\",\"image\":\"mlcommons/model:1.0\",\"tasks\":{\"infer\":"
		  "{\"input_volumes\":{\"data_path\":{\"mount_path\":\"/mlcommons/volumes/data\",\"type\":"
		  "\"directory\"}},\"output_volumes\":{\"output_path\":{\"mount_path\":"
		  "\"/mlcommons/volumes/predictions\",\"type\":\"directory\"}},\"run_args\":{\"command\":"
		  "[\"python3\",\"/infer.py\",\"--threshold\",\"0.5\"],\"gpus\":1}}}}",
		  "container_type: DockerImage\n"
		  "image: mlcommons/model:1.0\n"
		  "tasks:\n"
		  "  infer:\n"
		  "    input_volumes:\n"
		  "      data_path:\n"
		  "        mount_path: /mlcommons/volumes/data\n"
		  "        type: directory\n"
		  "    output_volumes:\n"
		  "      output_path:\n"
		  "        mount_path: /mlcommons/volumes/predictions\n"
		  "        type: directory\n"
		  "    run_args:\n"
		  "      command:\n"
		  "      - python3\n"
		  "      - /infer.py\n"
		  "      - --threshold\n"
		  "      - '0.5'\n"
		  "      gpus: 1\n" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_error_t je;
		json_t *v = json_loads(cases[i].json, JSON_DECODE_ANY, &je);

		ck_assert_msg(v != NULL, "%s: %s", cases[i].json, je.text);
		assert_dumps_to(v, cases[i].yaml);
		json_decref(v);
	}
}
END_TEST

/* yaml_dump appends to what the buffer holds and leaves it alone on failure. */
START_TEST(test_dump_errors)
{
	json_t *bad = json_stringn_nocheck("\xff", 1);
	json_t *arr = json_array(), *deep, *obj = json_pack("{s:s}", "key", "value");
	struct buf b;

	buf_init(&b, 0);
	ck_assert_int_eq(buf_adds(&b, "# head\n"), MP_OK);
	ck_assert_int_eq(yaml_dump(&b, obj), MP_OK);
	ck_assert_str_eq(b.data, "# head\nkey: value\n");
	json_array_append_new(arr, json_integer(1));
	json_array_append(arr, bad);
	ck_assert_int_eq(yaml_dump(&b, arr), MP_EINVAL); /* not UTF-8 */
	ck_assert_str_eq(b.data, "# head\nkey: value\n");
	ck_assert_int_eq(yaml_dump(&b, NULL), MP_EINVAL);
	buf_release(&b);

	/* 1000 levels are written (and read back); 1001 are refused */
	deep = json_integer(7);
	for (int i = 0; i < 1000; i++) {
		json_t *outer = json_array();

		json_array_append_new(outer, deep);
		deep = outer;
	}
	assert_dumps_to(deep, NULL);
	{
		json_t *outer = json_object();

		json_object_set_new(outer, "x", deep);
		deep = outer;
	}
	buf_init(&b, 0);
	ck_assert_int_eq(yaml_dump(&b, deep), MP_EINVAL);
	ck_assert_uint_eq(b.len, 0);
	buf_release(&b);

	/* the buffer's cap */
	buf_init(&b, 8);
	ck_assert_int_eq(yaml_dump(&b, obj), MP_ETOOBIG);
	ck_assert_uint_eq(b.len, 0);
	buf_release(&b);

	json_decref(deep);
	json_decref(bad);
	json_decref(arr);
	json_decref(obj);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Round trips of generated values                                     */
/* ------------------------------------------------------------------ */

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(rng_state >> 33) % n;
}

/* Awkward pieces of strings: resolver look-alikes, indicators, escapes. */
static const char *const pieces[] = {
	"yes", "No", "on", "null", "~", "1", "-1", "1.0", "1e3", "1.0e+3", ".inf", ".NaN", "0x1F",
	"017", "0o17", "1:30", "0:30", "1_0", "2001-12-14", "<<", "=", "a: b", ": ", " #", "#", "-",
	"- ", "?", ":", ",", "[", "]", "{", "}", "&", "*", "!", "|", ">", "'", "\"", "%", "@", "`",
	"---", "...", " ", "  ", "\t", "\n", "\r", "\\", "x", "word", "\xc3\xa9", "\xe6\x97\xa5",
	"\xf0\x9f\x98\x80", "\xc2\x85", "\xe2\x80\xa8", "\xe2\x80\xa9", "\xef\xbb\xbf", "\xc2\xa0",
	"\x01", "\x7f", "\xc2\x9f", "\xef\xbf\xbe", "\xef\xbf\xbf",
};

static json_t *random_string(void)
{
	char s[256];
	size_t n = 0, k = rnd(5);

	for (size_t i = 0; i < k; i++) {
		const char *p = pieces[rnd(sizeof(pieces) / sizeof(pieces[0]))];
		size_t m = strlen(p);

		if (n + m < sizeof(s)) {
			memcpy(s + n, p, m);
			n += m;
		}
	}
	if (rnd(20) == 0 && n + 1 < sizeof(s))
		s[n++] = '\0';
	return json_stringn(s, n);
}

static json_t *random_value(int depth)
{
	uint32_t r = rnd(depth > 4 ? 10 : 14);

	switch (r) {
	case 0: return json_null();
	case 1: return json_boolean(rnd(2));
	case 2: return json_integer((json_int_t)((int64_t)rng_state >> rnd(64)));
	case 3: return json_real((double)(int64_t)rng_state / (double)(1 + rnd(1000000)));
	case 4: return json_real(rnd(2) ? 1e16 : 1e-5);
	case 5: case 6: case 7: case 8: case 9: return random_string();
	case 10: case 11: {
		json_t *a = json_array();

		for (uint32_t i = rnd(4); i > 0; i--)
			json_array_append_new(a, random_value(depth + 1));
		return a;
	}
	default: {
		json_t *o = json_object();

		for (uint32_t i = rnd(4); i > 0; i--) {
			json_t *k = random_string();

			json_object_setn_new(o, json_string_value(k), json_string_length(k),
					     random_value(depth + 1));
			json_decref(k);
		}
		return o;
	}
	}
}

START_TEST(test_roundtrip_random)
{
	rng_state = 20240611;
	for (int i = 0; i < 3000; i++) {
		json_t *v = random_value(0);

		assert_dumps_to(v, NULL);
		json_decref(v);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* Limits and hostile input                                            */
/* ------------------------------------------------------------------ */

START_TEST(test_billion_laughs)
{
	static const char lol[] =
		"a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
		"b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		"d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		"e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		"f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
		"g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
		"h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
		"i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";
	mp_errbuf e;
	json_t *v = NULL;

	ck_assert_int_eq(yaml_parse(lol, sizeof(lol) - 1, "lol.yaml", &v, NULL, &e), MP_EINVAL);
	ck_assert_ptr_null(v);
	ck_assert_msg(strstr(e.msg, "aliases expand the document by more than 1000000 nodes") != NULL, "%s", e.msg);
	ck_assert_msg(strncmp(e.msg, "lol.yaml:", 9) == 0, "%s", e.msg);
	/* five levels (about 10^5 nodes) are fine */
	ck_assert_int_eq(yaml_parse(lol, (size_t)(strstr(lol, "f: ") - lol), "lol.yaml", &v, NULL, &e),
			 MP_OK);
	ck_assert_int_eq(json_array_size(json_object_get(v, "e")), 10);
	json_decref(v);
}
END_TEST

/* The alias budget is on top of the document as written: size alone is no reason to refuse. */
START_TEST(test_big_document)
{
	struct buf b;
	mp_errbuf e;
	json_t *v = NULL;

	buf_init(&b, 0);
	buf_adds(&b, "[");
	for (int i = 0; i < 1200000; i++)
		buf_adds(&b, i ? ",1" : "1");
	buf_adds(&b, "]\n");
	ck_assert_int_eq(yaml_parse(b.data, b.len, "big", &v, NULL, &e), MP_OK);
	ck_assert_int_eq(json_array_size(v), 1200000);
	json_decref(v);
	buf_release(&b);
}
END_TEST

START_TEST(test_merge_laughs)
{
	/* merge keys copy pairs: they count towards the same budget */
	struct buf b;
	mp_errbuf e;
	json_t *v = NULL;

	buf_init(&b, 0);
	buf_adds(&b, "a0: &a0 {");
	for (int i = 0; i < 1000; i++)
		buf_addf(&b, "%sk%d: %d", i ? ", " : "", i, i);
	buf_adds(&b, "}\n");
	for (int l = 1; l < 12; l++) {
		buf_addf(&b, "a%d: &a%d {<<: [", l, l);
		for (int i = 0; i < 10; i++)
			buf_addf(&b, "%s*a%d", i ? ", " : "", l - 1);
		buf_adds(&b, "]}\n");
	}
	ck_assert_int_eq(yaml_parse(b.data, b.len, "m", &v, NULL, &e), MP_EINVAL);
	ck_assert_msg(strstr(e.msg, "aliases expand the document by more than") != NULL, "%s", e.msg);
	buf_release(&b);
}
END_TEST

START_TEST(test_long_string_aliases)
{
	/* few nodes, but each a copy of a 1 MiB string: the byte budget stops it */
	struct buf b;
	mp_errbuf e;
	json_t *v = NULL;

	buf_init(&b, 0);
	buf_adds(&b, "s: &s ");
	for (int i = 0; i < 1 << 20; i++)
		buf_addch(&b, 'x');
	buf_adds(&b, "\nl: [");
	for (int i = 0; i < 70; i++)
		buf_adds(&b, i ? ", *s" : "*s");
	buf_adds(&b, "]\n");
	ck_assert_int_eq(yaml_parse(b.data, b.len, "s", &v, NULL, &e), MP_EINVAL);
	ck_assert_msg(strstr(e.msg, "more than 67108864 bytes of text") != NULL, "%s", e.msg);
	buf_release(&b);
}
END_TEST

START_TEST(test_deep_nesting)
{
	struct buf b;
	mp_errbuf e;
	json_t *v = NULL;

	/* 1000 levels parse */
	buf_init(&b, 0);
	for (int i = 0; i < 1000; i++)
		buf_addch(&b, '[');
	for (int i = 0; i < 1000; i++)
		buf_addch(&b, ']');
	ck_assert_int_eq(yaml_parse(b.data, b.len, "d", &v, NULL, &e), MP_OK);
	json_decref(v);
	buf_release(&b);

	/* a million do not, and fail early */
	buf_init(&b, 0);
	for (int i = 0; i < 1000000; i++)
		buf_addch(&b, '[');
	ck_assert_int_eq(yaml_parse(b.data, b.len, "d", &v, NULL, &e), MP_EINVAL);
	ck_assert_str_eq(e.msg, "d:1:1001: nesting deeper than 1000 levels");
	buf_release(&b);

	/* nor do block mappings */
	buf_init(&b, 0);
	for (int i = 0; i < 1200; i++) {
		for (int k = 0; k < i; k++)
			buf_addch(&b, ' ');
		buf_adds(&b, "a:\n");
	}
	ck_assert_int_eq(yaml_parse(b.data, b.len, "d", &v, NULL, &e), MP_EINVAL);
	ck_assert_msg(strstr(e.msg, "nesting deeper than 1000 levels") != NULL, "%s", e.msg);
	buf_release(&b);

	/* nor aliases that nest deeper than what was written */
	buf_init(&b, 0);
	buf_adds(&b, "a0: &a0 [");
	for (int i = 0; i < 600; i++)
		buf_addch(&b, '[');
	for (int i = 0; i < 600; i++)
		buf_addch(&b, ']');
	buf_adds(&b, "]\n");
	for (int l = 1; l < 3; l++) {
		buf_addf(&b, "a%d: &a%d ", l, l);
		for (int i = 0; i < 400; i++)
			buf_addch(&b, '[');
		buf_addf(&b, "*a%d", l - 1);
		for (int i = 0; i < 400; i++)
			buf_addch(&b, ']');
		buf_addch(&b, '\n');
	}
	ck_assert_int_eq(yaml_parse(b.data, b.len, "d", &v, NULL, &e), MP_EINVAL);
	ck_assert_msg(strstr(e.msg, "nesting deeper than 1000 levels") != NULL, "%s", e.msg);
	buf_release(&b);
}
END_TEST

START_TEST(test_input_cap)
{
	size_t big = ((size_t)64 << 20) + 1;
	char *text = calloc(1, big);
	mp_errbuf e;
	json_t *v = json_true();

	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(yaml_parse(text, big, "big", &v, NULL, &e), MP_ETOOBIG);
	ck_assert_ptr_null(v);
	free(text);
}
END_TEST

/* Byte-level mutations of real documents: errors are fine, crashes are not. */
START_TEST(test_mutations)
{
	static const char *const alphabet[] = {
		":", " ", "\n", "-", "[", "]", "{", "}", "&a", "*a", "!!", "'", "\"", "#", "?", "|",
		">", "\t", "\\", "<<", "%", "@", ",", "\xff", "\xc3", "\0", "..." , "---", "\r",
	};
	rng_state = 7;
	for (int i = 0; i < 20000; i++) {
		const struct doc_case *c = &docs[rnd(sizeof(docs) / sizeof(docs[0]))];
		char text[4096];
		size_t len = c->len < sizeof(text) / 2 ? c->len : sizeof(text) / 2;
		struct yaml_doc *doc = NULL;
		mp_errbuf e = { { 0 } };
		json_t *v = NULL;
		int rc;

		memcpy(text, c->yaml, len);
		for (uint32_t m = 1 + rnd(4); m > 0; m--) {
			const char *ins = alphabet[rnd(sizeof(alphabet) / sizeof(alphabet[0]))];
			size_t at = len ? rnd((uint32_t)len) : 0, n = ins[0] ? strlen(ins) : 1;

			if (rnd(3) == 0 && len) {
				memmove(text + at, text + at + 1, len - at - 1); /* delete */
				len--;
			} else if (len + n < sizeof(text)) {
				memmove(text + at + n, text + at, len - at); /* insert */
				memcpy(text + at, ins, n);
				len += n;
			}
		}
		rc = yaml_parse(text, len, "f", &v, &doc, &e);
		if (rc == MP_OK) {
			ck_assert_ptr_nonnull(v);
			yaml_line(doc, "/a/0/b");
		} else {
			ck_assert_int_eq(rc, MP_EINVAL);
			ck_assert_ptr_null(v);
			ck_assert_int_eq(strncmp(e.msg, "f:", 2), 0);
		}
		json_decref(v);
		yaml_doc_free(doc);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* Files                                                               */
/* ------------------------------------------------------------------ */

START_TEST(test_files)
{
	char dir[] = "/tmp/test_yaml.XXXXXX", path[64], bad[80];
	json_t *v = json_pack("{s:s,s:{s:[s,s]},s:f}", "image", "x:1", "tasks", "command", "a", "yes",
			      "score", 0.61);
	struct yaml_doc *doc = NULL;
	json_t *back = NULL;
	mp_errbuf e = { { 0 } };
	struct stat st;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/config.yaml", dir);
	ck_assert_int_eq(yaml_write_file(path, v, 0600, &e), MP_OK);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(yaml_load_file(path, 0, &back, &doc, &e), MP_OK);
	ck_assert(json_equal(v, back));
	ck_assert_int_eq(yaml_line(doc, "/tasks/command/1"), 5);
	json_decref(back);
	yaml_doc_free(doc);

	/* over the caller's cap */
	ck_assert_int_eq(yaml_load_file(path, 10, &back, NULL, &e), MP_ETOOBIG);
	ck_assert_ptr_null(back);

	/* errors name the file */
	snprintf(bad, sizeof(bad), "%s/bad.yaml", dir);
	f = fopen(bad, "w");
	ck_assert_ptr_nonnull(f);
	fputs("a: 1\nb: [\n", f);
	fclose(f);
	ck_assert_int_eq(yaml_load_file(bad, 0, &back, &doc, &e), MP_EINVAL);
	ck_assert_ptr_null(doc);
	ck_assert(strncmp(e.msg, bad, strlen(bad)) == 0);
	ck_assert_str_eq(e.msg + strlen(bad),
			 ":3:1: did not find expected node content (while parsing a flow node)");

	/* a missing file */
	ck_assert_int_eq(yaml_load_file("/nonexistent/x.yaml", 0, &back, NULL, &e), MP_EIO);

	/* an unwritable value leaves no file behind */
	{
		json_t *w = json_stringn_nocheck("\xc3", 1);
		char other[80];

		snprintf(other, sizeof(other), "%s/other.yaml", dir);
		ck_assert_int_eq(yaml_write_file(other, w, 0644, &e), MP_EINVAL);
		ck_assert_int_ne(access(other, F_OK), 0);
		json_decref(w);
	}

	unlink(path);
	unlink(bad);
	ck_assert_int_eq(rmdir(dir), 0);
	json_decref(v);
}
END_TEST

static Suite *yaml_suite(void)
{
	Suite *s = suite_create("yaml");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_docs, 0, (int)(sizeof(docs) / sizeof(docs[0])));
	tcase_add_loop_test(tc, test_scalars, 0, (int)(sizeof(scalars) / sizeof(scalars[0])));
	tcase_add_test(tc, test_tags);
	tcase_add_loop_test(tc, test_errors, 0, (int)(sizeof(errs) / sizeof(errs[0])));
	tcase_add_test(tc, test_lines);
	tcase_add_test(tc, test_lines_merge_and_empty);
	tcase_add_loop_test(tc, test_dump_strings, 0,
			    (int)(sizeof(dump_strings) / sizeof(dump_strings[0])));
	tcase_add_test(tc, test_dump_exact);
	tcase_add_test(tc, test_dump_errors);
	tcase_add_test(tc, test_roundtrip_random);
	tcase_add_test(tc, test_billion_laughs);
	tcase_add_test(tc, test_big_document);
	tcase_add_test(tc, test_merge_laughs);
	tcase_add_test(tc, test_long_string_aliases);
	tcase_add_test(tc, test_deep_nesting);
	tcase_add_test(tc, test_input_cap);
	tcase_add_test(tc, test_mutations);
	tcase_add_test(tc, test_files);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(yaml_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
