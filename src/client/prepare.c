/*
 * prepare.c: a dataset's local folder and its preparation (flows E and F
 * of reference 2.3; see prepare.h).
 *
 * Reports during `prepare` follow MedPerf: PUT /datasets/{id}/ with
 * {"report": {"progress": {...}, "execution_status": S}}: "started" before
 * the task, "running" a while after each change of the task's report file
 * (a watcher thread with its own connection; the wait is the profile's
 * wait_before_sending_reports, 30 s by default), and "finished", "failed"
 * or "interrupted" at the end. The execution status is always sent (it
 * says nothing about the data); the progress, the share of cases at each
 * stage of the report file, only when the owner consented, else {}. A
 * report that cannot be sent is a warning: preparation goes on.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client/entity.h"
#include "client/prepare.h"
#include "client/tree.h"
#include "core/jsonw.h"
#include "core/timeutil.h"
#include "core/yaml.h"

static int oom(void)
{
	return fail(EXIT_FAIL, "out of memory");
}

/* The paths inside d->dir. */
static int inner_paths(struct dset *d)
{
	d->data = path_join(d->dir, "data");
	d->labels = path_join(d->dir, "labels");
	d->metadata = path_join(d->dir, "metadata");
	d->report = path_join(d->dir, "report.yaml");
	d->statistics = path_join(d->dir, "statistics.yaml");
	return d->data && d->labels && d->metadata && d->report && d->statistics ? EXIT_OK : oom();
}

int dset_open(struct ctx *c, json_t *entity, struct dset *d)
{
	char id[32], *raw;
	json_t *v = NULL;
	mp_errbuf e;
	int rc;

	memset(d, 0, sizeof(*d));
	d->entity = json_incref(entity);
	d->id = json_integer_value(json_object_get(entity, "id"));
	d->as_prepared = json_is_true(json_object_get(entity, "submitted_as_prepared"));
	snprintf(id, sizeof(id), "%lld", (long long)d->id);
	d->dir = storage_entity_dir(c, "data", id);
	if (d->dir == NULL || inner_paths(d))
		return oom();
	raw = path_join(d->dir, "raw.yaml");
	if (raw == NULL)
		return oom();
	if (access(raw, F_OK) != 0) {
		rc = fail(EXIT_FAIL, "dataset %s has no local copy on this machine (no '%s'): run "
			  "this where it was submitted, or import it with 'medperf dataset "
			  "import'", id, raw);
		free(raw);
		return rc;
	}
	if (yaml_load_file(raw, 1 << 20, &v, NULL, &e) != 0) {
		free(raw);
		return fail(EXIT_FAIL, "%s", e.msg);
	}
	free(raw);
	d->raw_data = strdup(profile_str(v, "data_path"));
	d->raw_labels = strdup(profile_str(v, "labels_path"));
	json_decref(v);
	if (d->raw_data == NULL || d->raw_labels == NULL)
		return oom();
	/* the local record follows the server's */
	return entity_save_local(c, &kind_dataset, entity);
}

int dset_open_test(struct ctx *c, const char *key, const char *data, const char *labels,
		   int as_prepared, struct dset *d)
{
	memset(d, 0, sizeof(*d));
	d->as_prepared = as_prepared;
	d->dir = storage_entity_dir(c, "data", key);
	if (d->dir == NULL)
		return oom();
	if (tree_remove(d->dir) != 0 || mkdirs(d->dir, 0700) != 0)
		return fail(EXIT_FAIL, "cannot make '%s': %s", d->dir, strerror(errno));
	if (inner_paths(d))
		return EXIT_FAIL;
	d->raw_data = strdup(data);
	d->raw_labels = strdup(labels);
	if (d->raw_data == NULL || d->raw_labels == NULL)
		return oom();
	if (as_prepared) {
		/* prepared already: used where they are */
		free(d->data);
		free(d->labels);
		d->data = strdup(data);
		d->labels = strdup(labels);
		if (d->data == NULL || d->labels == NULL)
			return oom();
	}
	return EXIT_OK;
}

int dset_rekey(struct ctx *c, struct dset *d, const char *key)
{
	char *dir = storage_entity_dir(c, "data", key);
	int rc;

	if (dir == NULL)
		return oom();
	if (strcmp(dir, d->dir) == 0) {
		free(dir);
		return EXIT_OK;
	}
	if (tree_replace(d->dir, dir) != 0) {
		rc = fail(EXIT_FAIL, "cannot move '%s' to '%s': %s", d->dir, dir, strerror(errno));
		free(dir);
		return rc;
	}
	free(d->dir);
	d->dir = dir;
	free(d->metadata);
	free(d->report);
	free(d->statistics);
	if (!d->as_prepared) {
		free(d->data);
		free(d->labels);
		return inner_paths(d);
	}
	d->metadata = path_join(d->dir, "metadata");
	d->report = path_join(d->dir, "report.yaml");
	d->statistics = path_join(d->dir, "statistics.yaml");
	return d->metadata && d->report && d->statistics ? EXIT_OK : oom();
}

