/*
 * replay.c: runs a fuzz target (LLVMFuzzerTestOneInput) over the files of
 * its corpus, so every normal build checks the targets against what the
 * fuzzer found (meson test --suite fuzz). The fuzzing itself is
 * scripts/fuzz (clang, libFuzzer).
 *
 *   replay-NAME FILE_OR_FOLDER...
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int one(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL) {
		perror(path);
		return 1;
	}
	do {
		if (len == cap) {
			uint8_t *d = realloc(data, cap = cap ? cap * 2 : 65536);
			if (d == NULL) {
				free(data);
				fclose(f);
				return 1;
			}
			data = d;
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

static int walk(const char *path, int *count)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (stat(path, &st) != 0) {
		perror(path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return one(path);
	}
	d = opendir(path);
	if (d == NULL) {
		perror(path);
		return 1;
	}
	while ((de = readdir(d)) != NULL && rc == 0) {
		char sub[4096];
		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		rc = walk(sub, count);
	}
	closedir(d);
	return rc;
}

int main(int argc, char **argv)
{
	int count = 0, rc = 0;

	for (int i = 1; i < argc && rc == 0; i++)
		rc = walk(argv[i], &count);
	printf("%d passed, %d failed\n", rc ? 0 : count, rc ? 1 : 0);
	return rc;
}
