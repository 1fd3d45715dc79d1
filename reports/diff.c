/* reports/diff.c - drift between two reports: validation, matching, categories, output. */
#include "reports/diff.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/uc.h"
#include "reports/report.h"
#include "reports/report_doc.h"

enum category {
  CAT_REGRESSION,
  CAT_DEGRADED,
  CAT_RECOVERED,
  CAT_IMPROVED,
  CAT_CHANGED,
  CAT_NEW,
  CAT_VANISHED,
  CAT_COUNT
};

static const char *const cat_names[CAT_COUNT] = {"regression", "degraded", "recovered", "improved",
                                                 "changed",    "new",      "vanished"};

/* --- validation --- */

static int check_state(const struct jdoc *d, struct jpath *p, json_t *ck, struct uc_err *err)
{
  json_t *v = json_object_get(ck, "state");
  enum uc_state st;
  if (v && !json_is_null(v) && (!json_is_string(v) || uc_state_parse(json_string_value(v), &st))) {
    jpath_key(p, "state");
    return jdoc_error(d, p, 0, err,
                      "\"state\" must be null or one of open, closed, filtered, unreachable, "
                      "open|filtered, error");
  }
  return 0;
}

static int check_ports(const struct jdoc *d, struct jpath *p, json_t *ck, struct uc_err *err)
{
  json_t *port = json_object_get(ck, "port"), *range = json_object_get(ck, "range");
  bool has_port = port && !json_is_null(port), has_range = range && !json_is_null(range);
  if (has_port == has_range)
    return jdoc_error(d, p, 0, err, "a check needs either a \"port\" or a \"range\"%s",
                      has_port ? ", not both" : "");
  if (has_port) {
    if (report_doc_int(ck, "port", 0, 65535) < 0) {
      jpath_key(p, "port");
      return jdoc_error(d, p, 0, err, "\"port\" must be a number from 0 to 65535, or null");
    }
    return 0;
  }
  jpath_key(p, "range");
  if (!json_is_object(range))
    return jdoc_error(d, p, 0, err, "\"range\" must be an object or null");
  long long f = report_doc_int(range, "first", 0, 65535);
  long long l = report_doc_int(range, "last", 0, 65535);
  if (f < 0 || l < 0 || f > l)
    return jdoc_error(d, p, 0, err,
                      "\"range\" needs \"first\" and \"last\" ports (0 to 65535, first <= last)");
  json_t *fp = json_object_get(range, "filtered_ports");
  if (fp && !json_is_array(fp)) {
    jpath_key(p, "filtered_ports");
    return jdoc_error(d, p, 0, err, "\"filtered_ports\" must be an array");
  }
  jpath_pop(p);
  return 0;
}

static int check_one(const struct jdoc *d, struct jpath *p, json_t *ck, json_t *seen, size_t k,
                     const char *host, struct uc_err *err)
{
  if (!json_is_object(ck))
    return jdoc_error(d, p, 0, err, "a check must be an object");
  if (check_ports(d, p, ck, err) < 0)
    return -1;
  const char *tr = report_doc_str(ck, "transport");
  enum uc_transport t;
  if (!tr || uc_transport_parse(tr, &t) < 0) {
    jpath_key(p, "transport");
    return jdoc_error(d, p, 0, err, "\"transport\" must be \"tcp\" or \"udp\"");
  }
  if (report_doc_verdict(ck) < 0) {
    jpath_key(p, "verdict");
    return jdoc_error(d, p, 0, err, "\"verdict\" must be one of pass, warn, fail, skip");
  }
  if (check_state(d, p, ck, err) < 0)
    return -1;
  static const char *const strings[] = {"protocol", "reason", NULL};
  for (const char *const *s = strings; *s; s++) {
    json_t *v = json_object_get(ck, *s);
    if (v && !json_is_string(v)) {
      jpath_key(p, *s);
      return jdoc_error(d, p, 0, err, "\"%s\" must be a string", *s);
    }
  }
  json_t *ev = json_object_get(ck, "evidence");
  if (ev && !json_is_object(ev)) {
    jpath_key(p, "evidence");
    return jdoc_error(d, p, 0, err, "\"evidence\" must be an object");
  }
  char key[40];
  report_doc_key(ck, key, sizeof(key));
  json_t *prev = json_object_get(seen, key);
  if (prev)
    return jdoc_error(d, p, 0, err, "check %s of host \"%s\" is listed twice (also checks[%lld])",
                      key, host, (long long)json_integer_value(prev));
  json_object_set_new(seen, key, json_integer((json_int_t)k));
  return 0;
}

