/* probes/sqlbrowser.c - SQL Server Browser probe module, SVR_RESP parser and responder
 * ([MC-SQLR]; see sqlbrowser.h). */
#include "sqlbrowser.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* RESP_DATA may be 65,535 bytes ([MC-SQLR] 2.2.5): read whole SVR_RESP datagrams. */
#define SQLB_READ_CAP (3 + 65535)
#define SQLB_WHY_MAX 160

static void sqlb_err(char *err, size_t errcap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void sqlb_err(char *err, size_t errcap, const char *fmt, ...)
{
  if (!err || errcap == 0)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errcap, fmt, ap);
  va_end(ap);
}

static int sqlb_key_is(const uint8_t *key, size_t klen, const char *name)
{
  return klen == strlen(name) && strncasecmp((const char *)key, name, klen) == 0;
}

static int sqlb_contains(const uint8_t *hay, size_t n, const char *needle)
{
  size_t m = strlen(needle);
  if (m == 0 || n < m)
    return 0;
  for (size_t i = 0; i + m <= n; i++)
    if (memcmp(hay + i, needle, m) == 0)
      return 1;
  return 0;
}

/* Decimal TCP port, or -1. */
static int sqlb_port(const uint8_t *v, size_t n)
{
  unsigned long p = 0;
  if (n == 0 || n > 5)
    return -1;
  for (size_t i = 0; i < n; i++) {
    if (v[i] < '0' || v[i] > '9')
      return -1;
    p = p * 10 + (unsigned long)(v[i] - '0');
  }
  return p <= 65535 ? (int)p : -1;
}

int sqlb_parse(const uint8_t *buf, size_t len, struct sqlb_reply *out, char *err, size_t errcap)
{
  memset(out, 0, sizeof(*out));
  if (!buf || len == 0) {
    sqlb_err(err, errcap, "empty datagram");
    return -1;
  }
  if (buf[0] != SQLB_SVR_RESP) {
    sqlb_err(err, errcap, "type byte 0x%02x, expected 0x05 (SVR_RESP)", buf[0]);
    return -1;
  }
  if (len < 3) {
    sqlb_err(err, errcap, "header truncated (%zu bytes, SVR_RESP needs 3)", len);
    return -1;
  }
  size_t size = (size_t)buf[1] | ((size_t)buf[2] << 8);
  if (size != len - 3) {
    sqlb_err(err, errcap, "RESP_SIZE %zu but %zu bytes follow", size, len - 3);
    return -1;
  }
  if (size == 0) {
    sqlb_err(err, errcap, "empty RESP_DATA");
    return -1;
  }
  out->resp_size = size;

  const uint8_t *d = buf + 3;
  size_t p = 0, rec = 0;
  while (p < size) {
    struct sqlb_instance cur = {.tcp_port = -1};
    size_t start = p;
    int first = 1, have_name = 0;
    rec++;
    for (;;) {
      if (p >= size) {
        sqlb_err(err, errcap, "record %zu not terminated by ';;'", rec);
        return -1;
      }
      if (d[p] == ';') { /* the second ';' of ";;" */
        if (first) {
          sqlb_err(err, errcap, "record %zu is empty", rec);
          return -1;
        }
        p++;
        break;
      }
      const uint8_t *semi = memchr(d + p, ';', size - p);
      if (!semi) {
        sqlb_err(err, errcap, "record %zu truncated mid-record (%zu bytes into it)", rec,
                 size - start);
        return -1;
      }
      const uint8_t *key = d + p;
      size_t klen = (size_t)(semi - key);
      p += klen + 1;
      char kshow[24];
      probe_printable(kshow, sizeof(kshow), key, klen);
      semi = p < size ? memchr(d + p, ';', size - p) : NULL;
      if (!semi) {
        sqlb_err(err, errcap, "record %zu truncated mid-record (no ';' after the value of '%s')",
                 rec, kshow);
        return -1;
      }
      const uint8_t *val = d + p;
      size_t vlen = (size_t)(semi - val);
      p += vlen + 1;
      if (first && !sqlb_key_is(key, klen, "ServerName")) {
        sqlb_err(err, errcap, "record %zu starts with '%s', not ServerName", rec, kshow);
        return -1;
      }
      first = 0;
      if (sqlb_key_is(key, klen, "ServerName")) {
        if (vlen > SQLB_MAX_NAME) {
          sqlb_err(err, errcap, "record %zu: ServerName longer than %d bytes", rec, SQLB_MAX_NAME);
          return -1;
        }
        cur.server = val;
        cur.server_len = vlen;
      } else if (sqlb_key_is(key, klen, "InstanceName")) {
        if (vlen == 0 || vlen > SQLB_MAX_NAME) {
          sqlb_err(err, errcap, "record %zu: InstanceName %s", rec,
                   vlen ? "longer than 255 bytes" : "is empty");
          return -1;
        }
        cur.name = val;
        cur.name_len = vlen;
        have_name = 1;
      } else if (sqlb_key_is(key, klen, "Version")) {
        cur.version = val;
        cur.version_len = vlen;
      } else if (sqlb_key_is(key, klen, "tcp")) {
        cur.tcp_port = sqlb_port(val, vlen);
      }
    }
    if (!have_name) {
      sqlb_err(err, errcap, "record %zu has no InstanceName", rec);
      return -1;
    }
    if (out->ninstances < SQLB_MAX_INSTANCES)
      out->inst[out->ninstances++] = cur;
    out->total_instances++;
  }
  return 0;
}

