/* bc_evaluate.c: bc-evaluate, the breast-cancer evaluator's entry point: runs
 * medperf-metrics evaluate with its results going to a file in the task's /tmp, then
 * copies them, in place, into the task's output file.
 *
 *   bc-evaluate --from TMP_FILE --to OUTPUT_FILE -- PROGRAM ARGS...
 *
 * Why: MedPerf mounts the evaluate task's output_path as a single file, in a folder
 * that is read-only in the sandbox and the image; medperf-metrics writes its results
 * atomically (a temporary file beside the target, renamed over it), which such a mount
 * cannot take. The exit status is the program's (128 + N for a signal N); the output
 * file is written only when the program exited 0. */
#include "bc_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const char *from = NULL, *to = NULL;
	int i = 1;
	bc_set_prog("bc-evaluate");
	for (; i < argc && strcmp(argv[i], "--") != 0; i += 2) {
		if (i + 1 >= argc)
			bc_usage_die("option '%s' needs a value", argv[i]);
		if (strcmp(argv[i], "--from") == 0)
			from = argv[i + 1];
		else if (strcmp(argv[i], "--to") == 0)
			to = argv[i + 1];
		else
			bc_usage_die("unknown option '%s' (usage: bc-evaluate --from TMP_FILE --to "
				     "OUTPUT_FILE -- PROGRAM ARGS...)", argv[i]);
	}
	if (!from || !to || i + 1 >= argc)
		bc_usage_die("usage: bc-evaluate --from TMP_FILE --to OUTPUT_FILE -- PROGRAM ARGS...");
	char **cmd = argv + i + 1;

	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		bc_die("cannot start %s: %s", cmd[0], strerror(errno));
	if (pid == 0) {
		execv(cmd[0], cmd);
		fprintf(stderr, "bc-evaluate: cannot run %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			bc_die("waiting for %s: %s", cmd[0], strerror(errno));
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	if (WEXITSTATUS(status) != 0)
		return WEXITSTATUS(status);

	/* the results, copied whole into the mounted file */
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		bc_die("%s exited 0 but wrote no %s: %s", cmd[0], from, strerror(errno));
	struct bc_buf b = {0};
	char chunk[65536];
	for (;;) {
		ssize_t r = read(in, chunk, sizeof(chunk) - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			bc_die("%s: cannot read: %s", from, strerror(errno));
		if (r == 0)
			break;
		chunk[r] = '\0';
		if (memchr(chunk, '\0', (size_t)r))
			bc_die("%s: binary data, not the results YAML", from);
		bc_buf_add(&b, chunk);
	}
	close(in);
	if (b.len == 0)
		bc_die("%s is empty", from);
	bc_write_in_place(to, &b);
	bc_buf_free(&b);
	return 0;
}
