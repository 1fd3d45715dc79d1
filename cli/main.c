/* cli/main.c - entry point: hands the command line to the subcommand dispatcher. */
#include <signal.h>

#include "cli/cli.h"
#include "common/platform.h"

int main(int argc, char **argv)
{
  plat_init(); /* Windows: Winsock, the console; nothing on Linux */
  /* libuv writes to sockets with write(2): a peer that resets the connection before our
   * request is written (a server that accepts and closes at once) would otherwise kill the
   * whole scan with SIGPIPE. The write fails with EPIPE instead and the probe reports it. */
  signal(SIGPIPE, SIG_IGN);
  return cli_main(argc, argv);
}
