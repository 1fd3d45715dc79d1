/* reports/merge.h - one report from the reports of several vantages (`ucscan merge`).
 *
 * A firewall rule goes from a source to a destination, so a deployment is proven by scans
 * from several places (contract v2, "Merge"). Each input is a "ucscan-report/1" document;
 * its vantage is its "vantage"."from" ("any" when absent: a report written before v2).
 *
 * Checks are matched by host name and report_doc_key() (port or range, transport, interface).
 * A report is entitled to a check when its vantage is in the check's "from" (the vantages the
 * documentation names as sources of its rows), or is "any"; a check without "from" (written
 * before v2) lets every report test it. A report of vantage "any" (scanned without --from)
 * stands for no firewall path in particular: its result counts only when no other entitled
 * report tested the check (a skip is no test), and the merged check then has "vantage": "any"
 * and its reason ends "(from a scan without --from: no report from the Internet (--from
 * internet) tested it)". Among the results that count, the worst verdict wins (fail, then
 * warn, pass, skip; ties: the first report given): each vantage proves another firewall path,
 * so a check passes only when every place that may test it saw it pass. It gets "vantage"
 * (whose result it is) and, when more than one entitled report has it, "vantages":
 * {"servers": "pass", "clients": "fail"} (an "any" report included, even when outranked).
 *
 * A check no entitled report has stays "skip", with a reason naming the vantage that can
 * test it; when any of its requirements is mandatory it counts in summary.uncovered. A
 * check that no vantage can test (an outbound row, a policy) is taken from the first report.
 *
 * The merged document: the first report's schema, tool, topology and product; the earliest
 * started_at and the latest finished_at; "complete" when every input is; "merged_from":
 * [{"vantage", "file", "finished_at", "complete"}] in the order given; summary counts (with
 * "uncovered") and hosts recounted; no top-level "vantage" (each check has its own). A
 * partial input's unfinished checks (its hosts' "not_checked") stay under each host's
 * "not_checked", each with the "vantage" that did not finish it (unless another input of
 * that vantage has a result for the check), and the summary of an incomplete merge counts
 * them ("not_checked"), as a partial scan's does. */
#ifndef UC_MERGE_H
#define UC_MERGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"
#include "common/jdoc.h"

/* Merges n validated reports (diff_load). Reports of different topologies or products are
 * an error pointing at the first that differs, unless `force`. Returns the merged document,
 * or NULL with *err set. */
json_t *merge_reports(const struct jdoc *docs, const char *const *files, size_t n, bool force,
                      struct uc_err *err);

/* Exit status per contract for a merged report: 3 when incomplete, else 1 when a check
 * fails, else 0. */
int merge_exit_status(const json_t *merged);

#endif
