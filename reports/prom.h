/* reports/prom.h - the report in Prometheus' text exposition format (version 0.0.4), for
 * `--format prometheus`, node_exporter's textfile collector (`--prom FILE`), a Pushgateway
 * (`--push URL`) and `ucscan merge --format prometheus`.
 *
 * Made from the report document (report_doc.h), never from the plan: a scan, a report read
 * back from a file and a merged report give the same series. Every series is a gauge and
 * carries topology="NAME" and vantage="V": V is the report's "vantage"."from" ("any" when the
 * report has none); in a merged report each check's own "vantage" key names it, and the
 * scan-level series come once per entry of "merged_from". So several topologies' and
 * vantages' files can sit in one textfile directory or one Pushgateway without clashing.
 *
 *   ucscan_scan_info{topology,vantage,product,version[,scanner]}  1
 *   ucscan_scan_complete{topology,vantage}                1, or 0 for a partial report
 *   ucscan_scan_duration_seconds{topology,vantage}        wall time (when the report says)
 *   ucscan_scan_completed_timestamp_seconds{topology,vantage}     Unix time it finished
 *   ucscan_checks{topology,vantage,verdict}               checks per verdict (all four,
 *                                                         skipped checks counted here only)
 *   ucscan_checks_uncovered{topology,vantage}             a merged report's summary.uncovered
 *   ucscan_checks_not_checked{topology,vantage}           checks the scan did not finish (its
 *                                                         hosts' "not_checked"): 0 for a
 *                                                         complete scan; not written for an
 *                                                         incomplete input of a merged report
 *                                                         (merge makes those checks skip)
 *
 * Per check that was tested (verdict pass, warn or fail; skipped checks have no per-check
 * series), the labels are CHECK = topology, vantage, host, port ("5061" or a range
 * "57501-65535"), transport, protocol, role, state, and interface on an Edge check:
 *   role   the distinct roles of the check's requirements joined with ",", in order
 *          ("front-end,mediation"; "" for an ad hoc --ports check): one series per check,
 *          match one role with role=~"(.*,)?mediation(,.*)?"
 *   state  the check's state: open, closed, filtered, unreachable, open|filtered, error
 *          ("none" when the report has none)
 *   interface  internal, access, webconf or av; absent off the Edge
 *
 *   ucscan_check_success{CHECK}                           1 pass or warn, 0 fail
 *   ucscan_check_verdict{CHECK,verdict}                   a state set over pass, warn, fail:
 *                                                         1 for the check's verdict
 *   ucscan_check_rtt_seconds{CHECK}                       round-trip time, when measured
 *   ucscan_tls_certificate_not_after_timestamp_seconds{CHECK}  the server certificate's
 *                                                         notAfter, when one was seen
 *   ucscan_tls_client_cert_requested{CHECK}               1 when the TLS server asked for a
 *                                                         client certificate, else 0
 *
 * A partial report's unfinished checks (each host's "not_checked") have no result, so no
 * series above (a 0 would page, a 1 would resolve an alert untested); each has instead
 *   ucscan_check_not_checked{CHECK}                       1, with state="not_checked" and
 *                                                         the interface every requirement names
 * so that a rule can hold the check's last known result (examples/prometheus/ keeps
 * UcscanCheckFailed firing through a scan that did not reach the check).
 *
 * A series that would repeat another (same name and labels: a hand-made or doctored report)
 * is written once, the first one, so that the output is always a valid exposition. No
 * sample carries a timestamp (the textfile collector refuses them). The rules shipped in
 * examples/prometheus/ read these series; docs/report.md says how. */
#ifndef UC_PROM_H
#define UC_PROM_H

#include <jansson.h>
#include <stdio.h>

/* Writes the exposition text for `report`. Returns 0, or -1 when the document is not a
 * report object, memory ran out or a write failed. */
int prom_write(FILE *out, const json_t *report);
/* The same into a malloc'd NUL-terminated buffer (*len bytes), or NULL. */
char *prom_render(const json_t *report, size_t *len);

/* The report's topology name ("" when absent) and vantage: "vantage"."from", or "any" when
 * absent. These are the labels every series carries, and a Pushgateway's grouping key. */
const char *prom_topology(const json_t *report);
const char *prom_vantage(const json_t *report);

/* A label value as the format wants it: \ as \\, " as \", LF as \n; invalid UTF-8 bytes
 * become U+FFFD (the format is UTF-8). */
void prom_label_escape(FILE *out, const char *s);

#endif
