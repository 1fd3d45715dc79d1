/* tests/unit/test_cert.c - RFC 6125 name matching, certificate evidence, certgen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <openssl/err.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/certgen.h"
#include "probes/cert.h"

static time_t utc(int y, int mo, int d, int h)
{
  struct tm tm;
  memset(&tm, 0, sizeof(tm));
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  return timegm(&tm);
}

#define NOW utc(2026, 11, 21, 0)

/* ---- cert_name_matches ---- */

static void test_name_matches_table(void **state)
{
  static const struct {
    const char *pattern, *host;
    int want;
  } cases[] = {
      /* exact names */
      {"fe01.contoso.test", "fe01.contoso.test", 1},
      {"FE01.Contoso.TEST", "fe01.contoso.test", 1},
      {"fe01.contoso.test", "FE01.CONTOSO.TEST", 1},
      {"fe01.contoso.test.", "fe01.contoso.test", 1},
      {"fe01.contoso.test", "fe01.contoso.test.", 1},
      {"fe01.contoso.test.", "fe01.contoso.test.", 1},
      {"fe01.contoso.test", "fe02.contoso.test", 0},
      {"fe01.contoso.test", "fe01.contoso.test.evil", 0},
      {"fe01.contoso.test", "xfe01.contoso.test", 0},
      {"contoso.test", "fe01.contoso.test", 0},
      {"localhost", "localhost", 1},
      {"_sip._tls.contoso.test", "_sip._tls.contoso.test", 1},
      {"xn--bcher-kva.contoso.test", "XN--BCHER-KVA.contoso.test", 1},
      /* wildcards: whole left-most label, exactly one label */
      {"*.contoso.test", "fe01.contoso.test", 1},
      {"*.CONTOSO.test", "Fe01.contoso.TEST", 1},
      {"*.contoso.test.", "fe01.contoso.test", 1},
      {"*.contoso.test", "fe01.contoso.test.", 1},
      {"*.contoso.test", "a.b.contoso.test", 0},
      {"*.contoso.test", "contoso.test", 0},
      {"*.contoso.test", ".contoso.test", 0},
      {"*.contoso.test", "fe01.fabrikam.test", 0},
      {"*.contoso.test", "fe01.contoso.test.evil", 0},
      {"*.a.b.c.test", "x.a.b.c.test", 1},
      {"*.xn--mnchen-3ya.test", "fe01.xn--mnchen-3ya.test", 1},
      {"*.contoso.test", "xn--bcher-kva.contoso.test", 1}, /* whole-label '*' for an A-label */
      /* fewer than two labels after the wildcard */
      {"*.test", "contoso.test", 0},
      {"*.", "test.", 0},
      {"*", "localhost", 0},
      /* partial wildcards and wildcards elsewhere */
      {"f*.contoso.test", "fe01.contoso.test", 0},
      {"*01.contoso.test", "fe01.contoso.test", 0},
      {"fe*1.contoso.test", "fe01.contoso.test", 0},
      {"xn--*.contoso.test", "xn--bcher-kva.contoso.test", 0},
      {"fe01.*.test", "fe01.contoso.test", 0},
      {"*.*.test", "fe01.contoso.test", 0},
      {"**.contoso.test", "fe01.contoso.test", 0},
      {"*.contoso.*", "fe01.contoso.test", 0},
      /* the reference name is never a pattern */
      {"*.contoso.test", "*.contoso.test", 0},
      {"fe01.contoso.test", "*.contoso.test", 0},
      /* IP literals match IP SANs only */
      {"198.18.1.11", "198.18.1.11", 0},
      {"*.18.1.11", "198.18.1.11", 0},
      {"2001:db8::1", "2001:db8::1", 0},
      /* malformed names */
      {"", "fe01.contoso.test", 0},
      {"fe01.contoso.test", "", 0},
      {".", ".", 0},
      {"fe01..contoso.test", "fe01..contoso.test", 0},
      {".contoso.test", ".contoso.test", 0},
      {"fe01.contoso.test..", "fe01.contoso.test.", 0},
      {"fe01 .contoso.test", "fe01 .contoso.test", 0},
      {"fe01.contoso.test\xc3\xa9", "fe01.contoso.test\xc3\xa9", 0},
      {"fe01.contoso.test\t", "fe01.contoso.test\t", 0},
      {NULL, "fe01.contoso.test", 0},
      {"fe01.contoso.test", NULL, 0},
  };
  int failures = 0;
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    int got = cert_name_matches(cases[i].pattern, cases[i].host);
    if (got != cases[i].want) {
      print_error("case %zu: cert_name_matches(\"%s\", \"%s\") = %d, want %d\n", i,
                  cases[i].pattern ? cases[i].pattern : "(null)",
                  cases[i].host ? cases[i].host : "(null)", got, cases[i].want);
      failures++;
    }
  }
  assert_true(sizeof(cases) / sizeof(cases[0]) >= 30);
  assert_int_equal(failures, 0);
}

