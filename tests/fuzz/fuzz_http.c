/* Fuzz target: the HTTP header line parser (rs_http_header_value, used for every answer's headers by src/http.c
 * and for the Lambda Runtime API's by lambda/runtime.c) and the URL parser the endpoint policies rest on
 * (rs_url_parse, rs_url_host_header, rs_host_is_loopback, rs_host_is_metadata).
 * Invariants: a header value is copied only from a line that names the header, trimmed, NUL-terminated and cut
 * to the buffer; a parsed URL has an http(s) scheme, a host free of delimiters and control characters, a port
 * in range and a path starting with '/', and its Host header parses back to the same host and port; and
 * libcurl, which makes the connection, reads the same host and port from the URL whenever rs_url_parse calls
 * it loopback or a metadata host (a parser difference there would let a URL pass the plain-http policy for
 * one host and connect to another). */
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_script.h"
#include "http.h"

static void check_header(const char *line, size_t len, const char *name, size_t out_len)
{
    char out[256];
    memset(out, 'Z', sizeof(out));
    out[0] = '#';  /* a sentinel: untouched unless the line names the header */
    rs_http_header_value(line, len, name, out, out_len);
    size_t nlen = strlen(name);
    bool names_it = len > nlen && line[nlen] == ':' && strncasecmp(line, name, nlen) == 0;
    if (!names_it) {
        FZ_ASSERT(out[0] == '#', "a line that does not name the header leaves the buffer alone");
        return;
    }
    FZ_ASSERT(memchr(out, '\0', out_len) != NULL, "the value is NUL-terminated within the buffer");
    FZ_ASSERT(out[out_len] == 'Z', "nothing is written past the buffer");
    /* The expected value: after "name:", without leading blanks and trailing blanks or line ends. */
    const char *v = line + nlen + 1, *end = line + len;
    while (v < end && (*v == ' ' || *v == '\t')) {
        v++;
    }
    while (end > v && strchr("\r\n \t", end[-1]) && end[-1]) {
        end--;
    }
    size_t want = (size_t)(end - v);
    size_t got = strlen(out);
    if (memchr(v, '\0', want)) {
        FZ_ASSERT(got <= want, "a value holding a NUL is cut at it");
        return;
    }
    FZ_ASSERT(got == (want < out_len - 1 ? want : out_len - 1), "the value is trimmed and cut to the buffer");
    FZ_ASSERT(memcmp(out, v, got) == 0, "the value is copied from the line");
}

static bool host_char_ok(unsigned char c)
{
    return c > 0x20 && c != 0x7f && c != '%' && c != '\\' && c != '/' && c != '?' && c != '#' && c != '@';
}

/* What libcurl makes of the URL: host (IPv6 without brackets) and port, or false when it refuses it. */
static bool curl_host_port(const char *url, char *host, size_t host_len, long *port)
{
    CURLU *u = curl_url();
    if (!u) {
        return false;
    }
    bool ok = curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK;
    char *h = NULL, *p = NULL;
    if (ok) {
        ok = curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK;
    }
    if (ok) {
        size_t n = strlen(h);
        const char *start = h;
        if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
            start++;
            n -= 2;
        }
        snprintf(host, host_len, "%.*s", (int)n, start);
        *port = 0;
        if (curl_url_get(u, CURLUPART_PORT, &p, 0) == CURLUE_OK) {
            *port = strtol(p, NULL, 10);
        }
    }
    curl_free(h);
    curl_free(p);
    curl_url_cleanup(u);
    return ok;
}

static void check_url(const char *url)
{
    rs_url u;
    rs_error err;
    rs_error_clear(&err);
    if (rs_url_parse(url, &u, &err) != RS_OK) {
        FZ_ASSERT(err.status == RS_ERR_CONFIG, "a URL that does not parse is a configuration error");
        return;
    }
    FZ_ASSERT(strcmp(u.scheme, "http") == 0 || strcmp(u.scheme, "https") == 0, "the scheme is http or https");
    FZ_ASSERT(u.host[0], "a URL has a host");
    for (const char *p = u.host; *p; p++) {
        FZ_ASSERT(host_char_ok((unsigned char)*p), "the host holds no delimiter, blank or control character");
    }
    FZ_ASSERT(u.port >= 0 && u.port <= 65535, "the port is in range");
    FZ_ASSERT(u.path[0] == '/' && !strpbrk(u.path, "?#"), "the path starts with '/' and has no query");

    char host_header[300];
    rs_url_host_header(&u, host_header, sizeof(host_header));
    if (u.host[0] != '[') {
        char again[1400];
        snprintf(again, sizeof(again), "%s://%s%s", u.scheme, host_header, u.path);
        rs_url v;
        FZ_ASSERT(rs_url_parse(again, &v, &err) == RS_OK, "a URL rebuilt from its parts parses");
        FZ_ASSERT(strcmp(u.host, v.host) == 0 && u.port == v.port && strcmp(u.path, v.path) == 0,
                  "the Host header names the same host and port");
    }

    bool loopback = rs_host_is_loopback(u.host), metadata = rs_host_is_metadata(u.host);
    if (!loopback && !metadata) {
        return;
    }
    char chost[300];
    long cport = 0;
    if (!curl_host_port(url, chost, sizeof(chost), &cport)) {
        return;  /* libcurl refuses the URL: the request fails, nothing is sent */
    }
    FZ_ASSERT(rs_host_is_loopback(chost) == loopback && rs_host_is_metadata(chost) == metadata,
              "libcurl connects to a host of the class rs_url_parse judged (loopback, metadata)");
    FZ_ASSERT(cport == u.port, "libcurl connects to the port rs_url_parse read");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"Date", "x-amzn-ErrorType", "x-amzn-RequestId",
                                        "Lambda-Runtime-Deadline-Ms", "Lambda-Runtime-Aws-Request-Id"};
    static const size_t lens[] = {1, 2, 8, 64, 128, 255};
    const char *line = (const char *)data;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        check_header(line, size, names[i], lens[(i + size) % (sizeof(lens) / sizeof(lens[0]))]);
    }
    char *url = malloc(size + 1);
    if (!url) {
        return 0;
    }
    memcpy(url, data, size);
    url[size] = '\0';
    check_url(url);
    free(url);
    return 0;
}
