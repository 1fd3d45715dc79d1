/* reports/diff.h - what changed between two reports (`ucscan diff OLD.json NEW.json`).
 *
 * Checks are matched by host name and port-or-range and transport ("5061/tcp",
 * "57501-65535/udp"), the report's own key. Each matched, new or vanished check gets one
 * category, by its verdicts:
 *
 *   regression  NEW fails and OLD did not (pass, warn or skip before, or no such check)
 *   degraded    pass -> warn
 *   recovered   fail -> pass, warn or skip
 *   improved    warn -> pass
 *   changed     another verdict change (to or from skip), or the same verdict with a
 *               different state or an evidence change that matters (below)
 *   new         only in NEW, not failing
 *   vanished    only in OLD
 *   (unchanged checks are counted, not listed)
 *
 * Evidence that matters, compared only when both reports carry that evidence for the check
 * (a port that stopped answering shows as a verdict or state change instead):
 *   certificate_replaced   subject, issuer, SANs, not_before or not_after differ (or one
 *                          side has no certificate)
 *   certificate_issuer     the issuer differs
 *   certificate_expiry     not_after moved; "days" says by how much (+ later, - sooner)
 *   client_cert_requested  the server's client-certificate request appeared or vanished
 *   tls_version, tls_chain the protocol version; the chain verification result (--ca)
 *   stun_mapped_address    the IP of the STUN/TURN mapped address (its port is the
 *                          scanner's random source port: not a change)
 *   sql_browser_instances  the instance names ("added", "removed")
 *   filtered_ports         a range's filtered port runs
 * and "verdict", "state", "protocol" on checks; "address" and "roles" on hosts (entries
 * whose "check" is null).
 *
 * Never compared: round trips, attempts, times, reasons (wording and measured values), a
 * certificate's days_left: two runs against an unchanged network diff clean.
 *
 * Exit status: 1 when anything regressed (any check fails in NEW that did not fail in OLD,
 * new failing checks included), else 0. A degradation (pass -> warn, e.g. a certificate
 * entering the --cert-warn-days horizon) is listed first after regressions but does not
 * fail the diff, as a warn does not fail a scan. Bad input is exit status 2 (cmd_diff).
 *
 * The JSON document ("schema": "ucscan-diff/1") is documented in the man page, DIFF OUTPUT.
 * Entries are ordered for reading: hosts with a regression first, then by host name (byte
 * order); within a host by category in the order above, then port and transport. The table
 * is the same list, grouped by host. */
#ifndef UC_DIFF_H
#define UC_DIFF_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "common/err.h"
#include "common/jdoc.h"

#define DIFF_SCHEMA "ucscan-diff/1"
#define DIFF_MAX_REPORT (256u * 1024u * 1024u)

/* Reads a report and validates what diff relies on: a JSON object whose "schema" is
 * "ucscan-report/1", a "topology" string, "hosts" with unique names, checks with a port or
 * a range, a transport, a known verdict and state, unique per host. Errors carry the file,
 * line and column. Unknown keys are allowed (later report versions may add some). */
int diff_load(struct jdoc *d, const char *path, struct uc_err *err);
/* The same checks on a document already parsed. */
int diff_validate(const struct jdoc *d, struct uc_err *err);

/* Compares two validated reports. Reports of different topologies are an error (pointing at
 * NEW's "topology") unless `force`. Returns the diff document, or NULL with *err set. */
json_t *diff_compute(const struct jdoc *old_doc, const struct jdoc *new_doc, bool force,
                     struct uc_err *err);

/* 1 when the diff holds a regression, else 0. */
int diff_exit_status(const json_t *diff);

/* The readable form. Text from the reports is shown with control characters replaced. */
void diff_table(FILE *out, const json_t *diff, bool color);

#endif
