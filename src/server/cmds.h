/*
 * cmds.h: the subcommands of medperf-server. Each cmd_*.c file keeps its
 * usage text and options beside its code; main.c holds the command table.
 * A command returns the process exit status: 0 success, 1 failure, 2 usage.
 */
#ifndef MP_SERVER_CMDS_H
#define MP_SERVER_CMDS_H

int cmd_init(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_user(int argc, char **argv);

/* --data-dir, else $MEDPERF_SERVER_DATA_DIR; prints an error and returns NULL if neither. */
const char *cmd_data_dir(const char *opt);
/* Opens the data directory's database (no migration). Prints errors. */
struct store;
int cmd_open_store(const char *data_dir, struct store **st);

#endif
