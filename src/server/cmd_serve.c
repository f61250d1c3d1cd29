/*
 * cmd_serve.c: `medperf-server serve`: loads the data directory, migrates
 * the database, and serves the API until SIGINT or SIGTERM, then stops
 * gracefully (requests in flight finish).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/pkey.h"
#include "http/http.h"
#include "server/cmds.h"
#include "server/dispatch.h"
#include "server/server.h"

static const char serve_usage[] =
	"usage: medperf-server serve --data-dir DIR [--listen ADDR:PORT] [--threads N]\n"
	"                            [--insecure-http] [--port-file FILE] [--access-log FILE]\n"
	"\n"
	"Serves the MedPerf API v0 over HTTPS with the data directory's certificate.\n"
	"Stops on SIGINT or SIGTERM after the requests in flight have finished.\n"
	"\n"
	"options:\n"
	"  --data-dir DIR       data directory made by 'init' (or $MEDPERF_SERVER_DATA_DIR)\n"
	"  --listen ADDR:PORT   address to listen on (default from config.json; port 0 picks\n"
	"                       a free port); IPv6 as [::1]:8000\n"
	"  --threads N          worker threads (default from config.json)\n"
	"  --insecure-http      plain HTTP instead of HTTPS; only on a loopback address\n"
	"  --port-file FILE     write the port listened on to FILE once ready\n"
	"  --access-log FILE    append access-log lines to FILE ('-' for stderr, the default;\n"
	"                       'none' to disable)\n"
	"  -h, --help           show this help\n";

/*
 * The checkpointer: commits only append to the WAL; this thread copies
 * them into the database file every CHECKPOINT_MS, so that no request
 * pays for a checkpoint (and its fsync) on its own time.
 */
#define CHECKPOINT_MS 250

struct checkpointer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stop;
	struct store *st;
};

