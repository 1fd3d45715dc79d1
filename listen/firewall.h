/* listen/firewall.h - the Windows Firewall rules a listener's ports need, as PowerShell
 * lines an administrator reviews and runs: one New-NetFirewallRule per transport listing
 * every port of the plan (runs written a-b), all in the group LISTEN_FW_GROUP, so that one
 * Remove-NetFirewallRule line (printed as a comment, to run after the test) undoes them.
 * ucscan never runs them and never changes the firewall: `ucscan listen` prints them on
 * Windows, and `ucscan listen --firewall-rules powershell` on any system. */
#ifndef UC_LISTEN_FIREWALL_H
#define UC_LISTEN_FIREWALL_H

#include <stdio.h>

#include "listen/plan.h"

#define LISTEN_FW_GROUP "ucscan listen"

/* Writes the script for `lp`: roles and product (as given) name the rules; `bind`, when a
 * specific address (not NULL, 0.0.0.0 or ::), becomes -LocalAddress. Every quoted value is
 * a PowerShell single-quoted string: quotes doubled, anything but printable ASCII replaced
 * by '?'. */
void listen_firewall_powershell(FILE *out, const struct listen_plan *lp, const char *roles,
                                const char *product, const char *bind);

#endif
