/*
 * evaluate.c: brainseg-evaluate, the entry point of the brain segmentation
 * example's evaluator container. It runs medperf-metrics evaluate (the
 * evaluator itself) with its results going to a file in the task's private
 * /tmp, and then writes them, in place, into the task's output file:
 *
 *   brainseg-evaluate --output_path FILE -- PROGRAM ARGS...
 *
 * runs PROGRAM ARGS... --output_path $TMPDIR/brainseg-XXXXXX/results.yaml.
 *
 * Why: MedPerf mounts the evaluate task's output_path as one file, inside a
 * folder that is read-only in the sandbox and in the image. medperf-metrics
 * writes atomically (a temporary file beside the target, renamed over it),
 * which such a mount cannot take: the folder is read-only, and a mount point
 * cannot be renamed over. This program is not needed once it can.
 *
 * Exit status: the program's (128 + N when a signal N ended it); the output
 * file is written only when the program exited 0. 2: usage; 1: the results
 * could not be copied.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROG "brainseg-evaluate"

static int copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		fprintf(stderr, PROG ": '%s': %s\n", from, strerror(errno));
		return 1;
	}
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		fprintf(stderr, PROG ": '%s': %s\n", to, strerror(errno));
		close(in);
		return 1;
	}
	char buf[65536];
	int rc = 0;
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = 1;
			break;
		}
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(out, buf + done, (size_t)(n - done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				rc = 1;
				break;
			}
			done += w;
		}
		if (rc)
			break;
	}
	if (close(out) != 0)
		rc = 1;
	close(in);
	if (rc)
		fprintf(stderr, PROG ": cannot write '%s': %s\n", to, strerror(errno));
	return rc;
}

/* Runs argv (NULL-terminated); returns its exit status, 128 + N for a signal. */
static int run(char **argv)
{
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, PROG ": fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		execv(argv[0], argv);
		fprintf(stderr, PROG ": cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	const char *output = NULL;
	int i = 1;
	if (i + 1 < argc && (strcmp(argv[i], "--output_path") == 0 ||
			     strcmp(argv[i], "--output-path") == 0)) {
		output = argv[i + 1];
		i += 2;
	}
	if (output == NULL || i + 1 >= argc || strcmp(argv[i], "--") != 0) {
		fprintf(stderr, "usage: " PROG " --output_path FILE -- PROGRAM ARGS...\n");
		return 2;
	}
	i++;
	const char *tmp = getenv("TMPDIR");
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/brainseg-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, PROG ": cannot make a folder in '%s': %s\n",
			tmp && *tmp ? tmp : "/tmp", strerror(errno));
		return 1;
	}
	char results[4200];
	snprintf(results, sizeof(results), "%s/results.yaml", dir);
	int n = argc - i;
	char **cmd = calloc((size_t)n + 3, sizeof(char *));
	if (cmd == NULL) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}
	for (int k = 0; k < n; k++)
		cmd[k] = argv[i + k];
	cmd[n] = "--output_path";
	cmd[n + 1] = results;
	int rc = run(cmd);
	if (rc == 0)
		rc = copy_file(results, output);
	unlink(results);
	rmdir(dir);
	free(cmd);
	return rc;
}
