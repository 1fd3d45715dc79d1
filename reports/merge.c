/* reports/merge.c - one report from the reports of several vantages (see merge.h). */
#include "reports/merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/uc.h"
#include "reports/report.h"
#include "reports/report_doc.h"

struct source {
  const json_t *root;
  const char *file;
  const char *vantage; /* "vantage"."from", or "any" */
};

/* One check of the merged report: what each input says of it (NULL: absent there). */
struct mcheck {
  const json_t **per;
};

struct mhost {
  const json_t *first;     /* the host object as first seen */
  json_t *keys;            /* check key -> index into v */
  json_t *unfinished;      /* the inputs' "not_checked" entries, each with its "vantage" */
  json_t *unfinished_keys; /* "<vantage> <check key>" of those, each once */
  struct mcheck *v;
  size_t n, cap;
};

struct merge {
  const struct source *src;
  size_t nsrc;
  json_t *names; /* host name -> index into hosts */
  struct mhost *hosts;
  size_t nhosts, cap;
};

static const char *doc_vantage(const json_t *root)
{
  const char *v = report_doc_str(json_object_get(root, "vantage"), "from");
  return v ? v : "any";
}

/* Whether a report from `vantage` may test the check. */
static bool entitled(const char *vantage, const json_t *check)
{
  json_t *from = json_object_get(check, "from");
  size_t i;
  json_t *v;
  if (strcmp(vantage, "any") == 0 || !json_is_array(from))
    return true;
  json_array_foreach(from, i, v)
  {
    if (json_is_string(v) && strcmp(json_string_value(v), vantage) == 0)
      return true;
  }
  return false;
}

/* Some vantage can test it: a check of a report before v2, or one whose "from" lists any. */
static bool testable(const json_t *check)
{
  json_t *from = json_object_get(check, "from");
  return !json_is_array(from) || json_array_size(from) > 0;
}

static int badness(const json_t *check)
{
  switch (report_doc_verdict(check)) {
  case UC_FAIL:
    return 3;
  case UC_WARN:
    return 2;
  case UC_PASS:
    return 1;
  default:
    return 0;
  }
}

static struct mhost *host_for(struct merge *m, const json_t *host)
{
  const char *name = report_doc_str(host, "name");
  json_t *idx = json_object_get(m->names, name);
  if (idx)
    return &m->hosts[json_integer_value(idx)];
  if (m->nhosts == m->cap) {
    size_t ncap = m->cap ? m->cap * 2 : 16;
    struct mhost *nv = realloc(m->hosts, ncap * sizeof(*nv));
    if (!nv)
      return NULL;
    m->hosts = nv;
    m->cap = ncap;
  }
  struct mhost *h = &m->hosts[m->nhosts];
  memset(h, 0, sizeof(*h));
  h->first = host;
  h->keys = json_object();
  h->unfinished = json_array();
  h->unfinished_keys = json_object();
  if (!h->keys || !h->unfinished || !h->unfinished_keys) {
    json_decref(h->keys); /* not counted in nhosts: free_merge would not see them */
    json_decref(h->unfinished);
    json_decref(h->unfinished_keys);
    return NULL;
  }
  json_object_set_new(m->names, name, json_integer((json_int_t)m->nhosts));
  m->nhosts++;
  return h;
}

static struct mcheck *check_for(struct merge *m, struct mhost *h, const char *key)
{
  json_t *idx = json_object_get(h->keys, key);
  if (idx)
    return &h->v[json_integer_value(idx)];
  if (h->n == h->cap) {
    size_t ncap = h->cap ? h->cap * 2 : 32;
    struct mcheck *nv = realloc(h->v, ncap * sizeof(*nv));
    if (!nv)
      return NULL;
    h->v = nv;
    h->cap = ncap;
  }
  struct mcheck *c = &h->v[h->n];
  c->per = calloc(m->nsrc, sizeof(*c->per));
  if (!c->per)
    return NULL;
  json_object_set_new(h->keys, key, json_integer((json_int_t)h->n));
  h->n++;
  return c;
}

