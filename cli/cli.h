/* cli/cli.h - subcommands of the ucscan command line. */
#ifndef UC_CLI_H
#define UC_CLI_H

#include <stdio.h>

int cli_main(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_catalog(int argc, char **argv);
int cmd_listen(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_merge(int argc, char **argv);

/* The scan profiles as `ucscan scan --help` shows them, and as the man page's PROFILES
 * entries (roff), both from model/conf.c: the numbers are the code's. */
void scan_profiles_help(FILE *out);
void scan_profiles_man(FILE *out);

#endif
