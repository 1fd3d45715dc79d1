/* cli/outputs.c - writing a report document to the outputs the command line names. */
#include "cli/outputs.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/push.h"
#include "reports/atomic.h"
#include "reports/csv.h"
#include "reports/html.h"
#include "reports/junit.h"
#include "reports/prom.h"
#include "reports/report.h"
#include "reports/report_table.h"

bool scan_output_format_known(const char *fmt)
{
  static const char *const known[] = {"json", "table", "junit", "prometheus", "csv", "html", NULL};
  for (const char *const *k = known; *k; k++)
    if (fmt && strcmp(fmt, *k) == 0)
      return true;
  return false;
}

static void say_err(const struct uc_err *err)
{
  char msg[800];
  uc_err_format(err, msg, sizeof(msg));
  fprintf(stderr, "ucscan: %s\n", msg);
}

static int write_file(const char *path, const char *text, size_t len, bool newline)
{
  struct uc_err err;
  char *file = malloc(len + 2);
  if (!file) {
    fprintf(stderr, "ucscan: %s: out of memory\n", path);
    return -1;
  }
  memcpy(file, text, len);
  if (newline)
    file[len++] = '\n';
  file[len] = '\0';
  int rc = atomic_write(path, file, len, &err);
  free(file);
  if (rc < 0)
    say_err(&err);
  return rc;
}

/* stdout in the format asked for. Returns 0, or -1 when the document could not be put in
 * that form (memory). */
static int write_stdout(const struct scan_output *out, const char *fmt, const json_t *rep,
                        const char *json_text)
{
  if (strcmp(fmt, "json") == 0) {
    printf("%s\n", json_text);
    return 0;
  }
  if (strcmp(fmt, "table") == 0) {
    struct report_table_opts topts = {.width = textcol_width(STDOUT_FILENO),
                                      .color = textcol_color_wanted(out->color, STDOUT_FILENO)};
    return report_table(stdout, rep, &topts);
  }
  if (strcmp(fmt, "csv") == 0)
    return csv_write(stdout, rep);
  if (strcmp(fmt, "html") == 0)
    return html_write(stdout, rep);
  if (strcmp(fmt, "junit") == 0)
    junit_write_opts(stdout, rep, &(struct junit_opts){.warn_fails = out->fail_on_warn});
  else if (strcmp(fmt, "prometheus") == 0)
    prom_write(stdout, rep);
  return 0;
}

/* What stdout gets: --format; without it the table on a terminal, elsewhere (scripts) the
 * JSON report, unless --out took it (NULL: nothing). */
static const char *stdout_format(const struct scan_output *out)
{
  if (out->format)
    return out->format;
  return isatty(STDOUT_FILENO) ? "table" : out->out_file ? NULL : "json";
}

int scan_output_emit(const struct scan_output *out, const json_t *rep)
{
  char *text = json_dumps(rep, REPORT_DUMP_FLAGS);
  if (!text) {
    fprintf(stderr, "ucscan: out of memory writing the report\n");
    return -1;
  }
  int rc = 0;
  bool out_ok = false, prom_ok = false;
  if (out->out_file) {
    out_ok = write_file(out->out_file, text, strlen(text), true) == 0;
    rc = out_ok ? rc : -1;
  }
  if (out->prom_file) {
    size_t len;
    char *prom = prom_render(rep, &len);
    if (!prom)
      fprintf(stderr, "ucscan: %s: out of memory\n", out->prom_file);
    prom_ok = prom && write_file(out->prom_file, prom, len, false) == 0;
    rc = prom_ok ? rc : -1;
    free(prom);
  }
  const char *fmt = stdout_format(out);
  if (fmt && write_stdout(out, fmt, rep, text) < 0) {
    fprintf(stderr, "ucscan: cannot put the report in %s form\n", fmt);
    rc = -1;
  }
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "ucscan: cannot write to standard output\n");
    rc = -1;
  }
  if (out_ok)
    fprintf(stderr, "ucscan: report written to %s\n", out->out_file);
  if (prom_ok)
    fprintf(stderr, "ucscan: metrics written to %s\n", out->prom_file);
  if (out->push_url && push_report(out->push_url, rep) < 0)
    rc = -1;
  free(text);
  return rc;
}

/* --- JSON straight from the plan --- */

struct plan_report {
  const struct plan *plan;
  const struct report_meta *meta;
};

static int fill_report(atomic_put_fn put, void *sink, void *arg)
{
  const struct plan_report *pr = arg;
  if (report_json_stream(pr->plan, pr->meta, put, sink) != 0)
    return -1;
  return put("\n", 1, sink);
}

int scan_output_emit_plan(const struct scan_output *out, const struct plan *plan,
                          const struct report_meta *meta)
{
  const char *fmt = stdout_format(out);
  /* Streamed: --out alone (cron, CI, the thousand-host scans). Standard output keeps the
   * whole text in one write: a stdout nobody reads must block where a second Ctrl-C ends it
   * (under valgrind a SIGINT did not end a write of the streamed pieces). */
  if (out->prom_file || out->push_url || fmt) {
    json_t *rep = report_json(plan, meta);
    if (!rep) {
      fprintf(stderr, "ucscan: out of memory writing the report\n");
      return -1;
    }
    int rc = scan_output_emit(out, rep);
    json_decref(rep);
    return rc;
  }
  struct plan_report pr = {plan, meta};
  int rc = 0;
  bool out_ok = false;
  if (out->out_file) {
    struct uc_err err;
    out_ok = atomic_write_fill(out->out_file, fill_report, &pr, &err) == 0;
    if (!out_ok) {
      say_err(&err);
      rc = -1;
    }
  }
  if (out_ok)
    fprintf(stderr, "ucscan: report written to %s\n", out->out_file);
  return rc;
}