static void test_name_too_long(void **state)
{
  char host[400], pattern[400];
  /* 63-byte labels up to ~300 bytes: longer than any DNS name, never matched. */
  size_t n = 0;
  while (n + 64 < sizeof(host) - 10) {
    memset(host + n, 'a', 63);
    host[n + 63] = '.';
    n += 64;
  }
  snprintf(host + n, sizeof(host) - n, "test");
  snprintf(pattern, sizeof(pattern), "%s", host);
  assert_true(strlen(host) > 255);
  assert_int_equal(cert_name_matches(pattern, host), 0);
  /* A 253-byte name is fine. */
  memset(host, 'a', 249);
  memcpy(host + 249, ".com", 5);
  for (size_t i = 63; i < 249; i += 64)
    host[i] = '.';
  assert_int_equal(strlen(host), 253);
  assert_int_equal(cert_name_matches(host, host), 1);
}

static void test_ip_literal(void **state)
{
  unsigned char ip[16];
  size_t len = 0;
  assert_int_equal(cert_ip_literal("198.18.1.11", ip, &len), 1);
  assert_int_equal(len, 4);
  assert_memory_equal(ip, "\xc6\x12\x01\x0b", 4);
  assert_int_equal(cert_ip_literal("2001:db8::11", ip, &len), 1);
  assert_int_equal(len, 16);
  assert_int_equal(ip[15], 0x11);
  assert_int_equal(cert_ip_literal("::ffff:198.18.1.11", NULL, NULL), 1);
  assert_int_equal(cert_ip_literal("fe01.contoso.test", ip, &len), 0);
  assert_int_equal(cert_ip_literal("198.18.1", ip, &len), 0);
  assert_int_equal(cert_ip_literal("198.18.1.11.", ip, &len), 0);
  assert_int_equal(cert_ip_literal("[2001:db8::11]", ip, &len), 0);
  assert_int_equal(cert_ip_literal("", ip, &len), 0);
  assert_int_equal(cert_ip_literal(NULL, ip, &len), 0);
}

/* ---- fixtures ---- */

struct fx {
  EVP_PKEY *key;
  char dir[64];
};

static int group_setup(void **state)
{
  struct fx *f = calloc(1, sizeof(*f));
  if (!f)
    return -1;
  f->key = certgen_key();
  snprintf(f->dir, sizeof(f->dir), "/tmp/ucscan-cert-XXXXXX");
  if (!f->key || !mkdtemp(f->dir))
    return -1;
  *state = f;
  return 0;
}

static const char *const tmp_files[] = {"both.pem",  "cert.pem", "key.pem",
                                        "empty.pem", "enc.pem",  "other.pem"};

static int group_teardown(void **state)
{
  struct fx *f = *state;
  char path[128];
  for (size_t i = 0; i < sizeof(tmp_files) / sizeof(tmp_files[0]); i++) {
    snprintf(path, sizeof(path), "%s/%s", f->dir, tmp_files[i]);
    unlink(path);
  }
  rmdir(f->dir);
  EVP_PKEY_free(f->key);
  free(f);
  return 0;
}

static X509 *mk(struct fx *f, const char *cn, const char *const *san, size_t nsan)
{
  X509 *x =
      certgen_issue(f->key, cn, san, nsan, utc(2025, 1, 1, 0), utc(2027, 4, 5, 0), NULL, NULL, 0);
  assert_non_null(x);
  return x;
}

/* Replaces the subject (the signature no longer matters to these tests). */
static void set_subject(X509 *x, const char *const *fields, size_t n)
{
  X509_NAME *nm = X509_NAME_new();
  assert_non_null(nm);
  for (size_t i = 0; i + 1 < n; i += 2)
    assert_int_equal(X509_NAME_add_entry_by_txt(nm, fields[i], MBSTRING_UTF8,
                                                (const unsigned char *)fields[i + 1], -1, -1, 0),
                     1);
  assert_int_equal(X509_set_subject_name(x, nm), 1);
  X509_NAME_free(nm);
}

/* Adds a DNS SAN with exact bytes (embedded NUL, control bytes). */
static void add_raw_dns_san(X509 *x, const char *bytes, int len)
{
  GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
  GENERAL_NAME *g = GENERAL_NAME_new();
  ASN1_IA5STRING *s = ASN1_IA5STRING_new();
  assert_non_null(gens);
  assert_non_null(g);
  assert_non_null(s);
  assert_int_equal(ASN1_STRING_set(s, bytes, len), 1);
  GENERAL_NAME_set0_value(g, GEN_DNS, s);
  assert_true(sk_GENERAL_NAME_push(gens, g) > 0);
  assert_int_equal(X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_REPLACE), 1);
  GENERAL_NAMES_free(gens);
}

/* ---- cert_matches_any ---- */