/* A partial input's unfinished checks stay in the merged report, under the host, each
 * with the vantage that did not finish it (once per vantage and check key). */
static int keep_unfinished(struct mhost *h, const json_t *host, const char *vantage)
{
  size_t i;
  json_t *e;
  json_array_foreach(json_object_get(host, "not_checked"), i, e)
  {
    char key[64], vkey[128];
    if (!json_is_object(e))
      continue;
    const char *v = report_doc_str(e, "vantage");
    v = v ? v : vantage;
    snprintf(vkey, sizeof(vkey), "%s %s", v, report_doc_key(e, key, sizeof(key)));
    if (json_object_get(h->unfinished_keys, vkey))
      continue;
    json_t *copy = json_copy((json_t *)e);
    if (!copy || json_object_set_new(copy, "vantage", json_string(v)) < 0 ||
        json_array_append_new(h->unfinished, copy) < 0 ||
        json_object_set_new(h->unfinished_keys, vkey, json_true()) < 0)
      return -1;
  }
  return 0;
}

static int index_report(struct merge *m, size_t k)
{
  json_t *hosts = json_object_get(m->src[k].root, "hosts");
  size_t i, j;
  json_t *host, *check;
  json_array_foreach(hosts, i, host)
  {
    struct mhost *h = host_for(m, host);
    if (!h)
      return -1;
    json_array_foreach(json_object_get(host, "checks"), j, check)
    {
      char key[64];
      struct mcheck *c = check_for(m, h, report_doc_key(check, key, sizeof(key)));
      if (!c)
        return -1;
      c->per[k] = check;
    }
    if (keep_unfinished(h, host, m->src[k].vantage) < 0)
      return -1;
  }
  return 0;
}

/* "the server network or the Internet (--from servers, internet)" from a check's "from". */
static void who_can(const json_t *check, char *buf, size_t cap)
{
  char names[120] = "";
  size_t used = 0, nused = 0;
  size_t i;
  json_t *v;
  int n = 0;
  json_array_foreach(json_object_get(check, "from"), i, v)
  {
    enum uc_vantage vt;
    if (!json_is_string(v) || uc_vantage_parse(json_string_value(v), &vt) < 0)
      continue;
    const char *phrase = uc_vantage_phrase(vt) + strlen("a scan from ");
    if (used < cap)
      used += (size_t)snprintf(buf + used, cap - used, "%s%s", n ? " or " : "", phrase);
    if (nused < sizeof(names))
      nused += (size_t)snprintf(names + nused, sizeof(names) - nused, "%s%s", n ? ", " : "",
                                uc_vantage_name(vt));
    n++;
  }
  if (used < cap)
    snprintf(buf + used, cap - used, " (--from %s)", names);
}

static bool mandatory(const json_t *check)
{
  size_t i;
  json_t *r;
  json_array_foreach(json_object_get(check, "requirements"), i, r)
  {
    if (!json_is_true(json_object_get(r, "optional")))
      return true;
  }
  return false;
}

/* No entitled report has the check: skip, saying who could test it. */
static json_t *uncovered(const struct merge *m, const struct mcheck *c, const json_t *any)
{
  json_t *o = json_deep_copy(any);
  char who[200], reason[UC_REASON_MAX];
  const struct source *stopped = NULL;
  for (size_t k = 0; k < m->nsrc; k++)
    if (entitled(m->src[k].vantage, any) && !c->per[k])
      stopped = &m->src[k];
  who_can(any, who, sizeof(who));
  if (stopped)
    snprintf(reason, sizeof(reason), "not tested: the scan from %s (%s) stopped before this check",
             stopped->vantage, stopped->file);
  else
    snprintf(reason, sizeof(reason), "not tested: needs a scan from %s, and no report merged is",
             who);
  json_object_set_new(o, "state", json_null());
  json_object_set_new(o, "verdict", json_string("skip"));
  json_object_set_new(o, "reason", json_string(reason));
  json_object_set_new(o, "rtt_ms", json_null());
  json_object_set_new(o, "attempts", json_integer(0));
  json_object_set_new(o, "evidence", json_object());
  json_object_set_new(o, "vantage", json_null());
  return o;
}

