/* pkey.c: key generation, PEM I/O and JWKS parsing over OpenSSL 3 (see pkey.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "core/b64.h"
#include "core/buf.h"
#include "core/jwt.h"
#include "core/pkey.h"

static int ossl_err(mp_errbuf *e, const char *what)
{
	unsigned long code = ERR_get_error();
	char msg[160] = "no detail";

	if (code)
		ERR_error_string_n(code, msg, sizeof(msg));
	ERR_clear_error();
	return mp_seterr(e, MP_ECRYPTO, "%s: %s", what, msg);
}

EVP_PKEY *pkey_generate_rsa(int bits, mp_errbuf *e)
{
	EVP_PKEY *k = EVP_RSA_gen((unsigned)bits);

	if (k == NULL)
		ossl_err(e, "generating an RSA key");
	return k;
}

EVP_PKEY *pkey_generate_p256(mp_errbuf *e)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	if (k == NULL)
		ossl_err(e, "generating a P-256 key");
	return k;
}

int file_write_atomic(const char *path, const void *data, size_t len, int mode, mp_errbuf *e)
{
	struct buf tmp;
	int fd = -1, rc = MP_EIO;
	const char *p = data;

	buf_init(&tmp, 4096);
	if (buf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid()))
		return mp_seterr(e, MP_ETOOBIG, "path too long: '%s'", path);
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		mp_seterr(e, MP_EIO, "cannot create '%s': %s", tmp.data, strerror(errno));
		goto out;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			mp_seterr(e, MP_EIO, "cannot write '%s': %s", tmp.data, strerror(errno));
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) != 0) {
		mp_seterr(e, MP_EIO, "cannot write '%s': %s", tmp.data, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		mp_seterr(e, MP_EIO, "cannot write '%s': %s", tmp.data, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp.data, path) != 0) {
		mp_seterr(e, MP_EIO, "cannot rename to '%s': %s", path, strerror(errno));
		goto out;
	}
	rc = MP_OK;
out:
	if (fd >= 0)
		close(fd);
	if (rc)
		unlink(tmp.data);
	buf_release(&tmp);
	return rc;
}

int file_read_all(const char *path, size_t max, char **out, size_t *len, mp_errbuf *e)
{
	struct buf b;
	char chunk[16384];
	int fd, rc = MP_OK;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mp_seterr(e, MP_EIO, "cannot open '%s': %s", path, strerror(errno));
	buf_init(&b, max);
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = mp_seterr(e, MP_EIO, "cannot read '%s': %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (buf_add(&b, chunk, (size_t)n)) {
			rc = mp_seterr(e, MP_ETOOBIG, "'%s' is larger than %zu bytes", path, max);
			break;
		}
	}
	close(fd);
	if (rc) {
		buf_release(&b);
		return rc;
	}
	*out = buf_detach(&b, len);
	return *out ? MP_OK : MP_ENOMEM;
}

static int write_bio(const char *path, BIO *bio, int mode, mp_errbuf *e)
{
	char *data;
	long n = BIO_get_mem_data(bio, &data);

	return file_write_atomic(path, data, (size_t)n, mode, e);
}

int pkey_write_private(const char *path, EVP_PKEY *k, mp_errbuf *e)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int rc;

	if (bio == NULL)
		return MP_ENOMEM;
	if (!PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL))
		rc = ossl_err(e, "encoding a private key");
	else
		rc = write_bio(path, bio, 0600, e);
	BIO_free(bio);
	return rc;
}

int pkey_write_public(const char *path, EVP_PKEY *k, mp_errbuf *e)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int rc;

	if (bio == NULL)
		return MP_ENOMEM;
	if (!PEM_write_bio_PUBKEY(bio, k))
		rc = ossl_err(e, "encoding a public key");
	else
		rc = write_bio(path, bio, 0644, e);
	BIO_free(bio);
	return rc;
}

EVP_PKEY *pkey_read_private(const char *path, mp_errbuf *e)
{
	char *text;
	size_t len;
	BIO *bio;
	EVP_PKEY *k = NULL;

	if (file_read_all(path, 1 << 20, &text, &len, e))
		return NULL;
	bio = BIO_new_mem_buf(text, (int)len);
	if (bio)
		k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (k == NULL)
		ossl_err(e, "reading a private key");
	BIO_free(bio);
	explicit_bzero(text, len);
	free(text);
	return k;
}

EVP_PKEY *pkey_public_from_pem(const char *pem, size_t len, mp_errbuf *e)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *k = NULL;
	X509 *x;

	if (bio == NULL)
		return NULL;
	/* pem need not be NUL-terminated: search only its len bytes */
	if (memmem(pem, len, "-----BEGIN CERTIFICATE-----", 27)) {
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		if (x) {
			k = X509_get_pubkey(x);
			X509_free(x);
		}
	} else {
		k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	}
	if (k == NULL)
		ossl_err(e, "reading a public key");
	BIO_free(bio);
	return k;
}