static int check_host(const struct jdoc *d, struct jpath *p, json_t *h, json_t *names, size_t i,
                      struct uc_err *err)
{
  if (!json_is_object(h))
    return jdoc_error(d, p, 0, err, "a host must be an object");
  const char *name = report_doc_str(h, "name");
  if (!name || !name[0]) {
    jpath_key(p, "name");
    return jdoc_error(d, p, 0, err, "a host needs a \"name\" (a non-empty string)");
  }
  json_t *prev = json_object_get(names, name);
  if (prev) {
    jpath_key(p, "name");
    return jdoc_error(d, p, 0, err, "duplicate host \"%s\" (also hosts[%lld])", name,
                      (long long)json_integer_value(prev));
  }
  json_object_set_new(names, name, json_integer((json_int_t)i));
  json_t *addr = json_object_get(h, "address");
  if (addr && !json_is_null(addr) && !json_is_string(addr)) {
    jpath_key(p, "address");
    return jdoc_error(d, p, 0, err, "\"address\" must be a string or null");
  }
  json_t *roles = json_object_get(h, "roles");
  size_t k;
  json_t *v;
  if (roles && !json_is_array(roles)) {
    jpath_key(p, "roles");
    return jdoc_error(d, p, 0, err, "\"roles\" must be an array of strings");
  }
  json_array_foreach(roles, k, v)
  {
    if (!json_is_string(v)) {
      jpath_index(jpath_key(p, "roles"), k);
      return jdoc_error(d, p, 0, err, "a role must be a string");
    }
  }
  json_t *checks = json_object_get(h, "checks");
  jpath_key(p, "checks");
  if (!json_is_array(checks))
    return jdoc_error(d, p, checks ? 0 : 1, err, "host \"%s\" needs a \"checks\" array", name);
  json_t *seen = json_object();
  int rc = 0;
  json_array_foreach(checks, k, v)
  {
    jpath_index(p, k);
    rc = check_one(d, p, v, seen, k, name, err);
    if (rc < 0)
      break;
    jpath_pop(p);
  }
  json_decref(seen);
  return rc;
}

int diff_validate(const struct jdoc *d, struct uc_err *err)
{
  struct jpath p = {.depth = 0};
  json_t *root = d->root;
  if (!json_is_object(root))
    return jdoc_error(d, &p, 0, err, "expected a ucscan report (a JSON object)");
  json_t *schema = json_object_get(root, "schema");
  if (!schema)
    return jdoc_error(d, &p, 0, err, "not a ucscan report: no \"schema\" (expected \"%s\")",
                      REPORT_SCHEMA);
  if (!json_is_string(schema) || strcmp(json_string_value(schema), REPORT_SCHEMA) != 0) {
    char shown[80];
    if (json_is_string(schema))
      snprintf(shown, sizeof(shown), "\"%.60s\"", json_string_value(schema));
    else
      snprintf(shown, sizeof(shown), "(not a string)");
    jpath_key(&p, "schema");
    return jdoc_error(d, &p, 0, err, "report schema %s is not supported: expected \"%s\"", shown,
                      REPORT_SCHEMA);
  }
  if (!json_is_string(json_object_get(root, "topology"))) {
    bool missing = !json_object_get(root, "topology");
    if (!missing)
      jpath_key(&p, "topology");
    return jdoc_error(d, &p, 0, err, "the report needs a \"topology\" string");
  }
  json_t *c = json_object_get(root, "complete");
  if (c && !json_is_boolean(c)) {
    jpath_key(&p, "complete");
    return jdoc_error(d, &p, 0, err, "\"complete\" must be true or false");
  }
  json_t *hosts = json_object_get(root, "hosts");
  if (!json_is_array(hosts)) {
    if (hosts)
      jpath_key(&p, "hosts");
    return jdoc_error(d, &p, 0, err, "the report needs a \"hosts\" array");
  }
  jpath_key(&p, "hosts");
  json_t *names = json_object();
  size_t i;
  json_t *h;
  int rc = 0;
  json_array_foreach(hosts, i, h)
  {
    jpath_index(&p, i);
    rc = check_host(d, &p, h, names, i, err);
    if (rc < 0)
      break;
    p.depth = 1;
  }
  json_decref(names);
  return rc;
}

int diff_load(struct jdoc *d, const char *path, struct uc_err *err)
{
  if (jdoc_load_file(d, path, DIFF_MAX_REPORT, err) < 0)
    return -1;
  if (diff_validate(d, err) < 0) {
    jdoc_free(d);
    return -1;
  }
  return 0;
}

/* --- comparison --- */

struct entry {
  const char *host;
  int host_regressed;
  enum category cat;
  unsigned first, last;
  int transport; /* -1: a host-level entry */
  json_t *obj;
};

struct entries {
  struct entry *v;
  size_t n, cap;
};

