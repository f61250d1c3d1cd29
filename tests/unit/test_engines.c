/*
 * test_engines.c: the container-engine backends (podman.c, docker.c,
 * apptainer.c, engine.c): their exact command lines word by word for many
 * specs (mounts, environment, entrypoint, GPU requests and refusals, shm,
 * limits, archives, image conversions, the singularity environment), the
 * messages when an engine is missing (with stand-in programs first in
 * PATH), and real podman runs: a static program written and compiled here
 * is made into an OCI image offline (FROM scratch) and plays each container
 * role through runner_podman.run(), then a failing task, a timeout, no
 * network, read-only inputs and root file system, the out-of-memory kill,
 * the owner of outputs, a missing image and a `podman save` archive.
 *
 * MEDPERF_TEST_NO_PODMAN=1 skips the real runs (for machines without
 * podman); otherwise podman missing here is a failure.
 */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/hash.h"
#include "runner/engine.h"
#include "runner/proc.h"
#include "runner/runner.h"

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

/* Compares a built line with the expected one, word by word (expected words split on ' '). */
static void expect_words(const struct strv *got, const char *want)
{
	char *line = strv_join_shell(got);
	const char *p = want;
	size_t i = 0;

	while (*p) {
		size_t n = strcspn(p, " ");
		ck_assert_msg(i < got->n, "line ends before word %zu '%.*s': %s", i, (int)n, p, line);
		ck_assert_msg(strlen(got->v[i]) == n && strncmp(got->v[i], p, n) == 0,
			      "word %zu: got '%s', want '%.*s' in: %s", i, got->v[i], (int)n, p, line);
		i++;
		p += n;
		while (*p == ' ')
			p++;
	}
	ck_assert_msg(i == got->n, "extra words from %zu ('%s'): %s", i, i < got->n ? got->v[i] : "",
		      line);
	free(line);
}

static void rm_rf(const char *path)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		for (struct dirent *de = d ? readdir(d) : NULL; de; de = readdir(d)) {
			char sub[1024];
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
			rm_rf(sub);
		}
		if (d)
			closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "cannot write %s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
}

/* The whole file (malloc'd), or NULL. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *b;
	size_t n;

	if (f == NULL)
		return NULL;
	b = calloc(1, 1 << 16);
	n = b ? fread(b, 1, (1 << 16) - 1, f) : 0;
	fclose(f);
	if (b)
		b[n] = '\0';
	return b;
}

/* Runs a helper program (no shell); its exit status. */
static int run_quiet(const char *const *argv, char **out)
{
	struct strv a = STRV_INIT;
	mp_errbuf e;
	int rc;

	strv_pushv(&a, argv);
	rc = proc_capture(a.v, 300, 1 << 20, out, NULL, &e);
	strv_free(&a);
	return rc;
}

/* A spec with the usual /tmp and a name; mounts and command set by the caller. */
static void spec_init(struct run_spec *s, enum image_kind kind, const char *image)
{
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->image = image;
	s->tmp_dir = "/w/tmp";
	s->name = "medperf-prepare-0123456789abcdef";
	s->log_path = "/w/log";
}

/* MedPerf's prepare task (reference 3.2), with the tutorial's mount paths. */
static const struct run_mount prepare_mounts[] = {
	{"data_path", "/w/raw/data", "/mlcommons/volumes/raw_data", 0, 0},
	{"labels_path", "/w/raw/labels", "/mlcommons/volumes/raw_labels", 0, 0},
	{"parameters_file", "/w/cube/parameters.yaml",
	 "/mlcommons/volumes/parameters/parameters_file.yaml", 0, 1},
	{"output_path", "/w/prepared/data", "/mlcommons/volumes/data", 1, 0},
	{"output_labels_path", "/w/prepared/labels", "/mlcommons/volumes/labels", 1, 0},
	{"report_file", "/w/prepared/report.yaml", "/mlcommons/volumes/report/report.yaml", 1, 1},
};
#define N_PREPARE (sizeof(prepare_mounts) / sizeof(prepare_mounts[0]))

#define PREPARE_VOLUMES_DOCKER                                                                     \
	"--volume /w/tmp:/tmp:rw --volume /w/raw/data:/mlcommons/volumes/raw_data:ro "           \
	"--volume /w/raw/labels:/mlcommons/volumes/raw_labels:ro "                               \
	"--volume /w/cube/parameters.yaml:/mlcommons/volumes/parameters/parameters_file.yaml:ro " \
	"--volume /w/prepared/data:/mlcommons/volumes/data:rw "                                  \
	"--volume /w/prepared/labels:/mlcommons/volumes/labels:rw "                              \
	"--volume /w/prepared/report.yaml:/mlcommons/volumes/report/report.yaml:rw"

#define PREPARE_BINDS                                                                             \
	"--bind /w/tmp:/tmp:rw --bind /w/raw/data:/mlcommons/volumes/raw_data:ro "               \
	"--bind /w/raw/labels:/mlcommons/volumes/raw_labels:ro "                                 \
	"--bind /w/cube/parameters.yaml:/mlcommons/volumes/parameters/parameters_file.yaml:ro "   \
	"--bind /w/prepared/data:/mlcommons/volumes/data:rw "                                    \
	"--bind /w/prepared/labels:/mlcommons/volumes/labels:rw "                                \
	"--bind /w/prepared/report.yaml:/mlcommons/volumes/report/report.yaml:rw"

static const char *const prepare_cmd[] = {"python3", "/project/mlcube.py", "prepare", NULL};
static const char *const two_env[] = {"MEDPERF_LOGLEVEL=debug", "ANSWER=42", NULL};

static const struct engine_ids as_root = {65534, 65534, 1};
static const struct engine_ids as_user = {1000, 1001, 0};

/* ------------------------------------------------------------------ */
/* docker command lines                                                */
/* ------------------------------------------------------------------ */

#define DOCKER_HEAD                                                                              \
	"docker run --pull=never --name medperf-prepare-0123456789abcdef "                       \
	"--user 65534:65534 --init --network none --cap-drop all --security-opt no-new-privileges " \
	"--security-opt seccomp=/dev/fd/10 --read-only --log-driver none --ulimit core=0:0 "

#define TASK_ENV "--env HOME=/tmp --env TMPDIR=/tmp --env LANG=C.UTF-8 "

START_TEST(docker_prepare_line)
{
	struct run_spec s;
	struct strv a = STRV_INIT;
	mp_errbuf e;

	spec_init(&s, IMG_DOCKER_IMAGE, "mlcommons/chestxray-tutorial-prep:0.0.1");
	s.mounts = prepare_mounts;
	s.n_mounts = N_PREPARE;
	s.command = prepare_cmd;
	s.env = two_env;
	ck_assert_int_eq(docker_command_as(&s, &as_root, &a, &e), MP_OK);
	expect_words(&a, DOCKER_HEAD PREPARE_VOLUMES_DOCKER
		     " " TASK_ENV "--env MEDPERF_LOGLEVEL=debug --env ANSWER=42"
		     " mlcommons/chestxray-tutorial-prep:0.0.1 python3 /project/mlcube.py prepare");
	strv_free(&a);
}
END_TEST

START_TEST(docker_caller_ids_limits_shm_entrypoint)
{
	static const struct run_mount m[] = {
		{"data_path", "/w/data", "/mlcommons/volumes/data", 0, 0},
		{"parameters_file", "/w/p.yaml", "/p.yaml", 0, 1},
		{"additional_files", "/w/add", "/mlcommons/volumes/additional_files", 0, 0},
		{"output_path", "/w/preds", "/mlcommons/volumes/predictions", 1, 0},
	};
	static const char *const cmd[] = {"infer", "--data_path=/mlcommons/volumes/data", NULL};
	struct run_spec s;
	struct strv a = STRV_INIT;
	mp_errbuf e;

	spec_init(&s, IMG_DOCKER_IMAGE, "repo/model@sha256:0123abcd");
	s.name = "medperf-infer-00000000000000ff";
	s.mounts = m;
	s.n_mounts = 4;
	s.command = cmd;
	s.entrypoint = "/usr/bin/python3";
	s.shm_size = "2g";
	s.limits.memory_bytes = 1ULL << 30;
	s.limits.processes = 256;
	s.limits.open_files = 4096;
	s.limits.file_bytes = 1ULL << 20;
	s.limits.cpu_seconds = 10.2;
	s.limits.wall_seconds = 60;
	ck_assert_int_eq(docker_command_as(&s, &as_user, &a, &e), MP_OK);
	expect_words(&a, "docker run --pull=never --name medperf-infer-00000000000000ff "
		     "--user 1000:1001 --init --network none --cap-drop all --security-opt "
		     "no-new-privileges --security-opt seccomp=/dev/fd/10 --read-only --log-driver none "
		     "--memory 1073741824 --memory-swap 1073741824 --pids-limit 256 --ulimit core=0:0 "
		     "--ulimit nofile=4096:4096 --ulimit fsize=1048576:1048576 --ulimit cpu=11:12 "
		     "--volume /w/tmp:/tmp:rw --volume /w/data:/mlcommons/volumes/data:ro "
		     "--volume /w/p.yaml:/p.yaml:ro "
		     "--volume /w/add:/mlcommons/volumes/additional_files:ro "
		     "--volume /w/preds:/mlcommons/volumes/predictions:rw "
		     "--shm-size 2g " TASK_ENV "--entrypoint /usr/bin/python3 repo/model@sha256:0123abcd "
		     "infer --data_path=/mlcommons/volumes/data");
	strv_free(&a);
}
END_TEST

