/* common/certgen.c - in-memory certificates (EC P-256) and PEM files. */
#include "common/certgen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

EVP_PKEY *certgen_key(void)
{
  EVP_PKEY *k = EVP_EC_gen("P-256");
  ERR_clear_error();
  return k;
}

static int certgen_serial(X509 *x)
{
  unsigned char raw[16];
  int ok = 0;
  if (RAND_bytes(raw, sizeof(raw)) != 1)
    return 0;
  raw[0] &= 0x7f; /* positive */
  raw[0] |= 0x40; /* and never short */
  BIGNUM *bn = BN_bin2bn(raw, sizeof(raw), NULL);
  if (bn)
    ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
  BN_free(bn);
  return ok;
}

static int certgen_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, v3, nid, value);
  if (!ext)
    return 0;
  int ok = X509_add_ext(x, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

static GENERAL_NAME *certgen_general_name(const char *name)
{
  unsigned char ip[16];
  int iplen = 0;
  GENERAL_NAME *g = GENERAL_NAME_new();
  if (!g)
    return NULL;
  if (inet_pton(AF_INET, name, ip) == 1)
    iplen = 4;
  else if (inet_pton(AF_INET6, name, ip) == 1)
    iplen = 16;
  if (iplen) {
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    if (!os || ASN1_OCTET_STRING_set(os, ip, iplen) != 1) {
      ASN1_OCTET_STRING_free(os);
      GENERAL_NAME_free(g);
      return NULL;
    }
    GENERAL_NAME_set0_value(g, GEN_IPADD, os);
  } else {
    ASN1_IA5STRING *s = ASN1_IA5STRING_new();
    if (!s || ASN1_STRING_set(s, name, -1) != 1) {
      ASN1_IA5STRING_free(s);
      GENERAL_NAME_free(g);
      return NULL;
    }
    GENERAL_NAME_set0_value(g, GEN_DNS, s);
  }
  return g;
}

static int certgen_san(X509 *x, const char *const *san, size_t nsan, int critical)
{
  GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
  int ok = gens != NULL;
  for (size_t i = 0; ok && i < nsan; i++) {
    GENERAL_NAME *g = san[i] ? certgen_general_name(san[i]) : NULL;
    if (!g || !sk_GENERAL_NAME_push(gens, g)) {
      GENERAL_NAME_free(g);
      ok = 0;
    }
  }
  if (ok)
    ok = X509_add1_ext_i2d(x, NID_subject_alt_name, gens, critical, X509V3_ADD_DEFAULT) == 1;
  GENERAL_NAMES_free(gens);
  return ok;
}

X509 *certgen_issue(EVP_PKEY *key, const char *cn, const char *const *san, size_t nsan,
                    time_t not_before, time_t not_after, X509 *issuer_cert, EVP_PKEY *issuer_key,
                    int is_ca)
{
  X509V3_CTX v3;
  if (!key || (nsan && !san) || (issuer_cert && !issuer_key))
    return NULL;
  if (issuer_cert && X509_check_private_key(issuer_cert, issuer_key) != 1) {
    ERR_clear_error();
    return NULL;
  }
  X509 *x = X509_new();
  X509_NAME *subj = X509_NAME_new();
  int ok = x && subj;
  ok = ok && X509_set_version(x, X509_VERSION_3) == 1;
  ok = ok && certgen_serial(x);
  ok = ok && ASN1_TIME_set(X509_getm_notBefore(x), not_before) != NULL;
  ok = ok && ASN1_TIME_set(X509_getm_notAfter(x), not_after) != NULL;
  ok = ok && X509_set_pubkey(x, key) == 1;
  if (ok && cn)
    ok = X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                    0) == 1;
  ok = ok && X509_set_subject_name(x, subj) == 1;
  ok = ok && X509_set_issuer_name(x, issuer_cert ? X509_get_subject_name(issuer_cert) : subj) == 1;
  if (ok) {
    X509V3_set_ctx(&v3, issuer_cert ? issuer_cert : x, x, NULL, NULL, 0);
    ok = certgen_ext(x, &v3, NID_basic_constraints, is_ca ? "critical,CA:TRUE" : "CA:FALSE");
    ok = ok && certgen_ext(x, &v3, NID_key_usage,
                           is_ca ? "critical,keyCertSign,cRLSign,digitalSignature"
                                 : "critical,digitalSignature,keyEncipherment");
    if (!is_ca)
      ok = ok && certgen_ext(x, &v3, NID_ext_key_usage, "serverAuth,clientAuth");
    ok = ok && certgen_ext(x, &v3, NID_subject_key_identifier, "hash");
    ok = ok && certgen_ext(x, &v3, NID_authority_key_identifier, "keyid:always");
    if (ok && nsan)
      ok = certgen_san(x, san, nsan, cn == NULL);
  }
  ok = ok && X509_sign(x, issuer_cert ? issuer_key : key, EVP_sha256()) > 0;
  X509_NAME_free(subj);
  ERR_clear_error();
  if (!ok) {
    X509_free(x);
    return NULL;
  }
  return x;
}

