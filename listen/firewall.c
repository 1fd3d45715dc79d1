/* listen/firewall.c - PowerShell New-NetFirewallRule lines for a listener's ports. */
#include "listen/firewall.h"

#include <stdbool.h>
#include <string.h>

/* `s` as the inside of a PowerShell single-quoted string. */
static void quoted(FILE *out, const char *s)
{
  fputc('\'', out);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '\'')
      fputs("''", out);
    else
      fputc(c >= 0x20 && c < 0x7f ? c : '?', out);
  }
  fputc('\'', out);
}

/* The plan's ports of one transport as 'a','b-c',... (the plan is sorted by port);
 * returns how many ports. */
static size_t port_list(FILE *out, const struct listen_plan *lp, enum uc_transport t)
{
  size_t n = 0, i = 0;
  bool first = true;
  while (i < lp->n) {
    if (lp->v[i].transport != t) {
      i++;
      continue;
    }
    size_t j = i;
    while (j + 1 < lp->n && lp->v[j + 1].transport == t && lp->v[j + 1].port == lp->v[j].port + 1)
      j++;
    char run[16];
    if (j > i)
      snprintf(run, sizeof(run), "%u-%u", lp->v[i].port, lp->v[j].port);
    else
      snprintf(run, sizeof(run), "%u", lp->v[i].port);
    fputs(first ? "" : ",", out);
    quoted(out, run);
    first = false;
    n += j - i + 1;
    i = j + 1;
  }
  return n;
}

static bool specific_address(const char *bind)
{
  return bind && *bind && strcmp(bind, "0.0.0.0") != 0 && strcmp(bind, "::") != 0;
}

void listen_firewall_powershell(FILE *out, const struct listen_plan *lp, const char *roles,
                                const char *product, const char *bind)
{
  static const enum uc_transport ts[] = {UC_TCP, UC_UDP};
  fprintf(out,
          "# Windows Firewall rules for `ucscan listen --role %s` (%s): %zu TCP and %zu UDP "
          "ports.\n"
          "# ucscan never changes the firewall: review these, then run them in an elevated "
          "PowerShell.\n",
          roles, product, lp->ntcp, lp->nudp);
  for (size_t k = 0; k < sizeof(ts) / sizeof(ts[0]); k++) {
    if ((ts[k] == UC_TCP ? lp->ntcp : lp->nudp) == 0)
      continue;
    char name[300];
    snprintf(name, sizeof(name), "ucscan listen %s %s", roles, ts[k] == UC_TCP ? "TCP" : "UDP");
    fputs("New-NetFirewallRule -DisplayName ", out);
    quoted(out, name);
    fputs(" -Group ", out);
    quoted(out, LISTEN_FW_GROUP);
    fprintf(out, " -Direction Inbound -Action Allow -Profile Any -Protocol %s",
            ts[k] == UC_TCP ? "TCP" : "UDP");
    if (specific_address(bind)) {
      fputs(" -LocalAddress ", out);
      quoted(out, bind);
    }
    fputs(" -LocalPort ", out);
    port_list(out, lp, ts[k]);
    fputc('\n', out);
  }
  fputs("# When the test is over, remove them (every rule of the group):\n# Remove-NetFirewallRule "
        "-Group ",
        out);
  quoted(out, LISTEN_FW_GROUP);
  fputc('\n', out);
}
