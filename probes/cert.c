/* probes/cert.c - RFC 6125 name matching and certificate evidence. */
#include "probes/cert.h"

#include <arpa/inet.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define CERT_NAME_MAX 256 /* longest DNS name we look at (253 + dot + slack) */
#define CERT_NAMES_SHOWN 4
#define CERT_MSG_MAX 256

/* ---- name matching ---- */

static int cert_ldh(unsigned char ch)
{
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         ch == '-' || ch == '_';
}

/* A dotted name of non-empty labels of letters, digits, '-' and '_'. Returns its label
 * count, or 0 when it is not such a name. */
static int cert_dns_labels(const char *s, size_t len)
{
  int labels = 0;
  size_t run = 0;
  if (len == 0)
    return 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch == '.') {
      if (run == 0)
        return 0;
      labels++;
      run = 0;
    } else if (cert_ldh(ch)) {
      run++;
    } else {
      return 0;
    }
  }
  if (run == 0)
    return 0;
  return labels + 1;
}

int cert_ip_literal(const char *s, unsigned char out[16], size_t *outlen)
{
  unsigned char tmp[16];
  if (!s || !*s)
    return 0;
  if (inet_pton(AF_INET, s, tmp) == 1) {
    if (out)
      memcpy(out, tmp, 4);
    if (outlen)
      *outlen = 4;
    return 1;
  }
  if (inet_pton(AF_INET6, s, tmp) == 1) {
    if (out)
      memcpy(out, tmp, 16);
    if (outlen)
      *outlen = 16;
    return 1;
  }
  return 0;
}

int cert_name_matches(const char *pattern, const char *host)
{
  if (!pattern || !host)
    return 0;
  size_t pl = strlen(pattern), hl = strlen(host);
  if (pl > 1 && pattern[pl - 1] == '.')
    pl--;
  if (hl > 1 && host[hl - 1] == '.')
    hl--;
  if (pl == 0 || hl == 0 || pl >= CERT_NAME_MAX || hl >= CERT_NAME_MAX)
    return 0;
  if (cert_ip_literal(host, NULL, NULL))
    return 0;
  if (cert_dns_labels(host, hl) == 0)
    return 0; /* a reference name with '*', spaces or empty labels matches nothing */

  if (!memchr(pattern, '*', pl))
    return pl == hl && cert_dns_labels(pattern, pl) > 0 && strncasecmp(pattern, host, pl) == 0;

  /* Wildcard: only "*." + at least two clean labels. */
  if (pl < 2 || pattern[0] != '*' || pattern[1] != '.')
    return 0;
  const char *rest = pattern + 2;
  size_t rl = pl - 2;
  if (cert_dns_labels(rest, rl) < 2)
    return 0; /* also rejects a second '*' */
  const char *dot = memchr(host, '.', hl);
  if (!dot || dot == host)
    return 0;
  size_t hrl = hl - (size_t)(dot - host) - 1;
  return hrl == rl && strncasecmp(dot + 1, rest, rl) == 0;
}

/* Copies an ASN1 string that must hold a plain name (no NUL inside) into buf. */
static int cert_asn1_name(const ASN1_STRING *s, char *buf, size_t cap)
{
  const unsigned char *d = ASN1_STRING_get0_data(s);
  int len = ASN1_STRING_length(s);
  if (!d || len <= 0 || (size_t)len >= cap || memchr(d, 0, (size_t)len))
    return -1;
  memcpy(buf, d, (size_t)len);
  buf[len] = '\0';
  return 0;
}

static int cert_ip_san_equal(const GENERAL_NAME *g, const unsigned char *ip, size_t iplen)
{
  const ASN1_OCTET_STRING *os = g->d.iPAddress;
  return os && (size_t)ASN1_STRING_length(os) == iplen &&
         memcmp(ASN1_STRING_get0_data(os), ip, iplen) == 0;
}