static void *checkpoint_loop(void *arg)
{
	struct checkpointer *c = arg;
	struct timespec until;

	pthread_mutex_lock(&c->mu);
	while (!c->stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += CHECKPOINT_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&c->cv, &c->mu, &until);
		if (c->stop)
			break;
		pthread_mutex_unlock(&c->mu);
		store_checkpoint(c->st, 0, NULL);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

static int checkpointer_start(struct checkpointer *c, const struct store_opts *o)
{
	mp_errbuf e;

	memset(c, 0, sizeof(*c));
	if (store_open(o, &c->st, &e)) {
		fprintf(stderr, "medperf-server serve: %s\n", e.msg);
		return -1;
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (pthread_create(&c->thread, NULL, checkpoint_loop, c) != 0) {
		store_close(c->st);
		c->st = NULL;
		return -1;
	}
	return 0;
}

/* Stops the thread and leaves an empty WAL behind. */
static void checkpointer_stop(struct checkpointer *c)
{
	if (c->st == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	c->stop = 1;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	store_checkpoint(c->st, 1, NULL);
	store_close(c->st);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	c->st = NULL;
}

static int write_port_file(const char *path, uint16_t port)
{
	char text[16];
	mp_errbuf e;
	int n = snprintf(text, sizeof(text), "%u\n", (unsigned)port);

	if (file_write_atomic(path, text, (size_t)n, 0644, &e)) {
		fprintf(stderr, "medperf-server serve: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static int migrate(struct server *srv)
{
	struct store *st;
	mp_errbuf e;
	int from = 0, to = 0, rc;

	rc = store_open(&srv->sopts, &st, &e);
	if (rc == 0) {
		rc = store_migrate(st, &from, &to, &e);
		store_close(st);
	}
	if (rc) {
		fprintf(stderr, "medperf-server serve: %s\n", e.msg);
		return -1;
	}
	if (from != to)
		fprintf(stderr, "medperf-server: migrated the database from schema %d to %d\n",
			from, to);
	return 0;
}

static char *read_pem(const char *dir, const char *name)
{
	char *path = cfg_path(dir, name), *text = NULL;
	size_t len;
	mp_errbuf e;

	if (path && file_read_all(path, 1 << 20, &text, &len, &e))
		fprintf(stderr, "medperf-server serve: %s\n", e.msg);
	free(path);
	return text;
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{"data-dir", required_argument, NULL, 'd'},
		{"listen", required_argument, NULL, 'l'},
		{"threads", required_argument, NULL, 't'},
		{"insecure-http", no_argument, NULL, 'i'},
		{"port-file", required_argument, NULL, 'p'},
		{"access-log", required_argument, NULL, 'a'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *dir_opt = NULL, *listen = NULL, *port_file = NULL, *log = "-", *dir;
	char *cert = NULL, *key = NULL, *end;
	long threads = 0;
	int insecure = 0, c, sig, rc = 1, log_fd = 2;
	struct server srv;
	struct http_server *hs = NULL;
	struct http_opts ho;
	struct checkpointer ckpt = {0};
	sigset_t set;
	mp_errbuf e;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': dir_opt = optarg; break;
		case 'l': listen = optarg; break;
		case 't':
			threads = strtol(optarg, &end, 10);
			if (*end || threads < 1 || threads > 256) {
				fprintf(stderr, "medperf-server serve: --threads must be 1 to 256\n");
				return 2;
			}
			break;
		case 'i': insecure = 1; break;
		case 'p': port_file = optarg; break;
		case 'a': log = optarg; break;
		case 'h': fputs(serve_usage, stdout); return 0;
		default: fputs(serve_usage, stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "medperf-server serve: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	dir = cmd_data_dir(dir_opt);
	if (dir == NULL)
		return 2;
	memset(&srv, 0, sizeof(srv));
	if (cfg_load(dir, &srv.cfg, &e)) {
		fprintf(stderr, "medperf-server serve: %s\n", e.msg);
		return 1;
	}
	if (listen) {
		free(srv.cfg.listen_addr);
		srv.cfg.listen_addr = NULL;
		if (cfg_parse_listen(listen, &srv.cfg.listen_addr, &srv.cfg.port, &e)) {
			fprintf(stderr, "medperf-server serve: %s\n", e.msg);
			rc = 2;
			goto out;
		}
	}
	if (threads)
		srv.cfg.threads = (int)threads;
	if (insecure && !http_addr_is_loopback(srv.cfg.listen_addr)) {
		fprintf(stderr, "medperf-server serve: --insecure-http is allowed only on a "
			"loopback address, not '%s'\n", srv.cfg.listen_addr);
		rc = 2;
		goto out;
	}
	if (strcmp(log, "none") == 0) {
		log_fd = -1;
	} else if (strcmp(log, "-") != 0) {
		log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (log_fd < 0) {
			fprintf(stderr, "medperf-server serve: cannot open '%s': %s\n", log,
				strerror(errno));
			goto out;
		}
	}
	srv.db_path = cfg_path(dir, CFG_DB);
	srv.sopts.path = srv.db_path;
	srv.sopts.sync_full = srv.cfg.sync_full;
	srv.sopts.busy_ms = 10000;
	srv.sopts.no_autocheckpoint = 1;
	if (srv.db_path == NULL || migrate(&srv) || dispatch_init(&srv) ||
	    checkpointer_start(&ckpt, &srv.sopts))
		goto out;
	if (!insecure) {
		cert = read_pem(dir, CFG_TLS_CERT);
		key = read_pem(dir, CFG_TLS_KEY);
		if (cert == NULL || key == NULL)
			goto out;
	}
	/* workers inherit a mask with the stop signals blocked; main waits for them */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	memset(&ho, 0, sizeof(ho));
	ho.addr = srv.cfg.listen_addr;
	ho.port = srv.cfg.port;
	ho.threads = srv.cfg.threads;
	ho.tls_cert_pem = cert;
	ho.tls_key_pem = key;
	ho.conn_limit = srv.cfg.conn_limit;
	ho.conn_timeout_s = srv.cfg.conn_timeout_s;
	ho.max_body = srv.cfg.max_body;
	ho.access_log_fd = log_fd;
	ho.handler = dispatch;
	ho.app = &srv;
	if (http_start(&ho, &hs, &e)) {
		fprintf(stderr, "medperf-server serve: %s\n", e.msg);
		goto out;
	}
	fprintf(stderr, "medperf-server: serving %s://%s%s%s:%u/ (%d threads, data %s)\n",
		insecure ? "http" : "https", strchr(ho.addr, ':') ? "[" : "", ho.addr,
		strchr(ho.addr, ':') ? "]" : "", (unsigned)http_port(hs), ho.threads, dir);
	if (port_file && write_port_file(port_file, http_port(hs))) {
		http_stop(hs, 0);
		goto out;
	}
	do {
		sig = 0;
		if (sigwait(&set, &sig) != 0)
			break;
	} while (sig != SIGINT && sig != SIGTERM);
	fprintf(stderr, "medperf-server: %s received, finishing requests in flight\n",
		sig == SIGINT ? "SIGINT" : "SIGTERM");
	http_stop(hs, 10000);
	fprintf(stderr, "medperf-server: stopped\n");
	rc = 0;
out:
	checkpointer_stop(&ckpt);
	if (log_fd > 2)
		close(log_fd);
	if (key) {
		explicit_bzero(key, strlen(key));
		free(key);
	}
	free(cert);
	free(srv.db_path);
	cfg_release(&srv.cfg);
	return rc;
}
