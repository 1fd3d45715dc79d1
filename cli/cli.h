/* cli/cli.h - subcommands of the ucscan command line. */
#ifndef UC_CLI_H
#define UC_CLI_H

int cli_main(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_catalog(int argc, char **argv);
int cmd_listen(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_merge(int argc, char **argv);

#endif
