/* tests/fuzz/fuzz_sqlb.c - SQL Server Browser ([MC-SQLR], probes/sqlbrowser.h): sqlb_parse,
 * sqlb_respond and the probe_sqlbrowser module.
 *
 * The input is one datagram: a reply for the parser and the module, a request for the
 * responder. Checks, beyond "no crash":
 *   sqlb_parse      success: RESP_SIZE == len - 3; instances kept == min(records, 64); each has
 *                   a ServerName (<= 255 bytes) and an InstanceName (1..255 bytes) inside the
 *                   RESP_DATA, a Version inside it or none, a tcp port -1..65535;
 *                   failure: a printable one-line reason.
 *   sqlb_respond    an answer parses; CLNT_UCAST_INST is answered with exactly the named
 *                   instance, the broadcast/unicast requests with every instance in order;
 *                   it fits the buffer; with names taken from the input, an answer carries them
 *                   back unchanged.
 *   module          the contract (printable reason, outcome, state, evidence); PROBE_DONE
 *                   exactly when the datagram parses; a datagram from another address first
 *                   does not change the verdict. */
#include <arpa/inet.h>
#include <strings.h>

#include "fuzz_util.h"
#include "probes/sqlbrowser.h"

static const uint8_t rnd[32];
static struct sockaddr_in foreign4;

static void check_reply(const uint8_t *buf, size_t len, const struct sqlb_reply *r)
{
  const uint8_t *lo = buf + 3, *hi = buf + len;
  FUZZ_CHECK(len >= 4 && r->resp_size == len - 3, "RESP_SIZE %zu for %zu bytes", r->resp_size, len);
  FUZZ_CHECK(r->total_instances >= 1 && r->ninstances <= SQLB_MAX_INSTANCES &&
                 r->ninstances == (r->total_instances < SQLB_MAX_INSTANCES ? r->total_instances
                                                                           : SQLB_MAX_INSTANCES),
             "kept %zu of %zu instances", r->ninstances, r->total_instances);
  for (size_t i = 0; i < r->ninstances; i++) {
    const struct sqlb_instance *in = &r->inst[i];
    FUZZ_CHECK(in->server && in->server >= lo && in->server + in->server_len <= hi &&
                   in->server_len <= SQLB_MAX_NAME,
               "instance %zu ServerName bounds", i);
    FUZZ_CHECK(in->name && in->name >= lo && in->name + in->name_len <= hi && in->name_len >= 1 &&
                   in->name_len <= SQLB_MAX_NAME,
               "instance %zu InstanceName bounds (%zu bytes)", i, in->name_len);
    FUZZ_CHECK(!in->version || (in->version >= lo && in->version + in->version_len <= hi),
               "instance %zu Version bounds", i);
    FUZZ_CHECK(in->tcp_port >= -1 && in->tcp_port <= 65535, "instance %zu tcp %d", i, in->tcp_port);
    FUZZ_CHECK(!memchr(in->name, ';', in->name_len) && !memchr(in->server, ';', in->server_len),
               "instance %zu: a name holds ';'", i);
  }
}

static int parse_checked(const uint8_t *buf, size_t len, struct sqlb_reply *r)
{
  char err[160] = "";
  int rc = sqlb_parse(buf, len, r, err, sizeof(err));
  if (rc == 0) {
    check_reply(buf, len, r);
  } else {
    FUZZ_CHECK(rc == -1, "sqlb_parse returned %d", rc);
    fuzz_check_printable(err, sizeof(err), 0, "sqlb_parse error");
  }
  return rc;
}

static int name_is(const struct sqlb_instance *in, const char *name)
{
  return in->name_len == strlen(name) && memcmp(in->name, name, in->name_len) == 0;
}

