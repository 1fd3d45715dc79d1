/* tests/fuzz/fuzz_udp.c - the generic UDP probe and the listener's token exchange
 * (probes/udp.h): udp_token_respond on any datagram, probe_udp on any reply.
 *
 * Checks, beyond "no crash":
 *   udp_token_respond  answers exactly "ucscan-probe/1 <16 hex digits>" (LF or CRLF
 *                      optional), with "ucscan-listener/1 <the same digits>\n", and nothing
 *                      when the buffer is too small;
 *   probe_udp          any datagram from the target is PROBE_DONE, OK and open, and names the
 *                      listener exactly when it is the listener's answer to our nonce; from
 *                      elsewhere it is ignored (open|filtered, the stray source named). */
#include <arpa/inet.h>

#include "fuzz_util.h"
#include "probes/udp.h"

static const uint8_t rnd[32] = {0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89};
static struct sockaddr_in foreign4;

static int is_hex(uint8_t c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Is buf "<token> <16 hex>" with an optional LF or CRLF? */
static int token_line(const uint8_t *buf, size_t len, const char *token)
{
  size_t tl = strlen(token);
  if (len && buf[len - 1] == '\n')
    len--;
  if (len && buf[len - 1] == '\r')
    len--;
  if (len != tl + 1 + UDP_NONCE_HEX || memcmp(buf, token, tl) != 0 || buf[tl] != ' ')
    return 0;
  for (size_t i = tl + 1; i < len; i++)
    if (!is_hex(buf[i]))
      return 0;
  return 1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  foreign4.sin_family = AF_INET;
  foreign4.sin_port = htons(50000);
  foreign4.sin_addr.s_addr = htonl(0xC6120063u);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  uint8_t out[128];
  uint8_t *req = fuzz_dup(data, size);
  size_t n = udp_token_respond(req, size, out, sizeof(out));
  int want = token_line(req, size, UC_PROBE_TOKEN);
  FUZZ_CHECK((n > 0) == want, "answered %zu bytes to a %s", n, want ? "probe" : "non-probe");
  if (n) {
    size_t tl = strlen(UC_PROBE_TOKEN), ll = strlen(UC_LISTENER_TOKEN);
    FUZZ_CHECK(n == ll + 1 + UDP_NONCE_HEX + 1 && out[n - 1] == '\n' &&
                   token_line(out, n, UC_LISTENER_TOKEN) &&
                   memcmp(out + ll + 1, req + tl + 1, UDP_NONCE_HEX) == 0,
               "answer \"%.*s\"", (int)n, out);
    FUZZ_CHECK(udp_token_respond(req, size, out, n - 1) == 0, "answered into a short buffer");
  }
  free(req);

  /* probe_udp: the datagram from the target, then from elsewhere */
  struct fuzz_target ft;
  struct fuzz_result r;
  fuzz_target_init(&ft, "fe01.contoso.test", 49152, UC_P_UDP);
  struct fuzz_dgram own = {data, size, ft.t.addr};
  fuzz_run_udp(&probe_udp, &ft.t, rnd, &own, 1, &r);
  FUZZ_CHECK(r.done_in_classify && r.outcome == UC_OUT_OK && r.state == UC_ST_OPEN,
             "a datagram from the target: \"%s\"", r.reason);
  int ours = token_line(data, size, UC_LISTENER_TOKEN) &&
             memcmp(data + strlen(UC_LISTENER_TOKEN) + 1, "abcdef0123456789", UDP_NONCE_HEX) == 0;
  FUZZ_CHECK(r.listener == ours, "listener %d for \"%s\"", r.listener, r.reason);
  struct fuzz_dgram stray = {data, size, (const struct sockaddr *)&foreign4};
  fuzz_run_udp(&probe_udp, &ft.t, rnd, &stray, 1, &r);
  FUZZ_CHECK(!r.done_in_classify && r.state == UC_ST_OPEN_FILTERED && !r.listener &&
                 strstr(r.reason, "198.18.0.99:50000"),
             "a stray datagram: \"%s\"", r.reason);
  return 0;
}
