/* Making one account's grants equal another's: SHOW GRANTS lines (already rewritten to name the target
 * account) are read into sets of (object, privilege), grant options and roles, and compared, so the
 * alternating-users clone converges to the current user's privileges instead of only accumulating them.
 * Pure text work, no server: unit-tested with the output forms of MySQL 8/9 and MariaDB. */
#ifndef RL_GRANTS_H
#define RL_GRANTS_H

#include <stddef.h>

#include "error.h"

/* Statements that turn the target's grants (`have`, its own SHOW GRANTS lines rewritten to the canonical
 * form, see rl_db_rewrite_grant) into exactly `want` (the source's lines rewritten to name the target):
 * first a REVOKE for every privilege, grant option and role the target holds and `want` does not, then every
 * GRANT line of `want` (GRANT is idempotent). `account` is the target as it ends those lines (`u`@`h`).
 * SET DEFAULT ROLE lines are skipped here (default roles are set by the caller, per engine).
 * *stmts is a heap array of heap strings (free with rl_grants_free); RS_ERR_UNSUPPORTED for a line it cannot
 * read, naming no secret (grant lines hold none once rewritten). */
rs_status rl_grants_plan(const char *const *want, size_t nwant, const char *const *have, size_t nhave,
                         const char *account, char ***stmts, size_t *nstmts, rs_error *err);

void rl_grants_free(char **stmts, size_t n);

#endif