/* Does one reference name match the certificate? */
static int cert_matches_one(X509 *leaf, const GENERAL_NAMES *gens, const char *ref)
{
  unsigned char ip[16];
  size_t iplen = 0;
  char name[CERT_NAME_MAX];
  int n = gens ? sk_GENERAL_NAME_num(gens) : 0;
  int dns_sans = 0;

  if (!ref || !*ref)
    return 0;
  if (cert_ip_literal(ref, ip, &iplen)) {
    for (int i = 0; i < n; i++) {
      const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
      if (g->type == GEN_IPADD && cert_ip_san_equal(g, ip, iplen))
        return 1;
    }
    return 0;
  }
  for (int i = 0; i < n; i++) {
    const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
    if (g->type != GEN_DNS)
      continue;
    dns_sans++;
    if (cert_asn1_name(g->d.dNSName, name, sizeof(name)) == 0 && cert_name_matches(name, ref))
      return 1;
  }
  if (dns_sans > 0)
    return 0;
  /* No DNS SAN: the subject's CNs (RFC 6125 6.4.4). */
  const X509_NAME *subj = X509_get_subject_name(leaf);
  for (int i = -1; (i = X509_NAME_get_index_by_NID(subj, NID_commonName, i)) >= 0;) {
    const ASN1_STRING *cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i));
    unsigned char *utf8 = NULL;
    int len = ASN1_STRING_to_UTF8(&utf8, cn);
    int ok = 0;
    if (len > 0 && (size_t)len < sizeof(name) && !memchr(utf8, 0, (size_t)len)) {
      memcpy(name, utf8, (size_t)len);
      name[len] = '\0';
      ok = cert_name_matches(name, ref);
    }
    OPENSSL_free(utf8);
    if (ok)
      return 1;
  }
  return 0;
}

int cert_matches_any(X509 *leaf, const char *host, const char *pool)
{
  if (!leaf)
    return 0;
  GENERAL_NAMES *gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
  if (!gens && X509_get_ext_by_NID(leaf, NID_subject_alt_name, -1) >= 0) {
    /* A subjectAltName that does not decode: the CN must not stand in for it. */
    ERR_clear_error();
    return 0;
  }
  int ok = cert_matches_one(leaf, gens, host) || cert_matches_one(leaf, gens, pool);
  GENERAL_NAMES_free(gens);
  return ok;
}

/* ---- time ---- */

int cert_time_epoch(const ASN1_TIME *t, time_t *out)
{
  struct tm tm;
  memset(&tm, 0, sizeof(tm));
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
    return -1;
  *out = timegm(&tm);
  return 0;
}

int cert_time_iso(const ASN1_TIME *t, char *buf, size_t cap)
{
  struct tm tm;
  memset(&tm, 0, sizeof(tm));
  if (cap == 0)
    return -1;
  buf[0] = '\0';
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
    return -1;
  int n = snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                   tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (n < 0 || (size_t)n >= cap) {
    buf[0] = '\0';
    return -1;
  }
  return 0;
}

/* ---- text ---- */

/* Printable ASCII copy of untrusted bytes; anything else becomes '?'. */
static void cert_printable(char *dst, size_t cap, const unsigned char *src, size_t len)
{
  size_t n = 0;
  if (cap == 0)
    return;
  for (size_t i = 0; i < len && n + 1 < cap; i++)
    dst[n++] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
  dst[n] = '\0';
}

void cert_reason_append(char *buf, size_t cap, const char *text)
{
  if (cap == 0 || !text || !*text)
    return;
  size_t used = strnlen(buf, cap);
  if (used >= cap) {
    buf[cap - 1] = '\0';
    return;
  }
  snprintf(buf + used, cap - used, "%s%s", used ? "; " : "", text);
}

/* Calls fn for each name a certificate answers to, as printable text (see cert.h). */
typedef void (*cert_name_fn)(void *arg, const char *text);