/* How a report's result of a check counts. A report scanned without --from (vantage "any")
 * tests every row but stands for no firewall path in particular, so its result is used only
 * where no vantage the row names tested the check. A skip is no test. */
enum standing {
  NOT_ENTITLED,
  UNTESTED, /* entitled, but skipped (an optional port not in use, no interface address) */
  BY_ANY,   /* tested by a scan from vantage "any" */
  BY_NAMED, /* tested by a vantage the check's "from" names (any vantage, before v2) */
};

static enum standing standing(const struct source *s, const json_t *check)
{
  if (!entitled(s->vantage, check))
    return NOT_ENTITLED;
  if (report_doc_verdict(check) == UC_SKIP)
    return UNTESTED;
  return strcmp(s->vantage, "any") == 0 ? BY_ANY : BY_NAMED;
}

/* A result of vantage "any" standing in: the reason says whose test it is not. */
static void note_any(json_t *o)
{
  char who[200], note[260], reason[UC_REASON_MAX + sizeof(note)];
  if (!json_is_array(json_object_get(o, "from")))
    return; /* a check before v2: no vantage is named */
  const char *was = report_doc_str(o, "reason");
  who_can(o, who, sizeof(who));
  snprintf(note, sizeof(note), "(from a scan without --from: no report from %s tested it)", who);
  if (!was || !*was) {
    json_object_set_new(o, "reason", json_string(note));
    return;
  }
  int room = (int)(sizeof(reason) - strlen(note) - 2);
  snprintf(reason, sizeof(reason), "%.*s %s", room, was, note);
  json_object_set_new(o, "reason", json_string(reason));
}

/* The merged form of one check; *is_uncovered says whether it is a required row no report
 * could test. The result is that of the entitled reports of the best standing (a vantage the
 * row names, else "any", else a skip), the worst verdict among them. */
static json_t *merge_check(const struct merge *m, const struct mcheck *c, bool *is_uncovered)
{
  const json_t *any = NULL;
  size_t best = m->nsrc, entitled_n = 0;
  enum standing top = NOT_ENTITLED;
  *is_uncovered = false;
  for (size_t k = 0; k < m->nsrc; k++) {
    if (!c->per[k])
      continue;
    if (!any)
      any = c->per[k];
    enum standing st = standing(&m->src[k], c->per[k]);
    if (st == NOT_ENTITLED)
      continue;
    entitled_n++;
    if (st > top || (st == top && badness(c->per[k]) > badness(c->per[best]))) {
      best = k;
      top = st;
    }
  }
  if (!testable(any)) {
    json_t *o = json_deep_copy(any);
    json_object_set_new(o, "vantage", json_null());
    return o;
  }
  if (best == m->nsrc) {
    *is_uncovered = mandatory(any);
    return uncovered(m, c, any);
  }
  json_t *o = json_deep_copy(c->per[best]);
  json_object_set_new(o, "vantage", json_string(m->src[best].vantage));
  if (top == BY_ANY)
    note_any(o);
  if (entitled_n > 1) {
    json_t *all = json_object();
    for (size_t k = 0; k < m->nsrc; k++)
      if (c->per[k] && entitled(m->src[k].vantage, c->per[k]) &&
          !json_object_get(all, m->src[k].vantage)) /* the first of a vantage given twice */
        json_object_set(all, m->src[k].vantage, json_object_get(c->per[k], "verdict"));
    json_object_set_new(o, "vantages", all);
  }
  return o;
}

struct counts {
  json_int_t v[UC_VERDICT_COUNT];
  json_int_t uncovered;
  json_int_t not_checked;
};

static json_t *summary(const struct counts *c)
{
  return json_pack("{s:I, s:I, s:I, s:I}", "pass", c->v[UC_PASS], "warn", c->v[UC_WARN], "fail",
                   c->v[UC_FAIL], "skip", c->v[UC_SKIP]);
}

/* The host's address from the first report that knows one: a name resolved from one
 * vantage only is still shown. */
