/* listen/report.c - the listener's table: what opened, what did not and why. Consecutive
 * range ports with the same outcome print as one run ("49152-57500/udp"). */
#include <stdio.h>
#include <string.h>

#include "listen/listen.h"

static const char *status_text(enum listen_status s)
{
  switch (s) {
  case LISTEN_OPEN:
    return "open";
  case LISTEN_FAILED:
    return "FAILED";
  default:
    return "closed";
  }
}

static bool same_run(const struct listen_result *a, const struct listen_result *b)
{
  return a->in_range && b->in_range && a->transport == b->transport && a->protocol == b->protocol &&
         a->status == b->status && b->port == a->port + 1 && strcmp(a->what, b->what) == 0 &&
         strcmp(a->reason, b->reason) == 0;
}

void listen_report_print(FILE *out, const struct listen_report *rep, bool color)
{
  const char *red = color ? "\033[1;31m" : "", *dim = color ? "\033[2m" : "",
             *off = color ? "\033[0m" : "";
  fprintf(out, "  %-18s %-11s %-7s %s\n", "PORT", "PROTOCOL", "STATUS", "DETAILS");
  size_t i = 0;
  while (i < rep->n) {
    const struct listen_result *r = &rep->v[i];
    size_t j = i;
    while (j + 1 < rep->n && same_run(&rep->v[j], &rep->v[j + 1]))
      j++;
    char port[32], details[256];
    if (j > i)
      snprintf(port, sizeof(port), "%u-%u/%s", r->port, rep->v[j].port,
               uc_transport_name(r->transport));
    else
      snprintf(port, sizeof(port), "%u/%s", r->port, uc_transport_name(r->transport));
    const char *text = r->status == LISTEN_OPEN ? r->what : r->reason;
    if (j > i)
      snprintf(details, sizeof(details), "%s (%zu ports)", text, j - i + 1);
    else
      snprintf(details, sizeof(details), "%s", text);
    const char *col = r->status == LISTEN_FAILED ? red : r->status == LISTEN_LEFT_CLOSED ? dim : "";
    fprintf(out, "  %-18s %-11s %s%-7s%s %s\n", port, uc_proto_name(r->protocol), col,
            status_text(r->status), *col ? off : "", details);
    i = j + 1;
  }
  fprintf(out, "opened %zu of %zu ports on %s", rep->opened, rep->n, rep->bind);
  if (rep->failed)
    fprintf(out, "; %s%zu could not be opened%s", red, rep->failed, color ? off : "");
  if (rep->left_closed)
    fprintf(out, "; %zu left closed on purpose", rep->left_closed);
  fputc('\n', out);
}