static void cert_each_name(X509 *leaf, cert_name_fn fn, void *arg, int with_cn)
{
  char text[CERT_NAME_MAX];
  char ipbuf[INET6_ADDRSTRLEN];
  int dns_sans = 0;
  GENERAL_NAMES *gens = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
  if (!gens && X509_get_ext_by_NID(leaf, NID_subject_alt_name, -1) >= 0) {
    ERR_clear_error();
    fn(arg, "(undecodable subjectAltName)");
    return; /* and no CN fallback: see cert_matches_any */
  }
  int n = gens ? sk_GENERAL_NAME_num(gens) : 0;
  for (int i = 0; i < n; i++) {
    const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
    if (g->type == GEN_DNS) {
      const ASN1_STRING *s = g->d.dNSName;
      dns_sans++;
      cert_printable(text, sizeof(text), ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
      fn(arg, text);
    } else if (g->type == GEN_IPADD) {
      const ASN1_OCTET_STRING *os = g->d.iPAddress;
      int len = ASN1_STRING_length(os);
      const unsigned char *d = ASN1_STRING_get0_data(os);
      if (len == 4 && inet_ntop(AF_INET, d, ipbuf, sizeof(ipbuf)))
        fn(arg, ipbuf);
      else if (len == 16 && inet_ntop(AF_INET6, d, ipbuf, sizeof(ipbuf)))
        fn(arg, ipbuf);
      else
        fn(arg, "(bad IP SAN)");
    }
  }
  GENERAL_NAMES_free(gens);
  if (!with_cn || dns_sans > 0)
    return;
  const X509_NAME *subj = X509_get_subject_name(leaf);
  for (int i = -1; (i = X509_NAME_get_index_by_NID(subj, NID_commonName, i)) >= 0;) {
    const ASN1_STRING *cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subj, i));
    unsigned char *utf8 = NULL;
    int len = ASN1_STRING_to_UTF8(&utf8, cn);
    if (len >= 0) {
      cert_printable(text, sizeof(text), utf8, (size_t)len);
      fn(arg, text);
    }
    OPENSSL_free(utf8);
  }
}

struct cert_names_acc {
  char *buf;
  size_t cap;
  int count;
};

static void cert_names_add(void *arg, const char *text)
{
  struct cert_names_acc *a = arg;
  if (a->count < CERT_NAMES_SHOWN) {
    size_t used = strnlen(a->buf, a->cap);
    if (used + 1 < a->cap)
      snprintf(a->buf + used, a->cap - used, "%s%s", a->count ? ", " : "", text);
  }
  a->count++;
}

void cert_names_text(X509 *leaf, char *buf, size_t cap)
{
  struct cert_names_acc a = {buf, cap, 0};
  if (cap == 0)
    return;
  buf[0] = '\0';
  if (leaf)
    cert_each_name(leaf, cert_names_add, &a, 1);
  if (a.count == 0) {
    snprintf(buf, cap, "(none)");
  } else if (a.count > CERT_NAMES_SHOWN) {
    size_t used = strnlen(buf, cap);
    if (used + 1 < cap)
      snprintf(buf + used, cap - used, " and %d more", a.count - CERT_NAMES_SHOWN);
  }
}

/* ---- evidence ---- */

/* RFC 2253 text of a name (ASCII: UTF-8 and control bytes escaped as \XX). */
static json_t *cert_name_json(const X509_NAME *name)
{
  char text[512];
  BIO *b = BIO_new(BIO_s_mem());
  if (!b)
    return NULL;
  text[0] = '\0';
  if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0) {
    int n = BIO_read(b, text, (int)sizeof(text) - 1);
    text[n > 0 ? n : 0] = '\0';
  }
  BIO_free(b);
  char clean[512];
  cert_printable(clean, sizeof(clean), (const unsigned char *)text, strlen(text));
  return json_string(clean);
}

static void cert_san_add(void *arg, const char *text)
{
  json_array_append_new((json_t *)arg, json_string(text));
}

static int cert_set(json_t *obj, const char *key, json_t *val)
{
  return val ? json_object_set_new(obj, key, val) : -1;
}

static void cert_date(time_t t, char *buf, size_t cap)
{
  struct tm tm;
  if (!gmtime_r(&t, &tm) || strftime(buf, cap, "%Y-%m-%d", &tm) == 0)
    snprintf(buf, cap, "?");
}

