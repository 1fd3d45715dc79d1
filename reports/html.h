/* reports/html.h - the report as one self-contained HTML page (`--format html`), for people
 * who will not read JSON: mail it, open it in any browser, offline.
 *
 * Made from the report document (report_doc.h), so a scan and a merged report give the same
 * page. On top, the summary (counts by verdict, hosts, checks, product, times, whether the
 * scan finished). Then the deployment as a matrix: a row per host (name, address, roles),
 * a column per port and transport (and Edge interface) any host was checked on, each cell
 * coloured by its verdict (fail red, warn amber, pass green, skip grey) and naming it, with
 * the reason as its tooltip. This much is plain HTML and CSS, written here: it shows with
 * scripts off (a mail client).
 *
 * The script (reports/html/report.js) adds filters (verdicts, a search over hosts, roles,
 * ports and reasons, "problems only" which keeps hosts and ports with a fail or warn) and,
 * when a cell is clicked (or Enter on it), a panel with the check's fields, requirements
 * and evidence, read from the report embedded in the page. The page's address fragment holds
 * the filters and the open check (#verdict=fail,warn&q=fe01&check=HOST/5061/tcp), so a view
 * can be sent as a link.
 *
 * Self-contained: the style sheet and the script are in the page, and its Content Security
 * Policy forbids every fetch (default-src 'none'). Every text from the document is
 * escaped (invalid UTF-8 and control characters become U+FFFD); the embedded JSON is ASCII
 * with '<', '>' and '&' written as \u escapes, so no text can end the script element. */
#ifndef UC_HTML_H
#define UC_HTML_H

#include <jansson.h>
#include <stdio.h>

/* Writes the page for `report`. Returns 0, or -1 when the document is not a report object,
 * memory ran out or a write failed. */
int html_write(FILE *out, const json_t *report);

#endif
