/* tests/unit/test_listen_firewall.c - the Windows Firewall rules `ucscan listen` prints:
 * the exact PowerShell lines, port runs, quoting, -LocalAddress, and a transport with no
 * port left out. Plans are built by hand, so the lines do not move with the catalog. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "listen/firewall.h"

/* Renders the rules of a plan of `n` ports (sorted TCP first, then by port, as
 * listen/plan.h promises); the caller frees. */
static char *render(const struct listen_port *ports, size_t n, const char *roles, const char *bind)
{
  struct listen_plan lp = {.v = (struct listen_port *)ports, .n = n};
  for (size_t i = 0; i < n; i++) {
    if (ports[i].transport == UC_TCP)
      lp.ntcp++;
    else
      lp.nudp++;
  }
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  assert_non_null(f);
  listen_firewall_powershell(f, &lp, roles, "sfb2015", bind);
  fclose(f);
  assert_non_null(text);
  return text;
}

static void test_mediation_lines(void **state)
{
  (void)state;
  static const struct listen_port med[] = {
      {5067, UC_TCP, UC_P_TLS, NULL, false},         {5068, UC_TCP, UC_P_TCP, NULL, false},
      {5070, UC_TCP, UC_P_MTLS, NULL, false},        {49152, UC_TCP, UC_P_RTP, NULL, true},
      {49153, UC_TCP, UC_P_RTP, NULL, true},         {49154, UC_TCP, UC_P_RTP, NULL, true},
      {1434, UC_UDP, UC_P_SQL_BROWSER, NULL, false}, {49152, UC_UDP, UC_P_RTP, NULL, true},
      {49153, UC_UDP, UC_P_RTP, NULL, true},
  };
  char *text = render(med, sizeof(med) / sizeof(med[0]), "mediation", "0.0.0.0");
  assert_string_equal(
      text,
      "# Windows Firewall rules for `ucscan listen --role mediation` (sfb2015): 6 TCP and 3 UDP "
      "ports.\n"
      "# ucscan never changes the firewall: review these, then run them in an elevated "
      "PowerShell.\n"
      "New-NetFirewallRule -DisplayName 'ucscan listen mediation TCP' -Group 'ucscan listen' "
      "-Direction Inbound -Action Allow -Profile Any -Protocol TCP "
      "-LocalPort '5067-5068','5070','49152-49154'\n"
      "New-NetFirewallRule -DisplayName 'ucscan listen mediation UDP' -Group 'ucscan listen' "
      "-Direction Inbound -Action Allow -Profile Any -Protocol UDP "
      "-LocalPort '1434','49152-49153'\n"
      "# When the test is over, remove them (every rule of the group):\n"
      "# Remove-NetFirewallRule -Group 'ucscan listen'\n");
  free(text);
}

/* A specific --bind narrows the rules to that address; :: and 0.0.0.0 do not. */
static void test_local_address(void **state)
{
  (void)state;
  static const struct listen_port one[] = {{443, UC_TCP, UC_P_TLS, NULL, false}};
  char *text = render(one, 1, "director", "198.18.75.10");
  assert_non_null(strstr(text, " -Protocol TCP -LocalAddress '198.18.75.10' -LocalPort '443'\n"));
  free(text);
  text = render(one, 1, "director", "::");
  assert_null(strstr(text, "-LocalAddress"));
  free(text);
  text = render(one, 1, "director", NULL);
  assert_null(strstr(text, "-LocalAddress"));
  free(text);
}

/* No UDP port: no UDP rule (an empty -LocalPort would be a rule for every port). */
static void test_one_transport(void **state)
{
  (void)state;
  static const struct listen_port web[] = {{80, UC_TCP, UC_P_HTTP, NULL, false},
                                           {443, UC_TCP, UC_P_HTTPS, NULL, false}};
  char *text = render(web, 2, "office-web-apps", NULL);
  assert_non_null(strstr(text, "-Protocol TCP -LocalPort '80','443'\n"));
  assert_null(strstr(text, "-Protocol UDP"));
  assert_non_null(strstr(text, ": 2 TCP and 0 UDP ports.\n"));
  free(text);
}

/* Role names of a site catalog are quoted as PowerShell literals: a quote is doubled, and
 * nothing that is not printable ASCII gets through. */
static void test_quoting(void **state)
{
  (void)state;
  static const struct listen_port one[] = {{5061, UC_UDP, UC_P_UDP, NULL, false}};
  char *text = render(one, 1, "o'hare\x1b[2J\xc3\xa9", NULL);
  assert_non_null(
      strstr(text, "-DisplayName 'ucscan listen o''hare?[2J?? UDP' -Group 'ucscan listen'"));
  free(text);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mediation_lines),
      cmocka_unit_test(test_local_address),
      cmocka_unit_test(test_one_transport),
      cmocka_unit_test(test_quoting),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