/* Days from today's date to the expiry date, both in UTC: the number agrees with the date
 * printed beside it (a certificate made for 10 days is "10 days left" seconds later, and one
 * that ends tonight has 0 days left). Division of the seconds left would say 9. */
static long long cert_days_left(time_t now, time_t not_after)
{
  long long a = (long long)not_after, n = (long long)now;
  long long da = a >= 0 ? a / 86400 : -((-a + 86399) / 86400);
  long long dn = n >= 0 ? n / 86400 : -((-n + 86399) / 86400);
  return da - dn;
}

json_t *cert_evidence(X509 *leaf, const struct cert_judge *j, char *warn, size_t cap)
{
  char nb[32], na[32], day[16], msg[CERT_MSG_MAX];
  time_t tnb = 0, tna = 0;
  int have_nb, have_na, bad = 0;
  json_t *o, *san;

  if (!leaf || !j)
    return NULL;
  o = json_object();
  san = json_array();
  if (!o || !san) {
    json_decref(o);
    json_decref(san);
    return NULL;
  }
  cert_each_name(leaf, cert_san_add, san, 0);
  cert_time_iso(X509_get0_notBefore(leaf), nb, sizeof(nb));
  cert_time_iso(X509_get0_notAfter(leaf), na, sizeof(na));
  have_nb = cert_time_epoch(X509_get0_notBefore(leaf), &tnb) == 0;
  have_na = cert_time_epoch(X509_get0_notAfter(leaf), &tna) == 0;
  int expired = have_na && j->now > tna;
  int not_yet = have_nb && j->now < tnb;

  bad |= cert_set(o, "subject", cert_name_json(X509_get_subject_name(leaf)));
  bad |= cert_set(o, "issuer", cert_name_json(X509_get_issuer_name(leaf)));
  bad |= cert_set(o, "san", san);
  bad |= cert_set(o, "not_before", json_string(nb));
  bad |= cert_set(o, "not_after", json_string(na));
  bad |= cert_set(o, "expired", json_boolean(expired));
  if (not_yet)
    bad |= cert_set(o, "not_yet_valid", json_true());
  long long left = have_na ? cert_days_left(j->now, tna) : 0;
  if (j->warn_days > 0 && have_na && !expired && !not_yet)
    bad |= cert_set(o, "days_left", json_integer((json_int_t)left));
  int have_ref = (j->host && *j->host) || (j->pool && *j->pool);
  int match = have_ref && cert_matches_any(leaf, j->host, j->pool);
  if (have_ref)
    bad |= cert_set(o, "name_match", json_boolean(match));
  if (bad) {
    json_decref(o);
    return NULL;
  }

  if (expired) {
    cert_date(tna, day, sizeof(day));
    snprintf(msg, sizeof(msg), "certificate expired on %s", day);
    cert_reason_append(warn, cap, msg);
  }
  if (not_yet) {
    cert_date(tnb, day, sizeof(day));
    snprintf(msg, sizeof(msg), "certificate not valid before %s", day);
    cert_reason_append(warn, cap, msg);
  }
  if (j->warn_days > 0 && have_na && !expired && !not_yet && left < (long long)j->warn_days) {
    cert_date(tna, day, sizeof(day));
    snprintf(msg, sizeof(msg), "certificate expires %s (%lld day%s left)", day, left,
             left == 1 ? "" : "s");
    cert_reason_append(warn, cap, msg);
  }
  if (have_ref && !match) {
    char names[160];
    cert_names_text(leaf, names, sizeof(names));
    if (j->host && *j->host && j->pool && *j->pool)
      snprintf(msg, sizeof(msg), "certificate names %s, not %s or %s", names, j->host, j->pool);
    else
      snprintf(msg, sizeof(msg), "certificate names %s, not %s", names,
               (j->host && *j->host) ? j->host : j->pool);
    cert_reason_append(warn, cap, msg);
  }
  return o;
}
