/* tests/support/probe_fx.c - a probe module on byte fixtures, driven like the engine does. */
#include "tests/support/probe_fx.h"

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <string.h>
#include <cmocka.h>

void probe_fx_init(struct probe_fx *f, const struct probe_module *m, const char *host,
                   const char *addr4, uint16_t port, enum uc_proto proto, const uint8_t *rnd)
{
  static const uint8_t zero[32];
  memset(f, 0, sizeof(*f));
  f->m = m;
  f->sa.sin_family = AF_INET;
  f->sa.sin_port = htons(port);
  inet_pton(AF_INET, addr4, &f->sa.sin_addr);
  f->t.host = host;
  f->t.addr = (const struct sockaddr *)&f->sa;
  f->t.port = port;
  f->t.protocol = proto;
  f->st = test_calloc(1, m->state_size);
  m->init(f->st, &f->t, rnd ? rnd : zero);
}

void probe_fx_done(struct probe_fx *f)
{
  json_decref(f->out.evidence);
  f->out.evidence = NULL;
  test_free(f->st);
}

enum probe_status probe_fx_classify(struct probe_fx *f, const void *buf, size_t len)
{
  uint8_t *copy = test_malloc(len ? len : 1);
  if (len)
    memcpy(copy, buf, len);
  enum probe_status s = f->m->classify(f->st, &f->t, copy, len, f->t.addr, &f->out);
  test_free(copy);
  return s;
}

void probe_fx_finish(struct probe_fx *f, enum probe_end why, const void *buf, size_t len)
{
  uint8_t *copy = test_malloc(len ? len : 1);
  if (len)
    memcpy(copy, buf, len);
  f->m->finish(f->st, &f->t, why, copy, len, &f->out);
  test_free(copy);
}

size_t probe_fx_feed(struct probe_fx *f, const void *buf, size_t len, size_t step)
{
  for (size_t n = step < len ? step : len;; n = (n + step < len) ? n + step : len) {
    if (probe_fx_classify(f, buf, n) == PROBE_DONE)
      return n;
    if (n == len)
      return 0;
  }
}

size_t probe_fx_build(struct probe_fx *f, char *buf, size_t cap)
{
  size_t n = f->m->build(f->st, &f->t, 0, (uint8_t *)buf, cap - 1);
  buf[n] = '\0';
  return n;
}