/* reference 3.4: "" or 0 none; all; an integer; device=i,j */
START_TEST(docker_gpu_variants)
{
	static const struct {
		const char *gpus, *words; /* words: what follows the volume, before the image */
	} cases[] = {
		{NULL, ""},
		{"", ""},
		{"0", ""},
		{"all", "--gpus all "},
		{"2", "--gpus 2 "},
		{"device=1", "--gpus device=1 "},
		/* --gpus is CSV: a list is one field, quoted (docker run --gpus '"device=0,2"') */
		{"device=0,2", "--gpus \"device=0,2\" "},
		{"device=GPU-3a4b-77,1", "--gpus \"device=GPU-3a4b-77,1\" "},
	};
	static const char *const bad[] = {"two", "-1", "device=", "device=0,,2", "device=0,",
					  "all,1", "device=0;rm", "1x", NULL};
	static const char *const cmd[] = {"run", NULL};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run_spec s;
		struct strv a = STRV_INIT;
		char want[1024];
		mp_errbuf e;
		spec_init(&s, IMG_DOCKER_IMAGE, "img:1");
		s.gpus = cases[i].gpus;
		s.command = cmd;
		ck_assert_int_eq(docker_command_as(&s, &as_root, &a, &e), MP_OK);
		snprintf(want, sizeof(want), DOCKER_HEAD "--volume /w/tmp:/tmp:rw %s" TASK_ENV "img:1 run",
			 cases[i].words);
		expect_words(&a, want);
		strv_free(&a);
	}
	for (const char *const *b = bad; *b; b++) {
		struct run_spec s;
		struct strv a = STRV_INIT;
		mp_errbuf e;
		spec_init(&s, IMG_DOCKER_IMAGE, "img:1");
		s.gpus = *b;
		ck_assert_int_eq(docker_command_as(&s, &as_root, &a, &e), MP_EINVAL);
		ck_assert_msg(strstr(e.msg, "expected all, a count, or device=") != NULL ||
				      strstr(e.msg, "not a GPU count") != NULL,
			      "%s: %s", *b, e.msg);
		strv_free(&a);
	}
}
END_TEST

START_TEST(engines_refuse_bad_specs)
{
	static const struct run_mount colon[] = {{"data_path", "/w/a:b", "/data", 0, 0}};
	static const struct run_mount comma[] = {{"data_path", "/w/a", "/data,x", 0, 0}};
	static const struct run_mount relative[] = {{"data_path", "w/a", "/data", 0, 0}};
	static const char *const bad_env[] = {"1ABC=x", NULL};
	static const char *const no_eq[] = {"ABC", NULL};
	struct {
		const char *field, *want;
	} cases[] = {
		{"image", "is not an image reference"},   {"name", "container name"},
		{"colon", "holds ':' or ','"},          {"comma", "holds ':' or ','"},
		{"relative", "is not absolute"},        {"env", "a name is letters"},
		{"noeq", "is not NAME=VALUE"},          {"shm", "is not a size"},
		{"singularity", "--platform singularity"}, {"native", "--platform native"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *f = cases[i].field;
		for (int engine = 0; engine < 2; engine++) {
			struct run_spec s;
			struct strv a = STRV_INIT;
			mp_errbuf e;
			int rc;
			spec_init(&s, IMG_DOCKER_IMAGE, "img:1");
			s.n_mounts = 1;
			if (strcmp(f, "colon") == 0)
				s.mounts = colon;
			else if (strcmp(f, "comma") == 0)
				s.mounts = comma;
			else if (strcmp(f, "relative") == 0)
				s.mounts = relative;
			else
				s.n_mounts = 0;
			if (strcmp(f, "image") == 0)
				s.image = "--privileged";
			else if (strcmp(f, "name") == 0)
				s.name = "medperf x";
			else if (strcmp(f, "env") == 0)
				s.env = bad_env;
			else if (strcmp(f, "noeq") == 0)
				s.env = no_eq;
			else if (strcmp(f, "shm") == 0)
				s.shm_size = "lots";
			else if (strcmp(f, "singularity") == 0)
				s.kind = IMG_SINGULARITY_FILE;
			else
				s.kind = IMG_NATIVE_ARCHIVE;
			rc = engine ? podman_command_as(&s, &as_root, &a, &e)
				    : docker_command_as(&s, &as_root, &a, &e);
			ck_assert_int_lt(rc, 0);
			ck_assert_msg(strstr(e.msg, cases[i].want) != NULL, "%s: %s", f, e.msg);
			strv_free(&a);
		}
	}
}
END_TEST

/* A `docker save`-like tarball holding only manifest.json (made with tar). */
static void make_manifest_tar(const char *dir, const char *tar, const char *manifest)
{
	char path[512];
	const char *argv[] = {"tar", "-C", dir, "-cf", tar, "manifest.json", NULL};

	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	write_file(path, manifest);
	ck_assert_int_eq(run_quiet(argv, NULL), 0);
}

START_TEST(archives_run_their_first_tag)
{
	char dir[] = "/tmp/mp-engines-XXXXXX", tar[256], notag[256], nomanifest[256];
	struct run_spec s;
	struct strv a = STRV_INIT, b = STRV_INIT;
	static const char *const cmd[] = {"evaluate", NULL};
	mp_errbuf e;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(tar, sizeof(tar), "%s/model.tar", dir);
	snprintf(notag, sizeof(notag), "%s/notag.tar", dir);
	snprintf(nomanifest, sizeof(nomanifest), "%s/other.tar", dir);
	make_manifest_tar(dir, tar, "[{\"Config\":\"c.json\",\"RepoTags\":[\"hasan7/mock-metrics:0.1\","
			  "\"other:2\"],\"Layers\":[\"l/layer.tar\"]}]");
	make_manifest_tar(dir, notag, "[{\"Config\":\"c.json\",\"RepoTags\":null,\"Layers\":[]}]");
	{
		const char *argv[] = {"tar", "-C", "/etc", "-cf", nomanifest, "hostname", NULL};
		ck_assert_int_eq(run_quiet(argv, NULL), 0);
	}
	spec_init(&s, IMG_DOCKER_ARCHIVE, tar);
	s.command = cmd;
	ck_assert_int_eq(docker_command_as(&s, &as_root, &a, &e), MP_OK);
	expect_words(&a, DOCKER_HEAD "--volume /w/tmp:/tmp:rw " TASK_ENV "hasan7/mock-metrics:0.1 evaluate");
	ck_assert_int_eq(podman_command_as(&s, &as_root, &b, &e), MP_OK);
	ck_assert_str_eq(b.v[b.n - 2], "hasan7/mock-metrics:0.1");
	strv_free(&a);
	strv_free(&b);
	s.image = notag;
	ck_assert_int_eq(docker_command_as(&s, &as_root, &a, &e), MP_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "holds no image tag"));
	strv_free(&a);
	s.image = nomanifest;
	ck_assert_int_eq(podman_command_as(&s, &as_root, &a, &e), MP_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "is not a docker image archive"));
	strv_free(&a);
	rm_rf(dir);
}
END_TEST

/* ------------------------------------------------------------------ */
/* podman command lines                                                */
/* ------------------------------------------------------------------ */

/* What the podman line says for nofile/nproc: never above this process's hard limit. */
static unsigned long long clamp(int res, unsigned long long want)
{
	struct rlimit rl;

	ck_assert_int_eq(getrlimit(res, &rl), 0);
	return rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ? rl.rlim_max : want;
}

START_TEST(podman_prepare_line_as_root_and_rootless)
{
	struct run_spec s;
	struct strv a = STRV_INIT;
	char want[4096];
	unsigned long long nofile = clamp(RLIMIT_NOFILE, 1048576), nproc = clamp(RLIMIT_NPROC, 32768);
	mp_errbuf e;

	spec_init(&s, IMG_DOCKER_IMAGE, "mlcommons/chestxray-tutorial-prep:0.0.1");
	s.mounts = prepare_mounts;
	s.n_mounts = N_PREPARE;
	s.command = prepare_cmd;
	s.env = two_env;
	for (int rootless = 0; rootless < 2; rootless++) {
		ck_assert_int_eq(podman_command_as(&s, rootless ? &as_user : &as_root, &a, &e), MP_OK);
		snprintf(want, sizeof(want),
			 "podman --runtime runc run --pull=never --name "
			 "medperf-prepare-0123456789abcdef --user %s --init --network none --cap-drop all "
			 "--security-opt no-new-privileges --security-opt seccomp=/dev/fd/10 --read-only "
			 "--read-only-tmpfs=false --cgroupns private --http-proxy=false --log-driver none "
			 "--ulimit core=0:0 --ulimit nofile=%llu:%llu --ulimit nproc=%llu:%llu "
			 PREPARE_VOLUMES_DOCKER " " TASK_ENV "--env MEDPERF_LOGLEVEL=debug --env ANSWER=42 "
			 "mlcommons/chestxray-tutorial-prep:0.0.1 python3 /project/mlcube.py prepare",
			 rootless ? "1000:1001 --userns keep-id" : "65534:65534", nofile, nofile, nproc,
			 nproc);
		expect_words(&a, want);
		strv_free(&a);
	}
}
END_TEST