static void test_matches_any(void **state)
{
  struct fx *f = *state;
  static const char *const san[] = {"fe01.contoso.test", "198.18.1.11", "2001:db8::11"};
  X509 *x = mk(f, "ignored.contoso.test", san, 3);
  assert_int_equal(cert_matches_any(x, "fe01.contoso.test", NULL), 1);
  assert_int_equal(cert_matches_any(x, "FE01.contoso.test.", NULL), 1);
  assert_int_equal(cert_matches_any(x, "nope.contoso.test", "fe01.contoso.test"), 1);
  assert_int_equal(cert_matches_any(x, NULL, "fe01.contoso.test"), 1);
  assert_int_equal(cert_matches_any(x, "198.18.1.11", NULL), 1);
  assert_int_equal(cert_matches_any(x, "2001:db8::11", NULL), 1);
  assert_int_equal(cert_matches_any(x, "2001:0db8:0000::0011", NULL), 1);
  assert_int_equal(cert_matches_any(x, "198.18.1.12", NULL), 0);
  assert_int_equal(cert_matches_any(x, "::ffff:198.18.1.11", NULL), 0);   /* 16 bytes vs 4 */
  assert_int_equal(cert_matches_any(x, "ignored.contoso.test", NULL), 0); /* CN: has DNS SAN */
  assert_int_equal(cert_matches_any(x, NULL, NULL), 0);
  assert_int_equal(cert_matches_any(x, "", ""), 0);
  assert_int_equal(cert_matches_any(NULL, "fe01.contoso.test", NULL), 0);
  X509_free(x);
}

static void test_matches_ip_not_by_text(void **state)
{
  struct fx *f = *state;
  static const char *const san[] = {"fe01.contoso.test"};
  /* An IP written as a DNS SAN or as the CN never matches an IP host. */
  X509 *x = mk(f, "198.18.1.11", san, 1);
  add_raw_dns_san(x, "198.18.1.11", -1);
  assert_int_equal(cert_matches_any(x, "198.18.1.11", NULL), 0);
  X509_free(x);
  x = mk(f, "198.18.1.11", NULL, 0);
  assert_int_equal(cert_matches_any(x, "198.18.1.11", NULL), 0);
  X509_free(x);
}

static void test_matches_cn_rules(void **state)
{
  struct fx *f = *state;
  static const char *const ip_only[] = {"198.18.1.11"};
  /* Only an IP SAN: no DNS SAN, so the CN speaks for names. */
  X509 *x = mk(f, "fe01.contoso.test", ip_only, 1);
  assert_int_equal(cert_matches_any(x, "fe01.contoso.test", NULL), 1);
  assert_int_equal(cert_matches_any(x, "198.18.1.11", NULL), 1);
  X509_free(x);

  /* Several CNs: each is a candidate; other attributes never are. */
  x = mk(f, "x", NULL, 0);
  static const char *const subj[] = {
      "C", "US", "O", "fe02.contoso.test", "CN", "fe01.contoso.test", "CN", "*.pool.contoso.test"};
  set_subject(x, subj, 8);
  assert_int_equal(cert_matches_any(x, "fe01.contoso.test", NULL), 1);
  assert_int_equal(cert_matches_any(x, "a.pool.contoso.test", NULL), 1);
  assert_int_equal(cert_matches_any(x, "fe02.contoso.test", NULL), 0);
  X509_free(x);

  /* No names at all. */
  x = mk(f, NULL, NULL, 0);
  assert_int_equal(cert_matches_any(x, "fe01.contoso.test", "pool.contoso.test"), 0);
  X509_free(x);
}

/* A subjectAltName present but undecodable: no match, and the CN does not stand in. */
static void test_matches_broken_san(void **state)
{
  struct fx *f = *state;
  static const char *const san[] = {"other.contoso.test"};
  X509 *x = mk(f, "fe01.contoso.test", san, 1);
  int idx = X509_get_ext_by_NID(x, NID_subject_alt_name, -1);
  assert_true(idx >= 0);
  static const unsigned char junk[] = {0x30, 0x7f, 0x82, 0x01};
  assert_int_equal(
      ASN1_OCTET_STRING_set(X509_EXTENSION_get_data(X509_get_ext(x, idx)), junk, (int)sizeof(junk)),
      1);
  assert_int_equal(cert_matches_any(x, "fe01.contoso.test", NULL), 0);
  assert_int_equal(ERR_peek_error(), 0); /* the error queue stays empty */
  char names[256] = "";
  cert_names_text(x, names, sizeof(names));
  assert_non_null(strstr(names, "undecodable subjectAltName"));
  assert_null(strstr(names, "fe01"));
  X509_free(x);
}

static void test_matches_embedded_nul(void **state)
{
  struct fx *f = *state;
  X509 *x = mk(f, "x", NULL, 0);
  static const char evil[] = "fe01.contoso.test\0.evil.test";
  add_raw_dns_san(x, evil, (int)sizeof(evil) - 1);
  assert_int_equal(cert_matches_any(x, "fe01.contoso.test", NULL), 0);
  char names[128];
  cert_names_text(x, names, sizeof(names));
  assert_string_equal(names, "fe01.contoso.test?.evil.test");
  X509_free(x);
}

/* ---- times and text ---- */