static json_t *first_address(const struct merge *m, const struct mhost *h)
{
  json_t *name = json_object_get(h->first, "name");
  for (size_t k = 0; k < m->nsrc; k++) {
    size_t i;
    json_t *host;
    json_array_foreach(json_object_get(m->src[k].root, "hosts"), i, host)
    {
      json_t *addr = json_object_get(host, "address");
      if (json_equal(json_object_get(host, "name"), name) && json_is_string(addr))
        return addr;
    }
  }
  return json_null();
}

/* Whether an input of `vantage` has a result for the check `key` (another scan from the same
 * place finished what a partial one did not). */
static bool vantage_has(const struct merge *m, const struct mhost *h, const char *vantage,
                        const char *key)
{
  json_t *idx = json_object_get(h->keys, key);
  if (!idx)
    return false;
  const struct mcheck *c = &h->v[json_integer_value(idx)];
  for (size_t k = 0; k < m->nsrc; k++)
    if (c->per[k] && strcmp(m->src[k].vantage, vantage) == 0)
      return true;
  return false;
}

/* The host's unfinished entries that no input of their vantage finished (a new reference). */
static json_t *still_unfinished(const struct merge *m, const struct mhost *h)
{
  json_t *a = json_array();
  size_t i;
  json_t *e;
  json_array_foreach(h->unfinished, i, e)
  {
    char key[64];
    if (!vantage_has(m, h, report_doc_str(e, "vantage"), report_doc_key(e, key, sizeof(key))))
      json_array_append(a, e);
  }
  return a;
}

static json_t *merge_host(const struct merge *m, const struct mhost *h, struct counts *total)
{
  json_t *o = json_object();
  struct counts hc = {0};
  json_object_set(o, "name", json_object_get(h->first, "name"));
  json_object_set(o, "address", first_address(m, h));
  json_object_set(o, "roles", json_object_get(h->first, "roles"));
  json_t *checks = json_array();
  for (size_t i = 0; i < h->n; i++) {
    bool unc;
    json_t *ck = merge_check(m, &h->v[i], &unc);
    int v = report_doc_verdict(ck);
    if (v >= 0 && v < UC_VERDICT_COUNT) {
      hc.v[v]++;
      total->v[v]++;
    }
    total->uncovered += unc;
    json_array_append_new(checks, ck);
  }
  json_object_set_new(o, "summary", summary(&hc));
  json_object_set_new(o, "checks", checks);
  json_t *unfinished = still_unfinished(m, h);
  if (json_array_size(unfinished) > 0)
    json_object_set(o, "not_checked", unfinished);
  total->not_checked += (json_int_t)json_array_size(unfinished);
  json_decref(unfinished);
  return o;
}

static int differs(const struct source *src, size_t n, const struct jdoc *docs, const char *key,
                   struct uc_err *err)
{
  const char *first = report_doc_str(src[0].root, key);
  for (size_t k = 1; k < n; k++) {
    const char *v = report_doc_str(src[k].root, key);
    if (first && v && strcmp(first, v) == 0)
      continue;
    struct jpath p = {0};
    jpath_key(&p, key);
    return jdoc_error(&docs[k], &p, 0, err,
                      "%s \"%s\" differs from %s's \"%s\": merge reports of one deployment, or "
                      "give --force",
                      key, v ? v : "", src[0].file, first ? first : "");
  }
  return 0;
}

static json_t *merged_from(const struct source *src, size_t n, bool *complete)
{
  json_t *a = json_array();
  *complete = true;
  for (size_t k = 0; k < n; k++) {
    json_t *c = json_object_get(src[k].root, "complete");
    bool done = !c || json_is_true(c);
    *complete = *complete && done;
    json_t *fin = json_object_get(src[k].root, "finished_at");
    json_array_append_new(a, json_pack("{s:s, s:s, s:O, s:b}", "vantage", src[k].vantage, "file",
                                       src[k].file, "finished_at", fin ? fin : json_null(),
                                       "complete", done));
  }
  return a;
}

