/* reports/csv.h - the report as CSV, one row per check, for spreadsheets and firewall rule
 * reviews (`--format csv`).
 *
 * Made from the report document (report_doc.h), so a scan and a merged report give the same
 * columns. RFC 4180: a header row, CRLF line ends, a field in double quotes (quotes doubled)
 * when it holds a comma, a quote, a line end or begins or ends with a space. UTF-8, no byte
 * order mark. The columns are stable (new ones are only ever added at the end):
 *
 *   topology, vantage (the check's "vantage" in a merged report, empty when no vantage
 *   tested it; else the report's vantage.from, else "any"), host, host_address, address
 *   (where the check was probed; the host's address when the report does not say),
 *   interface, port ("5061" or "57501-65535"), first_port, last_port, transport, protocol,
 *   probe, state, verdict, reason, rtt_ms, attempts, roles ("front-end,mediation"),
 *   requirements (row ids, space-separated), optional ("true" when every requirement is
 *   optional), open_ports and filtered_ports (a range's runs, space-separated:
 *   "443 5060-5070")
 *
 * Text from servers or from a report file is made safe for a spreadsheet: invalid UTF-8 and
 * control characters become U+FFFD, and a field that would start with = + - @ (a formula to
 * Excel or LibreOffice) starts with an apostrophe instead. Absent values are empty fields. */
#ifndef UC_CSV_H
#define UC_CSV_H

#include <jansson.h>
#include <stdio.h>

/* The header row, as written (without the line end). */
extern const char csv_header[];

/* Writes the CSV document for `report`. Returns 0, or -1 when the document is not a report
 * object or a write failed. */
int csv_write(FILE *out, const json_t *report);

#endif
