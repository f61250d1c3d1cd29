/*
 * sandbox_init.c: medperf-sandbox-init, the first program inside a native
 * sandbox. bwrap starts it with the seccomp filter already applied; it
 * makes sure the task can never gain a privilege, then becomes the task.
 *
 *   medperf-sandbox-init [--uid UID --gid GID] -- COMMAND [ARGS...]
 *
 * With --uid (medperf runs as root, bwrap kept only CAP_SETUID, CAP_SETGID
 * and CAP_SETPCAP): it empties the capability bounding set, drops every
 * supplementary group, switches to UID:GID for real, effective and saved
 * ids, and clears the remaining capability sets. Always: no_new_privs (a
 * setuid program cannot raise it), then exec. It is linked statically and
 * without sanitizers, so that it needs nothing from the sandbox and runs
 * under any memory limit.
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "medperf-sandbox-init: %s%s%s: %s\n", what, arg ? " " : "", arg ? arg : "",
		strerror(errno));
	_exit(127);
}

static unsigned long number(const char *s, const char *opt)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0') {
		errno = EINVAL;
		die(opt, s);
	}
	return v;
}

static void become(uid_t uid, gid_t gid)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];

	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL)
			die("cannot drop capability", NULL);
	if (setgroups(0, NULL) != 0)
		die("cannot drop supplementary groups", NULL);
	if (setresgid(gid, gid, gid) != 0)
		die("cannot switch group", NULL);
	if (setresuid(uid, uid, uid) != 0)
		die("cannot switch user", NULL);
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d) != 0)
		die("cannot clear capabilities", NULL);
	if (getuid() != uid || geteuid() != uid || getgid() != gid || getegid() != gid)
		die("still privileged", NULL);
}

int main(int argc, char **argv)
{
	int i = 1, drop = 0;
	uid_t uid = 0;
	gid_t gid = 0;

	while (i < argc && strcmp(argv[i], "--") != 0) {
		if (i + 1 < argc && strcmp(argv[i], "--uid") == 0) {
			uid = (uid_t)number(argv[i + 1], "--uid");
			drop |= 1;
		} else if (i + 1 < argc && strcmp(argv[i], "--gid") == 0) {
			gid = (gid_t)number(argv[i + 1], "--gid");
			drop |= 2;
		} else {
			errno = EINVAL;
			die("unknown option", argv[i]);
		}
		i += 2;
	}
	if (i + 1 >= argc) {
		errno = EINVAL;
		die("usage: medperf-sandbox-init [--uid UID --gid GID] -- COMMAND [ARGS...]", NULL);
	}
	if (drop && (drop != 3 || uid == 0)) {
		errno = EINVAL;
		die("--uid and --gid go together, and not as root", NULL);
	}
	if (drop)
		become(uid, gid);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		die("cannot set no_new_privs", NULL);
	execvp(argv[i + 1], argv + i + 1);
	die("cannot run", argv[i + 1]);
	return 127;
}