/* Earliest start and latest finish, and the time between them. */
static void times(json_t *root, const struct source *src, size_t n)
{
  const char *start = NULL, *end = NULL;
  time_t ts = 0, te = 0;
  for (size_t k = 0; k < n; k++) {
    time_t t;
    const char *s = report_doc_str(src[k].root, "started_at");
    const char *e = report_doc_str(src[k].root, "finished_at");
    if (s && report_doc_time(s, &t) == 0 && (!start || t < ts)) {
      start = s;
      ts = t;
    }
    if (e && report_doc_time(e, &t) == 0 && (!end || t > te)) {
      end = e;
      te = t;
    }
  }
  json_object_set_new(root, "started_at", start ? json_string(start) : json_null());
  json_object_set_new(root, "finished_at", end ? json_string(end) : json_null());
  json_object_set_new(root, "duration_ms",
                      start && end ? json_integer((json_int_t)(te - ts) * 1000) : json_null());
}

static void free_merge(struct merge *m)
{
  for (size_t i = 0; i < m->nhosts; i++) {
    for (size_t k = 0; k < m->hosts[i].n; k++)
      free(m->hosts[i].v[k].per);
    free(m->hosts[i].v);
    json_decref(m->hosts[i].keys);
    json_decref(m->hosts[i].unfinished);
    json_decref(m->hosts[i].unfinished_keys);
  }
  free(m->hosts);
  json_decref(m->names);
}

static json_t *build(struct merge *m)
{
  const json_t *first = m->src[0].root;
  json_t *root = json_object();
  struct counts total = {0};
  bool complete;
  json_object_set_new(root, "schema", json_string(REPORT_SCHEMA));
  json_object_set(root, "tool", json_object_get(first, "tool"));
  json_object_set(root, "topology", json_object_get(first, "topology"));
  json_object_set(root, "product", json_object_get(first, "product"));
  times(root, m->src, m->nsrc);
  json_t *from = merged_from(m->src, m->nsrc, &complete);
  json_object_set_new(root, "complete", json_boolean(complete));
  json_object_set_new(root, "merged_from", from);
  json_t *hosts = json_array();
  for (size_t i = 0; i < m->nhosts; i++)
    json_array_append_new(hosts, merge_host(m, &m->hosts[i], &total));
  json_t *sum = summary(&total);
  json_int_t checks = 0;
  for (int v = 0; v < UC_VERDICT_COUNT; v++)
    checks += total.v[v];
  json_object_set_new(sum, "hosts", json_integer((json_int_t)m->nhosts));
  json_object_set_new(sum, "checks", json_integer(checks));
  json_object_set_new(sum, "uncovered", json_integer(total.uncovered));
  if (!complete)
    json_object_set_new(sum, "not_checked", json_integer(total.not_checked));
  json_object_set_new(root, "summary", sum);
  json_object_set_new(root, "hosts", hosts);
  return root;
}

json_t *merge_reports(const struct jdoc *docs, const char *const *files, size_t n, bool force,
                      struct uc_err *err)
{
  struct source *src = calloc(n ? n : 1, sizeof(*src));
  struct merge m = {.src = src, .nsrc = n, .names = json_object()};
  json_t *out = NULL;
  if (!src || !m.names || n == 0) {
    uc_err_set(err, "merge", 0, 0, n ? "out of memory" : "no report to merge");
    goto done;
  }
  for (size_t k = 0; k < n; k++) {
    src[k].root = docs[k].root;
    src[k].file = files[k];
    src[k].vantage = doc_vantage(docs[k].root);
  }
  if (!force &&
      (differs(src, n, docs, "topology", err) < 0 || differs(src, n, docs, "product", err) < 0))
    goto done;
  for (size_t k = 0; k < n; k++)
    if (index_report(&m, k) < 0) {
      uc_err_set(err, "merge", 0, 0, "out of memory");
      goto done;
    }
  out = build(&m);
done:
  free_merge(&m);
  free(src);
  return out;
}

int merge_exit_status(const json_t *merged)
{
  if (!json_is_true(json_object_get(merged, "complete")))
    return 3;
  json_int_t fail = json_integer_value(json_object_get(json_object_get(merged, "summary"), "fail"));
  return fail > 0 ? 1 : 0;
}
