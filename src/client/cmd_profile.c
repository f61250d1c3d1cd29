/*
 * cmd_profile.c: `medperf profile activate|create|set|ls|view|delete`: named
 * settings (server, pinned certificate, ...) in config.yaml, one of them
 * active. A profile's login lives in its "credentials".
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/cli.h"

/*
 * The profile keys `profile set` accepts (MedPerf's configurable parameters):
 * option name, key in the profile, and whether the value is an integer.
 */
static const struct setting {
	const char *opt;
	const char *key;
	int integer;
} settable[] = {
	{"server", "server", 0}, {"auth_class", "auth_class", 0},
	{"auth_domain", "auth_domain", 0}, {"auth_jwks_url", "auth_jwks_url", 0},
	{"auth_idtoken_issuer", "auth_idtoken_issuer", 0},
	{"auth_client_id", "auth_client_id", 0}, {"auth_audience", "auth_audience", 0},
	{"certificate", "certificate", 0}, {"loglevel", "loglevel", 0},
	{"prepare_timeout", "prepare_timeout", 1},
	{"sanity_check_timeout", "sanity_check_timeout", 1},
	{"statistics_timeout", "statistics_timeout", 1}, {"infer_timeout", "infer_timeout", 1},
	{"evaluate_timeout", "evaluate_timeout", 1},
	{"wait_before_sending_reports", "wait_before_sending_reports", 1},
	{"container-loglevel", "container_loglevel", 0}, {"platform", "platform", 0},
	{"gpus", "gpus", 0}, {"certificate_authority_id", "certificate_authority_id", 1},
	{"certificate_authority_fingerprint", "certificate_authority_fingerprint", 0},
	{NULL, NULL, 0},
};

static const char *const reserved[] = {"default", "local", "testauth", NULL};

/*
 * Drops profile p's login: its credentials, and the stored token unless
 * another profile is logged in as the same user (the token is per email).
 */
static void forget_login(struct ctx *c, json_t *p)
{
	const char *email = json_string_value(json_object_get(json_object_get(p, "credentials"),
							      "email"));
	json_t *profiles = json_object_get(c->config, "profiles"), *o;
	const char *name;
	char *path;

	if (email == NULL) {
		json_object_del(p, "credentials");
		return;
	}
	json_object_foreach(profiles, name, o)
		if (o != p && strcmp(profile_str(json_object_get(o, "credentials"), "email"),
				     email) == 0) {
			json_object_del(p, "credentials");
			return;
		}
	path = token_path(c, email);
	if (path)
		unlink(path);
	free(path);
	json_object_del(p, "credentials");
}

static int activate(struct ctx *c, struct args *a)
{
	const char *name = arg(c, a, "name");
	json_t *profiles = json_object_get(c->config, "profiles");

	if (!json_is_object(json_object_get(profiles, name)))
		return fail(EXIT_USAGE, "The provided profile does not exist: '%s' (see 'medperf "
			    "profile ls')", name);
	json_object_set_new(c->config, "active_profile_name", json_string(name));
	if (config_save(c))
		return EXIT_FAIL;
	done_msg(c, "Profile %s is active", name);
	return EXIT_OK;
}

/* Applies the `set`-style options in a to profile p. */
static int apply_settings(struct ctx *c, struct args *a, json_t *p)
{
	for (const struct setting *st = settable; st->opt; st++) {
		const char *v = arg(c, a, st->opt);
		if (v == NULL)
			continue;
		if (strcmp(st->key, "server") == 0 && strncmp(v, "https://", 8) != 0 &&
		    strncmp(v, "http://", 7) != 0)
			return fail(EXIT_USAGE, "--server must be a URL like https://host:port, "
				    "not '%s'", v);
		if (strcmp(st->key, "certificate") == 0 && v[0]) {
			char abs[PATH_MAX];
			struct stat sb;
			if (realpath(v, abs) == NULL || access(abs, R_OK) != 0)
				return fail(EXIT_USAGE, "--certificate: cannot read '%s'", v);
			if (stat(abs, &sb) != 0 || !S_ISREG(sb.st_mode))
				return fail(EXIT_USAGE, "--certificate: '%s' is not a file", v);
			json_object_set_new(p, st->key, json_string(abs));
			continue;
		}
		if (st->integer)
			json_object_set_new(p, st->key, json_integer(arg_int(c, a, st->opt)));
		else
			json_object_set_new(p, st->key, v[0] ? json_string(v) : json_null());
	}
	if (arg_flag(c, a, "cleanup") || arg_flag(c, a, "no-cleanup")) {
		if (arg_flag(c, a, "cleanup") && arg_flag(c, a, "no-cleanup"))
			return fail(EXIT_USAGE, "--cleanup and --no-cleanup exclude each other");
		json_object_set_new(p, "cleanup", json_boolean(arg_flag(c, a, "cleanup")));
	}
	return EXIT_OK;
}

