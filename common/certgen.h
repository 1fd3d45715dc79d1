/* common/certgen.h - certificates made in memory, and PEM files in and out.
 *
 * For tests (a CA, a leaf with chosen names and dates), listen mode and the demo (a
 * throw-away server certificate), and `ucscan listen --cert FILE --key FILE`.
 * Keys are EC P-256: fast to make, accepted by every TLS version.
 */
#ifndef UC_CERTGEN_H
#define UC_CERTGEN_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <time.h>

/* A new EC P-256 key, or NULL. Free with EVP_PKEY_free. */
EVP_PKEY *certgen_key(void);

/* A new X.509 v3 certificate for `key`, signed with SHA-256 by issuer_key (issuer_cert's
 * subject becomes the issuer), or self-signed by `key` when issuer_cert is NULL.
 *   cn        subject CN, or NULL for an empty subject (the SAN is then critical);
 *   san       nsan names: an IPv4 or IPv6 literal becomes an IP SAN, anything else a
 *             DNS SAN as given (wildcards included); no SAN extension when nsan is 0;
 *   not_before, not_after   validity (any time_t, past and future alike);
 *   is_ca     CA:TRUE, keyCertSign and cRLSign; otherwise CA:FALSE, digitalSignature and
 *             keyEncipherment, extended key usage serverAuth and clientAuth.
 * Random 127-bit serial, subject and authority key identifiers. Returns NULL on bad
 * arguments (no key, issuer_cert without issuer_key or with a key that does not match)
 * or failure. Free with X509_free. */
X509 *certgen_issue(EVP_PKEY *key, const char *cn, const char *const *san, size_t nsan,
                    time_t not_before, time_t not_after, X509 *issuer_cert, EVP_PKEY *issuer_key,
                    int is_ca);

/* Writes `cert` and/or `key` (either may be NULL, not both) as PEM to `path`, replacing it:
 * the certificate first, then the unencrypted PKCS#8 key. A file that receives a key is
 * created with mode 0600. Returns 0, or -1 with a message in err. */
int certgen_write_pem(const char *path, X509 *cert, EVP_PKEY *key, char *err, size_t errcap);

/* Loads the first certificate of cert_file and the private key of key_file (or of
 * cert_file when key_file is NULL), both PEM, and checks that they belong together.
 * On success returns 0 and new references in *cert and *key; otherwise -1, nothing
 * returned, and err says which file and what, e.g.
 *   "cannot open /etc/x.pem: No such file or directory"
 *   "no PEM certificate in key.pem"
 *   "no PEM private key in cert.pem (an encrypted key is not supported)"
 *   "the private key in key.pem does not match the certificate in cert.pem" */
int certgen_load_pem(const char *cert_file, const char *key_file, X509 **cert, EVP_PKEY **key,
                     char *err, size_t errcap);

#endif