START_TEST(podman_limits_gpus_shm_entrypoint)
{
	static const struct {
		const char *gpus, *words;
	} cases[] = {
		{NULL, ""},
		{"0", ""},
		{"all", "--device nvidia.com/gpu=all "},
		{"2", "--device nvidia.com/gpu=0 --device nvidia.com/gpu=1 "},
		{"device=0,2", "--device nvidia.com/gpu=0 --device nvidia.com/gpu=2 "},
		{"device=3", "--device nvidia.com/gpu=3 "},
	};
	static const char *const cmd[] = {"-c", "exit", NULL};
	unsigned long long nproc = clamp(RLIMIT_NPROC, 32768);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct run_spec s;
		struct strv a = STRV_INIT;
		char want[2048];
		mp_errbuf e;
		spec_init(&s, IMG_DOCKER_IMAGE, "localhost/t:1");
		s.name = "medperf-evaluate-aaaaaaaaaaaaaaaa";
		s.gpus = cases[i].gpus;
		s.shm_size = "64m";
		s.entrypoint = "/bin/sh";
		s.command = cmd;
		s.limits.memory_bytes = 64ULL << 20;
		s.limits.processes = 32;
		s.limits.open_files = 512;
		s.limits.file_bytes = 4096;
		s.limits.cpu_seconds = 3;
		ck_assert_int_eq(podman_command_as(&s, &as_root, &a, &e), MP_OK);
		snprintf(want, sizeof(want),
			 "podman --runtime runc run --pull=never --name "
			 "medperf-evaluate-aaaaaaaaaaaaaaaa --user 65534:65534 --init --network none "
			 "--cap-drop all --security-opt no-new-privileges --security-opt "
			 "seccomp=/dev/fd/10 --read-only --read-only-tmpfs=false --cgroupns private "
			 "--http-proxy=false --log-driver none --memory 67108864 --memory-swap 67108864 "
			 "--pids-limit 32 --ulimit core=0:0 --ulimit nofile=512:512 --ulimit "
			 "nproc=%llu:%llu --ulimit fsize=4096:4096 --ulimit cpu=3:4 --volume "
			 "/w/tmp:/tmp:rw %s--shm-size 64m " TASK_ENV "--entrypoint /bin/sh "
			 "localhost/t:1 -c exit",
			 nproc, nproc, cases[i].words);
		expect_words(&a, want);
		strv_free(&a);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* singularity / apptainer                                             */
/* ------------------------------------------------------------------ */

static const struct sing_flavor apptainer_1_2 = {"apptainer", "APPTAINERENV_", 1, 1, 2};
static const struct sing_flavor singularity_3_9 = {"singularity", "SINGULARITYENV_", 0, 3, 9};
static const struct sing_flavor singularity_3_11 = {"singularity", "SINGULARITYENV_", 0, 3, 11};

START_TEST(singularity_run_and_exec_lines)
{
	struct run_spec s;
	struct strv a = STRV_INIT;
	mp_errbuf e;

	spec_init(&s, IMG_SINGULARITY_FILE, "/w/cube/image.sif");
	s.mounts = prepare_mounts;
	s.n_mounts = N_PREPARE;
	s.command = prepare_cmd;
	s.env = two_env;
	s.shm_size = "1g"; /* no such flag: MedPerf drops it too */
	ck_assert_int_eq(sing_command_for(&singularity_3_11, &s, "/w/cube/image.sif", &a, &e), MP_OK);
	expect_words(&a, "singularity run -eC --no-home --no-privs " PREPARE_BINDS
		     " --net --network none /w/cube/image.sif python3 /project/mlcube.py prepare");
	strv_free(&a);
	/* an entrypoint switches to exec: the program, then the command */
	s.entrypoint = "/usr/bin/python3";
	s.limits.memory_bytes = 2ULL << 30;
	s.limits.processes = 100;
	ck_assert_int_eq(sing_command_for(&apptainer_1_2, &s, "/c/ab.sif", &a, &e), MP_OK);
	expect_words(&a, "apptainer exec -eC --no-home --no-privs " PREPARE_BINDS
		     " --net --network none --memory 2147483648 --memory-swap 2147483648 "
		     "--pids-limit 100 /c/ab.sif /usr/bin/python3 python3 /project/mlcube.py prepare");
	strv_free(&a);
	/* no command: the image's runscript */
	s.entrypoint = NULL;
	s.command = NULL;
	s.mounts = NULL;
	s.n_mounts = 0;
	s.limits.memory_bytes = 0;
	s.limits.processes = 0;
	ck_assert_int_eq(sing_command_for(&apptainer_1_2, &s, "/c/ab.sif", &a, &e), MP_OK);
	expect_words(&a, "apptainer run -eC --no-home --no-privs --bind /w/tmp:/tmp:rw --net "
		     "--network none /c/ab.sif");
	strv_free(&a);
}
END_TEST

/* reference 3.5: --nv; counts refused; device lists need singularity >= 3.10 or apptainer */
START_TEST(singularity_gpu_rules)
{
	static const char *const cmd[] = {"infer", NULL};
	struct run_spec s;
	struct strv a = STRV_INIT, env = STRV_INIT;
	mp_errbuf e;

	spec_init(&s, IMG_SINGULARITY_FILE, "/i.sif");
	s.command = cmd;
	s.gpus = "all";
	ck_assert_int_eq(sing_command_for(&singularity_3_9, &s, "/i.sif", &a, &e), MP_OK);
	expect_words(&a, "singularity run -eC --no-home --no-privs --bind /w/tmp:/tmp:rw --nv --net "
		     "--network none /i.sif infer");
	strv_free(&a);
	s.gpus = "2";
	ck_assert_int_eq(sing_command_for(&apptainer_1_2, &s, "/i.sif", &a, &e), MP_EINVAL);
	ck_assert_str_eq(e.msg, "apptainer cannot take a number of GPUs (gpus: 2); use all or "
			 "device=ID[,ID...]");
	strv_free(&a);
	s.gpus = "device=0,2";
	ck_assert_int_eq(sing_command_for(&singularity_3_9, &s, "/i.sif", &a, &e), MP_EINVAL);
	ck_assert_str_eq(e.msg, "choosing GPUs (device=0,2) needs singularity 3.10 or later, or "
			 "apptainer; this is singularity 3.9");
	strv_free(&a);
	for (int i = 0; i < 2; i++) {
		const struct sing_flavor *f = i ? &apptainer_1_2 : &singularity_3_11;
		char want[512];
		ck_assert_int_eq(sing_command_for(f, &s, "/i.sif", &a, &e), MP_OK);
		snprintf(want, sizeof(want), "%s run -eC --no-home --no-privs --bind /w/tmp:/tmp:rw "
			 "--nv --nvccli -c --writable-tmpfs --net --network none /i.sif infer", f->exe);
		expect_words(&a, want);
		strv_free(&a);
	}
	/* the devices reach nvidia-container-cli through the engine's own environment */
	{
		char *const base[] = {"PATH=/usr/bin", "NVIDIA_VISIBLE_DEVICES=all", NULL};
		ck_assert_int_eq(sing_env_for(&apptainer_1_2, &s, base, &env, &e), MP_OK);
		ck_assert_uint_eq(env.n, 2);
		ck_assert_str_eq(env.v[0], "PATH=/usr/bin");
		ck_assert_str_eq(env.v[1], "NVIDIA_VISIBLE_DEVICES=0,2");
		strv_free(&env);
	}
}
END_TEST

START_TEST(singularity_environment)
{
	char *const base[] = {"PATH=/usr/bin:/bin", "HOME=/root", "APPTAINER_BIND=/etc:/x",
			      "SINGULARITY_BINDPATH=/home", "APPTAINERENV_SECRET=1",
			      "SINGULARITYENV_LD_PRELOAD=/x.so", "APPTAINER_CACHEDIR=/cache",
			      "SINGULARITY_TMPDIR=/scratch", "NVIDIA_VISIBLE_DEVICES=all", NULL};
	struct run_spec s;
	struct strv env = STRV_INIT;
	mp_errbuf e;

	spec_init(&s, IMG_SINGULARITY_FILE, "/i.sif");
	s.env = two_env;
	ck_assert_int_eq(sing_env_for(&apptainer_1_2, &s, base, &env, &e), MP_OK);
	expect_words(&env, "PATH=/usr/bin:/bin HOME=/root APPTAINER_CACHEDIR=/cache "
		     "SINGULARITY_TMPDIR=/scratch NVIDIA_VISIBLE_DEVICES=all "
		     "APPTAINERENV_MEDPERF_LOGLEVEL=debug APPTAINERENV_ANSWER=42");
	strv_free(&env);
	ck_assert_int_eq(sing_env_for(&singularity_3_11, &s, base, &env, &e), MP_OK);
	ck_assert_str_eq(env.v[env.n - 2], "SINGULARITYENV_MEDPERF_LOGLEVEL=debug");
	ck_assert_str_eq(env.v[env.n - 1], "SINGULARITYENV_ANSWER=42");
	strv_free(&env);
}
END_TEST

START_TEST(singularity_conversions)
{
	char dir[] = "/tmp/mp-engines-XXXXXX", tar[256], want[512], *sif = NULL, *out = NULL;
	struct run_spec s;
	struct strv a = STRV_INIT;
	mp_errbuf e;

	/* docker images: built once from the registry reference, named by its SHA-256 */
	spec_init(&s, IMG_DOCKER_IMAGE, "mlcommons/chestxray-tutorial-cnn:0.0.1");
	s.image_cache = "/c/images";
	ck_assert_int_eq(sing_sif_path(&s, &sif, &e), MP_OK);
	/* printf %s mlcommons/chestxray-tutorial-cnn:0.0.1 | sha256sum */
	ck_assert_str_eq(sif, "/c/images/"
			 "65140b7308c5a69c321c053369f8040915e373f82d3930e165ee034de01aa3b1.sif");
	ck_assert_int_eq(sing_build_command(&apptainer_1_2, s.kind, s.image, sif, &a, &e), MP_OK);
	snprintf(want, sizeof(want), "apptainer build %s docker://mlcommons/chestxray-tutorial-cnn:0.0.1",
		 sif);
	expect_words(&a, want);
	strv_free(&a);
	free(sif);
	/* docker archives: docker-archive://, named by the archive's file hash */
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(tar, sizeof(tar), "%s/model.tar", dir);
	make_manifest_tar(dir, tar, "[{\"RepoTags\":[\"m:1\"]}]");
	{
		const char *argv[] = {"sha256sum", tar, NULL};
		ck_assert_int_eq(run_quiet(argv, &out), 0);
		out[64] = '\0';
	}
	s.kind = IMG_DOCKER_ARCHIVE;
	s.image = tar;
	ck_assert_int_eq(sing_sif_path(&s, &sif, &e), MP_OK);
	snprintf(want, sizeof(want), "/c/images/%s.sif", out);
	ck_assert_str_eq(sif, want);
	ck_assert_int_eq(sing_build_command(&singularity_3_11, s.kind, s.image, sif, &a, &e), MP_OK);
	snprintf(want, sizeof(want), "singularity build /c/images/%s.sif docker-archive://%s", out,
		 tar);
	expect_words(&a, want);
	strv_free(&a);
	free(sif);
	free(out);
	/* a SingularityFile is run as it is; no cache folder, no conversion */
	s.kind = IMG_SINGULARITY_FILE;
	s.image = "/w/x.sif";
	s.image_cache = NULL;
	ck_assert_int_eq(sing_sif_path(&s, &sif, &e), MP_OK);
	ck_assert_str_eq(sif, "/w/x.sif");
	free(sif);
	ck_assert_int_eq(sing_build_command(&apptainer_1_2, s.kind, s.image, "/o.sif", &a, &e),
			 MP_EINVAL);
	strv_free(&a);
	s.kind = IMG_DOCKER_IMAGE;
	ck_assert_int_eq(sing_sif_path(&s, &sif, &e), MP_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "image_cache"));
	s.kind = IMG_NATIVE_ARCHIVE;
	ck_assert_int_eq(sing_sif_path(&s, &sif, &e), MP_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "--platform native"));
	rm_rf(dir);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Missing engines: stand-in programs first in PATH                    */