static int create(struct ctx *c, struct args *a)
{
	const char *name = arg(c, a, "name");
	json_t *profiles = json_object_get(c->config, "profiles"), *p;
	int rc;

	if (json_object_get(profiles, name))
		return fail(EXIT_USAGE, "a profile named '%s' exists already", name);
	/*
	 * A copy of the active profile's settings. Not its login: MedPerf copies
	 * it, and a logout of one profile then silently logs the other one out.
	 */
	p = json_deep_copy(c->profile);
	json_object_del(p, "credentials");
	rc = apply_settings(c, a, p);
	if (rc) {
		json_decref(p);
		return rc;
	}
	json_object_set_new(profiles, name, p);
	if (config_save(c))
		return EXIT_FAIL;
	done_msg(c, "Created profile %s (from %s)", name, c->profile_name);
	return EXIT_OK;
}

static int set(struct ctx *c, struct args *a)
{
	int any = 0, other, rc;

	for (const struct setting *st = settable; st->opt; st++)
		any |= arg(c, a, st->opt) != NULL;
	any |= arg_flag(c, a, "cleanup") || arg_flag(c, a, "no-cleanup");
	if (!any)
		return fail(EXIT_USAGE, "nothing to set: give at least one option (see --help)");
	/* another server: the login does not carry over */
	other = arg(c, a, "server") && strcmp(arg(c, a, "server"),
					      profile_str(c->profile, "server"));
	rc = apply_settings(c, a, c->profile);
	if (rc)
		return rc;
	if (other)
		forget_login(c, c->profile);
	if (config_save(c))
		return EXIT_FAIL;
	done_msg(c, "Updated profile %s", c->profile_name);
	return EXIT_OK;
}

static int ls(struct ctx *c, struct args *a)
{
	json_t *profiles = json_object_get(c->config, "profiles"), *p, *out;
	const char *name, *active = json_string_value(json_object_get(c->config,
								      "active_profile_name"));
	static const char *const head[] = {"", "NAME", "SERVER", "LOGGED IN AS"};
	struct table *t;

	(void)a;
	if (c->json) {
		out = json_array();
		json_object_foreach(profiles, name, p)
			json_array_append_new(out, json_pack("{s:s,s:b,s:s,s:s}", "name", name,
				"active", active && !strcmp(name, active), "server",
				profile_str(p, "server"), "email",
				profile_str(json_object_get(p, "credentials"), "email")));
		print_json(out);
		json_decref(out);
		return EXIT_OK;
	}
	t = table_new(head, 4);
	json_object_foreach(profiles, name, p) {
		const char *row[4] = {active && !strcmp(name, active) ? "*" : "", name,
			profile_str(p, "server"),
			profile_str(json_object_get(p, "credentials"), "email")};
		table_add(t, row);
	}
	table_print(c, t);
	table_free(t);
	return EXIT_OK;
}

static int view(struct ctx *c, struct args *a)
{
	const char *name = arg(c, a, "name");
	json_t *p = name ? json_object_get(json_object_get(c->config, "profiles"), name)
			 : c->profile, *shown;
	json_t *cred;

	if (p == NULL)
		return fail(EXIT_USAGE, "The provided profile does not exist: '%s'", name);
	shown = json_deep_copy(p);
	/* as MedPerf: the login is not part of the settings shown */
	cred = json_object_get(shown, "credentials");
	if (cred && !c->json)
		printf("Profile '%s' (logged in as %s):\n", name ? name : c->profile_name,
		       profile_str(cred, "email"));
	else if (!c->json)
		printf("Profile '%s':\n", name ? name : c->profile_name);
	json_object_del(shown, "credentials");
	if (c->json)
		print_json(shown);
	else
		print_yaml(shown);
	json_decref(shown);
	return EXIT_OK;
}

static int delete(struct ctx *c, struct args *a)
{
	const char *name = arg(c, a, "name");
	json_t *profiles = json_object_get(c->config, "profiles");
	const char *active = json_string_value(json_object_get(c->config, "active_profile_name"));

	if (!json_object_get(profiles, name))
		return fail(EXIT_USAGE, "The provided profile does not exist: '%s'", name);
	for (const char *const *r = reserved; *r; r++)
		if (strcmp(*r, name) == 0)
			return fail(EXIT_USAGE, "Cannot delete reserved profiles (%s)", name);
	if (active && strcmp(active, name) == 0)
		return fail(EXIT_USAGE, "Cannot delete a currently activated profile (%s)", name);
	forget_login(c, json_object_get(profiles, name));
	json_object_del(profiles, name);
	if (config_save(c))
		return EXIT_FAIL;
	done_msg(c, "Deleted profile %s", name);
	return EXIT_OK;
}

