/* Scripted MariaDB Connector/C for lambda/mysql_db.c (see fuzz_mysql_script.c): the server's side of a session
 * (connect, each query's result rows or error, server version, TLS) comes from the script. */
#ifndef FZ_MYSQL_SCRIPT_H
#define FZ_MYSQL_SCRIPT_H

#include <stdbool.h>

#include "fuzz_script.h"

typedef struct {
    const char *server_info;      /* "10.11.6-MariaDB", "8.0.36" */
    unsigned long server_version;
    const char *tls_version;      /* NULL: a plain connection */
} fz_mysql_server;

/* Called with every statement before it is answered. */
typedef void (*fz_mysql_hook)(const char *sql, void *ctx);
/* Called for an error answer to a statement (for a connect: to the password sent): may rewrite the message the
 * server gives (msg, size bytes). */
typedef void (*fz_mysql_error_hook)(const char *sql, char *msg, size_t size, void *ctx);

void fz_mysql_use(fz_script *s, const fz_mysql_server *server, fz_mysql_hook hook, fz_mysql_error_hook on_error,
                  void *ctx);
/* Statements sent since fz_mysql_use; result sets still allocated (0 once the code freed them all). */
size_t fz_mysql_statements(void);
size_t fz_mysql_open_results(void);

#endif
