#!/usr/bin/python3
"""Makes a throwaway CA and server certificates with the openssl command, for HTTPS tests of the fake.

    /usr/bin/python3 tests/fake_aws/testcerts.py DIR

writes into DIR: ca.pem (the CA to trust), server.pem/server.key (for 127.0.0.1 and localhost),
wrong-host.pem/wrong-host.key (valid chain, but only for wrong.example: must fail host verification).
Keys are unencrypted P-256 keys; certificates are valid for 2 days."""

import os
import subprocess
import sys


def _openssl(*args, cwd):
    subprocess.run(("openssl",) + args, cwd=cwd, check=True, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _leaf(directory, name, common_name, subject_alt_names):
    with open(os.path.join(directory, name + ".ext"), "w", encoding="ascii") as f:
        f.write("basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyEncipherment\n"
                "extendedKeyUsage=serverAuth\n"
                "subjectKeyIdentifier=hash\n"
                "authorityKeyIdentifier=keyid,issuer\n"
                "subjectAltName=%s\n" % subject_alt_names)
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + common_name, cwd=directory)
    _openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "2", "-sha256", "-extfile", name + ".ext", "-out", name + ".pem", cwd=directory)


def make_test_certs(directory):
    """Create the files in directory (which must exist); returns a dict of their paths."""
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-sha256", "-subj", "/CN=rdssecret test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)
    _leaf(directory, "server", "127.0.0.1", "IP:127.0.0.1,DNS:localhost")
    _leaf(directory, "wrong-host", "wrong.example", "DNS:wrong.example")
    path = lambda name: os.path.join(directory, name)
    return {"ca": path("ca.pem"), "cert": path("server.pem"), "key": path("server.key"),
            "wrong_cert": path("wrong-host.pem"), "wrong_key": path("wrong-host.key")}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    os.makedirs(sys.argv[1], exist_ok=True)
    for role, file_path in make_test_certs(sys.argv[1]).items():
        print("%s %s" % (role, file_path))