static bool same(json_t *a, json_t *b)
{
  if (json_is_null(a))
    a = NULL;
  if (json_is_null(b))
    b = NULL;
  if (!a || !b)
    return !a && !b;
  return json_equal(a, b);
}

static json_t *or_null(json_t *v)
{
  return v ? json_incref(v) : json_null();
}

static void add_change(json_t *changes, const char *what, json_t *old_v, json_t *new_v)
{
  json_t *c = json_object();
  json_object_set_new(c, "what", json_string(what));
  json_object_set_new(c, "old", or_null(old_v));
  json_object_set_new(c, "new", or_null(new_v));
  json_array_append_new(changes, c);
}

static void cmp_field(json_t *changes, const char *what, json_t *a, json_t *b, const char *key)
{
  json_t *x = json_object_get(a, key), *y = json_object_get(b, key);
  if (!same(x, y))
    add_change(changes, what, x, y);
}

static json_t *cert_summary(json_t *cert)
{
  if (!json_is_object(cert))
    return NULL;
  json_t *s = json_object();
  static const char *const keys[] = {"subject", "issuer", "san", "not_before", "not_after", NULL};
  for (const char *const *k = keys; *k; k++)
    json_object_set_new(s, *k, or_null(json_object_get(cert, *k)));
  return s;
}

static void cmp_tls(json_t *changes, json_t *a, json_t *b)
{
  cmp_field(changes, "tls_version", a, b, "version");
  /* absent and false both mean "no request seen" only when the other side says true */
  json_t *ra = json_object_get(a, "client_cert_requested");
  json_t *rb = json_object_get(b, "client_cert_requested");
  if (json_is_true(ra) != json_is_true(rb))
    add_change(changes, "client_cert_requested", ra, rb);
  json_t *ca = json_object_get(a, "chain"), *cb = json_object_get(b, "chain");
  if (json_is_object(ca) && json_is_object(cb))
    cmp_field(changes, "tls_chain", ca, cb, "verified");
  json_t *ka = json_object_get(a, "certificate"), *kb = json_object_get(b, "certificate");
  if (!json_is_object(ka))
    ka = NULL;
  if (!json_is_object(kb))
    kb = NULL;
  if (!ka && !kb)
    return;
  json_t *sa = cert_summary(ka), *sb = cert_summary(kb);
  if (!same(sa, sb))
    add_change(changes, "certificate_replaced", sa, sb);
  json_decref(sa);
  json_decref(sb);
  if (!ka || !kb)
    return;
  cmp_field(changes, "certificate_issuer", ka, kb, "issuer");
  json_t *na = json_object_get(ka, "not_after"), *nb = json_object_get(kb, "not_after");
  if (!same(na, nb)) {
    json_t *c = json_object();
    json_object_set_new(c, "what", json_string("certificate_expiry"));
    json_object_set_new(c, "old", or_null(na));
    json_object_set_new(c, "new", or_null(nb));
    time_t ta, tb;
    if (report_doc_time(json_string_value(na), &ta) == 0 &&
        report_doc_time(json_string_value(nb), &tb) == 0)
      json_object_set_new(c, "days", json_integer((json_int_t)llround(difftime(tb, ta) / 86400.0)));
    else
      json_object_set_new(c, "days", json_null());
    json_array_append_new(changes, c);
  }
}

static bool in_strings(json_t *arr, const char *s)
{
  size_t i;
  json_t *v;
  json_array_foreach(arr, i,
                     v) if (json_is_string(v) && strcmp(json_string_value(v), s) == 0) return true;
  return false;
}

/* Elements of a that b lacks. */
static json_t *minus(json_t *a, json_t *b)
{
  json_t *out = json_array();
  size_t i;
  json_t *v;
  json_array_foreach(a, i, v) if (json_is_string(v) && !in_strings(b, json_string_value(v)) &&
                                  !in_strings(out, json_string_value(v))) json_array_append(out, v);
  return out;
}

static void cmp_sql(json_t *changes, json_t *a, json_t *b)
{
  json_t *ia = json_object_get(a, "instances"), *ib = json_object_get(b, "instances");
  if (!json_is_array(ia) || !json_is_array(ib))
    return;
  json_t *added = minus(ib, ia), *removed = minus(ia, ib);
  if (json_array_size(added) || json_array_size(removed)) {
    json_t *c = json_object();
    json_object_set_new(c, "what", json_string("sql_browser_instances"));
    json_object_set(c, "old", ia);
    json_object_set(c, "new", ib);
    json_object_set(c, "added", added);
    json_object_set(c, "removed", removed);
    json_array_append_new(changes, c);
  }
  json_decref(added);
  json_decref(removed);
}