static void test_time_iso(void **state)
{
  char buf[32];
  time_t t = 0;
  ASN1_TIME *a = ASN1_TIME_new();
  assert_non_null(a);
  assert_int_equal(ASN1_TIME_set_string(a, "250101000000Z"), 1); /* UTCTime */
  assert_int_equal(cert_time_iso(a, buf, sizeof(buf)), 0);
  assert_string_equal(buf, "2025-01-01T00:00:00Z");
  assert_int_equal(cert_time_epoch(a, &t), 0);
  assert_int_equal(t, utc(2025, 1, 1, 0));

  assert_int_equal(ASN1_TIME_set_string(a, "20510630235959Z"), 1); /* GeneralizedTime */
  assert_int_equal(cert_time_iso(a, buf, sizeof(buf)), 0);
  assert_string_equal(buf, "2051-06-30T23:59:59Z");

  assert_int_equal(ASN1_TIME_set_string(a, "491231235959Z"), 1); /* UTCTime: 2049 */
  assert_int_equal(cert_time_iso(a, buf, sizeof(buf)), 0);
  assert_string_equal(buf, "2049-12-31T23:59:59Z");
  assert_int_equal(ASN1_TIME_set_string(a, "500101000000Z"), 1); /* UTCTime: 1950 */
  assert_int_equal(cert_time_iso(a, buf, sizeof(buf)), 0);
  assert_string_equal(buf, "1950-01-01T00:00:00Z");

  assert_int_equal(cert_time_iso(a, buf, 10), -1); /* too small */
  assert_string_equal(buf, "");
  assert_int_equal(cert_time_iso(NULL, buf, sizeof(buf)), -1);
  assert_string_equal(buf, "");
  assert_int_equal(cert_time_epoch(NULL, &t), -1);

  /* Garbage content in a time field. */
  assert_int_equal(ASN1_STRING_set(a, "not a time", -1), 1);
  assert_int_equal(cert_time_iso(a, buf, sizeof(buf)), -1);
  assert_int_equal(cert_time_epoch(a, &t), -1);
  ASN1_TIME_free(a);
}

static void test_names_text(void **state)
{
  struct fx *f = *state;
  char buf[128];
  static const char *const six[] = {"a.test", "b.test", "198.18.1.1", "d.test", "e.test", "f.test"};
  X509 *x = mk(f, "cn.test", six, 6);
  cert_names_text(x, buf, sizeof(buf));
  assert_string_equal(buf, "a.test, b.test, 198.18.1.1, d.test and 2 more");
  cert_names_text(x, buf, 12);
  assert_string_equal(buf, "a.test, b.t");
  X509_free(x);

  x = mk(f, "cn.test", NULL, 0);
  cert_names_text(x, buf, sizeof(buf));
  assert_string_equal(buf, "cn.test");
  X509_free(x);

  x = mk(f, NULL, NULL, 0);
  cert_names_text(x, buf, sizeof(buf));
  assert_string_equal(buf, "(none)");
  X509_free(x);
  cert_names_text(NULL, buf, sizeof(buf));
  assert_string_equal(buf, "(none)");

  x = mk(f, "x", NULL, 0);
  add_raw_dns_san(x, "bad\x01name\x80.test", -1);
  cert_names_text(x, buf, sizeof(buf));
  assert_string_equal(buf, "bad?name?.test");
  X509_free(x);
}

static void test_reason_append(void **state)
{
  char buf[24] = "";
  cert_reason_append(buf, sizeof(buf), "one");
  assert_string_equal(buf, "one");
  cert_reason_append(buf, sizeof(buf), "");
  cert_reason_append(buf, sizeof(buf), NULL);
  assert_string_equal(buf, "one");
  cert_reason_append(buf, sizeof(buf), "two");
  assert_string_equal(buf, "one; two");
  cert_reason_append(buf, sizeof(buf), "three is too long");
  assert_string_equal(buf, "one; two; three is too ");
  cert_reason_append(buf, sizeof(buf), "four");
  assert_string_equal(buf, "one; two; three is too ");
  cert_reason_append(buf, 0, "x");
}

/* ---- cert_evidence ---- */

static void assert_json(json_t *got, const char *want_text)
{
  json_error_t jerr;
  json_t *want = json_loads(want_text, 0, &jerr);
  if (!want)
    print_error("bad expected JSON: %s\n", jerr.text);
  assert_non_null(want);
  if (!json_equal(got, want)) {
    char *g = got ? json_dumps(got, JSON_COMPACT) : NULL;
    print_error("got:  %s\nwant: %s\n", g ? g : "NULL", want_text);
    free(g);
    json_decref(want);
    fail();
  }
  json_decref(want);
}

