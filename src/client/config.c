/*
 * config.c: the client's configuration folder (reference section 2.1):
 * config.yaml with the profiles and the active one, stored tokens (mode 0600
 * in 0700 folders, never printed), and the local storage layout (2.4).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client/cli.h"
#include "core/b64.h"
#include "core/pkey.h"
#include "core/timeutil.h"
#include "core/yaml.h"

int mkdirs(const char *path, int mode)
{
	char tmp[4096];
	size_t n = strlen(path);

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, (mode_t)mode) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, (mode_t)mode) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

static char *join(const char *a, const char *b)
{
	struct buf p;

	buf_init(&p, 8192);
	if (buf_addf(&p, "%s/%s", a, b)) {
		buf_release(&p);
		return NULL;
	}
	return buf_detach(&p, NULL);
}

const char *profile_str(const json_t *profile, const char *key)
{
	const char *s = json_string_value(json_object_get(profile, key));

	return s ? s : "";
}

/*
 * The profiles a first run creates: MedPerf's three, with its keys, so that
 * a MedPerf user finds the same names. Logins here always take a token
 * (`medperf auth login`); the Auth0 keys are kept for compatibility.
 */
static json_t *profile_of(const char *server, const char *auth_class, const char *domain,
			  const char *client_id, const char *audience, const char *fingerprint)
{
	char jwks[256], issuer[256];

	snprintf(jwks, sizeof(jwks), strcmp(domain, "N/A") ? "https://%s/.well-known/jwks.json"
							    : "%s", domain);
	snprintf(issuer, sizeof(issuer), strcmp(domain, "N/A") ? "https://%s/" : "%s", domain);
	return json_pack("{s:s,s:n,s:n,s:n,s:n,s:n,s:s,s:n,s:b,s:n,s:s,s:n,s:s,s:s,s:s,s:s,"
			 "s:s,s:s,s:i,s:s}",
		"loglevel", "debug", "prepare_timeout", "sanity_check_timeout",
		"statistics_timeout", "infer_timeout", "evaluate_timeout",
		"platform", "native", "gpus", "cleanup", 1, "container_loglevel",
		"server", server, "certificate", "auth_class", auth_class,
		"auth_domain", domain, "auth_jwks_url", jwks, "auth_idtoken_issuer", issuer,
		"auth_client_id", client_id, "auth_audience", audience,
		"certificate_authority_id", 1, "certificate_authority_fingerprint", fingerprint);
}

static json_t *default_profiles(void)
{
	json_t *p = json_object();

	json_object_set_new(p, "default", profile_of("https://api.medperf.org", "Auth0",
		"auth.medperf.org", "vFtfndViDFd0BeMdMKBgsKA9aV9BDtrY", "https://api.medperf.org/",
		"2134ad46f56c61c4342eed48067c6a57bd59125bce033ca09389654b9f4446c1"));
	json_object_set_new(p, "local", profile_of("https://localhost:8000", "Local", "N/A", "N/A",
						   "N/A", "fingerprint"));
	json_object_set_new(p, "testauth", profile_of("https://localhost:8000", "Auth0",
		"dev-5xl8y6uuc2hig2ly.us.auth0.com", "PSe6pJzYJ9ZmLuLPagHEDh6W44fv9nat",
		"https://localhost-dev/", "fingerprint"));
	return p;
}

/* MedPerf's storage keys, each mapped to the storage base. */
static const char *const storage_keys[] = {"decrypted_files_folder", "images_folder",
	"hashed_files_folder", "trash_folder", "tmp_folder", "demo_datasets_folder",
	"benchmarks_folder", "cubes_folder", "datasets_folder", "experiments_logs_folder",
	"executions_folder", "predictions_folder", "script_result_folder", "tests_folder",
	"training_folder", "aggregators_folder", "cas_folder", "training_events_folder",
	"certificates_folder", "dashboards_folder", "assets_folder", "models_folder", NULL};

