/* reports/report_table.h - the report as a table for people, from the report document.
 *
 * Made from a "ucscan-report/1" document (report_doc.h says why), so a scan, the demo and a
 * merged report print the same table. Per host: its name, address and roles, its counts, then
 * one row per check, failures first (then warnings, passes, skips; by port within each):
 * VERDICT, PORT ("443/tcp", "57501-65535/udp"), PROTOCOL, STATE, then IFACE (the Edge
 * interface), FROM (the vantage whose result it is, in a merged report) and ADDRESS (where
 * the check was probed, when not the host's address) when some check has one, RTT, REASON.
 * A range check's open and filtered ports follow its row as runs ("443", "60000-60099"); a
 * partial report's unfinished checks ("not_checked") follow its host's rows.
 *
 * The table fits `width` columns (common/textcol.h): reasons wrap at word boundaries, up to
 * three lines, and are cut with "..." beyond; server banners ("(Server: ...)") are left to
 * the JSON report; the RTT column goes first when space runs out, then ADDRESS, and a range
 * may wrap after its "-" or "/". The footer gives the
 * totals and says when something was shortened, and, for ad hoc --ports checks (no catalog
 * requirement), the verdict rule they follow. Text from the document (which may come from a
 * file) never reaches the terminal unescaped. */
#ifndef UC_REPORT_TABLE_H
#define UC_REPORT_TABLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

struct report_table_opts {
  unsigned width; /* columns to fit (0: no limit, every line whole) */
  bool color;     /* ANSI colours for verdicts and host names */
};

/* Writes the table. Returns 0, or -1 when `report` is not an object with a "hosts" array or
 * memory ran out (nothing, or part of the table, is written then). */
int report_table(FILE *out, const json_t *report, const struct report_table_opts *o);

/* The rule ad hoc --ports checks follow, as the table's footer says it (one paragraph). */
extern const char report_table_adhoc_rule[];

#endif