static void test_evidence_rfc2253(void **state)
{
  struct fx *f = *state;
  char warn[256] = "";
  static const char *const san[] = {"fe01.contoso.test", "2001:db8::11"};
  X509 *x = mk(f, "x", san, 2);
  static const char *const subj[] = {"C",  "US",          "O",  "Contoso, Ltd",
                                     "OU", "Caf\xc3\xa9", "CN", "fe01.contoso.test"};
  set_subject(x, subj, 8);
  struct cert_judge j = {"fe01.contoso.test", NULL, NOW, 0};
  json_t *o = cert_evidence(x, &j, warn, sizeof(warn));
  /* Self-signed by certgen: the issuer is the original subject "CN=x". */
  assert_json(o, "{\"subject\": \"CN=fe01.contoso.test,OU=Caf\\\\C3\\\\A9,O=Contoso\\\\, Ltd,"
                 "C=US\", \"issuer\": \"CN=x\", \"san\": [\"fe01.contoso.test\","
                 " \"2001:db8::11\"], \"not_before\": \"2025-01-01T00:00:00Z\","
                 " \"not_after\": \"2027-04-05T00:00:00Z\", \"expired\": false,"
                 " \"name_match\": true}");
  assert_string_equal(warn, "");
  json_decref(o);
  X509_free(x);
}

static void test_evidence_days_left(void **state)
{
  struct fx *f = *state;
  char warn[256];
  static const char *const san[] = {"fe01.contoso.test"};
  /* Expires 1 day and 5 hours after NOW. */
  X509 *x = certgen_issue(f->key, "fe01.contoso.test", san, 1, utc(2026, 1, 1, 0),
                          utc(2026, 11, 22, 5), NULL, NULL, 0);
  assert_non_null(x);
  struct cert_judge j = {"fe01.contoso.test", "pool.contoso.test", NOW, 30};
  warn[0] = '\0';
  json_t *o = cert_evidence(x, &j, warn, sizeof(warn));
  assert_string_equal(warn, "certificate expires 2026-11-22 (1 day left)");
  assert_int_equal(json_integer_value(json_object_get(o, "days_left")), 1);
  json_decref(o);

  /* Hours before the end: 0 days left, still valid. */
  j.now = utc(2026, 11, 22, 1);
  warn[0] = '\0';
  o = cert_evidence(x, &j, warn, sizeof(warn));
  assert_string_equal(warn, "certificate expires 2026-11-22 (0 days left)");
  assert_true(json_is_false(json_object_get(o, "expired")));
  json_decref(o);

  /* At the very second of notAfter the certificate is still valid; one second later not. */
  j.now = utc(2026, 11, 22, 5);
  warn[0] = '\0';
  o = cert_evidence(x, &j, warn, sizeof(warn));
  assert_true(json_is_false(json_object_get(o, "expired")));
  json_decref(o);
  j.now++;
  warn[0] = '\0';
  o = cert_evidence(x, &j, warn, sizeof(warn));
  assert_true(json_is_true(json_object_get(o, "expired")));
  assert_null(json_object_get(o, "days_left"));
  assert_string_equal(warn, "certificate expired on 2026-11-22");
  json_decref(o);

  /* Appends after what the caller already has. */
  j.now = NOW;
  snprintf(warn, sizeof(warn), "earlier");
  o = cert_evidence(x, &j, warn, sizeof(warn));
  assert_string_equal(warn, "earlier; certificate expires 2026-11-22 (1 day left)");
  json_decref(o);

  assert_null(cert_evidence(NULL, &j, warn, sizeof(warn)));
  assert_null(cert_evidence(x, NULL, warn, sizeof(warn)));
  X509_free(x);
}

/* Issue 11: a certificate made for 10 days and scanned seconds later is due in 10 days, as its
 * date says; floor division of the seconds left said 9. Days count from today's date to the
 * expiry date (UTC), so the number always agrees with the date printed beside it. */
static void test_evidence_days_left_calendar(void **state)
{
  struct fx *f = *state;
  char warn[256];
  static const char *const san[] = {"fe01.contoso.test"};
  time_t made = utc(2026, 11, 21, 12);
  X509 *x =
      certgen_issue(f->key, "fe01.contoso.test", san, 1, made, made + 10 * 86400, NULL, NULL, 0);
  assert_non_null(x);
  struct cert_judge j = {"fe01.contoso.test", NULL, made + 5, 30};
  warn[0] = '\0';
  json_t *o = cert_evidence(x, &j, warn, sizeof(warn));
  assert_string_equal(warn, "certificate expires 2026-12-01 (10 days left)");
  assert_int_equal(json_integer_value(json_object_get(o, "days_left")), 10);
  json_decref(o);
  /* Late on the last day: it expires today, 0 days left. */
  j.now = made + 10 * 86400 - 3600;
  warn[0] = '\0';
  o = cert_evidence(x, &j, warn, sizeof(warn));
  assert_string_equal(warn, "certificate expires 2026-12-01 (0 days left)");
  json_decref(o);
  /* The warning threshold counts the same days: 10 left warns under 11, not under 10. */
  j.now = made + 5;
  j.warn_days = 10;
  warn[0] = '\0';
  o = cert_evidence(x, &j, warn, sizeof(warn));
  assert_string_equal(warn, "");
  assert_int_equal(json_integer_value(json_object_get(o, "days_left")), 10);
  json_decref(o);
  j.warn_days = 11;
  o = cert_evidence(x, &j, warn, sizeof(warn));
  assert_string_equal(warn, "certificate expires 2026-12-01 (10 days left)");
  json_decref(o);
  X509_free(x);
}