/* A name the responder may put in a record. */
static int sqlb_name_ok(const char *s)
{
  size_t n = s ? strlen(s) : 0;
  return n > 0 && n <= SQLB_MAX_NAME && !strchr(s, ';');
}

size_t sqlb_respond(const uint8_t *req, size_t len, const char *server,
                    const char *const *instances, size_t n, uint8_t *out, size_t cap)
{
  size_t only = n, limit = 65535;
  if (!req || len == 0 || !out || n == 0 || !instances || !sqlb_name_ok(server))
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!sqlb_name_ok(instances[i]))
      return 0;
  switch (req[0]) {
  case SQLB_CLNT_BCAST_EX:
  case SQLB_CLNT_UCAST_EX:
    if (len != 1)
      return 0;
    break;
  case SQLB_CLNT_UCAST_INST: {
    const uint8_t *nul = memchr(req + 1, '\0', len - 1);
    size_t qlen = nul ? (size_t)(nul - (req + 1)) : 0;
    if (!nul || qlen == 0 || qlen > SQLB_MAX_INST_QUERY)
      return 0;
    for (size_t i = 0; i < n && only == n; i++)
      if (strlen(instances[i]) == qlen &&
          strncasecmp(instances[i], (const char *)req + 1, qlen) == 0)
        only = i;
    if (only == n)
      return 0; /* the server ignores requests for instances it does not have */
    limit = 1024;
    break;
  }
  default:
    return 0;
  }
  if (cap < 3)
    return 0;
  size_t pos = 3;
  for (size_t i = 0; i < n; i++) {
    if (only != n && i != only)
      continue;
    char rec[2 * SQLB_MAX_NAME + 128]; /* both names are at most 255 bytes */
    int w = snprintf(rec, sizeof(rec), "ServerName;%s;InstanceName;%s;IsClustered;No;Version;%s;;",
                     server, instances[i], SQLB_RESPONDER_VERSION);
    if (w < 0 || (size_t)w >= sizeof(rec) || (size_t)w > cap - pos)
      return 0;
    memcpy(out + pos, rec, (size_t)w);
    pos += (size_t)w;
  }
  size_t size = pos - 3;
  if (size > limit)
    return 0;
  out[0] = SQLB_SVR_RESP;
  out[1] = (uint8_t)(size & 0xFF);
  out[2] = (uint8_t)(size >> 8);
  return pos;
}

/* ---- probe module ------------------------------------------------------------------------ */

struct sqlb_state {
  struct probe_anomaly anomaly; /* the first datagram that did not belong */
  int listener;
};