/* ------------------------------------------------------------------ */

static char fake_dir[64];
static char *saved_path;

static void fake_setup(void)
{
	snprintf(fake_dir, sizeof(fake_dir), "/tmp/mp-fake-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(fake_dir));
	saved_path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
}

static void fake_teardown(void)
{
	setenv("PATH", saved_path, 1);
	free(saved_path);
	rm_rf(fake_dir);
}

/* A shell script named name in the fake folder. */
static void fake_program(const char *name, const char *body)
{
	char path[256], text[1024];

	snprintf(path, sizeof(path), "%s/%s", fake_dir, name);
	snprintf(text, sizeof(text), "#!/bin/sh\n%s\n", body);
	write_file(path, text);
	ck_assert_int_eq(chmod(path, 0755), 0);
}

/* PATH: the fake folder only (plus the shell's own folder for #!/bin/sh, which is absolute) */
static void fake_path_only(void)
{
	setenv("PATH", fake_dir, 1);
}

START_TEST(docker_client_without_engine)
{
	mp_errbuf e;

	/* what this machine has: a client whose server half cannot connect */
	fake_program("docker", "if [ \"$1\" = --version ]; then echo 'Docker version 28.2.2, build "
		     "e6534b4'; exit 0; fi\necho 'Cannot connect to the Docker daemon at "
		     "unix:///var/run/docker.sock. Is the docker daemon running?' >&2\nexit 1");
	fake_path_only();
	ck_assert_int_eq(runner_docker.available(&e), MP_ENOTFOUND);
	ck_assert_str_eq(e.msg, "docker is installed but no Docker engine is running (start dockerd, "
			 "or use --platform podman or native)");
}
END_TEST

START_TEST(docker_missing_and_running)
{
	mp_errbuf e;

	fake_path_only();
	ck_assert_int_eq(runner_docker.available(&e), MP_ENOTFOUND);
	ck_assert_str_eq(e.msg, "the docker runner needs docker ('docker --version' cannot run)");
	fake_program("docker", "echo 28.2.2");
	ck_assert_int_eq(runner_docker.available(&e), MP_OK);
}
END_TEST

/* The real docker here, if there is one: installed without an engine must say so. */
START_TEST(docker_on_this_machine)
{
	const char *ver[] = {"docker", "--version", NULL};
	const char *srv[] = {"docker", "version", "--format", "{{.Server.Version}}", NULL};
	mp_errbuf e;
	int rc;

	if (run_quiet(ver, NULL) != 0 || run_quiet(srv, NULL) == 0)
		return; /* no docker, or a running engine: the fake tests above cover the message */
	rc = runner_docker.available(&e);
	ck_assert_int_eq(rc, MP_ENOTFOUND);
	ck_assert_ptr_nonnull(strstr(e.msg, "docker is installed but no Docker engine is running"));
}
END_TEST

START_TEST(singularity_missing)
{
	struct run_spec s;
	struct run_report rep;
	mp_errbuf e;

	fake_path_only();
	ck_assert_ptr_eq(runner_find("apptainer"), &runner_singularity);
	ck_assert_ptr_eq(runner_find("singularity"), &runner_singularity);
	ck_assert_int_eq(runner_singularity.available(&e), MP_ENOTFOUND);
	ck_assert_str_eq(e.msg, "the singularity runner needs apptainer or singularity, and neither "
			 "is installed here ('apptainer --version' and 'singularity --version' "
			 "fail)");
	spec_init(&s, IMG_SINGULARITY_FILE, "/i.sif");
	ck_assert_int_eq(runner_singularity.run(&s, &rep, &e), MP_ENOTFOUND);
	ck_assert_int_eq(rep.stop, RUN_NOT_STARTED);
	ck_assert_ptr_nonnull(strstr(rep.detail, "neither is installed"));
}
END_TEST

/* command() finds the engine and its version, and applies that version's rules. */
START_TEST(singularity_flavour_from_version)
{
	static const char *const cmd[] = {"x", NULL};
	struct run_spec s;
	struct strv a = STRV_INIT;
	mp_errbuf e;

	spec_init(&s, IMG_SINGULARITY_FILE, "/i.sif");
	s.command = cmd;
	s.gpus = "device=1";
	fake_program("singularity", "echo 'singularity-ce version 3.9.4-focal'");
	fake_path_only();
	ck_assert_int_eq(runner_singularity.available(&e), MP_OK);
	ck_assert_int_eq(runner_singularity.command(&s, &a, &e), MP_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "this is singularity 3.9"));
	strv_free(&a);
	/* apptainer wins when both are there (singularity may be its compatibility name) */
	fake_program("apptainer", "echo 'apptainer version 1.3.0'");
	ck_assert_int_eq(runner_singularity.command(&s, &a, &e), MP_OK);
	expect_words(&a, "apptainer run -eC --no-home --no-privs --bind /w/tmp:/tmp:rw --nv --nvccli "
		     "-c --writable-tmpfs --net --network none /i.sif x");
	strv_free(&a);
}
END_TEST

