/* reports/report.h - the contract's JSON report ("ucscan-report/1"), built from a finished
 * plan. Every other output is made from this document. */
#ifndef UC_REPORT_H
#define UC_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "model/plan.h"

#define REPORT_SCHEMA "ucscan-report/1"
/* jansson dump flags every writer uses: stable key order, short reals. */
#define REPORT_DUMP_FLAGS (JSON_INDENT(2) | JSON_REAL_PRECISION(10))

struct report_meta {
  const char *topology;
  const char *product;
  /* Where the scan ran (report "vantage"): the vantage, the local addresses its probes were
   * sent from, and the scanner's host name (NULL: unknown). */
  enum uc_vantage vantage;
  const char *const *sources;
  size_t nsources;
  const char *scanner;
  uint64_t started_ms; /* Unix time in milliseconds */
  uint64_t finished_ms;
  bool complete;
  /* Evidence capture (libpcap): what happened, for the report's "evidence_capture". */
  bool capture_available;
  const char *capture_reason; /* why not, or NULL */
  const char *capture_file;   /* --capture FILE, or NULL */
  unsigned long capture_packets;
  unsigned capture_drops;
};

struct report_counts {
  unsigned hosts, checks, pass, warn, fail, skip;
  unsigned not_checked; /* checks an interrupted scan did not finish (not in `checks`) */
};

/* The whole report. Only finished checks are listed under "checks" (a stopped scan lists
 * what it did, a range it cut short with "partial": true); in a partial report each host
 * also lists under "not_checked" what the scan did not finish, and the summary counts them. */
json_t *report_json(const struct plan *p, const struct report_meta *m);
/* Takes the next piece of a report's text; 0, or -1 to stop writing. */
typedef int (*report_put_fn)(const char *buf, size_t len, void *arg);
/* The text of report_json(p, m) dumped with REPORT_DUMP_FLAGS, the same bytes (no newline
 * at the end), handed to put piece by piece and built one host at a time: the whole
 * document never exists (a 1,000-host scan's took 70 MB, its text 30 MB more). 0, or -1
 * when put refused a piece or memory ran out. */
int report_json_stream(const struct plan *p, const struct report_meta *m, report_put_fn put,
                       void *arg);
/* Counts over finished checks. */
void report_count(const struct plan *p, struct report_counts *out);
/* Exit status per contract: 0 no failure, 1 a check failed, 3 incomplete. */
int report_exit_status(const struct plan *p, bool complete);

/* "2026-11-21T22:00:03Z" */
void report_time_iso(uint64_t unix_ms, char *buf, size_t cap);
/* "60000-60099" runs from a list of ports in any order (repeats allowed), as a JSON array. */
json_t *report_port_runs(const uint16_t *ports, size_t n);

/* The table for people: reports/report_table.h (made from the report document). */

#endif
