/*
 * seccomp.c: the system-call filter of native tasks (libseccomp, exported
 * as BPF for bwrap --seccomp). Everything is allowed but what lets a task
 * reach the network, other processes, the kernel's configuration, new
 * namespaces or mounts: those calls fail with EPERM (ENOSYS for clone3 and
 * io_uring, so that libraries fall back to the calls we can inspect).
 * System calls of other architectures (32-bit x86 on x86-64) kill the task.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "runner/sandbox.h"

const char *const sandbox_refused_syscalls[] = {
	/* other processes */
	"ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp",
	/* mounts and namespaces */
	"mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "mount_setattr",
	"fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
	/* the kernel and the machine */
	"bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key",
	"init_module", "finit_module", "delete_module", "reboot", "kexec_load",
	"kexec_file_load", "swapon", "swapoff", "acct", "quotactl", "syslog", "iopl", "ioperm",
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "sethostname",
	"setdomainname", "vhangup", "uselib", "lookup_dcookie", "nfsservctl",
	"open_by_handle_at", "name_to_handle_at", "fanotify_init",
	NULL,
};

/* Refused with ENOSYS: their arguments live in memory, beyond the filter's sight. */
static const char *const nosys[] = {
	"clone3", "io_uring_setup", "io_uring_enter", "io_uring_register", NULL,
};

static const unsigned long namespace_flags[] = {
	CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWPID, CLONE_NEWIPC, CLONE_NEWUTS,
	CLONE_NEWCGROUP,
};

static int refuse(scmp_filter_ctx ctx, const char *name, int err)
{
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return 0; /* not a call of this architecture */
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(err), nr, 0);
}

int sandbox_seccomp_fd(mp_errbuf *e)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int fd = -1, rc = 0;

	if (ctx == NULL)
		return mp_seterr(e, MP_ENOMEM, "seccomp: cannot make a filter");
	/* other architectures' system calls kill (the default for a foreign arch) */
	rc |= seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	for (const char *const *n = sandbox_refused_syscalls; *n; n++)
		rc |= refuse(ctx, *n, EPERM);
	for (const char *const *n = nosys; *n; n++)
		rc |= refuse(ctx, *n, ENOSYS);
	/* sockets: local ones only */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1,
			       SCMP_A0(SCMP_CMP_NE, AF_UNIX));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socketpair), 1,
			       SCMP_A0(SCMP_CMP_NE, AF_UNIX));
	/* clone: no new namespaces */
	for (size_t i = 0; i < sizeof(namespace_flags) / sizeof(namespace_flags[0]); i++)
		rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
				       SCMP_A0(SCMP_CMP_MASKED_EQ, namespace_flags[i],
					       namespace_flags[i]));
	/* no typing into the terminal of someone else */
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
			       SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI));
	rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
			       SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX));
	if (rc != 0) {
		seccomp_release(ctx);
		return mp_seterr(e, MP_EINVAL, "seccomp: cannot add the rules");
	}
	fd = memfd_create("medperf-seccomp", MFD_CLOEXEC);
	if (fd < 0 || seccomp_export_bpf(ctx, fd) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
		rc = mp_seterr(e, MP_EIO, "seccomp: cannot export the filter: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		seccomp_release(ctx);
		return rc;
	}
	seccomp_release(ctx);
	return fd;
}