/* The address of an "ip:port" or "[ipv6]:port" mapped address, without the port: the port
 * is the scanner's random source port (or a NAT's mapping of it), new on every run. */
static void mapped_ip(const char *s, char *out, size_t cap)
{
  const char *end = NULL;
  if (s[0] == '[') {
    const char *close = strchr(s, ']');
    s++;
    end = close ? close : s + strlen(s);
  } else {
    end = strrchr(s, ':');
    if (!end || strchr(s, ':') != end) /* no port, or a bare IPv6 address */
      end = s + strlen(s);
  }
  snprintf(out, cap, "%.*s", (int)(end - s), s);
}

static void cmp_stun(json_t *changes, json_t *a, json_t *b)
{
  json_t *x = json_object_get(a, "mapped_address"), *y = json_object_get(b, "mapped_address");
  if (json_is_string(x) && json_is_string(y)) {
    char ix[128], iy[128];
    mapped_ip(json_string_value(x), ix, sizeof(ix));
    mapped_ip(json_string_value(y), iy, sizeof(iy));
    if (strcmp(ix, iy) != 0)
      add_change(changes, "stun_mapped_address", x, y);
  } else if (!same(x, y)) {
    add_change(changes, "stun_mapped_address", x, y);
  }
}

static void cmp_evidence(json_t *changes, json_t *a, json_t *b)
{
  json_t *x, *y;
  if ((x = report_doc_evidence(a, "tls")) && (y = report_doc_evidence(b, "tls")))
    cmp_tls(changes, x, y);
  if ((x = report_doc_evidence(a, "stun")) && (y = report_doc_evidence(b, "stun")))
    cmp_stun(changes, x, y);
  if ((x = report_doc_evidence(a, "sql_browser")) && (y = report_doc_evidence(b, "sql_browser")))
    cmp_sql(changes, x, y);
  x = json_object_get(a, "range");
  y = json_object_get(b, "range");
  if (json_is_object(x) && json_is_object(y))
    cmp_field(changes, "filtered_ports", x, y, "filtered_ports");
}

static json_t *side(json_t *ck)
{
  if (!ck)
    return json_null();
  json_t *s = json_object();
  json_object_set_new(s, "verdict", or_null(json_object_get(ck, "verdict")));
  json_object_set_new(s, "state", or_null(json_object_get(ck, "state")));
  json_object_set_new(s, "reason", or_null(json_object_get(ck, "reason")));
  return s;
}

static enum category categorize(int ov, int nv, bool other_changes, bool *listed)
{
  *listed = true;
  if (ov < 0)
    return nv == UC_FAIL ? CAT_REGRESSION : CAT_NEW;
  if (nv < 0)
    return CAT_VANISHED;
  if (nv == UC_FAIL && ov != UC_FAIL)
    return CAT_REGRESSION;
  if (ov == UC_FAIL && nv != UC_FAIL)
    return CAT_RECOVERED;
  if (ov == UC_PASS && nv == UC_WARN)
    return CAT_DEGRADED;
  if (ov == UC_WARN && nv == UC_PASS)
    return CAT_IMPROVED;
  if (ov != nv || other_changes)
    return CAT_CHANGED;
  *listed = false;
  return CAT_CHANGED;
}

static int push(struct entries *e, const struct entry *x)
{
  if (e->n == e->cap) {
    size_t cap = e->cap ? e->cap * 2 : 64;
    struct entry *v = realloc(e->v, cap * sizeof(*v));
    if (!v)
      return -1;
    e->v = v;
    e->cap = cap;
  }
  e->v[e->n++] = *x;
  return 0;
}

/* One check present in OLD (oc), NEW (nc) or both. Returns 1 when listed, 0 when unchanged,
 * -1 when out of memory. */
