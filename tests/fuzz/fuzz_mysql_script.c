/* Scripted MariaDB Connector/C: linked with -Wl,--wrap= for the calls that talk to the server (connect, query,
 * results, errors, server and TLS information), so lambda/mysql_db.c runs unchanged while the server's side of
 * the session comes from the fuzz input. mysql_init, mysql_optionsv, mysql_real_escape_string and mysql_close
 * stay the real ones (escaping needs a handle, not a connection).
 *
 * Each section answers one call, in order: "ok" (a statement without result), "rows" then one row a line
 * (fields separated by a tab, \N for NULL, missing fields NULL; as many columns as the statement selects), or
 * "err CODE message" (the message may span lines). A connect takes a section too ("ok" or "err ..."). When the
 * script runs out, the connection is lost (error 2013). */
#include "fuzz_mysql_script.h"

#include <errmsg.h>
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FZ_MAX_ROWS 64

typedef struct {
    size_t nrows, ncols, cursor;
    char **cells;                 /* nrows * ncols, NULL for SQL NULL */
    unsigned long *lengths;
} fz_res;

static fz_script *script;
static const fz_mysql_server *server;
static fz_mysql_hook hook;
static fz_mysql_error_hook on_error;
static void *hook_ctx;
static unsigned int last_errno;
static char last_error[512];
static fz_res *pending;
static size_t statements, open_results;

void fz_mysql_use(fz_script *s, const fz_mysql_server *srv, fz_mysql_hook h, fz_mysql_error_hook e, void *ctx)
{
    script = s;
    server = srv;
    hook = h;
    on_error = e;
    hook_ctx = ctx;
    last_errno = 0;
    last_error[0] = '\0';
    statements = 0;
    open_results = 0;
    pending = NULL;
}

size_t fz_mysql_statements(void)
{
    return statements;
}

size_t fz_mysql_open_results(void)
{
    return open_results;
}

static void free_res(fz_res *r)
{
    if (!r) {
        return;
    }
    for (size_t i = 0; i < r->nrows * r->ncols; i++) {
        free(r->cells[i]);
    }
    free(r->cells);
    free(r->lengths);
    free(r);
}

static void set_error(unsigned int code, const char *msg, size_t len)
{
    last_errno = code;
    if (len >= sizeof(last_error)) {
        len = sizeof(last_error) - 1;
    }
    memcpy(last_error, msg, len);
    last_error[len] = '\0';
}

/* "err 1045 Access denied..." -> code and message; false when the section is not an error. */
static bool parse_error(fz_span section)
{
    if (!fz_span_starts(section, "err")) {
        return false;
    }
    size_t i = 3;
    while (i < section.len && section.p[i] == ' ') {
        i++;
    }
    unsigned int code = 0;
    for (; i < section.len && section.p[i] >= '0' && section.p[i] <= '9' && code < 100000; i++) {
        code = code * 10 + (unsigned)(section.p[i] - '0');
    }
    if (i < section.len && section.p[i] == ' ') {
        i++;
    }
    set_error(code ? code : 1064, section.p + i, section.len - i);
    return true;
}

/* The columns a statement asks for: the top-level commas of a SELECT list, else one (SHOW GRANTS). */
static size_t columns_of(const char *sql)
{
    if (strncasecmp(sql, "SELECT ", 7) != 0) {
        return 1;
    }
    size_t n = 1;
    int depth = 0;
    for (const char *p = sql + 7; *p && strncasecmp(p, " FROM ", 6) != 0; p++) {
        depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
        n += *p == ',' && depth == 0;
    }
    return n;
}

static fz_res *parse_rows(fz_span section, size_t ncols)
{
    fz_res *r = calloc(1, sizeof(*r));
    if (!r) {
        return NULL;
    }
    r->ncols = ncols;
    r->cells = calloc(FZ_MAX_ROWS * ncols, sizeof(char *));
    r->lengths = calloc(FZ_MAX_ROWS * ncols, sizeof(unsigned long));
    if (!r->cells || !r->lengths) {
        free_res(r);
        return NULL;
    }
    fz_span rest = section, line;
    fz_span_line(&rest, &line);  /* "rows" */
    while (rest.p && r->nrows < FZ_MAX_ROWS && fz_span_line(&rest, &line)) {
        size_t row = r->nrows++;
        const char *p = line.p, *end = line.p + line.len;
        for (size_t c = 0; c < ncols && p <= end; c++) {
            const char *tab = memchr(p, '\t', (size_t)(end - p));
            const char *fend = tab ? tab : end;
            size_t len = (size_t)(fend - p);
            if (!(len == 2 && p[0] == '\\' && p[1] == 'N')) {
                char *cell = malloc(len + 1);
                if (!cell) {
                    free_res(r);
                    return NULL;
                }
                memcpy(cell, p, len);
                cell[len] = '\0';
                r->cells[row * ncols + c] = cell;
                r->lengths[row * ncols + c] = (unsigned long)len;
            }
            if (!tab) {
                break;
            }
            p = tab + 1;
        }
    }
    return r;
}

MYSQL *__wrap_mysql_real_connect(MYSQL *mysql, const char *host, const char *user, const char *passwd, const char *db,
                                 unsigned int port, const char *unix_socket, unsigned long clientflag);
