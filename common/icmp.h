/* common/icmp.h - what an ICMP or ICMPv6 error means for a probe: the state it proves
 * and the words for it. Shared by the UDP error queue and the libpcap capture. */
#ifndef UC_ICMP_H
#define UC_ICMP_H

#include <jansson.h>

#include "common/uc.h"

struct icmp_info {
  int v6; /* ICMPv6? */
  int type, code;
  char from[64];   /* address that sent the error; "" when the system does not say */
  int from_target; /* the error came from the target itself */
};

/* State the message proves (closed, filtered, unreachable) and a short meaning such as
 * "port unreachable" or "administratively prohibited". Returns UC_ST_NONE for messages
 * that are not errors about a probe. */
enum uc_state icmp_classify(int v6, int type, int code, const char **meaning);
/* "administratively prohibited (ICMP 3/13) from 198.18.0.1 (a router on the path)" */
void icmp_reason(const struct icmp_info *i, char *buf, size_t cap);
/* The contract's evidence.icmp object {type, code, from, meaning}; from is null when unknown. */
json_t *icmp_evidence(const struct icmp_info *i);

#endif
