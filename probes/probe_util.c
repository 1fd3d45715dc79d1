/* probes/probe_util.c - small helpers every probe module shares. */
#include "probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void probe_outcome_set(struct probe_outcome *o, enum uc_outcome oc, enum uc_state st,
                       const char *fmt, ...)
{
  o->outcome = oc;
  o->state = st;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(o->reason, sizeof(o->reason), fmt, ap);
  va_end(ap);
}

void probe_printable(char *dst, size_t cap, const uint8_t *src, size_t len)
{
  size_t n = 0;
  if (cap == 0)
    return;
  for (size_t i = 0; i < len && n + 1 < cap; i++) {
    uint8_t c = src[i];
    if (c == '\r' || c == '\n' || c == '\0')
      break;
    dst[n++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
  }
  dst[n] = '\0';
}

void probe_addr_str(const struct sockaddr *sa, char *buf, size_t cap)
{
  char ip[INET6_ADDRSTRLEN] = "?";
  unsigned port = 0;
  if (cap == 0)
    return;
  if (sa && sa->sa_family == AF_INET) {
    const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
    inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
    port = ntohs(s4->sin_port);
    if (port)
      snprintf(buf, cap, "%s:%u", ip, port);
    else
      snprintf(buf, cap, "%s", ip);
    return;
  }
  if (sa && sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
    inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
    port = ntohs(s6->sin6_port);
    if (port)
      snprintf(buf, cap, "[%s]:%u", ip, port);
    else
      snprintf(buf, cap, "%s", ip);
    return;
  }
  snprintf(buf, cap, "?");
}

int probe_addr_equal(const struct sockaddr *a, const struct sockaddr *b)
{
  if (!a || !b || a->sa_family != b->sa_family)
    return 0;
  if (a->sa_family == AF_INET) {
    const struct sockaddr_in *x = (const struct sockaddr_in *)a;
    const struct sockaddr_in *y = (const struct sockaddr_in *)b;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a->sa_family == AF_INET6) {
    const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
    const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;
    return x->sin6_port == y->sin6_port &&
           memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
  }
  return 0;
}

void probe_anomaly_note(struct probe_anomaly *a, enum probe_anomaly_kind kind, const char *fmt, ...)
{
  if (a->kind != PROBE_ANOM_NONE)
    return;
  a->kind = kind;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(a->what, sizeof(a->what), fmt, ap);
  va_end(ap);
}

void probe_anomaly_finish(const struct probe_anomaly *a, const char *proto, const char *silence,
                          struct probe_outcome *out)
{
  if (a->kind != PROBE_ANOM_NONE)
    probe_outcome_set(out, UC_OUT_FAIL,
                      a->kind == PROBE_ANOM_FOREIGN ? UC_ST_OPEN_FILTERED : UC_ST_OPEN,
                      "invalid %s reply: %s", proto, a->what);
  else
    probe_outcome_set(out, UC_OUT_FAIL, UC_ST_OPEN_FILTERED, "%s", silence);
  out->evidence = NULL;
}
