#!/usr/bin/python3
"""RDS IAM authentication, played locally: decides whether a MariaDB login's password is a valid RDS auth token.

The test MariaDB (tests/lib/iam-mariadb) authenticates IAM accounts through PAM; its PAM stack runs pam_exec with
expose_authtok, which hands the password to tests/lib/iam-pam-exec, which asks this server over a unix socket.
A token is accepted only when it is what botocore (Debian's python3-botocore, never this project's own signer)
makes for this server's host and port, the login's user and the configured region, with credentials the fake AWS
knows (its long-term test key, the long-term keys added to it, or the temporary credentials it handed out, with
their session token), signed at the token's own X-Amz-Date for its own X-Amz-Expires, and still valid: botocore
computes the presigned URL again and the signatures are compared in constant time.

    iam_verifier.py serve --socket PATH --endpoint HOST:PORT --region R [--fake-aws URL] --log FILE [--parent PID]
    iam_verifier.py check --endpoint HOST:PORT --region R --user U [--fake-aws URL] < TOKEN
                         the same verdict for a token on stdin, without PAM (so without pam_exec's 511-byte limit):
                         prints "accepted" or "refused: REASON", exit status 0 or 1
    iam_verifier.py mint --host H --port P --user U --region R [--at EPOCH] [--expires N]
                         [--credentials long-term|imds|container|unknown] [--fake-aws URL]
                         prints a token made by botocore (generate_db_auth_token) to stdout, for tests

The log has one line per login: the user, the access key id, X-Amz-Date, X-Amz-Expires, a SHA-256 prefix of
the token (to count distinct tokens) and the verdict with its reason; never the token, its signature or a key.
"""
import argparse
import base64
import datetime
import hashlib
import hmac
import json
import os
import secrets
import socketserver
import string
import sys
import threading
import time
import types
import urllib.parse
import urllib.request

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.hooks
import botocore.model
import botocore.signers

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fake_aws"))
from fake_aws import LONG_TERM_ACCESS_KEY, LONG_TERM_SECRET_KEY  # noqa: E402  (the fake's own test key)

# pam_exec copies at most PAM_MAX_RESP_SIZE - 1 bytes of the password for the program (Linux-PAM 1.5.2,
# modules/pam_exec/pam_exec.c: char authtok[PAM_MAX_RESP_SIZE], strncpy(..., sizeof(authtok) - 1)).
PAM_EXEC_LIMIT = 511
MAX_EXPIRES = 900          # RDS: a token is valid at most 15 minutes
MAX_SKEW = 300             # how far in the future X-Amz-Date may be
SIGV4_DATE = "%Y%m%dT%H%M%SZ"
PARAMS = {"Action", "DBUser", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
          "X-Amz-SignedHeaders", "X-Amz-Signature"}


# botocore signs at datetime.datetime.utcnow() (botocore/auth.py, SigV4Auth.add_auth). To compute the URL a
# client made at another moment, botocore.auth sees a datetime module whose utcnow() is the moment asked for,
# per thread, so concurrent logins never see each other's clock (botocore's own tests mock the same call).
_signing_time = threading.local()


class _SigningClock(datetime.datetime):
    @classmethod
    def utcnow(cls):
        when = getattr(_signing_time, "when", None)
        return when if when is not None else datetime.datetime.utcnow()


class _DatetimeModule(types.ModuleType):
    def __getattr__(self, name):
        return getattr(datetime, name)


_shim = _DatetimeModule("datetime")
_shim.datetime = _SigningClock
botocore.auth.datetime = _shim


class _Client:
    """What botocore.signers.generate_db_auth_token needs of an RDS client: its signer and region."""

    def __init__(self, signer, region):
        self._request_signer = signer
        self.meta = types.SimpleNamespace(region_name=region)


def botocore_token(host, port, user, region, access_key, secret_key, session_token, at, expires=MAX_EXPIRES):
    """The token botocore makes for these values at the moment `at` (a UTC datetime)."""
    credentials = botocore.credentials.Credentials(access_key, secret_key, session_token)
    emitter = botocore.hooks.HierarchicalEmitter()     # the signer holds it weakly: keep it alive here
    signer = botocore.signers.RequestSigner(botocore.model.ServiceId("rds"), region, "rds-db", "v4", credentials,
                                            emitter)
    _signing_time.when = at
    try:
        if expires == MAX_EXPIRES:
            return botocore.signers.generate_db_auth_token(_Client(signer, region), host, port, user, Region=region)
        # generate_db_auth_token always asks for 900 s; a shorter token (credentials that expire sooner) is the
        # same request presigned by the same call with its own expiry.
        request_dict = {"url_path": "/", "query_string": "", "headers": {}, "method": "GET",
                        "body": {"Action": "connect", "DBUser": user}}
        botocore.awsrequest.prepare_request_dict(request_dict, "https://%s:%d" % (host, port))
        url = signer.generate_presigned_url(request_dict, "connect", expires_in=expires, region_name=region,
                                            signing_name="rds-db")
        return url[len("https://"):]
    finally:
        _signing_time.when = None