MYSQL *__wrap_mysql_real_connect(MYSQL *mysql, const char *host, const char *user, const char *passwd, const char *db,
                                 unsigned int port, const char *unix_socket, unsigned long clientflag)
{
    (void)user;
    (void)db;
    (void)port;
    (void)unix_socket;
    (void)clientflag;
    fz_span section;
    if (!script || !fz_script_next(script, &section)) {
        char msg[300];
        int n = snprintf(msg, sizeof(msg), "Can't connect to server on '%.200s' (111)", host ? host : "");
        set_error(CR_CONN_HOST_ERROR, msg, (size_t)n);
        return NULL;
    }
    if (parse_error(section)) {
        if (on_error) {
            /* What the server was sent: the user's password, which its message may repeat. */
            on_error(passwd ? passwd : "", last_error, sizeof(last_error), hook_ctx);
        }
        return NULL;
    }
    last_errno = 0;
    last_error[0] = '\0';
    return mysql;
}

int __wrap_mysql_real_query(MYSQL *mysql, const char *q, unsigned long length);
int __wrap_mysql_real_query(MYSQL *mysql, const char *q, unsigned long length)
{
    (void)mysql;
    FZ_ASSERT(q && strlen(q) == length, "a statement is sent with its exact length");
    statements++;
    if (hook) {
        hook(q, hook_ctx);
    }
    free_res(pending);
    pending = NULL;
    fz_span section;
    if (!script || !fz_script_next(script, &section)) {
        static const char lost[] = "Lost connection to server during query";
        set_error(CR_SERVER_LOST, lost, sizeof(lost) - 1);
        return 1;
    }
    if (parse_error(section)) {
        if (on_error) {
            on_error(q, last_error, sizeof(last_error), hook_ctx);
        }
        return 1;
    }
    last_errno = 0;
    last_error[0] = '\0';
    if (fz_span_starts(section, "rows")) {
        pending = parse_rows(section, columns_of(q));
    }
    return 0;
}

MYSQL_RES *__wrap_mysql_store_result(MYSQL *mysql);
MYSQL_RES *__wrap_mysql_store_result(MYSQL *mysql)
{
    (void)mysql;
    fz_res *r = pending;
    pending = NULL;
    if (r) {
        open_results++;
    }
    return (MYSQL_RES *)r;
}

int __wrap_mysql_next_result(MYSQL *mysql);
int __wrap_mysql_next_result(MYSQL *mysql)
{
    (void)mysql;
    return -1;
}

void __wrap_mysql_free_result(MYSQL_RES *res);
void __wrap_mysql_free_result(MYSQL_RES *res)
{
    if (res) {
        FZ_ASSERT(open_results > 0, "a result is freed once");
        open_results--;
        free_res((fz_res *)res);
    }
}

my_ulonglong __wrap_mysql_num_rows(MYSQL_RES *res);
my_ulonglong __wrap_mysql_num_rows(MYSQL_RES *res)
{
    return ((fz_res *)res)->nrows;
}

MYSQL_ROW __wrap_mysql_fetch_row(MYSQL_RES *res);
MYSQL_ROW __wrap_mysql_fetch_row(MYSQL_RES *res)
{
    fz_res *r = (fz_res *)res;
    if (r->cursor >= r->nrows) {
        return NULL;
    }
    size_t row = r->cursor++;
    return (MYSQL_ROW)&r->cells[row * r->ncols];
}

unsigned long *__wrap_mysql_fetch_lengths(MYSQL_RES *res);
unsigned long *__wrap_mysql_fetch_lengths(MYSQL_RES *res)
{
    fz_res *r = (fz_res *)res;
    return r->cursor == 0 ? NULL : &r->lengths[(r->cursor - 1) * r->ncols];
}

void __wrap_mysql_data_seek(MYSQL_RES *res, unsigned long long offset);
void __wrap_mysql_data_seek(MYSQL_RES *res, unsigned long long offset)
{
    fz_res *r = (fz_res *)res;
    r->cursor = offset < r->nrows ? (size_t)offset : r->nrows;
}

unsigned int __wrap_mysql_errno(MYSQL *mysql);
unsigned int __wrap_mysql_errno(MYSQL *mysql)
{
    (void)mysql;
    return last_errno;
}

const char *__wrap_mysql_error(MYSQL *mysql);
const char *__wrap_mysql_error(MYSQL *mysql)
{
    (void)mysql;
    return last_error;
}

char *__wrap_mysql_get_server_info(MYSQL *mysql);
char *__wrap_mysql_get_server_info(MYSQL *mysql)
{
    (void)mysql;
    return (char *)(server && server->server_info ? server->server_info : "10.11.6-MariaDB");
}

unsigned long __wrap_mysql_get_server_version(MYSQL *mysql);
unsigned long __wrap_mysql_get_server_version(MYSQL *mysql)
{
    (void)mysql;
    return server ? server->server_version : 101106;
}

const char *__wrap_mysql_get_ssl_cipher(MYSQL *mysql);
const char *__wrap_mysql_get_ssl_cipher(MYSQL *mysql)
{
    (void)mysql;
    return server && server->tls_version ? "TLS_AES_256_GCM_SHA384" : NULL;
}

my_bool __wrap_mariadb_get_infov(MYSQL *mysql, enum mariadb_value value, void *arg, ...);
my_bool __wrap_mariadb_get_infov(MYSQL *mysql, enum mariadb_value value, void *arg, ...)
{
    (void)mysql;
    if (value == MARIADB_CONNECTION_TLS_VERSION && server && server->tls_version) {
        *(const char **)arg = server->tls_version;
        return 0;
    }
    return 1;
}