static void test_evidence_pool_only(void **state)
{
  struct fx *f = *state;
  char warn[256] = "";
  static const char *const san[] = {"fe01.other.test"};
  X509 *x = mk(f, "fe01.other.test", san, 1);
  struct cert_judge j = {NULL, "pool.contoso.test", NOW, 0};
  json_t *o = cert_evidence(x, &j, warn, sizeof(warn));
  assert_string_equal(warn, "certificate names fe01.other.test, not pool.contoso.test");
  assert_true(json_is_false(json_object_get(o, "name_match")));
  json_decref(o);
  X509_free(x);
}

/* ---- certgen ---- */

static void test_certgen_chain(void **state)
{
  struct fx *f = *state;
  EVP_PKEY *cak = certgen_key();
  assert_non_null(cak);
  X509 *ca = certgen_issue(cak, "Contoso Root CA", NULL, 0, utc(2024, 1, 1, 0), utc(2034, 1, 1, 0),
                           NULL, NULL, 1);
  static const char *const san[] = {"fe01.contoso.test", "198.18.1.11", "::1", "*.contoso.test"};
  X509 *x = certgen_issue(f->key, "fe01.contoso.test", san, 4, utc(2025, 1, 1, 0),
                          utc(2027, 1, 1, 0), ca, cak, 0);
  assert_non_null(ca);
  assert_non_null(x);
  assert_int_equal(X509_check_ca(ca), 1);
  assert_int_equal(X509_check_ca(x), 0);
  assert_int_equal(X509_check_issued(ca, x), X509_V_OK);
  assert_int_equal(X509_verify(x, cak), 1);
  assert_int_equal(X509_verify(ca, cak), 1);
  assert_int_equal(X509_check_purpose(x, X509_PURPOSE_SSL_SERVER, 0), 1);
  assert_int_equal(X509_check_purpose(x, X509_PURPOSE_SSL_CLIENT, 0), 1);
  assert_int_equal(X509_get_version(x), X509_VERSION_3);
  assert_true(ASN1_INTEGER_get(X509_get0_serialNumber(x)) != 0 ||
              X509_get0_serialNumber(x)->length > 8);
  assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(x), X509_get0_serialNumber(ca)), 0);

  /* SAN kinds. */
  GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
  assert_non_null(gens);
  assert_int_equal(sk_GENERAL_NAME_num(gens), 4);
  assert_int_equal(sk_GENERAL_NAME_value(gens, 0)->type, GEN_DNS);
  assert_int_equal(sk_GENERAL_NAME_value(gens, 1)->type, GEN_IPADD);
  assert_int_equal(ASN1_STRING_length(sk_GENERAL_NAME_value(gens, 1)->d.iPAddress), 4);
  assert_int_equal(sk_GENERAL_NAME_value(gens, 2)->type, GEN_IPADD);
  assert_int_equal(ASN1_STRING_length(sk_GENERAL_NAME_value(gens, 2)->d.iPAddress), 16);
  assert_int_equal(sk_GENERAL_NAME_value(gens, 3)->type, GEN_DNS);
  GENERAL_NAMES_free(gens);

  /* The chain verifies with the CA as the only trust anchor. */
  X509_STORE *st = X509_STORE_new();
  X509_STORE_CTX *sc = X509_STORE_CTX_new();
  assert_non_null(st);
  assert_non_null(sc);
  assert_int_equal(X509_STORE_add_cert(st, ca), 1);
  assert_int_equal(X509_STORE_CTX_init(sc, st, x, NULL), 1);
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(sc), NOW);
  X509_STORE_CTX_set_purpose(sc, X509_PURPOSE_SSL_SERVER);
  assert_int_equal(X509_verify_cert(sc), 1);
  X509_STORE_CTX_free(sc);
  X509_STORE_free(st);

  /* Evidence of the issued certificate. */
  char warn[64] = "";
  struct cert_judge j = {"198.18.1.11", NULL, NOW, 0};
  json_t *o = cert_evidence(x, &j, warn, sizeof(warn));
  assert_json(o, "{\"subject\": \"CN=fe01.contoso.test\", \"issuer\": \"CN=Contoso Root CA\","
                 " \"san\": [\"fe01.contoso.test\", \"198.18.1.11\", \"::1\","
                 " \"*.contoso.test\"], \"not_before\": \"2025-01-01T00:00:00Z\","
                 " \"not_after\": \"2027-01-01T00:00:00Z\", \"expired\": false,"
                 " \"name_match\": true}");
  json_decref(o);
  X509_free(x);
  X509_free(ca);
  EVP_PKEY_free(cak);
}