START_TEST(podman_missing)
{
	mp_errbuf e;

	fake_path_only();
	ck_assert_int_eq(runner_podman.available(&e), MP_ENOTFOUND);
	ck_assert_str_eq(e.msg, "the podman runner needs podman ('podman --version' cannot run; "
			 "Debian: apt-get install podman runc)");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Real podman runs                                                    */
/* ------------------------------------------------------------------ */

/* The task program: each container role and each hostile attempt, by argv[1]. */
static const char task_src[] =
	"#define _GNU_SOURCE\n"
	"#include <errno.h>\n"
	"#include <fcntl.h>\n"
	"#include <netinet/in.h>\n"
	"#include <arpa/inet.h>\n"
	"#include <stdio.h>\n"
	"#include <stdlib.h>\n"
	"#include <string.h>\n"
	"#include <sched.h>\n"
	"#include <signal.h>\n"
	"#include <sys/ptrace.h>\n"
	"#include <sys/socket.h>\n"
	"#include <sys/syscall.h>\n"
	"#include <sys/wait.h>\n"
	"#include <unistd.h>\n"
	"extern char **environ;\n"
	"static void said(const char *what, long r)\n"
	"{ printf(\"%s: %s\\n\", what, r == -1 ? strerror(errno) : \"allowed\"); }\n"
	"static FILE *at(const char *d, const char *f, const char *m)\n"
	"{ char p[512]; snprintf(p, sizeof p, \"%s/%s\", d, f); return fopen(p, m); }\n"
	"static int lines(const char *d, const char *f, long *v, int max)\n"
	"{ FILE *in = at(d, f, \"r\"); int n = 0; if (!in) return -1;\n"
	"  while (n < max && fscanf(in, \"%ld\", &v[n]) == 1) n++; fclose(in); return n; }\n"
	"static int put(FILE *o, const long *v, int n, long add, long mul)\n"
	"{ if (!o) return 1; for (int i = 0; i < n; i++) fprintf(o, \"%ld\\n\", (v[i] + add) * mul);\n"
	"  return fclose(o) != 0; }\n"
	"int main(int argc, char **argv)\n"
	"{\n"
	"  long a[64], b[64]; int n, m;\n"
	"  const char *r = argc > 1 ? argv[1] : \"\";\n"
	"  if (!strcmp(r, \"prepare\") && argc == 6) {\n"
	"    FILE *w = at(argv[4], \"whoami.txt\", \"w\"), *t = fopen(\"/tmp/scratch\", \"w\");\n"
	"    n = lines(argv[2], \"nums.txt\", a, 64); m = lines(argv[3], \"ans.txt\", b, 64);\n"
	"    if (n < 0 || m < 0 || !w || !t) { perror(\"prepare\"); return 2; }\n"
	"    fprintf(w, \"uid=%d gid=%d\\n\", (int)getuid(), (int)getgid()); fclose(w);\n"
	"    fputs(\"ok\\n\", t); fclose(t);\n"
	"    printf(\"prepared %d cases\\n\", n);\n"
	"    return put(at(argv[4], \"nums.csv\", \"w\"), a, n, 1, 1) |\n"
	"           put(at(argv[5], \"ans.csv\", \"w\"), b, m, 0, 1);\n"
	"  }\n"
	"  if (!strcmp(r, \"sanity_check\") && argc == 4) {\n"
	"    n = lines(argv[2], \"nums.csv\", a, 64); m = lines(argv[3], \"ans.csv\", b, 64);\n"
	"    printf(\"%d data, %d labels\\n\", n, m); return n > 0 && n == m ? 0 : 1;\n"
	"  }\n"
	"  if (!strcmp(r, \"statistics\") && argc == 4) {\n"
	"    FILE *o = fopen(argv[3], \"w\"); n = lines(argv[2], \"nums.csv\", a, 64);\n"
	"    if (!o || n < 0) return 2; fprintf(o, \"num_cases: %d\\n\", n); return fclose(o) != 0;\n"
	"  }\n"
	"  if (!strcmp(r, \"infer\") && argc == 4) {\n"
	"    n = lines(argv[2], \"nums.csv\", a, 64); if (n < 0) return 2;\n"
	"    return put(at(argv[3], \"preds.txt\", \"w\"), a, n, 0, 2);\n"
	"  }\n"
	"  if (!strcmp(r, \"evaluate\") && argc == 5) {\n"
	"    FILE *o = fopen(argv[4], \"w\"); int ok = 0;\n"
	"    n = lines(argv[2], \"preds.txt\", a, 64); m = lines(argv[3], \"ans.csv\", b, 64);\n"
	"    if (!o || n < 0 || n != m) return 2;\n"
	"    for (int i = 0; i < n; i++) ok += a[i] == b[i];\n"
	"    fprintf(o, \"correct: %d\\nincorrect: %d\\n\", ok, n - ok); return fclose(o) != 0;\n"
	"  }\n"
	"  if (!strcmp(r, \"exit\") && argc == 3) { puts(\"exiting\"); return (int)strtol(argv[2], 0, 10); }\n"
	"  if (!strcmp(r, \"sleep\") && argc == 3) { sleep((unsigned)strtol(argv[2], 0, 10)); return 0; }\n"
	"  if (!strcmp(r, \"connect\") && argc == 3) {\n"
	"    struct sockaddr_in s; int fd = socket(AF_INET, SOCK_STREAM, 0);\n"
	"    memset(&s, 0, sizeof s); s.sin_family = AF_INET;\n"
	"    s.sin_port = htons((unsigned short)strtol(argv[2], 0, 10));\n"
	"    s.sin_addr.s_addr = htonl(INADDR_LOOPBACK);\n"
	"    if (fd >= 0 && connect(fd, (struct sockaddr *)&s, sizeof s) == 0) { puts(\"connected\"); return 1; }\n"
	"    printf(\"connect: %s\\n\", strerror(errno)); return 0;\n"
	"  }\n"
	"  if (!strcmp(r, \"write\")) {\n"
	"    int bad = 0;\n"
	"    for (int i = 2; i < argc; i++) {\n"
	"      int fd = open(argv[i], O_WRONLY | O_CREAT | O_TRUNC, 0644);\n"
	"      printf(\"write %s: %s\\n\", argv[i], fd >= 0 ? \"written\" : strerror(errno));\n"
	"      bad |= fd >= 0;\n"
	"    }\n"
	"    return bad;\n"
	"  }\n"
	"  if (!strcmp(r, \"hog\") && argc == 3) {\n"
	"    long mb = strtol(argv[2], 0, 10);\n"
	"    for (long i = 0; i < mb; i++) { char *p = malloc(1 << 20); if (!p) return 3; memset(p, 1, 1 << 20); }\n"
	"    printf(\"allocated %ld MiB\\n\", mb); return 0;\n"
	"  }\n"
	"  if (!strcmp(r, \"env\")) { for (char **e = environ; *e; e++) puts(*e); return 0; }\n"
	"  if (!strcmp(r, \"pid\")) { printf(\"pid %d\\n\", (int)getpid()); return 0; }\n"
	"  if (!strcmp(r, \"attack\")) {\n"
	"    pid_t c = fork(); if (c == 0) { pause(); _exit(0); }\n"
	"    said(\"ptrace\", ptrace(PTRACE_ATTACH, c, 0, 0));\n"
	"    kill(c, SIGKILL); waitpid(c, 0, 0);\n"
	"    said(\"unshare\", unshare(CLONE_NEWUSER));\n"
	"    said(\"clone3\", syscall(SYS_clone3, 0, 0));\n"
	"    said(\"keyctl\", syscall(SYS_keyctl, 0, 0, 0, 0, 0));\n"
	"    said(\"mount\", syscall(SYS_mount, \"none\", \"/tmp\", \"tmpfs\", 0, 0));\n"
	"    return 0;\n"
	"  }\n"
	"  if (!strcmp(r, \"fsize\") && argc == 4) {\n"
	"    static char b[1 << 20]; int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);\n"
	"    for (long i = 0; fd >= 0 && i < strtol(argv[3], 0, 10); i++)\n"
	"      if (write(fd, b, sizeof b) != (ssize_t)sizeof b) { perror(\"write\"); return 4; }\n"
	"    puts(\"wrote it all\"); return 0;\n"
	"  }\n"
	"  if (!strcmp(r, \"spin\")) { for (volatile unsigned long i = 0;; i++) ; }\n"
	"  fprintf(stderr, \"task: unknown role '%s'\\n\", r); return 64;\n"
	"}\n";

/* Shared by the podman tests: the image, its folder, a counter for names. */
static char image_dir[64];
static char image_tag[96];
static int podman_ready, podman_skipped;
static char podman_problem[300] = "the image was not built";
static int name_seq;

/* mkdir (0755) under the test folder; the path in out. */
static void sub_dir(const char *root, const char *name, char *out, size_t n)
{
	snprintf(out, n, "%s/%s", root, name);
	ck_assert_msg(mkdir(out, 0755) == 0 || errno == EEXIST, "mkdir %s: %s", out, strerror(errno));
}

/* Builds the task program and its image once (main, before the suite runs). */
static int build_image(void)
{
	char src[128], bin[128], cfile[128];
	int rc;

	snprintf(image_dir, sizeof(image_dir), "/tmp/mp-engines-img-XXXXXX");
	if (mkdtemp(image_dir) == NULL)
		return -1;
	snprintf(src, sizeof(src), "%s/task.c", image_dir);
	snprintf(bin, sizeof(bin), "%s/task", image_dir);
	snprintf(cfile, sizeof(cfile), "%s/Containerfile", image_dir);
	snprintf(image_tag, sizeof(image_tag), "localhost/medperf-test-task:%d-%ld", (int)getpid(),
		 (long)time(NULL));
	{
		FILE *f = fopen(src, "w"), *c = fopen(cfile, "w");
		if (f == NULL || c == NULL)
			return -1;
		fputs(task_src, f);
		fputs("FROM scratch\nCOPY task /task\nCMD [\"/task\", \"exit\", \"0\"]\n", c);
		fclose(f);
		fclose(c);
	}
	{
		const char *cc[] = {"cc", "-static", "-O2", "-o", bin, src, NULL};
		rc = run_quiet(cc, NULL);
		if (rc != 0) {
			snprintf(podman_problem, sizeof(podman_problem), "cc -static failed (%d)", rc);
			return -1;
		}
	}
	{
		const char *build[] = {"podman", "build", "--pull=never", "-q", "-t", image_tag,
				       image_dir, NULL};
		rc = run_quiet(build, NULL);
		if (rc != 0) {
			snprintf(podman_problem, sizeof(podman_problem), "podman build failed (%d)", rc);
			return -1;
		}
	}
	return 0;
}

static void remove_image(void)
{
	const char *id[] = {"podman", "image", "inspect", "--format", "{{.Id}}", image_tag, NULL};
	char *out = NULL;

	/* by id: every tag goes (the archive test adds one) */
	if (podman_ready && run_quiet(id, &out) == 0 && out && strlen(out) >= 64) {
		const char *rmi[] = {"podman", "rmi", "-f", out, NULL};
		out[64] = '\0';
		run_quiet(rmi, NULL);
	}
	free(out);
	if (image_dir[0])
		rm_rf(image_dir);
}

/*
 * Per test: a folder W with data, a /tmp, a log, inside ROOT. ROOT is the
 * test case's (an unchecked fixture, in the parent process), so that it
 * goes even when a failed test never reached its own teardown.
 */
static char ROOT[64], W[96], TMP[128], LOG[128];

static void root_setup(void)
{
	snprintf(ROOT, sizeof(ROOT), "/tmp/mp-engines-run-XXXXXX");
	if (mkdtemp(ROOT) == NULL || chmod(ROOT, 0755) != 0)
		ROOT[0] = '\0';
}

static void root_teardown(void)
{
	if (ROOT[0])
		rm_rf(ROOT);
}

static void run_setup(void)
{
	char d[160];

	ck_assert_msg(ROOT[0] != '\0', "no test folder");
	snprintf(W, sizeof(W), "%s/w-XXXXXX", ROOT);
	ck_assert_ptr_nonnull(mkdtemp(W));
	ck_assert_int_eq(chmod(W, 0755), 0);
	sub_dir(W, "tmp", TMP, sizeof(TMP));
	snprintf(LOG, sizeof(LOG), "%s/task.log", W);
	sub_dir(W, "raw", d, sizeof(d));
	sub_dir(W, "raw/data", d, sizeof(d));
	snprintf(d, sizeof(d), "%s/raw/data/nums.txt", W);
	write_file(d, "1\n2\n3\n");
	sub_dir(W, "raw/labels", d, sizeof(d));
	snprintf(d, sizeof(d), "%s/raw/labels/ans.txt", W);
	write_file(d, "4\n6\n9\n");
}

static void run_teardown(void)
{
	rm_rf(W);
}

static void podman_spec(struct run_spec *s, const char *role, const char *const *cmd)
{
	static char name[96];

	memset(s, 0, sizeof(*s));
	snprintf(name, sizeof(name), "medperf-test-%s-%d-%d", role, (int)getpid(), ++name_seq);
	s->kind = IMG_DOCKER_IMAGE;
	s->image = image_tag;
	s->command = cmd;
	s->tmp_dir = TMP;
	s->name = name;
	s->log_path = LOG;
	s->limits.wall_seconds = 60;
	s->limits.log_bytes = 1 << 20;
}

/* Runs s on podman: it must start; returns the log. */
static char *podman_run(const struct run_spec *s, struct run_report *rep)
{
	mp_errbuf e;
	int rc;

	rc = runner_podman.run(s, rep, &e);
	ck_assert_msg(rc == MP_OK, "podman run of %s: %s", s->name, e.msg);
	return slurp(LOG);
}

static void assert_exited(const struct run_report *rep, int code, const char *log)
{
	ck_assert_msg(rep->stop == RUN_EXITED && rep->exit_code == code,
		      "want exit %d, got stop=%s exit=%d detail='%s' log='%s'", code,
		      run_stop_name(rep->stop), rep->exit_code, rep->detail, log ? log : "");
}

static void assert_file(const char *path, const char *want)
{
	char *got = slurp(path);
	struct stat st;

	ck_assert_msg(got != NULL, "no output %s", path);
	ck_assert_str_eq(got, want);
	free(got);
	/* outputs belong to medperf's user after the run, whoever the task ran as */
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert_uint_eq(st.st_uid, geteuid());
	ck_assert_uint_eq(st.st_gid, getegid());
}

static int container_exists(const char *name)
{
	const char *argv[] = {"podman", "container", "exists", name, NULL};

	return run_quiet(argv, NULL) == 0;
}

/* MEDPERF_TEST_NO_PODMAN=1 skips the real runs; otherwise podman must work here. */
#define NEED_PODMAN()                                                                            \
	do {                                                                                       \
		if (podman_skipped)                                                                \
			return;                                                                    \
		ck_assert_msg(podman_ready, "podman cannot run tasks here: %s", podman_problem);  \
	} while (0)

/* Every role of a data-prep, model and metrics container, in MedPerf's order. */
START_TEST(podman_runs_every_role)
{
	char raw[128], labels[128], data[128], plabels[128], stats[128], preds[128], results[128];
	char p[256], *log;
	struct run_spec s;
	struct run_report rep;
	NEED_PODMAN();

	snprintf(raw, sizeof(raw), "%s/raw/data", W);
	snprintf(labels, sizeof(labels), "%s/raw/labels", W);
	snprintf(data, sizeof(data), "%s/prepared/data", W);
	snprintf(plabels, sizeof(plabels), "%s/prepared/labels", W);
	snprintf(stats, sizeof(stats), "%s/stats/statistics.yaml", W);
	snprintf(preds, sizeof(preds), "%s/predictions", W);
	snprintf(results, sizeof(results), "%s/results/results.yaml", W);
	{
		const struct run_mount m[] = {
			{"data_path", raw, "/mlcommons/volumes/raw_data", 0, 0},
			{"labels_path", labels, "/mlcommons/volumes/raw_labels", 0, 0},
			{"output_path", data, "/mlcommons/volumes/data", 1, 0},
			{"output_labels_path", plabels, "/mlcommons/volumes/labels", 1, 0},
		};
		const char *cmd[] = {"/task", "prepare", "/mlcommons/volumes/raw_data",
				     "/mlcommons/volumes/raw_labels", "/mlcommons/volumes/data",
				     "/mlcommons/volumes/labels", NULL};
		podman_spec(&s, "prepare", cmd);
		s.mounts = m;
		s.n_mounts = 4;
		log = podman_run(&s, &rep);
		assert_exited(&rep, 0, log);
		ck_assert_ptr_nonnull(strstr(log, "prepared 3 cases"));
		free(log);
		snprintf(p, sizeof(p), "%s/nums.csv", data);
		assert_file(p, "2\n3\n4\n");
		snprintf(p, sizeof(p), "%s/ans.csv", plabels);
		assert_file(p, "4\n6\n9\n");
		/* the task never runs as root: nobody when medperf is root, else the caller */
		snprintf(p, sizeof(p), "%s/whoami.txt", data);
		if (geteuid() == 0)
			assert_file(p, "uid=65534 gid=65534\n");
		else {
			char want[64];
			snprintf(want, sizeof(want), "uid=%d gid=%d\n", (int)getuid(), (int)getgid());
			assert_file(p, want);
		}
		snprintf(p, sizeof(p), "%s/scratch", TMP);
		assert_file(p, "ok\n");
		ck_assert(!container_exists(s.name));
	}
	{
		const struct run_mount m[] = {
			{"data_path", data, "/mlcommons/volumes/data", 0, 0},
			{"labels_path", plabels, "/mlcommons/volumes/labels", 0, 0},
		};
		const char *cmd[] = {"/task", "sanity_check", "/mlcommons/volumes/data",
				     "/mlcommons/volumes/labels", NULL};
		podman_spec(&s, "sanity_check", cmd);
		s.mounts = m;
		s.n_mounts = 2;
		log = podman_run(&s, &rep);
		assert_exited(&rep, 0, log);
		ck_assert_str_eq(log, "3 data, 3 labels\n");
		free(log);
	}
	{
		const struct run_mount m[] = {
			{"data_path", data, "/mlcommons/volumes/data", 0, 0},
			{"labels_path", plabels, "/mlcommons/volumes/labels", 0, 0},
			{"output_path", stats, "/mlcommons/volumes/statistics/statistics.yaml", 1, 1},
		};
		const char *cmd[] = {"/task", "statistics", "/mlcommons/volumes/data",
				     "/mlcommons/volumes/statistics/statistics.yaml", NULL};
		podman_spec(&s, "statistics", cmd);
		s.mounts = m;
		s.n_mounts = 3;
		log = podman_run(&s, &rep);
		assert_exited(&rep, 0, log);
		free(log);
		assert_file(stats, "num_cases: 3\n");
	}
	{
		const struct run_mount m[] = {
			{"data_path", data, "/mlcommons/volumes/data", 0, 0},
			{"output_path", preds, "/mlcommons/volumes/predictions", 1, 0},
		};
		const char *cmd[] = {"/task", "infer", "/mlcommons/volumes/data",
				     "/mlcommons/volumes/predictions", NULL};
		podman_spec(&s, "infer", cmd);
		s.mounts = m;
		s.n_mounts = 2;
		log = podman_run(&s, &rep);
		assert_exited(&rep, 0, log);
		free(log);
		snprintf(p, sizeof(p), "%s/preds.txt", preds);
		assert_file(p, "4\n6\n8\n");
	}
	{
		const struct run_mount m[] = {
			{"predictions", preds, "/mlcommons/volumes/predictions", 0, 0},
			{"labels", plabels, "/mlcommons/volumes/labels", 0, 0},
			{"output_path", results, "/mlcommons/volumes/results/results.yaml", 1, 1},
		};
		const char *cmd[] = {"/task", "evaluate", "/mlcommons/volumes/predictions",
				     "/mlcommons/volumes/labels", "/mlcommons/volumes/results/results.yaml",
				     NULL};
		podman_spec(&s, "evaluate", cmd);
		s.mounts = m;
		s.n_mounts = 3;
		log = podman_run(&s, &rep);
		assert_exited(&rep, 0, log);
		free(log);
		assert_file(results, "correct: 2\nincorrect: 1\n");
	}
}
END_TEST

START_TEST(podman_reports_failures)
{
	char raw[128], *log;
	struct run_spec s;
	struct run_report rep;
	NEED_PODMAN();

	snprintf(raw, sizeof(raw), "%s/raw/data", W);
	{
		/* sanity_check on data that does not pass: a non-zero exit, reported as such */
		const struct run_mount m[] = {
			{"data_path", raw, "/d", 0, 0},
			{"labels_path", raw, "/l", 0, 0},
		};
		const char *cmd[] = {"/task", "sanity_check", "/d", "/l", NULL};
		podman_spec(&s, "sanity_check", cmd);
		s.mounts = m;
		s.n_mounts = 2;
		log = podman_run(&s, &rep);
		assert_exited(&rep, 1, log);
		ck_assert_str_eq(log, "-1 data, -1 labels\n");
		free(log);
	}
	{
		const char *cmd[] = {"/task", "exit", "3", NULL};
		podman_spec(&s, "exit", cmd);
		log = podman_run(&s, &rep);
		assert_exited(&rep, 3, log);
		ck_assert_msg(strncmp(rep.detail, "exited with status 3 after ", 27) == 0, "%s",
			      rep.detail);
		free(log);
	}
}
END_TEST

START_TEST(podman_stops_at_the_time_limit)
{
	const char *cmd[] = {"/task", "sleep", "60", NULL};
	struct run_spec s;
	struct run_report rep;
	char *log;
	NEED_PODMAN();

	podman_spec(&s, "sleep", cmd);
	s.limits.wall_seconds = 2;
	log = podman_run(&s, &rep);
	ck_assert_msg(rep.stop == RUN_TIMEOUT, "stop=%s detail=%s", run_stop_name(rep.stop),
		      rep.detail);
	ck_assert_str_eq(rep.detail, "stopped at the time limit of 2 s");
	ck_assert_msg(rep.seconds >= 2 && rep.seconds < 15, "%.2f s", rep.seconds);
	/* stopped and removed: nothing of it is left running */
	ck_assert(!container_exists(s.name));
	free(log);
}
END_TEST

/* The task connects to 127.0.0.1 on a port this test listens on: it must not reach it. */
START_TEST(podman_has_no_network)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	char port[16], *log;
	struct run_spec s;
	struct run_report rep;
	int lfd, cfd;
	NEED_PODMAN();

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(lfd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(lfd, 8), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
	snprintf(port, sizeof(port), "%d", ntohs(sa.sin_port));
	{
		const char *cmd[] = {"/task", "connect", port, NULL};
		podman_spec(&s, "connect", cmd);
		log = podman_run(&s, &rep);
	}
	assert_exited(&rep, 0, log);
	/* the container's own loopback answers: nothing listens there */
	ck_assert_str_eq(log, "connect: Connection refused\n");
	cfd = accept(lfd, NULL, NULL);
	ck_assert_msg(cfd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK),
		      "the listener on the host got a connection");
	close(lfd);
	free(log);
}
END_TEST

