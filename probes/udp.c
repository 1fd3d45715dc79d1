/* probes/udp.c - generic UDP: a datagram carrying the ucscan probe token. Most services on
 * such ports (media ranges, ...) ignore it, so silence proves nothing either way: open|filtered.
 * Any datagram back from the target proves the port open; the listener's echo of our nonce
 * proves ucscan's own responder is there. */
#include "udp.h"

#include <string.h>

#include "probe.h"

#define UDP_READ_CAP 2048

struct udp_state {
  char nonce[UDP_NONCE_HEX + 1];
  unsigned strays; /* datagrams from other sources */
  char stray[64];  /* the first stray source, as text */
};

static void udp_init(void *state, const struct probe_target *t, const uint8_t rnd[32])
{
  static const char digits[] = "0123456789abcdef";
  struct udp_state *st = state;
  for (size_t i = 0; i < UDP_NONCE_HEX / 2; i++) {
    st->nonce[2 * i] = digits[rnd[i] >> 4];
    st->nonce[2 * i + 1] = digits[rnd[i] & 15];
  }
  st->nonce[UDP_NONCE_HEX] = '\0';
}

/* "<token> <nonce>\n" into out, no NUL; 0 when it does not fit. */
static size_t udp_put_token(uint8_t *out, size_t cap, const char *token, const uint8_t *nonce)
{
  size_t tl = strlen(token), n = tl + 1 + UDP_NONCE_HEX + 1;
  if (!out || cap < n)
    return 0;
  memcpy(out, token, tl);
  out[tl] = ' ';
  memcpy(out + tl + 1, nonce, UDP_NONCE_HEX);
  out[n - 1] = '\n';
  return n;
}

static size_t udp_build(void *state, const struct probe_target *t, unsigned i, uint8_t *buf,
                        size_t cap)
{
  const struct udp_state *st = state;
  if (i != 0)
    return 0;
  return udp_put_token(buf, cap, UC_PROBE_TOKEN, (const uint8_t *)st->nonce);
}

/* "<token> <hex>" with an optional LF or CRLF after it: returns the offset of the hex digits,
 * or 0 when buf is not exactly that. */
static size_t udp_token_at(const uint8_t *buf, size_t len, const char *token)
{
  size_t tl = strlen(token);
  if (len > 0 && buf[len - 1] == '\n')
    len--;
  if (len > 0 && buf[len - 1] == '\r')
    len--;
  if (len != tl + 1 + UDP_NONCE_HEX || memcmp(buf, token, tl) != 0 || buf[tl] != ' ')
    return 0;
  for (size_t i = tl + 1; i < len; i++) {
    uint8_t c = buf[i];
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
      return 0;
  }
  return tl + 1;
}

static enum probe_status udp_classify(void *state, const struct probe_target *t, const uint8_t *buf,
                                      size_t len, const struct sockaddr *from,
                                      struct probe_outcome *out)
{
  struct udp_state *st = state;
  /* The engine does not filter sources: a datagram from elsewhere is noted, not believed. */
  if (from && t->addr && !probe_addr_equal(from, t->addr)) {
    if (st->strays++ == 0)
      probe_addr_str(from, st->stray, sizeof(st->stray));
    return PROBE_MORE;
  }
  size_t at = udp_token_at(buf, len, UC_LISTENER_TOKEN);
  if (at && memcmp(buf + at, st->nonce, UDP_NONCE_HEX) == 0) {
    probe_outcome_set(out, UC_OUT_OK, UC_ST_OPEN, "ucscan listener answered");
    out->listener = 1;
  } else if (at) {
    probe_outcome_set(out, UC_OUT_OK, UC_ST_OPEN,
                      "UDP reply (%zu bytes): a listener token with another nonce", len);
  } else {
    probe_outcome_set(out, UC_OUT_OK, UC_ST_OPEN, "UDP reply (%zu bytes)", len);
  }
  return PROBE_DONE;
}

static void udp_finish(void *state, const struct probe_target *t, enum probe_end why,
                       const uint8_t *buf, size_t len, struct probe_outcome *out)
{
  const struct udp_state *st = state;
  if (st->strays)
    probe_outcome_set(out, UC_OUT_WARN, UC_ST_OPEN_FILTERED,
                      "no answer from the target and no ICMP error: open|filtered (plain UDP "
                      "obliges no answer); ignored %u datagram%s from other sources (first %s)",
                      st->strays, st->strays == 1 ? "" : "s", st->stray);
  else
    probe_outcome_set(out, UC_OUT_WARN, UC_ST_OPEN_FILTERED,
                      "no answer and no ICMP error: open|filtered (plain UDP obliges no answer)");
}

const struct probe_module probe_udp = {
    .name = "udp",
    .transport = UC_UDP,
    .read_cap = UDP_READ_CAP,
    .state_size = sizeof(struct udp_state),
    .init = udp_init,
    .build = udp_build,
    .classify = udp_classify,
    .finish = udp_finish,
};

size_t udp_token_respond(const uint8_t *req, size_t len, uint8_t *out, size_t cap)
{
  size_t at = udp_token_at(req, len, UC_PROBE_TOKEN);
  return at ? udp_put_token(out, cap, UC_LISTENER_TOKEN, req + at) : 0;
}