static void test_certgen_self_signed_and_san_only(void **state)
{
  struct fx *f = *state;
  static const char *const san[] = {"fe01.contoso.test"};
  X509 *x =
      certgen_issue(f->key, NULL, san, 1, utc(2025, 1, 1, 0), utc(2051, 1, 1, 0), NULL, NULL, 0);
  assert_non_null(x);
  assert_int_equal(X509_verify(x, f->key), 1);
  assert_int_equal(X509_NAME_entry_count(X509_get_subject_name(x)), 0);
  int crit = -1;
  GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
  assert_int_equal(crit, 1); /* empty subject: SAN is critical (RFC 5280 4.2.1.6) */
  GENERAL_NAMES_free(gens);
  /* After 2049: GeneralizedTime. */
  assert_int_equal(ASN1_STRING_type(X509_get0_notAfter(x)), V_ASN1_GENERALIZEDTIME);
  assert_int_equal(ASN1_STRING_type(X509_get0_notBefore(x)), V_ASN1_UTCTIME);
  char buf[32];
  assert_int_equal(cert_time_iso(X509_get0_notAfter(x), buf, sizeof(buf)), 0);
  assert_string_equal(buf, "2051-01-01T00:00:00Z");
  X509_free(x);
}

static void test_certgen_bad_arguments(void **state)
{
  struct fx *f = *state;
  EVP_PKEY *other = certgen_key();
  X509 *ca = certgen_issue(f->key, "CA", NULL, 0, 0, 86400, NULL, NULL, 1);
  assert_non_null(other);
  assert_non_null(ca);
  assert_null(certgen_issue(NULL, "x", NULL, 0, 0, 86400, NULL, NULL, 0));
  assert_null(certgen_issue(f->key, "x", NULL, 1, 0, 86400, NULL, NULL, 0)); /* nsan, no san */
  assert_null(certgen_issue(f->key, "x", NULL, 0, 0, 86400, ca, NULL, 0));   /* no issuer key */
  assert_null(certgen_issue(f->key, "x", NULL, 0, 0, 86400, ca, other, 0));  /* wrong key */
  static const char *const with_null[] = {"a.test", NULL};
  assert_null(certgen_issue(f->key, "x", with_null, 2, 0, 86400, NULL, NULL, 0));
  X509_free(ca);
  EVP_PKEY_free(other);
}

/* ---- PEM files ---- */

static void path_of(struct fx *f, const char *name, char *buf, size_t cap)
{
  snprintf(buf, cap, "%s/%s", f->dir, name);
}

/* A key file's Unix mode. Windows files have ACLs, not modes (the C library shows 0666 or
 * 0444): nothing to check there. */
static void assert_mode_0600(const struct stat *sb)
{
#ifdef _WIN32
  (void)sb;
#else
  assert_int_equal(sb->st_mode & 0777, 0600);
#endif
}

static void test_pem_round_trip(void **state)
{
  struct fx *f = *state;
  char both[128], cpath[128], kpath[128], err[256] = "";
  struct stat sb;
  static const char *const san[] = {"fe01.contoso.test"};
  X509 *x = mk(f, "fe01.contoso.test", san, 1), *got = NULL;
  EVP_PKEY *gotk = NULL;

  /* One file with both. */
  path_of(f, "both.pem", both, sizeof(both));
  assert_int_equal(certgen_write_pem(both, x, f->key, err, sizeof(err)), 0);
  assert_int_equal(stat(both, &sb), 0);
  assert_mode_0600(&sb);
  assert_int_equal(certgen_load_pem(both, NULL, &got, &gotk, err, sizeof(err)), 0);
  assert_int_equal(X509_cmp(x, got), 0);
  assert_int_equal(EVP_PKEY_eq(f->key, gotk), 1);
  X509_free(got);
  EVP_PKEY_free(gotk);

  /* Two files. A cert-only file is not forced to 0600. */
  path_of(f, "cert.pem", cpath, sizeof(cpath));
  path_of(f, "key.pem", kpath, sizeof(kpath));
  assert_int_equal(certgen_write_pem(cpath, x, NULL, err, sizeof(err)), 0);
  assert_int_equal(certgen_write_pem(kpath, NULL, f->key, err, sizeof(err)), 0);
  assert_int_equal(stat(kpath, &sb), 0);
  assert_mode_0600(&sb);
  got = NULL;
  gotk = NULL;
  assert_int_equal(certgen_load_pem(cpath, kpath, &got, &gotk, err, sizeof(err)), 0);
  assert_int_equal(X509_cmp(x, got), 0);
  assert_int_equal(EVP_PKEY_eq(f->key, gotk), 1);
  X509_free(got);
  EVP_PKEY_free(gotk);

  /* Rewriting an existing world-readable file with a key tightens it. */
  assert_int_equal(chmod(cpath, 0644), 0);
  assert_int_equal(certgen_write_pem(cpath, x, f->key, err, sizeof(err)), 0);
  assert_int_equal(stat(cpath, &sb), 0);
  assert_mode_0600(&sb);
  assert_int_equal(certgen_write_pem(cpath, x, NULL, err, sizeof(err)), 0); /* restore */

  FILE *fp = fopen(cpath, "r");
  char line[64];
  assert_non_null(fp);
  assert_non_null(fgets(line, sizeof(line), fp));
  fclose(fp);
  assert_string_equal(line, "-----BEGIN CERTIFICATE-----\n");
  X509_free(x);
}