START_TEST(podman_inputs_and_root_are_read_only)
{
	char raw[128], params[128], out[128], *log, p[256];
	struct run_spec s;
	struct run_report rep;
	NEED_PODMAN();

	snprintf(raw, sizeof(raw), "%s/raw/data", W);
	snprintf(params, sizeof(params), "%s/parameters.yaml", W);
	write_file(params, "add: 1\n");
	snprintf(out, sizeof(out), "%s/out", W);
	{
		const struct run_mount m[] = {
			{"data_path", raw, "/in", 0, 0},
			{"parameters_file", params, "/params.yaml", 0, 1},
			{"output_path", out, "/out", 1, 0},
		};
		const char *cmd[] = {"/task", "write", "/in/planted", "/params.yaml", "/planted",
				     "/task", NULL};
		podman_spec(&s, "write", cmd);
		s.mounts = m;
		s.n_mounts = 3;
		log = podman_run(&s, &rep);
	}
	assert_exited(&rep, 0, log);
	ck_assert_str_eq(log, "write /in/planted: Read-only file system\n"
			 "write /params.yaml: Read-only file system\n"
			 "write /planted: Read-only file system\n"
			 "write /task: Read-only file system\n");
	snprintf(p, sizeof(p), "%s/planted", raw);
	ck_assert_int_ne(access(p, F_OK), 0);
	free(log);
	/* and the output is writable */
	{
		const struct run_mount m[] = {{"output_path", out, "/out", 1, 0}};
		const char *cmd[] = {"/task", "write", "/out/x", NULL};
		podman_spec(&s, "write", cmd);
		s.mounts = m;
		s.n_mounts = 1;
		log = podman_run(&s, &rep);
	}
	assert_exited(&rep, 1, log);
	ck_assert_str_eq(log, "write /out/x: written\n");
	snprintf(p, sizeof(p), "%s/x", out);
	assert_file(p, "");
	free(log);
}
END_TEST

