/* tests/fuzz/tools/gen_tls_seeds.c - writes the seed corpus of fuzz_tls: what real TLS servers
 * (our own tls_server_ctx_new, in memory) send to ucscan's client, byte for byte.
 *
 * They are data cases (tests/data/tls/<name>/input, tests/data/README.md), which fuzz_tls
 * reads as seeds and test_tls checks against their expect files.
 *
 * Not part of the build. From the source directory, with a normal build in build/:
 *   cc -D_GNU_SOURCE -I. tests/fuzz/tools/gen_tls_seeds.c build/libuc_probes.a \
 *      build/libuc_common.a $(pkg-config --libs openssl jansson libuv) -lm -o /tmp/gen_tls_seeds
 *   /tmp/gen_tls_seeds tests/data/tls
 *   UC_REGEN=1 UC_SOURCE_DIR=$PWD build/test_tls     # their expect files (review the diff)
 *
 * The seeds differ from run to run (keys, randoms): regenerate only when the corpus needs
 * new shapes, and keep them small. */
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "common/certgen.h"
#include "probes/tls.h"

static uint8_t stream[65536];
static size_t stream_len;

static void move(struct tls_conn *from, struct tls_conn *to, int record, size_t *moved)
{
  uint8_t buf[16384];
  size_t n;
  while ((n = tls_conn_drain(from, buf, sizeof(buf))) > 0) {
    if (record && stream_len + n <= sizeof(stream)) {
      memcpy(stream + stream_len, buf, n);
      stream_len += n;
    }
    tls_conn_feed(to, buf, n);
    *moved += n;
  }
}

/* Runs a handshake between our client and a server on sctx; records the server's bytes. */
static void run(SSL_CTX *sctx, const char *dir, const char *name)
{
  char err[256], path[512];
  if (!sctx) {
    fprintf(stderr, "%s: no server context\n", name);
    exit(1);
  }
  SSL_CTX *cctx = tls_client_ctx_new(NULL, err, sizeof(err));
  struct tls_conn *c = tls_conn_new(cctx, 0, "fe01.contoso.test");
  struct tls_conn *s = tls_conn_new(sctx, 1, NULL);
  stream_len = 0;
  for (int round = 0; round < 20; round++) {
    size_t moved = 0;
    tls_conn_handshake(c);
    move(c, s, 0, &moved);
    tls_conn_handshake(s);
    move(s, c, 1, &moved);
    if (!moved)
      break;
  }
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  mkdir(path, 0755); /* the case directory (it may exist) */
  snprintf(path, sizeof(path), "%s/%s/input", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(stream, 1, stream_len, f) != stream_len || fclose(f) != 0) {
    perror(path);
    exit(1);
  }
  printf("%s: %zu bytes (client: %s)\n", path, stream_len, tls_conn_error(c));
  tls_conn_free(c);
  tls_conn_free(s);
  SSL_CTX_free(cctx);
}

int main(int argc, char **argv)
{
  char err[256];
  const char *dir = argc > 1 ? argv[1] : ".";
  time_t now = time(NULL);
  const char *san[] = {"fe01.contoso.test", "*.contoso.test", "198.18.0.2"};
  EVP_PKEY *ec = certgen_key();
  EVP_PKEY *rsa = EVP_RSA_gen(2048);
  X509 *ec_cert =
      certgen_issue(ec, "fe01.contoso.test", san, 3, now - 86400, now + 86400 * 365, NULL, NULL, 0);
  X509 *old_cert =
      certgen_issue(ec, NULL, san + 1, 1, now - 86400 * 60, now - 86400 * 30, NULL, NULL, 0);
  X509 *rsa_cert =
      certgen_issue(rsa, "sip.contoso.test", NULL, 0, now - 86400, now + 86400 * 10, NULL, NULL, 0);
  if (!ec || !rsa || !ec_cert || !old_cert || !rsa_cert) {
    fprintf(stderr, "cannot make keys and certificates\n");
    return 1;
  }

  /* TLS 1.3, the default: ServerHello, then encrypted records */
  SSL_CTX *s = tls_server_ctx_new(ec_cert, ec, TLS_CLIENT_CERT_NONE, err, sizeof(err));
  run(s, dir, "tls13-hello");
  SSL_CTX_free(s);

  /* TLS 1.2 ECDHE: ServerHello, Certificate (expired, SAN only), ServerKeyExchange, Done */
  s = tls_server_ctx_new(old_cert, ec, TLS_CLIENT_CERT_NONE, err, sizeof(err));
  SSL_CTX_set_max_proto_version(s, TLS1_2_VERSION);
  run(s, dir, "tls12-ecdhe-expired");
  SSL_CTX_free(s);

  /* TLS 1.2 static RSA, client certificate required: the flight has no signature over the
   * randoms, so the client gets as far as the server's refusal (alert 40) */
  s = tls_server_ctx_new(rsa_cert, rsa, TLS_CLIENT_CERT_REQUIRE, err, sizeof(err));
  if (!s)
    fprintf(stderr, "%s\n", err);
  SSL_CTX_set_max_proto_version(s, TLS1_2_VERSION);
  SSL_CTX_set_cipher_list(s, "AES128-GCM-SHA256:@SECLEVEL=0");
  SSL_CTX_set_security_level(s, 0);
  run(s, dir, "tls12-rsa-certreq-alert");
  SSL_CTX_free(s);

  /* TLS 1.0 static RSA */
  s = tls_server_ctx_new(rsa_cert, rsa, TLS_CLIENT_CERT_REQUEST, err, sizeof(err));
  SSL_CTX_set_min_proto_version(s, TLS1_VERSION);
  SSL_CTX_set_max_proto_version(s, TLS1_VERSION);
  SSL_CTX_set_cipher_list(s, "AES128-SHA:@SECLEVEL=0");
  SSL_CTX_set_security_level(s, 0);
  run(s, dir, "tls10-rsa-certreq");
  SSL_CTX_free(s);

  X509_free(ec_cert);
  X509_free(old_cert);
  X509_free(rsa_cert);
  EVP_PKEY_free(ec);
  EVP_PKEY_free(rsa);
  return 0;
}
