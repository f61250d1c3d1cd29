/*
 * hash_bin.c: the driver bench/hash times: prints the folder hash of its
 * paths (or with -f the file hash of one file) the way core/hash computes
 * it. Built by bench/hash against build/src/libmpcore.a; not installed and
 * not part of the project's build.
 *
 *   hash_bin [-t THREADS] PATH...     folder hash, then files and bytes read
 *   hash_bin -f FILE                  file hash
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/hash.h"

static int usage(void)
{
	fprintf(stderr, "usage: hash_bin [-t THREADS] PATH...\n       hash_bin -f FILE\n");
	return 2;
}

int main(int argc, char **argv)
{
	char out[HASH_HEX];
	struct hash_stats st;
	mp_errbuf e = { { 0 } };
	int file = 0, threads = 0, opt, rc;
	char *end;
	long v;

	while ((opt = getopt(argc, argv, "ft:")) != -1) {
		switch (opt) {
		case 'f':
			file = 1;
			break;
		case 't':
			v = strtol(optarg, &end, 10);
			if (end == optarg || *end != '\0' || v < 0 || v > 1024)
				return usage();
			threads = (int)v;
			break;
		default:
			return usage();
		}
	}
	if (optind >= argc || (file && argc - optind != 1))
		return usage();
	if (file)
		rc = hash_file(argv[optind], out, &e);
	else
		rc = hash_folders((const char *const *)(argv + optind), (size_t)(argc - optind),
				  threads, out, &st, &e);
	if (rc != MP_OK) {
		fprintf(stderr, "hash_bin: %s\n", e.msg[0] ? e.msg : mp_strerror(rc));
		return 1;
	}
	if (file)
		printf("%s\n", out);
	else
		printf("%s %llu %llu\n", out, (unsigned long long)st.files,
		       (unsigned long long)st.bytes);
	return 0;
}