static void certgen_openssl_reason(char *buf, size_t cap)
{
  unsigned long e = ERR_peek_error();
  const char *r = e ? ERR_reason_error_string(e) : NULL;
  snprintf(buf, cap, "%s", r ? r : "unknown error");
  ERR_clear_error();
}

int certgen_write_pem(const char *path, X509 *cert, EVP_PKEY *key, char *err, size_t errcap)
{
  char why[160];
  char *data = NULL;
  if (!path || (!cert && !key)) {
    snprintf(err, errcap, "nothing to write");
    return -1;
  }
  ERR_clear_error();
  BIO *mem = BIO_new(BIO_s_mem());
  int ok = mem != NULL;
  if (ok && cert)
    ok = PEM_write_bio_X509(mem, cert) == 1;
  if (ok && key)
    ok = PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0, NULL, NULL) == 1;
  if (!ok) {
    certgen_openssl_reason(why, sizeof(why));
    snprintf(err, errcap, "cannot encode PEM for %s: %s", path, why);
    BIO_free(mem);
    return -1;
  }
  long len = BIO_get_mem_data(mem, &data);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, key ? 0600 : 0644);
  if (fd < 0) {
    snprintf(err, errcap, "cannot create %s: %s", path, strerror(errno));
    BIO_free(mem);
    return -1;
  }
  if (key && fchmod(fd, 0600) != 0) {
    snprintf(err, errcap, "cannot restrict %s to its owner: %s", path, strerror(errno));
    close(fd);
    BIO_free(mem);
    return -1;
  }
  for (long off = 0; off < len;) {
    ssize_t w = write(fd, data + off, (size_t)(len - off));
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      snprintf(err, errcap, "cannot write %s: %s", path, w < 0 ? strerror(errno) : "short write");
      close(fd);
      BIO_free(mem);
      return -1;
    }
    off += w;
  }
  BIO_free(mem);
  if (close(fd) != 0) {
    snprintf(err, errcap, "cannot write %s: %s", path, strerror(errno));
    return -1;
  }
  return 0;
}

/* No pass phrase: an encrypted key fails to load instead of prompting. */
static int certgen_no_password(char *buf, int size, int rwflag, void *u)
{
  return -1;
}

static BIO *certgen_open(const char *path, char *err, size_t errcap)
{
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(err, errcap, "cannot open %s: %s", path, strerror(errno));
    return NULL;
  }
  BIO *b = BIO_new_fp(f, BIO_CLOSE);
  if (!b) {
    fclose(f);
    snprintf(err, errcap, "cannot read %s: out of memory", path);
  }
  return b;
}

int certgen_load_pem(const char *cert_file, const char *key_file, X509 **cert, EVP_PKEY **key,
                     char *err, size_t errcap)
{
  const char *kf = key_file ? key_file : cert_file;
  X509 *x = NULL;
  EVP_PKEY *k = NULL;
  BIO *b;

  if (!cert_file || !cert || !key) {
    snprintf(err, errcap, "no certificate file given");
    return -1;
  }
  ERR_clear_error();
  if (!(b = certgen_open(cert_file, err, errcap)))
    return -1;
  x = PEM_read_bio_X509(b, NULL, certgen_no_password, NULL);
  BIO_free(b);
  if (!x) {
    ERR_clear_error();
    snprintf(err, errcap, "no PEM certificate in %s", cert_file);
    return -1;
  }
  if (!(b = certgen_open(kf, err, errcap))) {
    X509_free(x);
    return -1;
  }
  k = PEM_read_bio_PrivateKey(b, NULL, certgen_no_password, NULL);
  BIO_free(b);
  if (!k) {
    ERR_clear_error();
    snprintf(err, errcap, "no PEM private key in %s (an encrypted key is not supported)", kf);
    X509_free(x);
    return -1;
  }
  if (X509_check_private_key(x, k) != 1) {
    ERR_clear_error();
    snprintf(err, errcap, "the private key in %s does not match the certificate in %s", kf,
             cert_file);
    X509_free(x);
    EVP_PKEY_free(k);
    return -1;
  }
  *cert = x;
  *key = k;
  return 0;
}
