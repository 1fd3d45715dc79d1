/* cli/outputs.c - writing a report document to the outputs the command line names. */
#include "cli/outputs.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/push.h"
#include "reports/atomic.h"
#include "reports/junit.h"
#include "reports/prom.h"
#include "reports/report.h"

bool scan_output_format_known(const char *fmt)
{
  static const char *const known[] = {"json", "table", "junit", "prometheus", NULL};
  for (const char *const *k = known; *k; k++)
    if (fmt && strcmp(fmt, *k) == 0)
      return true;
  return false;
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
  if (rc < 0) {
    char msg[800];
    uc_err_format(&err, msg, sizeof(msg));
    fprintf(stderr, "ucscan: %s\n", msg);
  }
  return rc;
}

int scan_output_emit(const struct scan_output *out, const json_t *rep, scan_table_fn table,
                     void *table_arg)
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
  /* Contract: without --out and without --format, stdout gets the JSON report. */
  const char *fmt = out->format ? out->format : (out->out_file ? NULL : "json");
  if (!fmt && isatty(STDOUT_FILENO))
    fmt = "table";
  if (fmt && strcmp(fmt, "json") == 0)
    printf("%s\n", text);
  else if (fmt && strcmp(fmt, "table") == 0 && table)
    table(stdout, rep, table_arg);
  else if (fmt && strcmp(fmt, "junit") == 0)
    junit_write_opts(stdout, rep, &(struct junit_opts){.warn_fails = out->fail_on_warn});
  else if (fmt && strcmp(fmt, "prometheus") == 0)
    prom_write(stdout, rep);
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