def fingerprint(token):
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()[:12]


class Refused(Exception):
    pass


class Verifier:
    def __init__(self, endpoint, region, fake_aws):
        host, _, port = endpoint.rpartition(":")
        self.host, self.port, self.region, self.fake_aws = host, int(port), region, fake_aws

    def known_credentials(self, access_key):
        """(secret key, session token or None, temporary record or None) for an access key id, or None."""
        if access_key == LONG_TERM_ACCESS_KEY:
            return LONG_TERM_SECRET_KEY, None, None
        if not self.fake_aws:
            return None
        request = urllib.request.Request(self.fake_aws + "/__control/dump", data=b"{}", method="POST")
        with urllib.request.urlopen(request, timeout=5) as answer:
            state = json.load(answer)
        for cred in state.get("credentials", []):
            if cred["AccessKeyId"] == access_key:
                return cred["SecretAccessKey"], None, None
        for cred in state.get("temporary_credentials", []):
            if cred["AccessKeyId"] == access_key:
                return cred["SecretAccessKey"], cred["Token"], cred
        return None

    def verify(self, user, token, now, info, length_limit=PAM_EXEC_LIMIT):
        """Raises Refused(reason) when the login must fail; fills `info` with the fields worth logging."""
        info.update(user=user, token_sha256=fingerprint(token), length=len(token))
        if length_limit is not None and len(token) >= length_limit:
            # Token lengths are fixed for given credentials, so this is never a matter of chance.
            raise Refused("too long to check: pam_exec hands a program at most %d bytes of a password (a token "
                          "with a long session token; give the fake AWS shorter ones)" % PAM_EXEC_LIMIT)
        hostport, sep, query = token.partition("/?")
        if not sep:
            raise Refused("not a presigned URL")
        try:
            pairs = urllib.parse.parse_qsl(query, keep_blank_values=True, strict_parsing=True)
        except ValueError:
            raise Refused("malformed query") from None
        params = dict(pairs)
        if len(params) != len(pairs):
            raise Refused("a parameter appears twice")
        missing = (PARAMS - set(params))
        extra = set(params) - PARAMS - {"X-Amz-Security-Token"}
        if missing or extra:
            raise Refused("parameters: missing %s, unexpected %s" % (sorted(missing), sorted(extra)))
        scope = params["X-Amz-Credential"].split("/")
        if len(scope) != 5:
            raise Refused("malformed credential scope")
        access_key, scope_date, scope_region, scope_service, scope_end = scope
        info.update(key=access_key, date=params["X-Amz-Date"], expires=params["X-Amz-Expires"],
                    region=scope_region, host=hostport)
        if params["Action"] != "connect":
            raise Refused("action is not connect")
        if hostport.lower() != "%s:%d" % (self.host.lower(), self.port):
            raise Refused("host: signed for another host or port")
        if params["DBUser"] != user:
            raise Refused("user: signed for another user")
        if scope_region != self.region:
            raise Refused("region: signed for another region")
        if scope_service != "rds-db" or scope_end != "aws4_request":
            raise Refused("service: not signed for rds-db")
        if params["X-Amz-Algorithm"] != "AWS4-HMAC-SHA256" or params["X-Amz-SignedHeaders"] != "host":
            raise Refused("algorithm or signed headers")
        try:
            signed_at = datetime.datetime.strptime(params["X-Amz-Date"], SIGV4_DATE)
            expires = int(params["X-Amz-Expires"])
        except ValueError:
            raise Refused("malformed X-Amz-Date or X-Amz-Expires") from None
        if scope_date != params["X-Amz-Date"][:8]:
            raise Refused("credential scope date is not X-Amz-Date's")
        if not 1 <= expires <= MAX_EXPIRES:
            raise Refused("X-Amz-Expires out of 1..%d" % MAX_EXPIRES)
        signed_epoch = (signed_at - datetime.datetime(1970, 1, 1)).total_seconds()
        if signed_epoch > now + MAX_SKEW:
            raise Refused("not yet valid: X-Amz-Date is in the future")
        if now > signed_epoch + expires:
            raise Refused("expired")
        known = self.known_credentials(access_key)
        if known is None:
            raise Refused("unknown access key")
        secret_key, session_token, temporary = known
        given_token = params.get("X-Amz-Security-Token")
        if session_token is None:
            if given_token is not None:
                raise Refused("a session token with long-term credentials")
        else:
            if given_token is None or not hmac.compare_digest(given_token.encode(), session_token.encode()):
                raise Refused("session token does not belong to the access key")
            if temporary.get("Revoked"):
                raise Refused("temporary credentials revoked")
            if now >= temporary["Expiration"]:
                raise Refused("temporary credentials expired")
        expected = botocore_token(self.host, self.port, user, self.region, access_key, secret_key, session_token,
                                  signed_at, expires)
        expected_signature = dict(urllib.parse.parse_qsl(expected.partition("/?")[2]))["X-Amz-Signature"]
        if not hmac.compare_digest(params["X-Amz-Signature"].encode(), expected_signature.encode()):
            raise Refused("signature does not match")


