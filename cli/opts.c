/* cli/opts.c - table-driven options and help. */
#include "cli/opts.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct option *opts_getopt(const struct cli_opt *opts)
{
  size_t n = 0;
  while (opts[n].name)
    n++;
  struct option *lo = calloc(n + 1, sizeof(*lo));
  if (!lo)
    return NULL;
  for (size_t i = 0; i < n; i++) {
    lo[i].name = opts[i].name;
    lo[i].has_arg = opts[i].arg ? required_argument : no_argument;
    lo[i].val = opts[i].val;
  }
  return lo;
}

static const struct cli_opt *find_opt(const struct cli_opt *opts, const char *name, size_t len,
                                      bool prefix)
{
  for (const struct cli_opt *o = opts; o->name; o++)
    if (strncmp(o->name, name, len) == 0 && (prefix || o->name[len] == '\0'))
      return o;
  return NULL;
}

int opts_check_argv(const struct cli_cmd *cmd, int argc, char **argv)
{
  size_t n = 0;
  while (cmd->opts[n].name)
    n++;
  bool *seen = calloc(n + 1, sizeof(*seen));
  if (!seen)
    return 0; /* getopt_long still parses; only these checks are lost */
  bool has_help = find_opt(cmd->opts, "help", 4, false) != NULL;
  int rc = 0;
  for (int i = 1; i < argc && rc == 0; i++) {
    const char *arg = argv[i];
    if (strcmp(arg, "--") == 0)
      break;
    if (strcmp(arg, "-h") == 0 && has_help) {
      argv[i] = (char *)"--help";
      continue;
    }
    if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
      continue;
    const char *name = arg + 2;
    size_t len = strcspn(name, "=");
    const struct cli_opt *o = find_opt(cmd->opts, name, len, false);
    if (!o) {
      const struct cli_opt *full = find_opt(cmd->opts, name, len, true);
      if (full)
        rc =
            opts_usage_error(cmd->name, "unknown option --%.*s (options are not abbreviated: --%s)",
                             (int)len, name, full->name);
      continue; /* otherwise getopt_long reports it */
    }
    if (!o->arg)
      continue;
    /* A list given twice reads as "both", but would be "the last": refused. Any other
     * option given twice is the last one (a wrapper's default, overridden). */
    if (seen[o - cmd->opts] && strstr(o->arg, "..."))
      rc = opts_usage_error(cmd->name, "--%s given twice (give one list, with commas)", o->name);
    seen[o - cmd->opts] = true;
    if (name[len] == '\0')
      i++; /* its value is the next argument */
  }
  free(seen);
  return rc;
}

void opts_help(FILE *out, const struct cli_cmd *cmd)
{
  fprintf(out, "usage: %s\n\n%s\n\noptions:\n", cmd->usage, cmd->summary);
  for (const struct cli_opt *o = cmd->opts; o->name; o++) {
    char head[64];
    snprintf(head, sizeof(head), "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
    const char *line = o->help;
    int first = 1;
    while (line && *line) {
      const char *nl = strchr(line, '\n');
      int len = nl ? (int)(nl - line) : (int)strlen(line);
      if (first)
        fprintf(out, "  %-24s %.*s\n", head, len, line);
      else
        fprintf(out, "  %-24s %.*s\n", "", len, line);
      first = 0;
      line = nl ? nl + 1 : NULL;
    }
  }
  if (cmd->epilog)
    fprintf(out, "\n%s", cmd->epilog);
}

int opts_uint(const char *opt, const char *s, unsigned min, unsigned max, unsigned *out)
{
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (!*s || *end || errno || s[0] == '-' || v < min || v > max) {
    fprintf(stderr, "ucscan: --%s: \"%s\" is not a number from %u to %u\n", opt, s, min, max);
    return -1;
  }
  *out = (unsigned)v;
  return 0;
}

int opts_usage_error(const char *cmd, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "ucscan %s: ", cmd);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n(see `ucscan %s --help`)\n", cmd);
  va_end(ap);
  return 2;
}
