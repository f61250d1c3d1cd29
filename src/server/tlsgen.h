/* tlsgen.h: the self-signed TLS certificate `medperf-server init` makes. */
#ifndef MP_SERVER_TLSGEN_H
#define MP_SERVER_TLSGEN_H

#include "core/err.h"

/*
 * Writes a P-256 key (0600) and a self-signed certificate valid for days,
 * for the names in san (a comma-separated list like
 * "DNS:localhost,IP:127.0.0.1,IP:::1").
 */
int tls_selfsigned(const char *cert_path, const char *key_path, const char *san, int days,
		   mp_errbuf *e);

#endif
