/* tlsgen.c: a self-signed X.509 certificate with OpenSSL (see tlsgen.h). */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "core/pkey.h"
#include "server/tlsgen.h"

static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (ext == NULL)
		return 0;
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return 1;
}

int tls_selfsigned(const char *cert_path, const char *key_path, const char *san, int days,
		   mp_errbuf *e)
{
	EVP_PKEY *k = pkey_generate_p256(e);
	X509 *x = NULL;
	X509_NAME *name;
	BIO *bio = NULL;
	ASN1_INTEGER *serial;
	unsigned char rnd[16];
	BIGNUM *bn = NULL;
	char *data;
	long n;
	int rc = MP_ECRYPTO;

	if (k == NULL)
		return MP_ECRYPTO;
	x = X509_new();
	if (x == NULL || RAND_bytes(rnd, sizeof(rnd)) != 1)
		goto out;
	rnd[0] &= 0x7f;
	bn = BN_bin2bn(rnd, sizeof(rnd), NULL);
	serial = X509_get_serialNumber(x);
	if (bn == NULL || BN_to_ASN1_INTEGER(bn, serial) == NULL)
		goto out;
	X509_set_version(x, 2);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400);
	X509_set_pubkey(x, k);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"MedPerf", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(x, name);
	if (!add_ext(x, NID_basic_constraints, "critical,CA:TRUE") ||
	    !add_ext(x, NID_key_usage, "critical,digitalSignature,keyCertSign") ||
	    !add_ext(x, NID_ext_key_usage, "serverAuth") ||
	    !add_ext(x, NID_subject_key_identifier, "hash") ||
	    !add_ext(x, NID_authority_key_identifier, "keyid:always") ||
	    !add_ext(x, NID_subject_alt_name, san)) {
		mp_seterr(e, MP_EINVAL, "bad subject alternative names '%s'", san);
		rc = MP_EINVAL;
		goto out;
	}
	if (!X509_sign(x, k, EVP_sha256()))
		goto out;
	bio = BIO_new(BIO_s_mem());
	if (bio == NULL || !PEM_write_bio_X509(bio, x))
		goto out;
	n = BIO_get_mem_data(bio, &data);
	rc = pkey_write_private(key_path, k, e);
	if (rc == 0)
		rc = file_write_atomic(cert_path, data, (size_t)n, 0644, e);
out:
	if (rc == MP_ECRYPTO) {
		const char *why = ERR_reason_error_string(ERR_get_error());
		mp_seterr(e, rc, "cannot make the TLS certificate: %s", why ? why : "unknown");
	}
	ERR_clear_error();
	BN_free(bn);
	BIO_free(bio);
	X509_free(x);
	EVP_PKEY_free(k);
	return rc;
}