void dset_release(struct dset *d)
{
	json_decref(d->entity);
	free(d->dir);
	free(d->raw_data);
	free(d->raw_labels);
	free(d->data);
	free(d->labels);
	free(d->metadata);
	free(d->report);
	free(d->statistics);
	memset(d, 0, sizeof(*d));
}

int dset_ready(const struct dset *d)
{
	return flag_get(d->dir, ".ready");
}

/* ---- reports ---- */

/*
 * The progress summary of a report file, as MedPerf computes it: the share
 * of cases in each value of the "status" column, {"Stage <v>": "<pct>%"}.
 * The report is a mapping of columns ({status: {case: v}}) or a list of
 * rows ([{status: v}, ...]). {} when there is none.
 */
static json_t *progress_of(const char *report_file)
{
	json_t *doc = NULL, *col, *out = json_object(), *counts = json_object(), *v;
	const char *k;
	size_t n = 0, i;
	mp_errbuf e;

	if (access(report_file, R_OK) != 0 ||
	    yaml_load_file(report_file, 16 << 20, &doc, NULL, &e) != 0)
		goto done;
	col = json_object_get(doc, "status");
	if (json_is_array(doc)) {
		json_array_foreach(doc, i, v) {
			json_t *s = json_object_get(v, "status");
			struct buf b;
			if (s == NULL)
				continue;
			buf_init(&b, 256);
			if (json_is_string(s))
				buf_adds(&b, json_string_value(s));
			else
				jsonw_value(&b, s);
			json_object_set_new(counts, b.data, json_integer(json_integer_value(
				json_object_get(counts, b.data)) + 1));
			buf_release(&b);
			n++;
		}
	} else if (json_is_object(col) || json_is_array(col)) {
		json_t *it;
		void *iter = json_is_object(col) ? json_object_iter(col) : NULL;
		for (i = 0;; i++) {
			struct buf b;
			if (json_is_object(col)) {
				if (iter == NULL)
					break;
				it = json_object_iter_value(iter);
				iter = json_object_iter_next(col, iter);
			} else {
				if (i >= json_array_size(col))
					break;
				it = json_array_get(col, i);
			}
			buf_init(&b, 256);
			if (json_is_string(it))
				buf_adds(&b, json_string_value(it));
			else
				jsonw_value(&b, it);
			json_object_set_new(counts, b.data, json_integer(json_integer_value(
				json_object_get(counts, b.data)) + 1));
			buf_release(&b);
			n++;
		}
	}
	json_object_foreach(counts, k, v) {
		char key[300], pct[32];
		snprintf(key, sizeof(key), "Stage %.280s", k);
		snprintf(pct, sizeof(pct), "%.1f%%", 100.0 * (double)json_integer_value(v) / (double)n);
		json_object_set_new(out, key, json_string(pct));
	}
done:
	json_decref(doc);
	json_decref(counts);
	return out;
}