static int compare_check(struct entries *out, const char *host, json_t *oc, json_t *nc)
{
  json_t *ck = nc ? nc : oc;
  int ov = oc ? report_doc_verdict(oc) : -1, nv = nc ? report_doc_verdict(nc) : -1;
  json_t *changes = json_array();
  if (oc && nc) {
    cmp_field(changes, "verdict", oc, nc, "verdict");
    cmp_field(changes, "state", oc, nc, "state");
    cmp_field(changes, "protocol", oc, nc, "protocol");
    cmp_evidence(changes, oc, nc);
  }
  size_t verdict_changes = ov >= 0 && nv >= 0 && ov != nv ? 1 : 0;
  bool listed;
  enum category cat = categorize(ov, nv, json_array_size(changes) > verdict_changes, &listed);
  if (!listed) {
    json_decref(changes);
    return 0;
  }
  char key[40], range[24];
  unsigned first = 0, last = 0;
  report_doc_ports(ck, &first, &last);
  bool is_range = json_is_object(json_object_get(ck, "range"));
  snprintf(range, sizeof(range), "%u-%u", first, last);
  json_t *o = json_object();
  json_object_set_new(o, "host", json_string(host));
  json_object_set_new(o, "check", json_string(report_doc_key(ck, key, sizeof(key))));
  json_object_set_new(o, "port", is_range ? json_null() : json_integer(first));
  json_object_set_new(o, "range", is_range ? json_string(range) : json_null());
  json_object_set_new(o, "transport", or_null(json_object_get(ck, "transport")));
  json_object_set_new(o, "protocol", or_null(json_object_get(ck, "protocol")));
  json_object_set_new(o, "category", json_string(cat_names[cat]));
  json_object_set_new(o, "regression", json_boolean(cat == CAT_REGRESSION));
  json_object_set_new(o, "old", side(oc));
  json_object_set_new(o, "new", side(nc));
  json_object_set_new(o, "changes", changes);
  enum uc_transport t = UC_TCP;
  uc_transport_parse(report_doc_str(ck, "transport"), &t);
  struct entry e = {host, 0, cat, first, last, (int)t, o};
  if (push(out, &e) < 0) {
    json_decref(o);
    return -1;
  }
  return 1;
}

static int compare_host_attrs(struct entries *out, const char *host, json_t *oh, json_t *nh)
{
  json_t *changes = json_array();
  cmp_field(changes, "address", oh, nh, "address");
  cmp_field(changes, "roles", oh, nh, "roles");
  if (json_array_size(changes) == 0) {
    json_decref(changes);
    return 0;
  }
  json_t *o = json_pack("{s:s, s:n, s:n, s:n, s:n, s:n, s:s, s:b, s:n, s:n, s:o}", "host", host,
                        "check", "port", "range", "transport", "protocol", "category",
                        cat_names[CAT_CHANGED], "regression", 0, "old", "new", "changes", changes);
  struct entry e = {host, 0, CAT_CHANGED, 0, 0, -1, o};
  if (!o || push(out, &e) < 0) {
    json_decref(o);
    return -1;
  }
  return 1;
}

/* name -> host object; and per host key -> check object. */
static json_t *index_hosts(json_t *root)
{
  json_t *idx = json_object();
  size_t i;
  json_t *h;
  json_array_foreach(json_object_get(root, "hosts"), i, h)
      json_object_set(idx, report_doc_str(h, "name"), h);
  return idx;
}

static json_t *index_checks(json_t *host)
{
  json_t *idx = json_object();
  size_t i;
  json_t *ck;
  char key[40];
  json_array_foreach(json_object_get(host, "checks"), i, ck)
      json_object_set(idx, report_doc_key(ck, key, sizeof(key)), ck);
  return idx;
}

/* Every check of host `name`: those of nh (in NEW order) matched against oh, then OLD's
 * vanished ones. Either host may be NULL. Adds to *unchanged. */
static int compare_host(struct entries *out, const char *name, json_t *oh, json_t *nh,
                        unsigned *unchanged)
{
  json_t *oidx = oh ? index_checks(oh) : json_object();
  json_t *nidx = nh ? index_checks(nh) : json_object();
  int rc = 0;
  size_t i;
  json_t *ck;
  char key[40];
  if (oh && nh && compare_host_attrs(out, name, oh, nh) < 0)
    rc = -1;
  json_array_foreach(nh ? json_object_get(nh, "checks") : NULL, i, ck)
  {
    if (rc < 0)
      break;
    int r =
        compare_check(out, name, json_object_get(oidx, report_doc_key(ck, key, sizeof(key))), ck);
    if (r < 0)
      rc = -1;
    else if (r == 0)
      (*unchanged)++;
  }
  json_array_foreach(oh ? json_object_get(oh, "checks") : NULL, i, ck)
  {
    if (rc < 0)
      break;
    if (!json_object_get(nidx, report_doc_key(ck, key, sizeof(key))) &&
        compare_check(out, name, ck, NULL) < 0)
      rc = -1;
  }
  json_decref(oidx);
  json_decref(nidx);
  return rc;
}

static int cmp_entries(const void *a, const void *b)
{
  const struct entry *x = a, *y = b;
  if (x->host_regressed != y->host_regressed)
    return x->host_regressed ? -1 : 1;
  int d = strcmp(x->host, y->host);
  if (d)
    return d;
  if (x->cat != y->cat)
    return x->cat < y->cat ? -1 : 1;
  if (x->first != y->first)
    return x->first < y->first ? -1 : 1;
  if (x->last != y->last)
    return x->last < y->last ? -1 : 1;
  return x->transport - y->transport;
}