/* Past --memory the kernel kills the task: reported as memory, not as a plain SIGKILL. */
START_TEST(podman_reports_the_memory_limit)
{
	const char *cmd[] = {"/task", "hog", "512", NULL};
	struct run_spec s;
	struct run_report rep;
	char *log;
	NEED_PODMAN();

	podman_spec(&s, "hog", cmd);
	s.limits.memory_bytes = 64ULL << 20;
	log = podman_run(&s, &rep);
	ck_assert_msg(rep.stop == RUN_MEMORY, "stop=%s exit=%d detail=%s log=%s",
		      run_stop_name(rep.stop), rep.exit_code, rep.detail, log);
	ck_assert_str_eq(rep.detail, "killed by the kernel at the memory limit of 64 MiB");
	ck_assert(!container_exists(s.name));
	free(log);
	/* under the limit it just runs */
	cmd[2] = "16";
	podman_spec(&s, "hog", cmd);
	s.limits.memory_bytes = 64ULL << 20;
	log = podman_run(&s, &rep);
	assert_exited(&rep, 0, log);
	ck_assert_str_eq(log, "allocated 16 MiB\n");
	free(log);
}
END_TEST

START_TEST(podman_never_pulls)
{
	const char *cmd[] = {"/task", "exit", "0", NULL};
	struct run_spec s;
	struct run_report rep;
	mp_errbuf e;
	NEED_PODMAN();

	podman_spec(&s, "absent", cmd);
	s.image = "localhost/medperf-test-absent:never-built";
	ck_assert_int_eq(runner_podman.run(&s, &rep, &e), MP_ENOTFOUND);
	ck_assert_int_eq(rep.stop, RUN_NOT_STARTED);
	ck_assert_str_eq(e.msg, "image 'localhost/medperf-test-absent:never-built' is not in "
			 "podman's local store, and medperf never pulls: load it with 'podman "
			 "load -i FILE' or pull it yourself with 'podman pull "
			 "localhost/medperf-test-absent:never-built'");
}
END_TEST

/* `podman save` output under a tag podman no longer has: loaded, then run by its RepoTags. */
START_TEST(podman_runs_a_docker_archive)
{
	char tag[160], tar[128], *log;
	const char *cmd[] = {"/task", "exit", "5", NULL};
	struct run_spec s;
	struct run_report rep;
	NEED_PODMAN();

	snprintf(tag, sizeof(tag), "%s-archive", image_tag);
	snprintf(tar, sizeof(tar), "%s/image.tar", W);
	{
		const char *t[] = {"podman", "tag", image_tag, tag, NULL};
		const char *save[] = {"podman", "save", "-q", "-o", tar, tag, NULL};
		const char *untag[] = {"podman", "untag", image_tag, tag, NULL};
		const char *exists[] = {"podman", "image", "exists", tag, NULL};
		ck_assert_int_eq(run_quiet(t, NULL), 0);
		ck_assert_int_eq(run_quiet(save, NULL), 0);
		ck_assert_int_eq(run_quiet(untag, NULL), 0);
		ck_assert_int_ne(run_quiet(exists, NULL), 0);
	}
	podman_spec(&s, "archive", cmd);
	s.kind = IMG_DOCKER_ARCHIVE;
	s.image = tar;
	log = podman_run(&s, &rep);
	assert_exited(&rep, 5, log);
	ck_assert_str_eq(log, "exiting\n");
	free(log);
	{
		const char *exists[] = {"podman", "image", "exists", tag, NULL};
		const char *untag[] = {"podman", "untag", image_tag, tag, NULL};
		ck_assert_int_eq(run_quiet(exists, NULL), 0);
		run_quiet(untag, NULL);
	}
}
END_TEST

