/* reports/prom.h - the report in Prometheus' text exposition format (version 0.0.4), for
 * `--format prometheus` and for node_exporter's textfile collector (`--prom FILE`).
 *
 * Made from the report document (report_doc.h). Every series is a gauge and carries
 * topology="NAME", so that several topologies' files can sit in one textfile directory
 * without clashing series. Per check, the labels are host, port ("5061" or a range
 * "57501-65535"), transport and protocol:
 *
 *   ucscan_scan_info{topology,product,version}                  1
 *   ucscan_scan_complete{topology}                              1, or 0 for an interrupted scan
 *   ucscan_scan_duration_seconds{topology}                      wall time of the scan
 *   ucscan_scan_completed_timestamp_seconds{topology}           Unix time the scan finished
 *   ucscan_checks{topology,verdict}                             checks per verdict (all four)
 *   ucscan_check_verdict{topology,host,port,transport,protocol,verdict}
 *                                     a state set: for each check one series per verdict,
 *                                     1 for its verdict and 0 for the three others, so a
 *                                     verdict change never makes a series vanish
 *   ucscan_check_rtt_seconds{topology,host,port,transport,protocol}
 *                                     round-trip time, for checks that measured one
 *   ucscan_tls_certificate_not_after_timestamp_seconds{topology,host,port,transport,protocol}
 *                                     the server certificate's notAfter as Unix time, for
 *                                     checks that saw one
 *
 * No sample carries a timestamp (the textfile collector refuses them). Alert examples are in
 * the man page. */
#ifndef UC_PROM_H
#define UC_PROM_H

#include <jansson.h>
#include <stdio.h>

/* Writes the exposition text for `report`. Returns 0, or -1 when the document is not a
 * report object or a write failed. */
int prom_write(FILE *out, const json_t *report);
/* The same into a malloc'd NUL-terminated buffer (*len bytes), or NULL. */
char *prom_render(const json_t *report, size_t *len);

/* A label value as the format wants it: \ as \\, " as \", LF as \n; invalid UTF-8 bytes
 * become U+FFFD (the format is UTF-8). */
void prom_label_escape(FILE *out, const char *s);

#endif