static json_t *report_head(const struct jdoc *d)
{
  json_t *r = d->root, *o = json_object();
  json_object_set_new(o, "file", json_string(d->source));
  static const char *const keys[] = {"topology", "product", "started_at", "finished_at",
                                     "complete", "summary", NULL};
  for (const char *const *k = keys; *k; k++)
    json_object_set_new(o, *k, or_null(json_object_get(r, *k)));
  return o;
}

json_t *diff_compute(const struct jdoc *old_doc, const struct jdoc *new_doc, bool force,
                     struct uc_err *err)
{
  const char *ot = report_doc_str(old_doc->root, "topology");
  const char *nt = report_doc_str(new_doc->root, "topology");
  bool mismatch = !ot || !nt || strcmp(ot, nt) != 0;
  const char *op = report_doc_str(old_doc->root, "product");
  const char *np = report_doc_str(new_doc->root, "product");
  if (!mismatch && op && np && strcmp(op, np) != 0 && !force) {
    struct jpath p = {.depth = 0};
    jpath_key(&p, "product");
    jdoc_error(new_doc, &p, 0, err,
               "product \"%s\" is not the product of %s (\"%s\"): the reports check different "
               "port tables (--force compares them anyway)",
               np, old_doc->source, op);
    return NULL;
  }
  if (mismatch && !force) {
    struct jpath p = {.depth = 0};
    jpath_key(&p, "topology");
    jdoc_error(new_doc, &p, 0, err,
               "topology \"%s\" is not the topology of %s (\"%s\"): these reports scanned "
               "different deployments (--force compares them anyway)",
               nt ? nt : "", old_doc->source, ot ? ot : "");
    return NULL;
  }
  struct entries es = {0};
  unsigned unchanged = 0;
  int rc = 0;
  json_t *oidx = index_hosts(old_doc->root);
  size_t i;
  json_t *h;
  json_array_foreach(json_object_get(new_doc->root, "hosts"), i, h)
  {
    const char *name = report_doc_str(h, "name");
    if (rc == 0 && compare_host(&es, name, json_object_get(oidx, name), h, &unchanged) < 0)
      rc = -1;
  }
  json_t *nidx = index_hosts(new_doc->root);
  json_array_foreach(json_object_get(old_doc->root, "hosts"), i, h)
  {
    const char *name = report_doc_str(h, "name");
    if (rc == 0 && !json_object_get(nidx, name) && compare_host(&es, name, h, NULL, &unchanged) < 0)
      rc = -1;
  }
  json_decref(oidx);
  json_decref(nidx);
  if (rc < 0) {
    for (size_t k = 0; k < es.n; k++)
      json_decref(es.v[k].obj);
    free(es.v);
    uc_err_set(err, "diff", 0, 0, "out of memory");
    return NULL;
  }
  /* Hosts with a regression first. */
  json_t *regressed = json_object();
  for (size_t k = 0; k < es.n; k++)
    if (es.v[k].cat == CAT_REGRESSION)
      json_object_set_new(regressed, es.v[k].host, json_true());
  for (size_t k = 0; k < es.n; k++)
    es.v[k].host_regressed = json_object_get(regressed, es.v[k].host) != NULL;
  json_decref(regressed);
  if (es.n)
    qsort(es.v, es.n, sizeof(*es.v), cmp_entries);
  unsigned counts[CAT_COUNT] = {0};
  json_t *changes = json_array();
  for (size_t k = 0; k < es.n; k++) {
    counts[es.v[k].cat] += es.v[k].transport >= 0; /* host-level entries are not checks */
    json_array_append_new(changes, es.v[k].obj);
  }
  free(es.v);
  json_t *summary = json_object();
  for (int c = 0; c < CAT_COUNT; c++)
    json_object_set_new(summary, cat_names[c], json_integer(counts[c]));
  json_object_set_new(summary, "unchanged", json_integer(unchanged));
  json_t *d = json_object();
  json_object_set_new(d, "schema", json_string(DIFF_SCHEMA));
  json_object_set_new(d, "old", report_head(old_doc));
  json_object_set_new(d, "new", report_head(new_doc));
  json_object_set_new(d, "topology_mismatch", json_boolean(mismatch));
  json_object_set_new(d, "regressed", json_boolean(counts[CAT_REGRESSION] > 0));
  /* An interrupted new scan proves nothing about what it did not reach: "no regression"
   * cannot be said (its missing checks are listed as vanished all the same). */
  json_object_set_new(d, "new_incomplete",
                      json_boolean(json_is_false(json_object_get(new_doc->root, "complete"))));
  json_object_set_new(d, "summary", summary);
  json_object_set_new(d, "changes", changes);
  return d;
}

int diff_exit_status(const json_t *diff)
{
  return json_is_true(json_object_get(diff, "regressed")) ||
                 json_is_true(json_object_get(diff, "new_incomplete"))
             ? 1
             : 0;
}

