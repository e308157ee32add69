/* The environment snapshot. Values live in one secmem block (they include secret keys), the shared files in
 * their own; both are excluded from core dumps and wiped when replaced. */
#include "env.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "secmem.h"

/* Every variable the core reads. A name not listed here reads as unset. */
static const char *const names[] = {
    "AWS_REGION", "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_USE_FIPS_ENDPOINT",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "HOME",
    "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_EC2_METADATA_DISABLED", "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
    "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY",
};
#define NAME_COUNT (sizeof(names) / sizeof(names[0]))

typedef struct {
    rs_env_file pub;
    char *block;             /* secmem: path, problem and contents */
} file_record;

typedef struct {
    bool taken;
    char *block;             /* secmem: every value, NUL-separated */
    const char *values[NAME_COUNT];
    file_record files[2];
} snapshot;

static snapshot snap;

rs_status rs_read_bounded_file(const char *path, size_t max_bytes, char **out, size_t *out_len, bool *absent,
                               rs_error *err)
{
    *out = NULL;
    *out_len = 0;
    *absent = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR) {
            *absent = true;
            return RS_OK;
        }
        return rs_error_set(err, RS_ERR_CONFIG, "cannot open %.200s: %s", path, strerror(errno));
    }
    /* Read up to one byte past the limit to tell "exactly the limit" from "too large"; no size is trusted from
     * fstat, so a device or a growing file cannot push us past the bound. */
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
    }
    for (;;) {
        if (len + 1 >= cap) {
            if (cap > max_bytes + 1) {
                break;
            }
            size_t ncap = cap * 2;
            char *grown = malloc(ncap);
            if (!grown) {
                OPENSSL_cleanse(buf, cap);
                free(buf);
                close(fd);
                return rs_error_set(err, RS_ERR_INTERNAL, "out of memory");
            }
            /* Copy rather than realloc so that the old block is wiped, not left behind. */
            memcpy(grown, buf, len);
            OPENSSL_cleanse(buf, cap);
            free(buf);
            buf = grown;
            cap = ncap;
        }
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            int e = errno;
            OPENSSL_cleanse(buf, cap);
            free(buf);
            close(fd);
            return rs_error_set(err, RS_ERR_CONFIG, "cannot read %.200s: %s", path, strerror(e));
        }
        if (n == 0) {
            break;
        }
        len += (size_t)n;
        if (len > max_bytes) {
            break;
        }
    }
    close(fd);
    if (len > max_bytes) {
        OPENSSL_cleanse(buf, cap);
        free(buf);
        return rs_error_set(err, RS_ERR_TOO_LARGE, "%.200s is larger than %zu bytes", path, max_bytes);
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return RS_OK;
}