static json_t *default_storage(const char *base)
{
	json_t *st = json_object();

	for (const char *const *k = storage_keys; *k; k++)
		json_object_set_new(st, *k, json_string(base));
	return st;
}

static char *config_file(const struct ctx *c)
{
	return join(c->config_dir, "config.yaml");
}

int config_save(struct ctx *c)
{
	char *path = config_file(c);
	mp_errbuf e;
	int rc;

	if (path == NULL)
		return fail(EXIT_FAIL, "out of memory");
	rc = yaml_write_file(path, c->config, 0600, &e);
	free(path);
	if (rc)
		return fail(EXIT_FAIL, "cannot save the configuration: %s", e.msg);
	return EXIT_OK;
}

/* Derived from the profile: the per-server storage folder name (2.4). */
static char *server_dir_of(const char *server)
{
	const char *p = strstr(server, "://");
	char *out;

	p = p ? p + 3 : server;
	out = strdup(p);
	if (out == NULL)
		return NULL;
	for (char *q = out; *q; q++)
		if (*q == '.' || *q == ':' || *q == '/')
			*q = '_';
	/* "host_8000_" from a trailing slash */
	for (size_t n = strlen(out); n && out[n - 1] == '_'; n--)
		out[n - 1] = '\0';
	return out;
}

int config_load(struct ctx *c, const char *profile_override)
{
	const char *env = getenv("MEDPERF_CONFIG_STORAGE"), *home = getenv("HOME");
	char *dir, *path;
	json_t *cfg = NULL, *profiles, *st;
	mp_errbuf e;
	int rc;

	if (env && env[0])
		dir = strdup(env);
	else if (home && home[0])
		dir = join(home, ".medperf_config");
	else
		return fail(EXIT_FAIL, "cannot find the configuration folder: set HOME or "
			    "MEDPERF_CONFIG_STORAGE");
	if (dir == NULL || mkdirs(dir, 0700) != 0)
		return fail(EXIT_FAIL, "cannot create the configuration folder '%s': %s",
			    dir ? dir : "?", strerror(errno));
	c->config_dir = dir;
	path = config_file(c);
	if (path == NULL)
		return fail(EXIT_FAIL, "out of memory");
	if (access(path, F_OK) == 0) {
		rc = yaml_load_file(path, 0, &cfg, NULL, &e);
		if (rc) {
			free(path);
			return fail(EXIT_FAIL, "cannot read the configuration: %s", e.msg);
		}
		if (!json_is_object(cfg) || !json_is_object(json_object_get(cfg, "profiles"))) {
			json_decref(cfg);
			rc = fail(EXIT_FAIL, "'%s' is not a MedPerf configuration (no profiles)", path);
			free(path);
			return rc;
		}
	}
	free(path);
	if (cfg == NULL) {
		/* first run: MedPerf's profiles and storage under ~/.medperf */
		char *base = home && home[0] ? join(home, ".medperf") : join(dir, "storage");
		cfg = json_pack("{s:s,s:o,s:o}", "active_profile_name", "default", "profiles",
				default_profiles(), "storage", default_storage(base ? base : "."));
		free(base);
		c->config = cfg;
		rc = config_save(c);
		if (rc)
			return rc;
	}
	c->config = cfg;
	/* every storage folder has the same base in practice; benchmarks_folder names it */
	st = json_object_get(cfg, "storage");
	if (json_is_string(json_object_get(st, "benchmarks_folder")))
		c->storage = strdup(json_string_value(json_object_get(st, "benchmarks_folder")));
	else if (home && home[0])
		c->storage = join(home, ".medperf");
	else
		c->storage = join(dir, "storage");
	profiles = json_object_get(cfg, "profiles");
	c->profile_name = profile_override ? profile_override
					   : json_string_value(json_object_get(cfg,
									  "active_profile_name"));
	if (c->profile_name == NULL)
		return fail(EXIT_FAIL, "the configuration has no active profile: run "
			    "'medperf profile activate NAME'");
	c->profile = json_object_get(profiles, c->profile_name);
	if (!json_is_object(c->profile))
		return fail(EXIT_USAGE, "no profile named '%s' (see 'medperf profile ls')",
			    c->profile_name);
	c->server_dir = server_dir_of(profile_str(c->profile, "server"));
	return EXIT_OK;
}