EVP_PKEY *pkey_read_public(const char *path, mp_errbuf *e)
{
	char *text;
	size_t len;
	EVP_PKEY *k;

	if (file_read_all(path, 1 << 20, &text, &len, e))
		return NULL;
	k = pkey_public_from_pem(text, len, e);
	if (k == NULL)
		mp_seterr(e, MP_ECRYPTO, "'%s' holds no PEM public key or certificate", path);
	free(text);
	return k;
}

static BIGNUM *b64_bn(const char *s)
{
	struct buf raw;
	BIGNUM *bn = NULL;

	buf_init(&raw, 8192);
	if (s && b64url_decode(&raw, s, strlen(s)) == 0 && raw.len > 0)
		bn = BN_bin2bn((const unsigned char *)raw.data, (int)raw.len, NULL);
	buf_release(&raw);
	return bn;
}

static EVP_PKEY *rsa_from_ne(BIGNUM *n, BIGNUM *e_)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *k = NULL;

	if (bld == NULL || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e_))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) <= 0)
		goto out;
	if (EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) <= 0)
		k = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return k;
}

int pkey_read_jwks(const char *text, size_t len, struct jwt_key **keys, size_t *nkeys,
		   mp_errbuf *e)
{
	json_error_t jerr;
	json_t *doc, *arr, *jk;
	struct jwt_key *out = NULL;
	size_t i, n = 0;
	int rc = MP_OK;

	*keys = NULL;
	*nkeys = 0;
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		return mp_seterr(e, MP_EINVAL, "JWKS is not valid JSON: %s (line %d)", jerr.text,
				 jerr.line);
	arr = json_object_get(doc, "keys");
	if (!json_is_array(arr)) {
		rc = mp_seterr(e, MP_EINVAL, "JWKS has no \"keys\" array");
		goto out;
	}
	out = calloc(json_array_size(arr) + 1, sizeof(*out));
	if (out == NULL) {
		rc = MP_ENOMEM;
		goto out;
	}
	json_array_foreach(arr, i, jk) {
		const char *kty = json_string_value(json_object_get(jk, "kty"));
		const char *use = json_string_value(json_object_get(jk, "use"));
		const char *alg = json_string_value(json_object_get(jk, "alg"));
		const char *kid = json_string_value(json_object_get(jk, "kid"));
		BIGNUM *bn_n, *bn_e;
		EVP_PKEY *k;

		if (kty == NULL || strcmp(kty, "RSA") != 0)
			continue;
		if ((use && strcmp(use, "sig") != 0) || (alg && strcmp(alg, "RS256") != 0))
			continue;
		bn_n = b64_bn(json_string_value(json_object_get(jk, "n")));
		bn_e = b64_bn(json_string_value(json_object_get(jk, "e")));
		k = (bn_n && bn_e) ? rsa_from_ne(bn_n, bn_e) : NULL;
		BN_free(bn_n);
		BN_free(bn_e);
		if (k == NULL) {
			rc = mp_seterr(e, MP_EINVAL, "JWKS key %zu is not a valid RSA key", i);
			goto out;
		}
		if (EVP_PKEY_get_bits(k) < 2048) {
			EVP_PKEY_free(k);
			rc = mp_seterr(e, MP_EINVAL, "JWKS key %zu is shorter than 2048 bits", i);
			goto out;
		}
		out[n].pkey = k;
		out[n].kid = kid ? strdup(kid) : NULL;
		n++;
	}
	if (n == 0)
		rc = mp_seterr(e, MP_EINVAL, "JWKS holds no RSA signing key");
out:
	json_decref(doc);
	if (rc) {
		jwt_keys_free(out, n);
		return rc;
	}
	*keys = out;
	*nkeys = n;
	return MP_OK;
}

int pkey_fingerprint(EVP_PKEY *k, char out[65])
{
	unsigned char *der = NULL, md[32];
	int n = i2d_PUBKEY(k, &der);

	if (n <= 0)
		return MP_ECRYPTO;
	SHA256(der, (size_t)n, md);
	OPENSSL_free(der);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return MP_OK;
}
