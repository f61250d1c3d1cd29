/*
 * pkey.h: key material for tokens: generate, read and write PEM files, and
 * read RSA public keys from a JWKS document. Thin wrappers over OpenSSL 3.
 * Every returned EVP_PKEY is owned by the caller (EVP_PKEY_free).
 */
#ifndef MP_PKEY_H
#define MP_PKEY_H

#include <openssl/evp.h>

#include "core/err.h"

struct jwt_key;

EVP_PKEY *pkey_generate_rsa(int bits, mp_errbuf *e);
EVP_PKEY *pkey_generate_p256(mp_errbuf *e);
/* Writes atomically (temp file + rename) with mode 0600 / 0644. */
int pkey_write_private(const char *path, EVP_PKEY *k, mp_errbuf *e);
int pkey_write_public(const char *path, EVP_PKEY *k, mp_errbuf *e);
EVP_PKEY *pkey_read_private(const char *path, mp_errbuf *e);
/* Reads a PUBLIC KEY (SPKI) PEM, or the public half of a certificate PEM. */
EVP_PKEY *pkey_read_public(const char *path, mp_errbuf *e);
EVP_PKEY *pkey_public_from_pem(const char *pem, size_t len, mp_errbuf *e);
/*
 * Reads the RSA keys of a JWKS document ({"keys":[{"kty":"RSA","n":..,"e":..}]}).
 * On success *keys is a calloc'd array of *nkeys entries (free with
 * jwt_keys_free). Keys of other types are skipped; none usable is an error.
 */
int pkey_read_jwks(const char *text, size_t len, struct jwt_key **keys, size_t *nkeys,
		   mp_errbuf *e);
/* Lowercase hex SHA-256 of the DER public key (a key id); out has 65 bytes. */
int pkey_fingerprint(EVP_PKEY *k, char out[65]);
/* Writes data to path atomically with the given mode. */
int file_write_atomic(const char *path, const void *data, size_t len, int mode, mp_errbuf *e);
/* Reads a whole file of at most max bytes (NUL-terminated; caller frees). */
int file_read_all(const char *path, size_t max, char **out, size_t *len, mp_errbuf *e);

#endif