static void responder(const uint8_t *data, size_t size)
{
  static const char *const inst[] = {"RTCLOCAL", "LYNCLOCAL", "RTC"};
  const size_t ninst = sizeof(inst) / sizeof(inst[0]);
  uint8_t *req = fuzz_dup(data, size), out[2048];
  struct sqlb_reply r;
  size_t caps[2] = {sizeof(out), 3 + (size % 200)};
  for (int k = 0; k < 2; k++) {
    size_t n = sqlb_respond(req, size, "FE01 " UC_LISTENER_TOKEN, inst, ninst, out, caps[k]);
    if (!n)
      continue;
    FUZZ_CHECK(n <= caps[k], "answer of %zu bytes in %zu", n, caps[k]);
    FUZZ_CHECK(size >= 1, "answered nothing");
    FUZZ_CHECK(parse_checked(out, n, &r) == 0, "the responder's answer does not parse");
    if (req[0] == SQLB_CLNT_UCAST_INST) {
      const uint8_t *nul = memchr(req + 1, 0, size - 1);
      FUZZ_CHECK(nul && r.total_instances == 1, "CLNT_UCAST_INST answered with %zu instances",
                 r.total_instances);
      size_t qlen = (size_t)(nul - (req + 1));
      FUZZ_CHECK(r.inst[0].name_len == qlen &&
                     strncasecmp((const char *)r.inst[0].name, (const char *)req + 1, qlen) == 0,
                 "CLNT_UCAST_INST answered with another instance");
    } else {
      FUZZ_CHECK((req[0] == SQLB_CLNT_BCAST_EX || req[0] == SQLB_CLNT_UCAST_EX) && size == 1,
                 "answered request type 0x%02x of %zu bytes", req[0], size);
      FUZZ_CHECK(r.total_instances == ninst, "%zu instances", r.total_instances);
      for (size_t i = 0; i < ninst; i++)
        FUZZ_CHECK(name_is(&r.inst[i], inst[i]), "instance %zu", i);
    }
  }
  free(req);

  /* names from the input: the responder must refuse what it cannot write back intact */
  size_t half = size / 2;
  char *server = fuzz_str(data, half, 300), *name = fuzz_str(data + half, size - half, 300);
  const char *names[1] = {name};
  uint8_t q = SQLB_CLNT_UCAST_EX;
  size_t n = sqlb_respond(&q, 1, server, names, 1, out, sizeof(out));
  if (n) {
    FUZZ_CHECK(parse_checked(out, n, &r) == 0 && r.total_instances == 1,
               "answer with names from the input does not parse");
    FUZZ_CHECK(r.inst[0].server_len == strlen(server) &&
                   memcmp(r.inst[0].server, server, r.inst[0].server_len) == 0 &&
                   name_is(&r.inst[0], name),
               "names did not come back intact");
  }
  free(server);
  free(name);
}

static void module(const uint8_t *data, size_t size)
{
  struct fuzz_target ft;
  struct fuzz_result a, b;
  struct sqlb_reply r;
  fuzz_target_init(&ft, "sql01.contoso.test", 1434, UC_P_SQL_BROWSER);
  struct fuzz_dgram one[1] = {{data, size, ft.t.addr}};
  struct fuzz_dgram two[2] = {{data, size, (const struct sockaddr *)&foreign4},
                              {data, size, ft.t.addr}};
  fuzz_run_udp(&probe_sqlbrowser, &ft.t, rnd, one, 1, &a);
  fuzz_run_udp(&probe_sqlbrowser, &ft.t, rnd, two, 2, &b);
  int parses = sqlb_parse(data, size, &r, NULL, 0) == 0;
  FUZZ_CHECK(a.done_in_classify == parses, "PROBE_DONE %d but parse %d", a.done_in_classify,
             parses);
  if (a.done_in_classify) {
    FUZZ_CHECK(a.outcome == UC_OUT_OK && a.state == UC_ST_OPEN && a.has_evidence,
               "accepted reply: outcome %d state %d", (int)a.outcome, (int)a.state);
    FUZZ_CHECK(b.done_in_classify && strcmp(a.reason, b.reason) == 0,
               "a foreign datagram first changed the verdict: \"%s\" vs \"%s\"", a.reason,
               b.reason);
  } else {
    FUZZ_CHECK(a.outcome == UC_OUT_FAIL && a.state == UC_ST_OPEN && !a.has_evidence,
               "invalid reply: outcome %d state %d", (int)a.outcome, (int)a.state);
    FUZZ_CHECK(b.state == UC_ST_OPEN_FILTERED, "foreign first: \"%s\"", b.reason);
  }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  foreign4.sin_family = AF_INET;
  foreign4.sin_port = htons(1434);
  foreign4.sin_addr.s_addr = htonl(0xC6120063u);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct sqlb_reply r;
  uint8_t *copy = fuzz_dup(data, size);
  parse_checked(copy, size, &r);
  free(copy);
  responder(data, size);
  module(data, size);
  return 0;
}