/* ---- tokens ---- */

char *token_path(const struct ctx *c, const char *email)
{
	struct buf b, enc;
	char *p = NULL;

	buf_init(&b, 8192);
	buf_init(&enc, 4096);
	/* MedPerf names the folder by the standard base64 of the email, padding kept */
	if (b64_encode_std(&enc, email, strlen(email)) == 0 &&
	    buf_addf(&b, "%s/.tokens/%s/medperf_access_token", c->config_dir, enc.data) == 0)
		p = buf_detach(&b, NULL);
	buf_release(&b);
	buf_release(&enc);
	return p;
}

int64_t credentials_expiry(const json_t *cred)
{
	json_t *at = json_object_get(cred, "token_issued_at");
	json_t *in = json_object_get(cred, "token_expires_in");

	if (!json_is_integer(at) || !json_is_integer(in))
		return 0;
	return json_integer_value(at) + json_integer_value(in);
}

char *token_load(const struct ctx *c)
{
	json_t *cred = json_object_get(c->profile, "credentials");
	const char *email = json_string_value(json_object_get(cred, "email"));
	char *path, *text = NULL;
	size_t len;
	mp_errbuf e;

	if (email == NULL)
		return NULL;
	path = token_path(c, email);
	if (path == NULL || file_read_all(path, 64 * 1024, &text, &len, &e) != 0) {
		free(path);
		return NULL;
	}
	free(path);
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		text[--len] = '\0';
	return text;
}

int comms_for_profile(struct ctx *c, int need_login)
{
	return comms_open_profile(c, need_login, &c->comms);
}

int comms_open_profile(struct ctx *c, int need_login, struct comms **out)
{
	struct comms_opts o = {0};
	json_t *cred = json_object_get(c->profile, "credentials");
	char *token = NULL;
	mp_errbuf e;
	int rc;

	if (profile_str(c->profile, "server")[0] == '\0')
		return fail(EXIT_USAGE, "profile '%s' has no server: run 'medperf profile set "
			    "--server URL'", c->profile_name);
	if (need_login) {
		int64_t exp = credentials_expiry(cred);
		token = token_load(c);
		if (token == NULL)
			return fail(EXIT_AUTH, "you are not logged in (profile '%s'): run 'medperf "
				    "auth login --token-file FILE'", c->profile_name);
		if (exp > 0 && exp < tm_now_us() / 1000000) {
			char when[32];
			time_t t = (time_t)exp;
			struct tm tm;
			localtime_r(&t, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
			explicit_bzero(token, strlen(token));
			free(token);
			return fail(EXIT_AUTH, "your token expired at %s: log in again with 'medperf "
				    "auth login'", when);
		}
	}
	o.server = profile_str(c->profile, "server");
	o.ca_file = profile_str(c->profile, "certificate")[0] ? profile_str(c->profile,
									     "certificate")
							       : NULL;
	o.token = token;
	rc = comms_open(&o, out, &e);
	if (token) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	if (rc)
		return fail(EXIT_FAIL, "%s", e.msg);
	return EXIT_OK;
}

char *storage_entity_dir(const struct ctx *c, const char *kind, const char *id)
{
	struct buf b;

	buf_init(&b, 8192);
	if (buf_addf(&b, "%s/%s/%s/%s", c->storage, kind, c->server_dir ? c->server_dir : "",
		     id)) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

void ctx_release(struct ctx *c)
{
	comms_close(c->comms);
	json_decref(c->config);
	free((char *)c->config_dir);
	free((char *)c->storage);
	free(c->server_dir);
	memset(c, 0, sizeof(*c));
}
