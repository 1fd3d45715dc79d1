/* model/conf.c - the two documented profiles (README "Speed and politeness"). */
#include "model/conf.h"

#include <string.h>

void scan_conf_polite(struct scan_conf *c)
{
  memset(c, 0, sizeof(*c));
  c->profile = "polite";
  c->timeout_ms = 2000;
  c->min_rto_ms = 100;
  c->retries = 2;
  c->concurrency = 256;
  c->per_host = 16;
  c->rate = 2000;
  c->max_rate = 20000;
  c->cert_warn_days = 30;
  c->progress = true;
  c->evidence_capture = true;
  c->tcp_method = "auto";
}

void scan_conf_fast(struct scan_conf *c)
{
  scan_conf_polite(c);
  c->profile = "fast";
  c->timeout_ms = 1000;
  c->min_rto_ms = 20;
  c->concurrency = 4096;
  c->per_host = 4096;
  c->rate = 0;
  c->max_rate = 0;
}
