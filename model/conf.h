/* scanner/conf.h - how a scan behaves. Built once by the command line, then passed
 * down read-only (`const struct scan_conf *`): no module keeps global settings. */
#ifndef UC_CONF_H
#define UC_CONF_H

#include <stdbool.h>

#include "common/uc.h"

struct scan_conf {
  const char *profile;      /* "polite" (default) or "fast" */
  unsigned timeout_ms;      /* --timeout: longest wait for one attempt (connect, or the
                               handshake and reply of an application exchange) */
  unsigned min_rto_ms;      /* floor of the adaptive per-host connect timeout */
  unsigned retries;         /* --retries: extra attempts for probes that got no answer */
  unsigned concurrency;     /* --concurrency: probes in flight, all hosts together */
  unsigned per_host;        /* --per-host: probes in flight against one host */
  unsigned rate;            /* --rate: new probes per second to one target (politeness: what a
                               server in service receives), 0 = unlimited */
  unsigned max_rate;        /* --max-rate: new probes per second, all targets together (the
                               scanner's own link), 0 = unlimited */
  unsigned cert_warn_days;  /* --cert-warn-days: warn when a certificate expires sooner */
  const char *ca_file;      /* --ca: verify certificate chains against these CAs */
  const char *capture_file; /* --capture: pcap of the scan's traffic */
  const char *user;         /* --user: drop root to this user after opening capture */
  bool progress;            /* live progress line on stderr */
  bool evidence_capture;    /* try libpcap for ICMP/TTL evidence (needs CAP_NET_RAW) */
  const char *tcp_method;   /* range ports: "auto" (raw SYN when permitted), "connect", "syn" */
  enum uc_vantage vantage;  /* --from (or the topology's "vantage"): which rows this scan tests;
                               UC_V_ANY (the default) tests every inbound row */
  const char *source_addr;  /* --source: local address every probe is bound to, or NULL */
};

/* Production defaults: polite to servers in service. */
void scan_conf_polite(struct scan_conf *c);
/* Lab profile: as fast as the machine and the network allow. */
void scan_conf_fast(struct scan_conf *c);

#endif