class Handler(socketserver.StreamRequestHandler):
    def handle(self):
        line = self.rfile.readline(1 << 20)
        verdict, info = "refused", {}
        try:
            request = json.loads(line)
            user, token = str(request["user"]), str(request["token"])
            try:
                self.server.verifier.verify(user, token, time.time(), info)
                verdict = "accepted"
            except Refused as refusal:
                info["reason"] = str(refusal)
        except Exception as err:  # a broken request or a failing fake: refuse, say why, never echo the input
            info["reason"] = "verifier error: %s" % type(err).__name__
        entry = {"time": round(time.time(), 3), "verdict": verdict}
        entry.update(info)
        with self.server.log_lock, open(self.server.log_path, "a") as log:
            log.write(json.dumps(entry, sort_keys=True) + "\n")
        self.wfile.write(b"ok\n" if verdict == "accepted" else b"refused\n")


class Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


def serve(args):
    if os.path.exists(args.socket):
        os.unlink(args.socket)
    server = Server(args.socket, Handler)
    os.chmod(args.socket, 0o600)
    server.verifier = Verifier(args.endpoint, args.region, args.fake_aws)
    server.log_path, server.log_lock = args.log, threading.Lock()
    if args.parent:
        def watch():
            while True:
                try:
                    os.kill(args.parent, 0)
                except OSError:
                    os._exit(0)     # the test that started it is gone: never outlive it
                time.sleep(1)
        threading.Thread(target=watch, daemon=True).start()
    print("ready", flush=True)
    server.serve_forever()


def mint(args):
    secret_key, session_token = LONG_TERM_SECRET_KEY, None
    access_key = LONG_TERM_ACCESS_KEY
    if args.credentials == "unknown":
        # A key AWS never issued, shaped like a real one.
        access_key = "AKIA" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16))
        secret_key = base64.b64encode(secrets.token_bytes(30)).decode()
    elif args.credentials != "long-term":
        request = urllib.request.Request(args.fake_aws + "/__control/dump", data=b"{}", method="POST")
        state = json.load(urllib.request.urlopen(request, timeout=5))
        key = state["current_credentials"][args.credentials]
        cred = next(c for c in state["temporary_credentials"] if c["AccessKeyId"] == key)
        access_key, secret_key, session_token = key, cred["SecretAccessKey"], cred["Token"]
    at = datetime.datetime.utcfromtimestamp(int(args.at if args.at is not None else time.time()))
    sys.stdout.write(botocore_token(args.host, args.port, args.user, args.region, access_key, secret_key,
                                    session_token, at, args.expires))


def check(args):
    token = sys.stdin.read()
    info = {}
    try:
        Verifier(args.endpoint, args.region, args.fake_aws).verify(args.user, token, time.time(), info,
                                                                   length_limit=None)
    except Refused as refusal:
        print("refused: %s" % refusal)
        sys.exit(1)
    print("accepted")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--socket", required=True)
    s.add_argument("--endpoint", required=True, help="HOST:PORT tokens must be signed for")
    s.add_argument("--region", required=True)
    s.add_argument("--fake-aws", help="the fake AWS's URL, for the keys and temporary credentials it knows")
    s.add_argument("--log", required=True)
    s.add_argument("--parent", type=int, help="exit when this process is gone")
    c = sub.add_parser("check")
    c.add_argument("--endpoint", required=True)
    c.add_argument("--region", required=True)
    c.add_argument("--user", required=True)
    c.add_argument("--fake-aws")
    m = sub.add_parser("mint")
    m.add_argument("--host", required=True)
    m.add_argument("--port", type=int, required=True)
    m.add_argument("--user", required=True)
    m.add_argument("--region", required=True)
    m.add_argument("--at", type=float, help="signing time, epoch seconds (default now)")
    m.add_argument("--expires", type=int, default=MAX_EXPIRES)
    m.add_argument("--credentials", choices=("long-term", "imds", "container", "unknown"), default="long-term",
                   help="the fake's long-term test key, what its IMDS or container endpoint hands out now, or a key "
                        "nobody issued")
    m.add_argument("--fake-aws")
    args = parser.parse_args()
    {"serve": serve, "check": check, "mint": mint}[args.command](args)


if __name__ == "__main__":
    main()