/* The task's environment: the image's PATH, podman's three, ours, and the task's own. */
START_TEST(podman_environment_is_clean)
{
	const char *cmd[] = {"/task", "env", NULL};
	const char *env[] = {"TASK_VAR=from-config", "HOME=/tmp/home", NULL};
	struct run_spec s;
	struct run_report rep;
	char *log, *line, *next;
	int n = 0;
	NEED_PODMAN();

	setenv("AWS_SECRET_ACCESS_KEY", "leak", 1);
	podman_spec(&s, "env", cmd);
	s.env = env;
	log = podman_run(&s, &rep);
	assert_exited(&rep, 0, log);
	for (line = log; *line; line = next, n++) {
		int known;
		next = strchr(line, '\n');
		ck_assert_ptr_nonnull(next);
		*next++ = '\0';
		known = strncmp(line, "PATH=", 5) == 0 || strcmp(line, "TMPDIR=/tmp") == 0 ||
			    strcmp(line, "LANG=C.UTF-8") == 0 ||
			    strcmp(line, "TASK_VAR=from-config") == 0 ||
			    strcmp(line, "HOME=/tmp/home") == 0 || /* the task's own wins */
			    strncmp(line, "HOSTNAME=", 9) == 0 || strcmp(line, "container=podman") == 0 ||
			    strcmp(line, "TERM=xterm") == 0; /* podman's own defaults */
		ck_assert_msg(known, "unexpected variable in the task: %s", line);
	}
	ck_assert_int_eq(n, 8);
	free(log);
}
END_TEST

/* The seccomp profile reaches the task (through /dev/fd/10); --init keeps it off PID 1. */
START_TEST(podman_refuses_kernel_calls)
{
	const char *cmd[] = {"/task", "attack", NULL};
	const char *pid[] = {"/task", "pid", NULL};
	struct run_spec s;
	struct run_report rep;
	char *log;
	NEED_PODMAN();

	podman_spec(&s, "attack", cmd);
	log = podman_run(&s, &rep);
	assert_exited(&rep, 0, log);
	ck_assert_str_eq(log, "ptrace: Operation not permitted\n"
			 "unshare: Operation not permitted\n"
			 "clone3: Function not implemented\n"
			 "keyctl: Operation not permitted\n"
			 "mount: Operation not permitted\n");
	free(log);
	podman_spec(&s, "pid", pid);
	log = podman_run(&s, &rep);
	assert_exited(&rep, 0, log);
	ck_assert_msg(strcmp(log, "pid 1\n") != 0, "the task is PID 1: %s", log);
	free(log);
}
END_TEST

/* rlimits through --ulimit: the kernel's signals reach the task, reported as such. */
START_TEST(podman_enforces_file_size_and_cpu_time)
{
	char out[128], big[160], *log;
	const char *fsize[] = {"/task", "fsize", "/out/big", "4", NULL};
	const char *spin[] = {"/task", "spin", NULL};
	struct run_spec s;
	struct run_report rep;
	struct stat st;
	NEED_PODMAN();

	snprintf(out, sizeof(out), "%s/out", W);
	snprintf(big, sizeof(big), "%s/big", out);
	{
		const struct run_mount m[] = {{"output_path", out, "/out", 1, 0}};
		podman_spec(&s, "fsize", fsize);
		s.mounts = m;
		s.n_mounts = 1;
		s.limits.file_bytes = 1 << 20;
		log = podman_run(&s, &rep);
	}
	ck_assert_msg(rep.stop == RUN_FILE_SIZE && rep.signal == SIGXFSZ, "stop=%s detail=%s log=%s",
		      run_stop_name(rep.stop), rep.detail, log);
	ck_assert_int_eq(stat(big, &st), 0);
	ck_assert_int_eq(st.st_size, 1 << 20);
	ck_assert_uint_eq(st.st_uid, geteuid());
	free(log);
	podman_spec(&s, "spin", spin);
	s.limits.cpu_seconds = 1;
	log = podman_run(&s, &rep);
	ck_assert_msg(rep.stop == RUN_CPU && rep.signal == SIGXCPU, "stop=%s detail=%s log=%s",
		      run_stop_name(rep.stop), rep.detail, log);
	ck_assert_msg(rep.seconds < 5, "%.2f s", rep.seconds);
	free(log);
}
END_TEST

/* The profile itself: what is refused, and how. */
START_TEST(seccomp_profile_refuses_what_native_refuses)
{
	char *text = NULL;
	json_t *root, *rules;
	json_error_t je;
	mp_errbuf e;
	int ptrace = 0, clone3 = 0, newuser = 0, tiocsti = 0;
	size_t i;
	json_t *r;

	ck_assert_int_eq(engine_seccomp_profile(&text, &e), MP_OK);
	root = json_loads(text, 0, &je);
	ck_assert_ptr_nonnull(root);
	ck_assert_str_eq(json_string_value(json_object_get(root, "defaultAction")), "SCMP_ACT_ALLOW");
	rules = json_object_get(root, "syscalls");
	json_array_foreach(rules, i, r) {
		json_t *names = json_object_get(r, "names"), *n, *arg;
		long err = (long)json_integer_value(json_object_get(r, "errnoRet"));
		size_t k;
		ck_assert_str_eq(json_string_value(json_object_get(r, "action")), "SCMP_ACT_ERRNO");
		arg = json_array_get(json_object_get(r, "args"), 0);
		json_array_foreach(names, k, n) {
			const char *name = json_string_value(n);
			ptrace |= strcmp(name, "ptrace") == 0 && err == EPERM && !arg;
			clone3 |= strcmp(name, "clone3") == 0 && err == ENOSYS && !arg;
			newuser |= strcmp(name, "clone") == 0 && err == EPERM && arg &&
				   json_integer_value(json_object_get(arg, "value")) == 0x10000000 &&
				   json_integer_value(json_object_get(arg, "valueTwo")) == 0x10000000 &&
				   strcmp(json_string_value(json_object_get(arg, "op")),
					  "SCMP_CMP_MASKED_EQ") == 0;
			tiocsti |= strcmp(name, "ioctl") == 0 && arg &&
				   json_integer_value(json_object_get(arg, "index")) == 1 &&
				   json_integer_value(json_object_get(arg, "valueTwo")) == 0x5412;
		}
	}
	ck_assert(ptrace && clone3 && newuser && tiocsti);
	json_decref(root);
	free(text);
}
END_TEST

/* ------------------------------------------------------------------ */

int main(void)
{
	Suite *su = suite_create("engines");
	TCase *lines = tcase_create("lines"), *missing = tcase_create("missing");
	TCase *pod = tcase_create("podman");
	const char *skip = getenv("MEDPERF_TEST_NO_PODMAN");
	SRunner *sr;
	int failed;
	mp_errbuf e;

	tcase_add_test(lines, docker_prepare_line);
	tcase_add_test(lines, docker_caller_ids_limits_shm_entrypoint);
	tcase_add_test(lines, docker_gpu_variants);
	tcase_add_test(lines, engines_refuse_bad_specs);
	tcase_add_test(lines, archives_run_their_first_tag);
	tcase_add_test(lines, podman_prepare_line_as_root_and_rootless);
	tcase_add_test(lines, podman_limits_gpus_shm_entrypoint);
	tcase_add_test(lines, singularity_run_and_exec_lines);
	tcase_add_test(lines, singularity_gpu_rules);
	tcase_add_test(lines, singularity_environment);
	tcase_add_test(lines, singularity_conversions);
	tcase_add_test(lines, seccomp_profile_refuses_what_native_refuses);
	tcase_add_checked_fixture(missing, fake_setup, fake_teardown);
	tcase_add_test(missing, docker_client_without_engine);
	tcase_add_test(missing, docker_missing_and_running);
	tcase_add_test(missing, docker_on_this_machine);
	tcase_add_test(missing, singularity_missing);
	tcase_add_test(missing, singularity_flavour_from_version);
	tcase_add_test(missing, podman_missing);
	tcase_add_unchecked_fixture(pod, root_setup, root_teardown);
	tcase_add_checked_fixture(pod, run_setup, run_teardown);
	tcase_set_timeout(pod, 120);
	tcase_add_test(pod, podman_runs_every_role);
	tcase_add_test(pod, podman_reports_failures);
	tcase_add_test(pod, podman_stops_at_the_time_limit);
	tcase_add_test(pod, podman_has_no_network);
	tcase_add_test(pod, podman_inputs_and_root_are_read_only);
	tcase_add_test(pod, podman_reports_the_memory_limit);
	tcase_add_test(pod, podman_never_pulls);
	tcase_add_test(pod, podman_runs_a_docker_archive);
	tcase_add_test(pod, podman_environment_is_clean);
	tcase_add_test(pod, podman_refuses_kernel_calls);
	tcase_add_test(pod, podman_enforces_file_size_and_cpu_time);
	suite_add_tcase(su, lines);
	suite_add_tcase(su, missing);
	suite_add_tcase(su, pod);

	if (skip && strcmp(skip, "1") == 0) {
		fprintf(stderr, "test_engines: MEDPERF_TEST_NO_PODMAN=1: real podman runs skipped\n");
		podman_skipped = 1;
	} else if (runner_podman.available(&e) != MP_OK) {
		snprintf(podman_problem, sizeof(podman_problem), "%s", e.msg);
	} else if (build_image() == 0) {
		podman_ready = 1;
	}
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	remove_image();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
