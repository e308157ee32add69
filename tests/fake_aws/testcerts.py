#!/usr/bin/python3
"""Makes a throwaway CA and server certificates with the openssl command, for HTTPS tests of the fake.

    /usr/bin/python3 tests/fake_aws/testcerts.py DIR

writes into DIR: ca.pem (the CA to trust), server.pem/server.key (for 127.0.0.1 and localhost),
wrong-host.pem/wrong-host.key (valid chain, but only for wrong.example: must fail host verification).
Keys are unencrypted P-256 keys; certificates are valid for 2 days.

    /usr/bin/python3 tests/fake_aws/testcerts.py --negatives DIR

writes the same files and, for TLS negative tests (tests/c/test_tls.c), certificates that must each be refused:
expired.pem (test CA, for 127.0.0.1/localhost, valid from 30 days ago to yesterday), not-yet-valid.pem (valid from
30 days from now), client-only.pem (test CA, extendedKeyUsage clientAuth only), other-ca.pem (a second, unrelated
CA) and untrusted.pem (for 127.0.0.1/localhost, signed by it), self-signed.pem (for 127.0.0.1/localhost, its own
issuer); and for a client that reaches sm.rdssecret.test through a proxy: proxied.pem (test CA) and mitm.pem
(other CA, what an intercepting proxy would present). Each .pem has its .key."""

import os
import subprocess
import sys
import time


def _openssl(*args, cwd):
    subprocess.run(("openssl",) + args, cwd=cwd, check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _leaf(directory, name, common_name, subject_alt_names, ca="ca", usage="serverAuth", dates=None):
    """A leaf signed by ca (ca.pem/ca.key by default). dates: (not_before, not_after) in seconds since the epoch,
    signed with `openssl ca` (openssl x509 -req cannot set them in OpenSSL 3.0); else valid 2 days from now."""
    with open(os.path.join(directory, name + ".ext"), "w", encoding="ascii") as f:
        f.write("basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=%s\n"
                "subjectKeyIdentifier=hash\n"
                "authorityKeyIdentifier=keyid,issuer\n"
                "subjectAltName=%s\n" % (usage, subject_alt_names))
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + common_name, cwd=directory)
    if dates is None:
        _openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
                 "-CAcreateserial", "-days", "2", "-sha256", "-extfile", name + ".ext", "-out", name + ".pem",
                 cwd=directory)
        return
    # openssl ca keeps a small database; one per leaf, so that leaves never depend on each other.
    db = name + ".ca"
    os.makedirs(os.path.join(directory, db), exist_ok=True)
    open(os.path.join(directory, db, "index.txt"), "w").close()
    with open(os.path.join(directory, db, "openssl.cnf"), "w", encoding="ascii") as f:
        f.write("[ca]\ndefault_ca = leaf_ca\n"
                "[leaf_ca]\ndatabase = %s/index.txt\nnew_certs_dir = %s\nrand_serial = yes\n"
                "default_md = sha256\npolicy = any_name\nunique_subject = no\ncopy_extensions = none\n"
                "[any_name]\ncommonName = supplied\n" % (db, db))
    stamp = lambda t: time.strftime("%Y%m%d%H%M%SZ", time.gmtime(t))
    _openssl("ca", "-batch", "-notext", "-config", os.path.join(db, "openssl.cnf"), "-cert", ca + ".pem",
             "-keyfile", ca + ".key", "-in", name + ".csr", "-out", name + ".pem", "-extfile", name + ".ext",
             "-startdate", stamp(dates[0]), "-enddate", stamp(dates[1]), cwd=directory)


def _ca(directory, name, common_name):
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", name + ".key", "-out", name + ".pem", "-days", "2", "-sha256", "-subj", "/CN=" + common_name,
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)


def make_test_certs(directory):
    """Create the files in directory (which must exist); returns a dict of their paths."""
    _ca(directory, "ca", "rdssecret test CA")
    _leaf(directory, "server", "127.0.0.1", "IP:127.0.0.1,DNS:localhost")
    _leaf(directory, "wrong-host", "wrong.example", "DNS:wrong.example")
    path = lambda name: os.path.join(directory, name)
    return {"ca": path("ca.pem"), "cert": path("server.pem"), "key": path("server.key"),
            "wrong_cert": path("wrong-host.pem"), "wrong_key": path("wrong-host.key")}


PROXIED_HOST = "sm.rdssecret.test"   # .test is reserved (RFC 2606): never a real host


def make_negative_certs(directory):
    """make_test_certs, plus the certificates TLS negative tests need (see the module's doc); returns every path."""
    paths = make_test_certs(directory)
    now = int(time.time())
    loopback = "IP:127.0.0.1,DNS:localhost"
    _leaf(directory, "expired", "127.0.0.1", loopback, dates=(now - 30 * 86400, now - 86400))
    _leaf(directory, "not-yet-valid", "127.0.0.1", loopback, dates=(now + 30 * 86400, now + 60 * 86400))
    _leaf(directory, "client-only", "127.0.0.1", loopback, usage="clientAuth")
    _ca(directory, "other-ca", "rdssecret unrelated test CA")
    _leaf(directory, "untrusted", "127.0.0.1", loopback, ca="other-ca")
    _leaf(directory, "proxied", PROXIED_HOST, "DNS:" + PROXIED_HOST)
    _leaf(directory, "mitm", PROXIED_HOST, "DNS:" + PROXIED_HOST, ca="other-ca")
    # Self-signed: its own issuer, a leaf (CA:FALSE) for the right name.
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", "self-signed.key", "-out", "self-signed.pem", "-days", "2", "-sha256", "-subj", "/CN=127.0.0.1",
             "-addext", "basicConstraints=critical,CA:FALSE",
             "-addext", "keyUsage=critical,digitalSignature,keyEncipherment",
             "-addext", "extendedKeyUsage=serverAuth", "-addext", "subjectAltName=" + loopback, cwd=directory)
    for name in ("expired", "not-yet-valid", "client-only", "other-ca", "untrusted", "proxied", "mitm",
                 "self-signed"):
        key = name.replace("-", "_")
        paths[key] = os.path.join(directory, name + ".pem")
        paths[key + "_key"] = os.path.join(directory, name + ".key")
    return paths


if __name__ == "__main__":
    args = sys.argv[1:]
    negatives = bool(args) and args[0] == "--negatives"
    if negatives:
        args = args[1:]
    if len(args) != 1:
        sys.exit(__doc__)
    os.makedirs(args[0], exist_ok=True)
    for role, file_path in (make_negative_certs if negatives else make_test_certs)(args[0]).items():
        print("%s %s" % (role, file_path))