struct reporter {
	struct comms *comms;     /* the connection reports go through */
	int64_t id;
	const char *report_file;
	int consent;
	json_t *last;            /* the last report sent */
	/* the watcher thread */
	double wait_s;
	int running, stop;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

/* Sends one report (not twice the same); a failure is only a warning. */
static void send_report(struct reporter *r, const char *status, int warn)
{
	json_t *report = json_pack("{s:o,s:s}", "progress", r->consent ? progress_of(r->report_file)
						      : json_object(), "execution_status", status);
	json_t *body = json_pack("{s:O}", "report", report);
	struct comms_result res = {0};
	char path[64];

	if (r->last && json_equal(r->last, report)) {
		json_decref(report);
		json_decref(body);
		return;
	}
	snprintf(path, sizeof(path), "/datasets/%lld/", (long long)r->id);
	if (comms_request(r->comms, "PUT", path, body, &res) != 0) {
		if (warn)
			note("warning: could not send the preparation status '%s' to the server: %s",
			     status, res.message);
	} else {
		json_decref(r->last);
		r->last = json_incref(report);
	}
	comms_result_release(&res);
	json_decref(report);
	json_decref(body);
}

/* The watcher: a change of the report file is sent as "running" wait_s later. */
static void *watch(void *arg)
{
	struct reporter *r = arg;
	struct timespec seen = {0, 0};
	double due = 0;

	pthread_mutex_lock(&r->mu);
	while (!r->stop) {
		struct timespec until;
		struct stat st;
		double now;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 200 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&r->cv, &r->mu, &until);
		if (r->stop)
			break;
		now = (double)tm_mono_us() / 1e6;
		if (stat(r->report_file, &st) == 0 &&
		    (st.st_mtim.tv_sec != seen.tv_sec || st.st_mtim.tv_nsec != seen.tv_nsec)) {
			seen = st.st_mtim;
			if (due == 0)
				due = now + r->wait_s;
		}
		if (due && now >= due) {
			due = 0;
			pthread_mutex_unlock(&r->mu);
			send_report(r, "running", 0);
			pthread_mutex_lock(&r->mu);
		}
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

static void watcher_start(struct ctx *c, struct reporter *r)
{
	json_t *w = json_object_get(c->profile, "wait_before_sending_reports");

	r->wait_s = json_is_number(w) && json_number_value(w) >= 0 ? json_number_value(w) : 30;
	/* the thread talks through its own connection: the main one stays the main thread's */
	if (comms_open_profile(c, 1, &r->comms) != EXIT_OK) {
		r->comms = NULL;
		return;
	}
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	{
		/*
		 * The thread is born with Ctrl-C blocked: a signal for the process then
		 * always goes to the main thread, whose task supervisor takes it.
		 */
		sigset_t block, old;
		sigemptyset(&block);
		sigaddset(&block, SIGINT);
		sigaddset(&block, SIGTERM);
		sigaddset(&block, SIGHUP);
		pthread_sigmask(SIG_BLOCK, &block, &old);
		r->running = pthread_create(&r->th, NULL, watch, r) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (!r->running) {
		pthread_mutex_destroy(&r->mu);
		pthread_cond_destroy(&r->cv);
	}
}

static void watcher_stop(struct reporter *r)
{
	if (r->running) {
		pthread_mutex_lock(&r->mu);
		r->stop = 1;
		pthread_cond_signal(&r->cv);
		pthread_mutex_unlock(&r->mu);
		pthread_join(r->th, NULL);
		pthread_mutex_destroy(&r->mu);
		pthread_cond_destroy(&r->cv);
		r->running = 0;
	}
	comms_close(r->comms);
	r->comms = NULL;
}

/* ---- flow E ---- */

/* The owner's answer to MedPerf's question about progress summaries. */
static int ask_consent(struct ctx *c)
{
	if (c->yes)
		return 1;
	note("During preparation medperf can send the server a summary of its progress: the "
	     "share of your cases at each stage of the preparation container's report, e.g.\n"
	     "  {execution_status: running, progress: {Stage 1: 40.0%%, Stage 3: 60.0%%}}\n"
	     "Only the owner of the preparation container sees it. Whether preparation is "
	     "running, finished or failed is sent in any case.");
	if (!isatty(0)) {
		note("No terminal to ask: progress summaries will not be sent (-y sends them).");
		return 0;
	}
	return confirm(c, "Send progress summaries during preparation?");
}

static int run_prepare(struct ctx *c, struct dset *d, const struct cube *prep, int consent)
{
	int has_report = cube_declares(prep, "prepare", "report_file", 1);
	struct reporter r;
	struct run_report rep;
	const char *end;
	int rc;
	const struct task_mount m[] = {
		{"data_path", d->raw_data}, {"labels_path", d->raw_labels},
		{"output_path", d->data}, {"output_labels_path", d->labels},
		{"metadata_path", d->metadata}, {"report_file", d->report},
	};

	if (*d->raw_data == '\0' || *d->raw_labels == '\0')
		return fail(EXIT_FAIL, "the raw data of this dataset is not on this machine (its "
			    "raw.yaml has no paths): it cannot be prepared here");
	memset(&r, 0, sizeof(r));
	r.comms = c->comms;
	r.id = d->id;
	r.report_file = d->report;
	if (d->id && has_report)
		r.consent = consent < 0 ? ask_consent(c) : consent;
	note("Preparing the data with %s...", prep->label);
	if (d->id)
		send_report(&r, "started", 1);
	if (d->id && has_report)
		watcher_start(c, &r);
	rc = cube_run(c, prep, "prepare", m, sizeof(m) / sizeof(m[0]), NULL, 0, &rep);
	if (r.comms != c->comms)
		watcher_stop(&r);
	r.comms = c->comms;
	end = rep.stop == RUN_INTERRUPTED ? "interrupted" : rc ? "failed" : "finished";
	if (d->id)
		send_report(&r, end, 1);
	json_decref(r.last);
	if (rep.stop == RUN_INTERRUPTED)
		return fail(EXIT_INTERRUPTED, "preparation interrupted: run 'medperf dataset "
			    "prepare' again to go on");
	return rc;
}

static int prepare_tasks(struct ctx *c, struct dset *d, const struct cube *prep, int consent);

int dset_prepare(struct ctx *c, struct dset *d, const struct cube *prep, int consent)
{
	int rc;

	/* Ctrl-C anywhere in here ends as "interrupted", reported, not as a killed client */
	task_catch_interrupts(1);
	rc = prepare_tasks(c, d, prep, consent);
	task_catch_interrupts(0);
	return rc;
}

static int prepare_tasks(struct ctx *c, struct dset *d, const struct cube *prep, int consent)
{
	struct run_report rep;
	json_t *stats = NULL;
	int rc = EXIT_OK;
	const struct task_mount m[] = {
		{"data_path", d->data}, {"labels_path", d->labels},
		{"metadata_path", d->metadata}, {"output_path", d->statistics},
	};

	if (!cube_has_task(prep, "prepare") || !cube_has_task(prep, "sanity_check") ||
	    !cube_has_task(prep, "statistics"))
		return fail(EXIT_FAIL, "%s is no data preparation container: it needs the tasks "
			    "prepare, sanity_check and statistics", prep->label);
	if (mkdirs(d->metadata, 0755) != 0)
		return fail(EXIT_FAIL, "cannot create '%s': %s", d->metadata, strerror(errno));
	if (!d->as_prepared && !dset_ready(d))
		rc = run_prepare(c, d, prep, consent);
	if (rc)
		return rc;
	note("Checking the prepared data (sanity_check)...");
	rc = cube_run(c, prep, "sanity_check", m, 3, NULL, 0, &rep);
	if (rep.stop == RUN_INTERRUPTED)
		return fail(EXIT_INTERRUPTED, "interrupted");
	if (rc) {
		flag_clear(d->dir, ".ready");
		if (cube_declares(prep, "prepare", "report_file", 1))
			return fail(EXIT_FAIL, "the preparation finished, but the data does not appear "
				    "to be ready: this most probably means there are outstanding "
				    "tasks; check the preparation report ('%s')", d->report);
		return fail(rc, "the sanity check of the prepared data failed");
	}
	note("Computing the statistics...");
	rc = cube_run(c, prep, "statistics", m, 4, NULL, 0, &rep);
	if (rep.stop == RUN_INTERRUPTED)
		return fail(EXIT_INTERRUPTED, "interrupted");
	if (rc == EXIT_OK)
		rc = dset_statistics(d, &stats);
	json_decref(stats);
	if (rc) {
		flag_clear(d->dir, ".ready");
		return rc;
	}
	if (flag_set(d->dir, ".ready") != 0)
		return fail(EXIT_FAIL, "cannot mark '%s' ready: %s", d->dir, strerror(errno));
	return EXIT_OK;
}

int dset_statistics(const struct dset *d, json_t **out)
{
	mp_errbuf e;

	*out = NULL;
	if (yaml_load_file(d->statistics, 16 << 20, out, NULL, &e) != 0)
		return fail(EXIT_FAIL, "the statistics: %s", e.msg);
	if (!json_is_object(*out) || json_object_size(*out) == 0) {
		json_decref(*out);
		*out = NULL;
		return fail(EXIT_FAIL, "the statistics task wrote no statistics (an empty file, or "
			    "not a mapping): '%s'", d->statistics);
	}
	return EXIT_OK;
}

static int folders_hash(const char *a, const char *b, char out[HASH_HEX])
{
	const char *paths[2] = {a, b};
	mp_errbuf e;

	if (hash_folders(paths, 2, 0, out, NULL, &e) != 0)
		return fail(EXIT_FAIL, "%s", e.msg);
	return EXIT_OK;
}

int dset_prepared_hash(const struct dset *d, char out[HASH_HEX])
{
	return folders_hash(d->data, d->labels, out);
}

int dset_raw_hash(const struct dset *d, char out[HASH_HEX])
{
	if (d->raw_data == NULL || *d->raw_data == '\0' || *d->raw_labels == '\0')
		return fail(EXIT_FAIL, "the raw data of this dataset is not on this machine");
	return folders_hash(d->raw_data, d->raw_labels, out);
}