static int name_index(const char *name)
{
    for (size_t i = 0; i < NAME_COUNT; i++) {
        if (strcmp(names[i], name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static const char *value_in(const snapshot *s, const char *name)
{
    int i = name_index(name);
    return i >= 0 ? s->values[i] : NULL;
}

static void take_values(snapshot *s)
{
    size_t total = 1;
    const char *raw[NAME_COUNT];
    for (size_t i = 0; i < NAME_COUNT; i++) {
        raw[i] = getenv(names[i]);
        if (raw[i] && *raw[i]) {
            total += strlen(raw[i]) + 1;
        } else {
            raw[i] = NULL;
        }
    }
    s->block = rs_secmem_alloc(total);
    char *p = s->block;
    for (size_t i = 0; i < NAME_COUNT; i++) {
        s->values[i] = NULL;
        if (raw[i] && p) {
            size_t n = strlen(raw[i]) + 1;
            memcpy(p, raw[i], n);
            s->values[i] = p;
            p += n;
        }
    }
}

/* The path of a shared file: the variable if set (a leading "~/" means $HOME, as in the SDKs), else
 * $HOME/<default_rel>; neither: no file. */
static rs_status file_path(const snapshot *s, const char *variable, const char *default_rel, char *out,
                           size_t out_len, bool *have, rs_error *err)
{
    *have = false;
    const char *explicit_path = value_in(s, variable);
    const char *home = value_in(s, "HOME");
    int n;
    if (explicit_path) {
        if (explicit_path[0] == '~' && explicit_path[1] == '/') {
            if (!home) {
                return rs_error_set(err, RS_ERR_CONFIG, "%s starts with ~/ but HOME is not set", variable);
            }
            n = snprintf(out, out_len, "%s%s", home, explicit_path + 1);
        } else {
            n = snprintf(out, out_len, "%s", explicit_path);
        }
    } else if (home) {
        n = snprintf(out, out_len, "%s/%s", home, default_rel);
    } else {
        return RS_OK;  /* a daemon's environment: no HOME and no explicit file, so no shared file */
    }
    if (n < 0 || (size_t)n >= out_len) {
        return rs_error_set(err, RS_ERR_CONFIG, "the path of the %s file is too long", variable);
    }
    *have = true;
    return RS_OK;
}

static void file_release(file_record *f)
{
    rs_secmem_free(f->block);
    memset(f, 0, sizeof(*f));
}

static void read_file(const snapshot *s, rs_env_file_kind kind, file_record *f)
{
    static const char *const variables[] = {"AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"};
    static const char *const defaults[] = {".aws/credentials", ".aws/config"};
    memset(f, 0, sizeof(*f));
    f->pub.variable = variables[kind];
    char path[4096];
    char problem[sizeof(((rs_error *)0)->message)] = "";
    rs_error err;
    rs_error_clear(&err);
    rs_status status = file_path(s, variables[kind], defaults[kind], path, sizeof(path), &f->pub.have_path, &err);
    char *data = NULL;
    size_t len = 0;
    if (status != RS_OK) {
        memcpy(problem, err.message, sizeof(problem));
    } else if (f->pub.have_path) {
        rs_status st = rs_read_bounded_file(path, RS_ENV_SHARED_FILE_MAX_BYTES, &data, &len, &f->pub.absent, &err);
        if (st == RS_ERR_TOO_LARGE) {
            status = RS_ERR_CONFIG;  /* over the limit: a configuration error, not a file to skip */
        }
        if (st != RS_OK) {
            memcpy(problem, err.message, sizeof(problem));
        }
    } else {
        path[0] = '\0';
    }
    f->pub.status = status;
    size_t path_len = f->pub.have_path ? strlen(path) : 0, problem_len = strlen(problem);
    f->block = rs_secmem_alloc(path_len + 1 + problem_len + 1 + len + 1);
    if (!f->block) {
        f->pub.status = RS_ERR_INTERNAL;
        f->pub.problem = "out of memory";
        f->pub.path = "";
    } else {
        char *p = f->block;
        memcpy(p, path, path_len);
        f->pub.path = p;
        p += path_len + 1;
        memcpy(p, problem, problem_len);
        f->pub.problem = problem_len ? p : NULL;
        p += problem_len + 1;
        if (data) {
            memcpy(p, data, len);
            f->pub.data = p;
            f->pub.len = len;
        }
    }
    if (data) {
        OPENSSL_cleanse(data, len);
        free(data);
    }
}

static void release(snapshot *s)
{
    rs_secmem_free(s->block);
    file_release(&s->files[0]);
    file_release(&s->files[1]);
    memset(s, 0, sizeof(*s));
}

void rs_env_capture(void)
{
    release(&snap);
    take_values(&snap);
    read_file(&snap, RS_ENV_CREDENTIALS_FILE, &snap.files[0]);
    read_file(&snap, RS_ENV_CONFIG_FILE, &snap.files[1]);
    snap.taken = true;
}

void rs_env_capture_after_fork(void)
{
    if (!snap.taken) {
        rs_env_capture();
        return;
    }
    snapshot next;
    memset(&next, 0, sizeof(next));
    take_values(&next);
    for (int kind = 0; kind < 2; kind++) {
        file_record fresh;
        memset(&fresh, 0, sizeof(fresh));
        /* Only the path is needed to compare: build it as read_file would, without reading. */
        static const char *const variables[] = {"AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"};
        static const char *const defaults[] = {".aws/credentials", ".aws/config"};
        char path[4096];
        bool have = false;
        rs_error err;
        rs_status st = file_path(&next, variables[kind], defaults[kind], path, sizeof(path), &have, &err);
        file_record *old = &snap.files[kind];
        if (st == RS_OK && have == old->pub.have_path && (!have || strcmp(path, old->pub.path) == 0)) {
            next.files[kind] = *old;  /* the parent's read, before any script ran */
            memset(old, 0, sizeof(*old));
        } else {
            read_file(&next, (rs_env_file_kind)kind, &next.files[kind]);
        }
    }
    next.taken = true;
    release(&snap);
    snap = next;
}

const char *rs_env_get(const char *name)
{
    if (!snap.taken) {
        rs_env_capture();
    }
    return value_in(&snap, name);
}

bool rs_env_true(const char *name)
{
    const char *v = rs_env_get(name);
    return v && strcasecmp(v, "true") == 0;
}

const rs_env_file *rs_env_shared_file(rs_env_file_kind kind)
{
    if (!snap.taken) {
        rs_env_capture();
    }
    return &snap.files[kind == RS_ENV_CONFIG_FILE ? 1 : 0].pub;
}

static void digest_add(EVP_MD_CTX *md, const char *label, const char *value)
{
    /* Length-prefixed, so that no two different inputs hash alike. */
    size_t lengths[2] = {strlen(label), value ? strlen(value) : (size_t)-1};
    EVP_DigestUpdate(md, lengths, sizeof(lengths));
    EVP_DigestUpdate(md, label, lengths[0]);
    if (value) {
        EVP_DigestUpdate(md, value, lengths[1]);
    }
}

void rs_env_credential_digest(const char *const *extra, size_t n, char out[33])
{
    static const char *const identity[] = {
        "AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EC2_METADATA_DISABLED", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
    };
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int hash_len = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1) {
        for (size_t i = 0; i < sizeof(identity) / sizeof(identity[0]); i++) {
            digest_add(md, identity[i], rs_env_get(identity[i]));
        }
        /* The files: what they say decides the key a profile signs with. Hashed, never kept. */
        for (int kind = 0; kind < 2; kind++) {
            const rs_env_file *f = rs_env_shared_file((rs_env_file_kind)kind);
            digest_add(md, f->variable, f->path);
            if (f->data) {
                EVP_DigestUpdate(md, f->data, f->len);
            }
        }
        for (size_t i = 0; i < n; i++) {
            digest_add(md, "extra", extra[i]);
        }
        EVP_DigestFinal_ex(md, hash, &hash_len);
    }
    EVP_MD_CTX_free(md);
    static const char hex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < 16; i++) {
        out[2 * i] = hex[(i < hash_len ? hash[i] : 0) >> 4];
        out[2 * i + 1] = hex[(i < hash_len ? hash[i] : 0) & 15];
    }
    out[32] = '\0';
    OPENSSL_cleanse(hash, sizeof(hash));
}