static void sqlb_init(void *state, const struct probe_target *t, const uint8_t rnd[32])
{
  /* Nothing to derive: [MC-SQLR] requests carry no transaction id. */
}

static size_t sqlb_build(void *state, const struct probe_target *t, unsigned i, uint8_t *buf,
                         size_t cap)
{
  if (i != 0 || cap < 1)
    return 0;
  buf[0] = SQLB_CLNT_UCAST_EX;
  return 1;
}

/* Appends name to the reason's "RTCLOCAL, LYNCLOCAL" list; once a name no longer fits (or
 * name is NULL: more instances than kept), ends the list with "..." and ignores the rest. */
static void sqlb_list_add(char *dst, size_t cap, size_t *pos, int *cut, const char *name)
{
  const char *sep = *pos ? ", " : "";
  if (*cut)
    return;
  if (!name || *pos + strlen(sep) + strlen(name) + 5 >= cap) { /* keep room for ", ..." */
    snprintf(dst + *pos, cap - *pos, "%s...", sep);
    *cut = 1;
    return;
  }
  *pos += (size_t)snprintf(dst + *pos, cap - *pos, "%s%s", sep, name);
}

static enum probe_status sqlb_classify(void *state, const struct probe_target *t,
                                       const uint8_t *buf, size_t len, const struct sockaddr *from,
                                       struct probe_outcome *out)
{
  struct sqlb_state *st = state;
  struct sqlb_reply r;
  char why[SQLB_WHY_MAX];
  if (!probe_addr_equal(from, t->addr)) {
    char a[64];
    probe_addr_str(from, a, sizeof(a));
    probe_anomaly_note(&st->anomaly, PROBE_ANOM_FOREIGN, "reply from %s, not the target", a);
    return PROBE_MORE;
  }
  if (buf && sqlb_contains(buf, len, UC_LISTENER_TOKEN))
    st->listener = 1;
  if (sqlb_parse(buf, len, &r, why, sizeof(why)) != 0) {
    probe_anomaly_note(&st->anomaly, PROBE_ANOM_INVALID, "%s", why);
    return PROBE_MORE;
  }

  char name[SQLB_MAX_NAME + 1], server[SQLB_MAX_NAME + 1] = "", list[160] = "";
  size_t lpos = 0;
  int cut = 0;
  json_t *arr = json_array();
  for (size_t i = 0; i < r.ninstances; i++) {
    probe_printable(name, sizeof(name), r.inst[i].name, r.inst[i].name_len);
    json_array_append_new(arr, json_string(name));
    sqlb_list_add(list, sizeof(list), &lpos, &cut, name);
  }
  if (r.total_instances > r.ninstances)
    sqlb_list_add(list, sizeof(list), &lpos, &cut, NULL);
  if (r.inst[0].server)
    probe_printable(server, sizeof(server), r.inst[0].server, r.inst[0].server_len);

  json_t *sb = json_object();
  json_object_set_new(sb, "instances", arr);
  json_object_set_new(sb, "server", json_string(server));
  out->evidence = json_object();
  json_object_set_new(out->evidence, "sql_browser", sb);
  probe_outcome_set(out, UC_OUT_OK, UC_ST_OPEN, "SQL Browser answered: %zu instance%s (%s)",
                    r.total_instances, r.total_instances == 1 ? "" : "s", list);
  out->listener = st->listener;
  return PROBE_DONE;
}

static void sqlb_finish(void *state, const struct probe_target *t, enum probe_end why,
                        const uint8_t *buf, size_t len, struct probe_outcome *out)
{
  struct sqlb_state *st = state;
  probe_anomaly_finish(&st->anomaly, "SQL Browser", "no SQL Browser answer (open|filtered)", out);
  out->listener = st->listener;
}

const struct probe_module probe_sqlbrowser = {
    .name = "sql-browser",
    .transport = UC_UDP,
    .read_cap = SQLB_READ_CAP,
    .state_size = sizeof(struct sqlb_state),
    .init = sqlb_init,
    .build = sqlb_build,
    .classify = sqlb_classify,
    .finish = sqlb_finish,
};