#define SETTINGS \
	{0, "server", OPT_VALUE, "URL", "URL of a hosted MedPerf API instance", 0}, \
	{0, "auth_class", OPT_VALUE, "CLASS", "Authentication interface to use [Auth0] (kept "\
	 "for MedPerf compatibility; logins take a token)", 0}, \
	{0, "auth_domain", OPT_VALUE, "DOMAIN", "Auth0 domain name", 0}, \
	{0, "auth_jwks_url", OPT_VALUE, "URL", "Auth0 Json Web Key set URL", 0}, \
	{0, "auth_idtoken_issuer", OPT_VALUE, "URL", "Auth0 ID token issuer", 0}, \
	{0, "auth_client_id", OPT_VALUE, "ID", "Auth0 client ID", 0}, \
	{0, "auth_audience", OPT_VALUE, "AUD", "Server's Auth0 API identifier", 0}, \
	{0, "certificate", OPT_VALUE, "FILE", "path to a valid SSL certificate (the server's, "\
	 "pinned); '' for the system store", 0}, \
	{0, "loglevel", OPT_VALUE, "LEVEL", "Logging level [debug | info | warning | error]", 0}, \
	{0, "prepare_timeout", OPT_INT, "S", "Maximum time in seconds before interrupting "\
	 "prepare task", 0}, \
	{0, "sanity_check_timeout", OPT_INT, "S", "Maximum time in seconds before interrupting "\
	 "sanity_check task", 0}, \
	{0, "statistics_timeout", OPT_INT, "S", "Maximum time in seconds before interrupting "\
	 "statistics task", 0}, \
	{0, "infer_timeout", OPT_INT, "S", "Maximum time in seconds before interrupting infer "\
	 "task", 0}, \
	{0, "evaluate_timeout", OPT_INT, "S", "Maximum time in seconds before interrupting "\
	 "evaluate task", 0}, \
	{0, "wait_before_sending_reports", OPT_INT, "S", "Seconds between a change of the "\
	 "preparation report and its summary sent to the server (default 30)", 0}, \
	{0, "container-loglevel", OPT_VALUE, "LEVEL", "Logging level for containers to be run "\
	 "[debug | info | warning | error]", 0}, \
	{0, "platform", OPT_VALUE, "NAME", "Platform to use for running containers", 0}, \
	{0, "gpus", OPT_VALUE, "GPUS", "What GPUs to expose to containers: \"\" or 0, all, "\
	 "N, or device=ID,ID", 0}, \
	{0, "cleanup", OPT_FLAG, NULL, "clean up temporary medperf storage after execution", 0}, \
	{0, "no-cleanup", OPT_FLAG, NULL, "keep temporary medperf storage", 0}, \
	{0, "certificate_authority_id", OPT_INT, "ID", "Certificate Authority ID to configure "\
	 "the client with", 0}, \
	{0, "certificate_authority_fingerprint", OPT_VALUE, "FP", "Expected fingerprint of the "\
	 "configured certificate authority", 0}

static const struct opt name_opt[] = {
	{0, "name", OPT_POS, "NAME", "the profile", 1},
	{0, NULL, 0, NULL, NULL, 0},
};
static const struct opt create_opts[] = {
	{'n', "name", OPT_VALUE, "NAME", "name of the new profile", 1},
	SETTINGS,
	{0, NULL, 0, NULL, NULL, 0},
};
static const struct opt set_opts[] = {
	SETTINGS,
	{0, NULL, 0, NULL, NULL, 0},
};
static const struct opt ls_opts[] = {
	{0, "json", OPT_FLAG, NULL, "print JSON", 0},
	{0, NULL, 0, NULL, NULL, 0},
};
static const struct opt view_opts[] = {
	{0, "name", OPT_POS, "NAME", "the profile (default: the active one)", 0},
	{0, "json", OPT_FLAG, NULL, "print JSON instead of YAML", 0},
	{0, NULL, 0, NULL, NULL, 0},
};

static const struct cmd profile_cmds[] = {
	{"activate", activate, name_opt, 0, "make a profile the active one (used by default)", NULL},
	{"create", create, create_opts, 0, "create a profile: the active one's settings, changed by the options given", NULL},
	{"set", set, set_opts, 0, "change settings of the active profile", NULL},
	{"ls", ls, ls_opts, 0, "list profiles (* marks the active one)", NULL},
	{"view", view, view_opts, 0, "show a profile's settings", NULL},
	{"delete", delete, name_opt, 0, "delete a profile (not the active one, nor default, local or testauth)", NULL},
	{NULL, NULL, NULL, 0, NULL, NULL},
};

const struct group group_profile = {"profile", NULL, profile_cmds,
	"manage profiles: servers, certificates, logins"};
