/* common/icmp.c - ICMP/ICMPv6 destination-unreachable and time-exceeded codes. */
#include "common/icmp.h"

#include <stdio.h>

static const char *const v4_unreach[16] = {
    "network unreachable",
    "host unreachable",
    "protocol unreachable",
    "port unreachable",
    "fragmentation needed",
    "source route failed",
    "destination network unknown",
    "destination host unknown",
    "source host isolated",
    "network administratively prohibited",
    "host administratively prohibited",
    "network unreachable for type of service",
    "host unreachable for type of service",
    "administratively prohibited",
    "host precedence violation",
    "precedence cutoff in effect",
};

static const char *const v6_unreach[8] = {
    "no route to destination",
    "administratively prohibited",
    "beyond scope of source address",
    "address unreachable",
    "port unreachable",
    "source address failed ingress/egress policy",
    "reject route to destination",
    "error in source routing header",
};

enum uc_state icmp_classify(int v6, int type, int code, const char **meaning)
{
  *meaning = "unknown ICMP error";
  if (!v6 && type == 3) {
    if (code >= 0 && code < 16)
      *meaning = v4_unreach[code];
    if (code == 3)
      return UC_ST_CLOSED;
    if (code == 9 || code == 10 || code == 13)
      return UC_ST_FILTERED;
    return UC_ST_UNREACHABLE;
  }
  if (!v6 && type == 11) {
    *meaning = code == 0 ? "time to live exceeded in transit" : "fragment reassembly time exceeded";
    return UC_ST_UNREACHABLE;
  }
  if (v6 && type == 1) {
    if (code >= 0 && code < 8)
      *meaning = v6_unreach[code];
    if (code == 4)
      return UC_ST_CLOSED;
    if (code == 1 || code == 5 || code == 6)
      return UC_ST_FILTERED;
    return UC_ST_UNREACHABLE;
  }
  if (v6 && type == 3) {
    *meaning = code == 0 ? "hop limit exceeded in transit" : "fragment reassembly time exceeded";
    return UC_ST_UNREACHABLE;
  }
  return UC_ST_NONE;
}

void icmp_reason(const struct icmp_info *i, char *buf, size_t cap)
{
  const char *meaning;
  icmp_classify(i->v6, i->type, i->code, &meaning);
  if (!i->from[0]) { /* Windows: a socket error that names no sender */
    snprintf(buf, cap, "%s (ICMP%s %d/%d; the system does not say who sent it)", meaning,
             i->v6 ? "v6" : "", i->type, i->code);
    return;
  }
  snprintf(buf, cap, "%s (ICMP%s %d/%d) from %s (%s)", meaning, i->v6 ? "v6" : "", i->type, i->code,
           i->from, i->from_target ? "the target itself" : "a router on the path");
}

json_t *icmp_evidence(const struct icmp_info *i)
{
  const char *meaning;
  icmp_classify(i->v6, i->type, i->code, &meaning);
  return json_pack("{s:i, s:i, s:o, s:s}", "type", i->type, "code", i->code, "from",
                   i->from[0] ? json_string(i->from) : json_null(), "meaning", meaning);
}