/* --- table --- */

/* Text from a report file may hold anything: control characters (terminal escapes
 * included) and invalid UTF-8 are shown as '?'. */
static void safe(FILE *out, const char *s)
{
  const unsigned char *p = (const unsigned char *)(s ? s : "");
  size_t left = strlen((const char *)p);
  while (left) {
    uint32_t cp;
    size_t n = report_doc_utf8(p, left, &cp);
    if (n == 0 || cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
      fputc('?', out);
      n = n ? n : 1;
    } else {
      fwrite(p, 1, n, out);
    }
    p += n;
    left -= n;
  }
}

/* A JSON value for the table: strings safe, null as "-", arrays joined with ", ". */
static void show(FILE *out, json_t *v)
{
  if (!v || json_is_null(v)) {
    fputc('-', out);
  } else if (json_is_string(v)) {
    safe(out, json_string_value(v));
  } else if (json_is_array(v)) {
    size_t i;
    json_t *x;
    if (json_array_size(v) == 0)
      fputs("(none)", out);
    json_array_foreach(v, i, x)
    {
      if (i == 8) {
        fprintf(out, " and %zu more", json_array_size(v) - 8);
        break;
      }
      if (i)
        fputs(", ", out);
      show(out, x);
    }
  } else if (json_is_true(v)) {
    fputs("yes", out);
  } else if (json_is_false(v)) {
    fputs("no", out);
  } else {
    char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    safe(out, t);
    free(t);
  }
}

static void show_cert(FILE *out, json_t *c)
{
  if (!json_is_object(c)) {
    fputs("none", out);
    return;
  }
  show(out, json_object_get(c, "subject"));
  fputs(" (issuer ", out);
  show(out, json_object_get(c, "issuer"));
  fputs(", until ", out);
  show(out, json_object_get(c, "not_after"));
  fputs(")", out);
}

static void describe(FILE *out, json_t *c)
{
  const char *what = report_doc_str(c, "what");
  json_t *o = json_object_get(c, "old"), *n = json_object_get(c, "new");
  static const struct {
    const char *what, *label;
  } plain[] = {{"state", "state"},
               {"protocol", "protocol"},
               {"certificate_issuer", "issuer changed"},
               {"tls_version", "TLS version"},
               {"stun_mapped_address", "STUN mapped address"},
               {"filtered_ports", "filtered ports"},
               {"address", "address"},
               {"roles", "roles"},
               {"tls_chain", "chain verified"}};
  if (!what)
    return;
  if (strcmp(what, "verdict") == 0)
    return; /* on the entry's own line */
  fprintf(out, "%16s", "");
  if (strcmp(what, "certificate_replaced") == 0) {
    fputs("certificate replaced: ", out);
    show_cert(out, o);
    fputs(" -> ", out);
    show_cert(out, n);
  } else if (strcmp(what, "certificate_expiry") == 0) {
    fputs("expiry moved: ", out);
    show(out, o);
    fputs(" -> ", out);
    show(out, n);
    json_t *days = json_object_get(c, "days");
    if (json_is_integer(days))
      fprintf(out, " (%+lld days)", (long long)json_integer_value(days));
  } else if (strcmp(what, "client_cert_requested") == 0) {
    fprintf(out, "client certificate request %s", json_is_true(n) ? "appeared" : "vanished");
  } else if (strcmp(what, "sql_browser_instances") == 0) {
    fputs("SQL Browser instances:", out);
    if (json_array_size(json_object_get(c, "added"))) {
      fputs(" added ", out);
      show(out, json_object_get(c, "added"));
    }
    if (json_array_size(json_object_get(c, "removed"))) {
      fputs(json_array_size(json_object_get(c, "added")) ? "; removed " : " removed ", out);
      show(out, json_object_get(c, "removed"));
    }
  } else {
    const char *label = what;
    for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
      if (strcmp(plain[i].what, what) == 0)
        label = plain[i].label;
    fprintf(out, "%s: ", label);
    show(out, o);
    fputs(" -> ", out);
    show(out, n);
  }
  fputc('\n', out);
}

static const char *const cat_color[CAT_COUNT] = {
    [CAT_REGRESSION] = "\033[1;31m", [CAT_DEGRADED] = "\033[33m", [CAT_RECOVERED] = "\033[32m",
    [CAT_IMPROVED] = "\033[32m",     [CAT_CHANGED] = "\033[36m",  [CAT_NEW] = "\033[1m",
    [CAT_VANISHED] = "\033[2m"};

static int cat_of(const char *name)
{
  for (int c = 0; c < CAT_COUNT; c++)
    if (name && strcmp(cat_names[c], name) == 0)
      return c;
  return CAT_CHANGED;
}

