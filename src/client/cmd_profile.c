/*
 * cmd_profile.c: `medperf profile activate|create|set|ls|view|delete`: named
 * settings (server, pinned certificate, ...) in config.yaml, one of them
 * active. A profile's login lives in its "credentials".
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/cli.h"

/* Profile keys `profile set` accepts, with the option that sets each. */
static const char *const settable[] = {"server", "certificate", "auth_class", "platform",
	"gpus", NULL};

static int activate(struct ctx *c, struct args *a)
{
	const char *name = arg(c, a, "name");
	json_t *profiles = json_object_get(c->config, "profiles");

	if (!json_is_object(json_object_get(profiles, name)))
		return fail(EXIT_USAGE, "no profile named '%s' (see 'medperf profile ls')", name);
	json_object_set_new(c->config, "active_profile_name", json_string(name));
	if (config_save(c))
		return EXIT_FAIL;
	done_msg(c, "Profile %s is active", name);
	return EXIT_OK;
}

/* Applies the `set`-style options in a to profile p. */
static int apply_settings(struct ctx *c, struct args *a, json_t *p)
{
	for (const char *const *k = settable; *k; k++) {
		const char *v = arg(c, a, *k);
		if (v == NULL)
			continue;
		if (strcmp(*k, "server") == 0 && strncmp(v, "https://", 8) != 0 &&
		    strncmp(v, "http://", 7) != 0)
			return fail(EXIT_USAGE, "--server must be a URL like https://host:port, "
				    "not '%s'", v);
		if (strcmp(*k, "certificate") == 0 && v[0]) {
			char abs[PATH_MAX];
			if (realpath(v, abs) == NULL || access(abs, R_OK) != 0)
				return fail(EXIT_USAGE, "--certificate: cannot read '%s'", v);
			json_object_set_new(p, *k, json_string(abs));
			continue;
		}
		json_object_set_new(p, *k, v[0] ? json_string(v) : json_null());
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
	int any = 0, rc;

	for (const char *const *k = settable; *k; k++)
		any |= arg(c, a, *k) != NULL;
	if (!any)
		return fail(EXIT_USAGE, "nothing to set: give at least one option (see --help)");
	if (arg(c, a, "server") && strcmp(arg(c, a, "server"), profile_str(c->profile, "server")))
		/* another server: the login does not carry over */
		json_object_del(c->profile, "credentials");
	rc = apply_settings(c, a, c->profile);
	if (rc)
		return rc;
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
		return fail(EXIT_USAGE, "no profile named '%s' (see 'medperf profile ls')", name);
	shown = json_deep_copy(p);
	/* the cached user record is noise here; the email says who */
	cred = json_object_get(shown, "credentials");
	if (cred)
		json_object_del(cred, "medperf_user");
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
		return fail(EXIT_USAGE, "no profile named '%s' (see 'medperf profile ls')", name);
	if (active && strcmp(active, name) == 0)
		return fail(EXIT_USAGE, "profile '%s' is active: activate another one first", name);
	json_object_del(profiles, name);
	if (config_save(c))
		return EXIT_FAIL;
	done_msg(c, "Deleted profile %s", name);
	return EXIT_OK;
}

#define SETTINGS \
	{0, "server", OPT_VALUE, "URL", "the server, e.g. https://localhost:8000", 0}, \
	{0, "certificate", OPT_VALUE, "FILE", "the server's certificate to trust (pinned); "\
	 "'' for the system store", 0}, \
	{0, "auth_class", OPT_VALUE, "CLASS", "how to log in (kept for MedPerf compatibility)", 0}, \
	{0, "platform", OPT_VALUE, "NAME", "container runner for later commands", 0}, \
	{0, "gpus", OPT_VALUE, "GPUS", "GPUs for containers (kept for later commands)", 0}

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
	{"activate", activate, name_opt, 0, "make a profile the active one", NULL},
	{"create", create, create_opts, 0, "create a profile from the active one", NULL},
	{"set", set, set_opts, 0, "change settings of the active profile", NULL},
	{"ls", ls, ls_opts, 0, "list profiles (* marks the active one)", NULL},
	{"view", view, view_opts, 0, "show a profile's settings", NULL},
	{"delete", delete, name_opt, 0, "delete a profile (not the active one)", NULL},
	{NULL, NULL, NULL, 0, NULL, NULL},
};

const struct group group_profile = {"profile", NULL, profile_cmds,
	"manage profiles: servers, certificates, logins"};