static void test_pem_errors(void **state)
{
  struct fx *f = *state;
  char cpath[128], kpath[128], empty[128], enc[128], other[128], err[256], want[512];
  X509 *got = NULL;
  EVP_PKEY *gotk = NULL;
  static const char *const san[] = {"fe01.contoso.test"};
  X509 *x = mk(f, "fe01.contoso.test", san, 1);
  path_of(f, "cert.pem", cpath, sizeof(cpath));
  path_of(f, "key.pem", kpath, sizeof(kpath));
  path_of(f, "empty.pem", empty, sizeof(empty));
  path_of(f, "enc.pem", enc, sizeof(enc));
  path_of(f, "other.pem", other, sizeof(other));
  assert_int_equal(certgen_write_pem(cpath, x, NULL, err, sizeof(err)), 0);
  assert_int_equal(certgen_write_pem(kpath, NULL, f->key, err, sizeof(err)), 0);
  FILE *fp = fopen(empty, "w");
  assert_non_null(fp);
  fputs("hello\n", fp);
  fclose(fp);

  assert_int_equal(certgen_load_pem("/nonexistent/c.pem", kpath, &got, &gotk, err, sizeof(err)),
                   -1);
  assert_string_equal(err, "cannot open /nonexistent/c.pem: No such file or directory");
  assert_int_equal(certgen_load_pem(cpath, "/nonexistent/k.pem", &got, &gotk, err, sizeof(err)),
                   -1);
  assert_string_equal(err, "cannot open /nonexistent/k.pem: No such file or directory");

  assert_int_equal(certgen_load_pem(kpath, kpath, &got, &gotk, err, sizeof(err)), -1);
  snprintf(want, sizeof(want), "no PEM certificate in %s", kpath);
  assert_string_equal(err, want);
  assert_int_equal(certgen_load_pem(empty, kpath, &got, &gotk, err, sizeof(err)), -1);
  snprintf(want, sizeof(want), "no PEM certificate in %s", empty);
  assert_string_equal(err, want);

  assert_int_equal(certgen_load_pem(cpath, NULL, &got, &gotk, err, sizeof(err)), -1);
  snprintf(want, sizeof(want), "no PEM private key in %s (an encrypted key is not supported)",
           cpath);
  assert_string_equal(err, want);

  /* An encrypted key. */
  BIO *b = BIO_new_file(enc, "w");
  assert_non_null(b);
  assert_int_equal(PEM_write_bio_PrivateKey(b, f->key, EVP_aes_128_cbc(), (unsigned char *)"secret",
                                            6, NULL, NULL),
                   1);
  BIO_free(b);
  assert_int_equal(certgen_load_pem(cpath, enc, &got, &gotk, err, sizeof(err)), -1);
  snprintf(want, sizeof(want), "no PEM private key in %s (an encrypted key is not supported)", enc);
  assert_string_equal(err, want);

  /* A key that belongs to another certificate. */
  EVP_PKEY *k2 = certgen_key();
  assert_non_null(k2);
  assert_int_equal(certgen_write_pem(other, NULL, k2, err, sizeof(err)), 0);
  assert_int_equal(certgen_load_pem(cpath, other, &got, &gotk, err, sizeof(err)), -1);
  snprintf(want, sizeof(want), "the private key in %s does not match the certificate in %s", other,
           cpath);
  assert_string_equal(err, want);
  assert_null(got);
  assert_null(gotk);
  EVP_PKEY_free(k2);

  assert_int_equal(certgen_load_pem(NULL, NULL, &got, &gotk, err, sizeof(err)), -1);
  assert_string_equal(err, "no certificate file given");

  /* Writing. */
  assert_int_equal(certgen_write_pem("/nonexistent/dir/x.pem", x, NULL, err, sizeof(err)), -1);
  assert_string_equal(err, "cannot create /nonexistent/dir/x.pem: No such file or directory");
  assert_int_equal(certgen_write_pem(cpath, NULL, NULL, err, sizeof(err)), -1);
  assert_string_equal(err, "nothing to write");
  X509_free(x);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_name_matches_table),
      cmocka_unit_test(test_name_too_long),
      cmocka_unit_test(test_ip_literal),
      cmocka_unit_test(test_matches_any),
      cmocka_unit_test(test_matches_ip_not_by_text),
      cmocka_unit_test(test_matches_cn_rules),
      cmocka_unit_test(test_matches_embedded_nul),
      cmocka_unit_test(test_time_iso),
      cmocka_unit_test(test_names_text),
      cmocka_unit_test(test_reason_append),
      cmocka_unit_test(test_evidence_rfc2253),
      cmocka_unit_test(test_evidence_days_left),
      cmocka_unit_test(test_evidence_days_left_calendar),
      cmocka_unit_test(test_evidence_pool_only),
      cmocka_unit_test(test_certgen_chain),
      cmocka_unit_test(test_certgen_self_signed_and_san_only),
      cmocka_unit_test(test_certgen_bad_arguments),
      cmocka_unit_test(test_pem_round_trip),
      cmocka_unit_test(test_pem_errors),
      cmocka_unit_test(test_matches_broken_san),
  };
  int rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
  OPENSSL_cleanup();
  return rc;
}