static void head_line(FILE *out, const char *label, json_t *h)
{
  json_t *s = json_object_get(h, "summary");
  fprintf(out, "  %s  ", label);
  show(out, json_object_get(h, "file"));
  fputs("  topology ", out);
  show(out, json_object_get(h, "topology"));
  fputs(", finished ", out);
  show(out, json_object_get(h, "finished_at"));
  if (json_is_object(s))
    fprintf(out, ": %lld pass, %lld warn, %lld fail, %lld skip",
            (long long)json_integer_value(json_object_get(s, "pass")),
            (long long)json_integer_value(json_object_get(s, "warn")),
            (long long)json_integer_value(json_object_get(s, "fail")),
            (long long)json_integer_value(json_object_get(s, "skip")));
  if (json_is_false(json_object_get(h, "complete")))
    fputs("  INCOMPLETE (interrupted scan)", out);
  fputc('\n', out);
}

void diff_table(FILE *out, const json_t *diff, bool color)
{
  const char *reset = color ? "\033[0m" : "";
  fprintf(out, "ucscan diff\n");
  head_line(out, "old", json_object_get(diff, "old"));
  head_line(out, "new", json_object_get(diff, "new"));
  if (json_is_true(json_object_get(diff, "topology_mismatch")))
    fputs("  note: the reports are of different topologies, compared anyway (--force)\n", out);
  const char *op = report_doc_str(json_object_get(diff, "old"), "product");
  const char *np = report_doc_str(json_object_get(diff, "new"), "product");
  if (op && np && strcmp(op, np) != 0)
    fputs("  note: the reports are of different products, compared anyway (--force)\n", out);
  json_t *changes = json_object_get(diff, "changes");
  const char *last_host = NULL;
  size_t i;
  json_t *e;
  json_array_foreach(changes, i, e)
  {
    const char *host = report_doc_str(e, "host");
    if (!last_host || !host || strcmp(last_host, host) != 0) {
      fputs(color ? "\n\033[1m" : "\n", out);
      safe(out, host);
      fprintf(out, "%s\n", reset);
      last_host = host;
    }
    int cat = cat_of(report_doc_str(e, "category"));
    json_t *o = json_object_get(e, "old"), *n = json_object_get(e, "new");
    fprintf(out, "  %s%-11s%s ", color ? cat_color[cat] : "", cat_names[cat], reset);
    if (json_is_null(json_object_get(e, "check"))) {
      fputs("(host)\n", out);
    } else {
      char verdicts[40];
      const char *ov = report_doc_str(o, "verdict"), *nv = report_doc_str(n, "verdict");
      if (ov && nv && strcmp(ov, nv) == 0)
        snprintf(verdicts, sizeof(verdicts), "%s", nv);
      else
        snprintf(verdicts, sizeof(verdicts), "%s -> %s", ov ? ov : "-", nv ? nv : "-");
      const char *key = report_doc_str(e, "check"), *proto = report_doc_str(e, "protocol");
      safe(out, key);
      fprintf(out, "%*s ", (int)(strlen(key) < 16 ? 16 - strlen(key) : 0), "");
      safe(out, proto ? proto : "-");
      size_t plen = proto ? strlen(proto) : 1;
      fprintf(out, "%*s %-13s ", (int)(plen < 11 ? 11 - plen : 0), "", verdicts);
      /* the reason of the newest side that has the check */
      show(out, json_object_get(json_is_object(n) ? n : o, "reason"));
      fputc('\n', out);
    }
    size_t k;
    json_t *c;
    json_array_foreach(json_object_get(e, "changes"), k, c) describe(out, c);
  }
  json_t *s = json_object_get(diff, "summary");
  fputs(json_array_size(changes) ? "\n" : "\nno changes: ", out);
  for (int c = 0; c < CAT_COUNT; c++) {
    long long n = (long long)json_integer_value(json_object_get(s, cat_names[c]));
    fprintf(out, "%s%lld %s%s", c ? ", " : "", n, cat_names[c],
            c == CAT_REGRESSION && n != 1 ? "s" : "");
  }
  fprintf(out, "; %lld unchanged\n",
          (long long)json_integer_value(json_object_get(s, "unchanged")));
  bool regressed = json_is_true(json_object_get(diff, "regressed"));
  if (json_is_true(json_object_get(diff, "new_incomplete")))
    fprintf(out,
            "%sNOT VERIFIED: the new scan did not finish (\"complete\": false); what it did "
            "not reach is unknown\n",
            regressed ? "REGRESSED: at least one check started failing\n" : "");
  else
    fprintf(out, "%s\n",
            regressed ? "REGRESSED: at least one check started failing" : "no regression");
}
