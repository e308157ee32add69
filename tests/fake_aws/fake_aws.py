#!/usr/bin/python3
"""A fake of the AWS endpoints rdssecret talks to, on loopback only, for tests and demos: Secrets Manager
(JSON 1.1, every request SigV4-verified), EC2 instance metadata (IMDSv2) and the container credentials
endpoint, with fault injection and request counts. Standard library only; README.md is the contract."""

import argparse
import base64
import calendar
import email.utils
import hashlib
import hmac
import json
import os
import re
import secrets
import signal
import socket
import ssl
import string
import sys
import threading
import time
import traceback
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ACCOUNT_ID = "123456789012"
LONG_TERM_ACCESS_KEY = "AKIDFAKEEXAMPLE"
LONG_TERM_SECRET_KEY = "fakeSecretKeyForTestsOnly/0123456789ABCD"
SERVICE = "secretsmanager"
TARGET_PREFIX = "secretsmanager."
ERROR_NAMESPACE = "com.amazonaws.secretsmanager#"
JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
ALGORITHM = "AWS4-HMAC-SHA256"
MAX_SKEW_SECONDS = 300
MAX_REQUEST_BODY = 1 << 20           # far above anything Secrets Manager accepts (64 KiB secrets)
MAX_SECRET_BYTES = 65536
PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
DEFAULT_IMDS = {"role": "rdssecret-test-role", "allow_v1": False, "region": "us-east-1",
                "expiration_seconds": 3600, "session_token_bytes": 780}
DEFAULT_CONTAINER = {"token": None, "expiration_seconds": 3600, "session_token_bytes": 780}
FAULT_KINDS = ("throttle", "status", "error", "delay", "malformed", "oversize", "oversize_chunked",
               "drop", "clock")
METADATA_TARGETS = ("imds", "container")


class AwsError(Exception):
    """An error answered the way AWS answers it. auth=True marks a refused signature/credential."""

    def __init__(self, status, code, message, auth=False):
        super().__init__(code)
        self.status = status
        self.code = code
        self.message = message
        self.auth = auth


def validation_error(member, constraint):
    # The generic wording of the AWS request validation layer; it names the member but never echoes the
    # value, which matters for sensitive members such as SecretString.
    return AwsError(400, "ValidationException",
                    "1 validation error detected: Value at '%s' failed to satisfy constraint: %s"
                    % (member[0].lower() + member[1:], constraint))


def iso8601(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


# ---------------------------------------------------------------------------------------------------
# JSON output. AWS (a Java service) writes timestamps as Java doubles, e.g. "CreatedDate":1.523477145713E9;
# clients must accept that form, so the fake writes it too. Dates are wrapped in Epoch and swapped for
# the Java spelling after json.dumps, through a placeholder that carries a per-process random nonce so
# no secret value can ever collide with it.

class Epoch(float):
    pass


_EPOCH_NONCE = secrets.token_hex(8)
_EPOCH_RE = re.compile('"__epoch_%s_([0-9.eE+-]+)__"' % _EPOCH_NONCE)


def java_double(value):
    """Double.toString for the epoch range: plain below 1e7, else d.dddE<n> with trailing zeros cut."""
    if not 1e7 <= value < 1e21:
        return repr(float(value))
    whole, frac = ("%.3f" % value).split(".")
    digits = (whole[1:] + frac).rstrip("0") or "0"
    return "%s.%sE%d" % (whole[0], digits, len(whole) - 1)


def to_json(obj):
    def mark(o):
        if isinstance(o, Epoch):
            return "__epoch_%s_%r__" % (_EPOCH_NONCE, float(o))
        if isinstance(o, dict):
            return {k: mark(v) for k, v in o.items()}
        if isinstance(o, list):
            return [mark(v) for v in o]
        return o
    text = json.dumps(mark(obj), ensure_ascii=False, separators=(",", ":"))
    return _EPOCH_RE.sub(lambda m: java_double(float(m.group(1))), text).encode("utf-8")


# ---------------------------------------------------------------------------------------------------
# Signature Version 4, written from the specification. Strings here are "wire strings": the exact
# request bytes decoded as UTF-8 with surrogateescape, so any byte survives the round trip.

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
_HEADER_SPACE = re.compile(r"[ \t\r\n]+")


def wire_str(latin1_text):
    """http.server decodes the request line and headers as Latin-1; get the original bytes back."""
    return latin1_text.encode("latin-1").decode("utf-8", "surrogateescape")


class SigV4:
    @staticmethod
    def uri_encode(text, keep_slash):
        out = []
        for byte in text.encode("utf-8", "surrogateescape"):
            if byte in _UNRESERVED or (keep_slash and byte == 0x2F):
                out.append(chr(byte))
            else:
                out.append("%%%02X" % byte)
        return "".join(out)

    @staticmethod
    def normalize_path(path):
        """RFC 3986 dot-segment removal, plus the AWS rule that empty segments ("//") disappear."""
        segments = []
        for seg in path.split("/"):
            if seg in ("", "."):
                continue
            if seg == "..":
                if segments:
                    segments.pop()
                continue
            segments.append(seg)
        result = "/" + "/".join(segments)
        if segments and (path.endswith("/") or path.endswith("/.") or path.endswith("/..")):
            result += "/"
        return result

    @classmethod
    def canonical_uri(cls, raw_path):
        # Every service but S3 encodes the path once more on top of the encoding it already has on the
        # wire: "/a%20b" is signed as "/a%2520b". Feeding the raw path as received gives exactly that.
        return cls.uri_encode(cls.normalize_path(raw_path or "/"), keep_slash=True)

    @classmethod
    def canonical_query(cls, raw_query):
        # Decode what the client encoded (invalid escapes stay as they are), then encode strictly once.
        pairs = []
        for part in raw_query.split("&"):
            if not part:
                continue
            name, _, value = part.partition("=")
            pairs.append((cls.uri_encode(urllib.parse.unquote(name, errors="surrogateescape"), False),
                          cls.uri_encode(urllib.parse.unquote(value, errors="surrogateescape"), False)))
        pairs.sort()
        return "&".join("%s=%s" % pair for pair in pairs)

    @staticmethod
    def canonical_headers(headers, signed_names):
        """headers: (name, value) pairs in arrival order; repeated headers are joined with commas."""
        values = {}
        for name, value in headers:
            values.setdefault(name.lower(), []).append(_HEADER_SPACE.sub(" ", value).strip(" "))
        return "".join("%s:%s\n" % (name, ",".join(values.get(name, []))) for name in signed_names)

    @classmethod
    def canonical_request(cls, method, raw_target, headers, signed_names, payload):
        path, _, query = raw_target.partition("?")
        return "\n".join([method, cls.canonical_uri(path), cls.canonical_query(query),
                          cls.canonical_headers(headers, signed_names), ";".join(signed_names),
                          hashlib.sha256(payload).hexdigest()])

    @staticmethod
    def string_to_sign(amz_date, scope, canonical_request):
        digest = hashlib.sha256(canonical_request.encode("utf-8", "surrogateescape")).hexdigest()
        return "\n".join([ALGORITHM, amz_date, scope, digest])

    @staticmethod
    def signature(secret_key, date, region, service, string_to_sign):
        key = ("AWS4" + secret_key).encode("utf-8")
        for part in (date, region, service, "aws4_request"):
            key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
        return hmac.new(key, string_to_sign.encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()

    @staticmethod
    def parse_authorization(value):
        """'AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...' -> dict, or AwsError."""
        def incomplete(message):
            return AwsError(403, "IncompleteSignatureException", message, auth=True)
        algorithm, _, rest = value.strip().partition(" ")
        if algorithm != ALGORITHM:
            raise incomplete("Unsupported AWS 'algorithm': '%s'." % algorithm[:64])
        fields = {}
        for item in rest.split(","):
            key, sep, val = item.strip().partition("=")
            if sep:
                fields[key] = val.strip()
        for required in ("Credential", "SignedHeaders", "Signature"):
            if not fields.get(required):
                raise incomplete("Authorization header requires '%s' parameter." % required)
        scope = fields["Credential"].split("/")
        if len(scope) != 5 or not all(scope):
            raise incomplete("Credential must have exactly 5 slash-delimited elements, "
                             "e.g. keyid/date/region/service/term.")
        return {"access_key": scope[0], "date": scope[1], "region": scope[2], "service": scope[3],
                "terminator": scope[4], "scope": "/".join(scope[1:]),
                "signed_headers": fields["SignedHeaders"].split(";"), "signature": fields["Signature"]}


def amz_date_string(epoch):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))


# ---------------------------------------------------------------------------------------------------
# State: secrets, credentials, faults, counts, settings. One lock guards all of it; operations are
# short, and delays happen outside the lock so a slow answer never holds up other requests.

class Version:
    def __init__(self, version_id, value, created, from_rotation=False):
        self.version_id = version_id
        self.value = value              # ("string", str) or ("binary", bytes) or None (RotateSecret)
        self.created = created
        self.from_rotation = from_rotation


class Secret:
    def __init__(self, name, region, created):
        self.name = name
        self.region = region
        partition = "aws-cn" if region.startswith("cn-") else (
            "aws-us-gov" if region.startswith("us-gov-") else "aws")
        suffix = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(6))
        self.arn = "arn:%s:secretsmanager:%s:%s:secret:%s-%s" % (partition, region, ACCOUNT_ID, name, suffix)
        self.created = created
        self.versions = {}              # version id -> Version, in creation order
        self.stages = {}                # stage label -> version id (a label is on at most one version)
        self.description = None
        self.kms_key_id = None
        self.tags = []
        self.rotation_enabled = None    # None: never configured, and DescribeSecret leaves it out
        self.rotation_lambda_arn = None
        self.rotation_rules = None
        self.last_rotated = None
        self.last_changed = created
        self.last_accessed = None
        self.deleted = None             # scheduled deletion time (DeleteSecret without force)

    def stages_of(self, version_id):
        return [stage for stage, vid in self.stages.items() if vid == version_id]

    def attach(self, stage, version_id, now):
        """Move a label onto a version; moving AWSCURRENT hands AWSPREVIOUS to the old current version."""
        old = self.stages.get(stage)
        if old == version_id:
            return
        self.stages[stage] = version_id
        if stage == "AWSCURRENT":
            if old is not None:
                self.stages["AWSPREVIOUS"] = old
            if self.versions[version_id].from_rotation:
                self.last_rotated = now
        self.last_changed = now

    def add_version(self, version_id, value, stages, now, from_rotation=False):
        version = self.versions.get(version_id)
        if version is None:
            version = Version(version_id, value, now, from_rotation)
            self.versions[version_id] = version
        elif value is not None:
            version.value = value
            version.created = now
        for stage in stages:
            self.attach(stage, version_id, now)
        self.last_changed = now
        return version

    def dump(self):
        versions = []
        for v in self.versions.values():
            item = {"VersionId": v.version_id, "CreatedDate": v.created, "FromRotation": v.from_rotation}
            if v.value is not None:
                if v.value[0] == "string":
                    item["SecretString"] = v.value[1]
                else:
                    item["SecretBinary"] = base64.b64encode(v.value[1]).decode("ascii")
            versions.append(item)
        return {"Name": self.name, "Region": self.region, "ARN": self.arn, "CreatedDate": self.created,
                "Description": self.description, "KmsKeyId": self.kms_key_id, "Tags": self.tags,
                "RotationEnabled": self.rotation_enabled, "RotationLambdaARN": self.rotation_lambda_arn,
                "RotationRules": self.rotation_rules, "LastRotatedDate": self.last_rotated,
                "LastChangedDate": self.last_changed, "LastAccessedDate": self.last_accessed,
                "DeletedDate": self.deleted, "Versions": versions, "Stages": dict(self.stages)}

    @classmethod
    def load(cls, d):
        sec = cls(d["Name"], d.get("Region", "us-east-1"), d.get("CreatedDate", time.time()))
        sec.arn = d.get("ARN", sec.arn)
        for key, attr in (("Description", "description"), ("KmsKeyId", "kms_key_id"), ("Tags", "tags"),
                          ("RotationEnabled", "rotation_enabled"),
                          ("RotationLambdaARN", "rotation_lambda_arn"), ("RotationRules", "rotation_rules"),
                          ("LastRotatedDate", "last_rotated"), ("LastChangedDate", "last_changed"),
                          ("LastAccessedDate", "last_accessed"), ("DeletedDate", "deleted")):
            if key in d:
                setattr(sec, attr, d[key])
        sec.tags = sec.tags or []
        for item in d.get("Versions", []):
            value = None
            if "SecretString" in item:
                value = ("string", item["SecretString"])
            elif "SecretBinary" in item:
                value = ("binary", base64.b64decode(item["SecretBinary"]))
            sec.versions[item["VersionId"]] = Version(item["VersionId"], value, item.get("CreatedDate", 0),
                                                      item.get("FromRotation", False))
        sec.stages = {k: v for k, v in d.get("Stages", {}).items() if v in sec.versions}
        return sec


class TempCredential:
    def __init__(self, source, expiration, access_key_id=None, secret_access_key=None, token=None,
                 revoked=False):
        # Shaped like the real thing: ASIA key id, 40-character secret with '/' and '+', and a session
        # token about as long as an instance-profile token (over 1000 characters).
        self.access_key_id = access_key_id or "ASIA" + "".join(
            secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16))
        self.secret_access_key = secret_access_key or base64.b64encode(secrets.token_bytes(30)).decode()
        self.token = token or base64.b64encode(secrets.token_bytes(780)).decode()
        self.source = source
        self.expiration = int(expiration)
        self.revoked = revoked

    def dump(self):
        return {"AccessKeyId": self.access_key_id, "SecretAccessKey": self.secret_access_key,
                "Token": self.token, "Expiration": self.expiration, "Source": self.source,
                "Revoked": self.revoked}


class State:
    def __init__(self):
        self.lock = threading.RLock()
        self.reset()

    def reset(self):
        with self.lock:
            self.secrets = {}               # name -> Secret
            self.long_term = {LONG_TERM_ACCESS_KEY: LONG_TERM_SECRET_KEY}
            self.temporary = {}             # access key id -> TempCredential
            self.current = {"imds": None, "container": None}   # what each endpoint hands out now
            self.imds_tokens = {}           # IMDSv2 session token -> expiry
            self.faults = []
            self.counts = {}
            self.skew = 0.0
            self.imds = dict(DEFAULT_IMDS)
            self.container = dict(DEFAULT_CONTAINER)

    def now(self):
        return time.time() + self.skew

    def count(self, name):
        with self.lock:
            self.counts[name] = self.counts.get(name, 0) + 1

    def take_fault(self, target, is_secrets_manager):
        """The first queued fault for this target, consumed; None when there is none."""
        with self.lock:
            for index, fault in enumerate(self.faults):
                if fault["target"] == target or (fault["target"] == "*" and is_secrets_manager):
                    if fault["count"] > 0:
                        fault["count"] -= 1
                        if fault["count"] == 0:
                            del self.faults[index]
                    return dict(fault)
        return None

    # -- credentials -------------------------------------------------------------------------------
    def issue_credentials(self, source):
        settings = self.imds if source == "imds" else self.container
        with self.lock:
            now = self.now()
            cred = self.current[source]
            # Like IMDS, keep handing out the same credentials and replace them well before they
            # expire, so a client never receives credentials that are about to lapse.
            margin = min(300, settings["expiration_seconds"] / 2)
            if cred is None or cred.revoked or cred.expiration - now <= margin:
                token = base64.b64encode(secrets.token_bytes(settings["session_token_bytes"])).decode()
                cred = TempCredential(source, now + settings["expiration_seconds"], token=token)
                self.temporary[cred.access_key_id] = cred
                self.current[source] = cred
            return cred

    def expire_credentials(self):
        with self.lock:
            for cred in self.temporary.values():
                cred.revoked = True
            self.current = {"imds": None, "container": None}

    def verify_signature(self, method, raw_target, headers, body, now):
        """Check a Secrets Manager request's SigV4 signature as AWS does; returns the region signed for."""
        def refuse(code, message):
            return AwsError(403, code, message, auth=True)

        def header(name):
            for key, value in headers:
                if key.lower() == name:
                    return value
            return None

        authorization = header("authorization")
        if authorization is None:
            raise refuse("MissingAuthenticationTokenException", "Missing Authentication Token")
        auth = SigV4.parse_authorization(authorization)
        amz_date = header("x-amz-date")
        if amz_date is None:
            raise refuse("IncompleteSignatureException", "Authorization header requires existence of "
                         "either a 'X-Amz-Date' or a 'Date' header.")
        try:
            signed_at = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
        except ValueError:
            raise refuse("IncompleteSignatureException", "Date must be in ISO-8601 'basic format'. "
                         "Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601" % amz_date[:32])
        names = auth["signed_headers"]
        if "host" not in names:
            raise refuse("InvalidSignatureException",
                         "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
        if "x-amz-date" not in names:
            raise refuse("InvalidSignatureException",
                         "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.")
        if auth["date"] != amz_date[:8]:
            raise refuse("InvalidSignatureException",
                         "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
                         "from HTTP: '%s' != '%s', from '%s'." % (auth["date"], amz_date[:8], amz_date))
        if auth["service"] != SERVICE:
            raise refuse("InvalidSignatureException",
                         "Credential should be scoped to correct service: '%s'. " % SERVICE)
        if auth["terminator"] != "aws4_request":
            raise refuse("InvalidSignatureException", "Credential should be scoped with a valid terminator: "
                         "'aws4_request', not '%s'." % auth["terminator"][:32])
        # The time check comes before the key lookup, so a client can learn the skew from any answer.
        if signed_at < now - MAX_SKEW_SECONDS:
            raise refuse("InvalidSignatureException", "Signature expired: %s is now earlier than %s (%s - 5 min.)"
                         % (amz_date, amz_date_string(now - MAX_SKEW_SECONDS), amz_date_string(now)))
        if signed_at > now + MAX_SKEW_SECONDS:
            raise refuse("InvalidSignatureException", "Signature not yet current: %s is still later than %s "
                         "(%s + 5 min.)" % (amz_date, amz_date_string(now + MAX_SKEW_SECONDS),
                                            amz_date_string(now)))
        token = header("x-amz-security-token")
        with self.lock:
            secret_key = self.long_term.get(auth["access_key"])
            temp = self.temporary.get(auth["access_key"])
        invalid_token = "The security token included in the request is invalid."
        if temp is not None:
            secret_key = temp.secret_access_key
            if token is None or not hmac.compare_digest(token.encode("latin-1"), temp.token.encode()):
                raise refuse("UnrecognizedClientException", invalid_token)
            if "x-amz-security-token" not in names:
                # Stricter than some services: the README promises the token is signed.
                raise refuse("UnrecognizedClientException", invalid_token + " (fake: X-Amz-Security-Token "
                             "must be a signed header)")
            if temp.revoked or now >= temp.expiration:
                raise refuse("ExpiredTokenException", "The security token included in the request is expired")
        elif secret_key is None or token is not None:
            raise refuse("UnrecognizedClientException", invalid_token)
        wire_headers = [(name, wire_str(value)) for name, value in headers]
        creq = SigV4.canonical_request(method, wire_str(raw_target), wire_headers, names, body)
        sts = SigV4.string_to_sign(amz_date, auth["scope"], creq)
        expected = SigV4.signature(secret_key, auth["date"], auth["region"], auth["service"], sts)
        if not hmac.compare_digest(expected.encode(), auth["signature"].encode("latin-1")):
            raise refuse("InvalidSignatureException",
                         "The request signature we calculated does not match the signature you provided. "
                         "Check your AWS Secret Access Key and signing method. "
                         "Consult the service documentation for details.")
        return auth["region"]

    # -- dump / load (--state) --------------------------------------------------------------------
    def dump(self):
        with self.lock:
            return {
                "secrets": [s.dump() for s in self.secrets.values()],
                "credentials": [{"AccessKeyId": k, "SecretAccessKey": v} for k, v in self.long_term.items()
                                if k != LONG_TERM_ACCESS_KEY],
                "temporary_credentials": [c.dump() for c in self.temporary.values()],
                "current_credentials": {k: (c.access_key_id if c else None) for k, c in self.current.items()},
                "imds": dict(self.imds), "container": dict(self.container),
                "clock_skew_seconds": self.skew, "faults": [dict(f) for f in self.faults]}

    def load(self, d):
        with self.lock:
            self.reset()
            for item in d.get("secrets", []):
                sec = Secret.load(item)
                self.secrets[sec.name] = sec
            for item in d.get("credentials", []):
                self.long_term[item["AccessKeyId"]] = item["SecretAccessKey"]
            for item in d.get("temporary_credentials", []):
                cred = TempCredential(item["Source"], item["Expiration"], item["AccessKeyId"],
                                      item["SecretAccessKey"], item["Token"], item.get("Revoked", False))
                self.temporary[cred.access_key_id] = cred
            for source, key in d.get("current_credentials", {}).items():
                if source in self.current and key in self.temporary:
                    self.current[source] = self.temporary[key]
            self.imds.update(d.get("imds", {}))
            self.container.update(d.get("container", {}))
            self.skew = float(d.get("clock_skew_seconds", 0))
            self.faults = [dict(f) for f in d.get("faults", [])]


# ---------------------------------------------------------------------------------------------------
# Secrets Manager operations. Each takes the parsed request (Params) and returns the response dict.

class Params:
    """Typed access to a request body with AWS-style validation errors."""

    def __init__(self, body):
        self.body = body

    def _get(self, key, kind, kind_name):
        value = self.body.get(key)
        # JSON true/false are Python bools, and bool is a subclass of int: refuse them where a number goes.
        wrong_type = not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool)
        if value is not None and wrong_type:
            raise AwsError(400, "SerializationException",
                           "Start of structure or map found where not expected, or wrong type for '%s' "
                           "(expected %s)." % (key, kind_name))
        return value

    def string(self, key, required=False, min_len=None, max_len=None):
        value = self._get(key, str, "a string")
        if value is None:
            if required:
                raise validation_error(key, "Member must not be null")
            return None
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:      # a lone surrogate escape such as "\ud800": not a valid string
            raise AwsError(400, "SerializationException", "Invalid UTF-8 in '%s'." % key)
        if min_len is not None and len(value) < min_len:
            raise validation_error(key, "Member must have length greater than or equal to %d" % min_len)
        if max_len is not None and len(value) > max_len:
            raise validation_error(key, "Member must have length less than or equal to %d" % max_len)
        return value

    def boolean(self, key, default):
        value = self._get(key, bool, "a boolean")
        return default if value is None else value

    def integer(self, key, default, low, high):
        value = self._get(key, int, "an integer")
        if value is None:
            return default
        if value < low:
            raise validation_error(key, "Member must have value greater than or equal to %d" % low)
        if value > high:
            raise validation_error(key, "Member must have value less than or equal to %d" % high)
        return value

    def string_list(self, key, min_items, max_items, max_len):
        value = self._get(key, list, "a list")
        if value is None:
            return None
        if not all(isinstance(v, str) for v in value):
            raise AwsError(400, "SerializationException", "Expected a list of strings for '%s'." % key)
        if not min_items <= len(value) <= max_items:
            raise validation_error(key, "Member must have length between %d and %d" % (min_items, max_items))
        if any(not 1 <= len(v) <= max_len for v in value):
            raise validation_error(key, "Member must satisfy constraint: [Member must have length less than "
                                   "or equal to %d, Member must have length greater than or equal to 1]" % max_len)
        return value

    def blob(self, key):
        value = self._get(key, str, "a base64 string")
        if value is None:
            return None
        try:
            return base64.b64decode(value, validate=True)
        except ValueError:
            raise AwsError(400, "SerializationException", "Base64 encoded binary data for '%s' is invalid." % key)

    def obj(self, key):
        return self._get(key, dict, "a structure")


_NAME_RE = re.compile(r"^[A-Za-z0-9/_+=.@!-]+$")


def not_found(message="Secrets Manager can't find the specified secret."):
    return AwsError(400, "ResourceNotFoundException", message)


def missing_token():
    # The SDKs fill ClientRequestToken in for you; on the raw API it is required (checked against AWS
    # by others: a hand-written client that omits it gets exactly this).
    return AwsError(400, "InvalidRequestException",
                    "You must provide a ClientRequestToken value. We recommend a UUID-type value.")


class SecretsManager:
    OPERATIONS = ("CreateSecret", "GetSecretValue", "PutSecretValue", "DescribeSecret",
                  "UpdateSecretVersionStage", "GetRandomPassword", "RotateSecret", "DeleteSecret")

    def __init__(self, state):
        self.state = state

    def call(self, operation, body, region, now):
        method = getattr(self, "op_" + operation)
        with self.state.lock:
            self.region = region  # the request's (signing scope) region: secrets live in one region each
            try:
                return method(Params(body), region, now)
            finally:
                self.region = None

    # -- helpers ------------------------------------------------------------------------------------
    def find(self, secret_id):
        """By name, full ARN, or partial ARN (the ARN without its random '-XXXXXX' suffix)."""
        secrets_by_name = self.state.secrets
        if secret_id in secrets_by_name and not secret_id.startswith("arn:"):
            return secrets_by_name[secret_id]
        for sec in secrets_by_name.values():
            if sec.arn == secret_id or (secret_id.startswith("arn:") and sec.arn[:-7] == secret_id):
                return sec
        return secrets_by_name.get(secret_id)

    @staticmethod
    def secret_id(p):
        return p.string("SecretId", required=True, min_len=1, max_len=2048)

    def secret(self, secret_id, allow_deleted=False):
        """Look the secret up; called after every member is validated, as AWS validates input first."""
        sec = self.find(secret_id)
        # As AWS: a secret of another region does not exist here (a client set up for the wrong region).
        if sec is None or (getattr(self, "region", None) and sec.region != self.region):
            raise not_found()
        if sec.deleted is not None and not allow_deleted:
            raise AwsError(400, "InvalidRequestException", "You can't perform this operation on the secret "
                           "because it was marked for deletion.")
        return sec

    @staticmethod
    def token(p):
        token = p.string("ClientRequestToken", min_len=32, max_len=64)
        if token is None:
            raise missing_token()
        return token

    @staticmethod
    def value(p):
        text = p.string("SecretString")
        binary = p.blob("SecretBinary")
        if text is not None and binary is not None:
            raise AwsError(400, "InvalidParameterException", "You can't specify both a binary secret value "
                           "and a string secret value in the same secret.")
        if text is not None:
            if len(text.encode("utf-8", "surrogatepass")) > MAX_SECRET_BYTES:
                raise validation_error("SecretString", "Member must have length less than or equal to 65536")
            return ("string", text)
        if binary is not None:
            if len(binary) > MAX_SECRET_BYTES:
                raise validation_error("SecretBinary", "Member must have length less than or equal to 65536")
            return ("binary", binary)
        return None

    @staticmethod
    def value_fields(value):
        if value[0] == "string":
            return {"SecretString": value[1]}
        return {"SecretBinary": base64.b64encode(value[1]).decode("ascii")}

    # -- operations ---------------------------------------------------------------------------------
    def op_CreateSecret(self, p, region, now):
        name = p.string("Name", required=True, min_len=1, max_len=512)
        if not _NAME_RE.match(name):
            raise AwsError(400, "ValidationException", "Invalid name. Must be a valid name containing "
                           "alphanumeric characters, or any of the following: -/_+=.@!")
        token = self.token(p)
        value = self.value(p)
        description = p.string("Description", max_len=2048)
        kms_key_id = p.string("KmsKeyId", max_len=2048)
        tags = p._get("Tags", list, "a list") or []
        existing = self.state.secrets.get(name)
        if existing is not None:
            if existing.deleted is not None:
                raise AwsError(400, "InvalidRequestException", "You can't create this secret because a secret "
                               "with this name is already scheduled for deletion.")
            version = existing.versions.get(token)
            if version is not None and value is not None and version.value == value:
                return {"ARN": existing.arn, "Name": name, "VersionId": token}   # a retried create
            raise AwsError(400, "ResourceExistsException",
                           "The operation failed because the secret %s already exists." % name)
        sec = Secret(name, region, now)
        sec.description, sec.kms_key_id, sec.tags = description, kms_key_id, tags
        self.state.secrets[name] = sec
        result = {"ARN": sec.arn, "Name": name}
        if value is not None:
            sec.add_version(token, value, ["AWSCURRENT"], now)
            result["VersionId"] = token
        return result

    def op_GetSecretValue(self, p, region, now):
        secret_id = self.secret_id(p)
        version_id = p.string("VersionId", min_len=32, max_len=64)
        stage = p.string("VersionStage", min_len=1, max_len=256)
        sec = self.secret(secret_id)
        if version_id is not None:
            missing = not_found("Secrets Manager can't find the specified secret value for VersionId: %s"
                                % version_id)
            version = sec.versions.get(version_id)
            if version is None or (stage is not None and sec.stages.get(stage) != version_id):
                raise missing
        else:
            stage = stage or "AWSCURRENT"
            missing = not_found("Secrets Manager can't find the specified secret value for staging label: %s"
                                % stage)
            version = sec.versions.get(sec.stages.get(stage))
            if version is None:
                raise missing
        if version.value is None:       # created by RotateSecret, value not yet put
            raise missing
        sec.last_accessed = float(int(now // 86400) * 86400)   # AWS keeps the day only
        result = {"ARN": sec.arn, "Name": sec.name, "VersionId": version.version_id}
        result.update(self.value_fields(version.value))
        result["VersionStages"] = sec.stages_of(version.version_id)
        result["CreatedDate"] = Epoch(version.created)
        return result

    def op_PutSecretValue(self, p, region, now):
        secret_id = self.secret_id(p)
        token = self.token(p)
        value = self.value(p)
        stages = p.string_list("VersionStages", 1, 20, 256) or ["AWSCURRENT"]
        p.string("RotationToken", min_len=36, max_len=256)       # accepted; nothing to check it against
        if value is None:
            raise AwsError(400, "InvalidRequestException", "You must provide either SecretString or SecretBinary.")
        sec = self.secret(secret_id)
        version = sec.versions.get(token)
        if version is not None and version.value is not None:
            if version.value != value:
                raise AwsError(400, "ResourceExistsException",
                               "You can't modify an existing version, you can only create a new version.")
            # Same token, same data: a retry; AWS ignores it (stages are not re-applied).
        else:
            # A new version, or the value for the empty version RotateSecret created for this token.
            sec.add_version(token, value, stages, now)
        return {"ARN": sec.arn, "Name": sec.name, "VersionId": token, "VersionStages": sec.stages_of(token)}

    def op_DescribeSecret(self, p, region, now):
        sec = self.secret(self.secret_id(p), allow_deleted=True)
        result = {"ARN": sec.arn, "Name": sec.name}
        if sec.description is not None:
            result["Description"] = sec.description
        if sec.kms_key_id is not None:
            result["KmsKeyId"] = sec.kms_key_id
        if sec.rotation_enabled is not None:
            result["RotationEnabled"] = bool(sec.rotation_enabled)
        if sec.rotation_lambda_arn:
            result["RotationLambdaARN"] = sec.rotation_lambda_arn
        if sec.rotation_rules:
            result["RotationRules"] = sec.rotation_rules
        if sec.last_rotated is not None:
            result["LastRotatedDate"] = Epoch(sec.last_rotated)
            days = (sec.rotation_rules or {}).get("AutomaticallyAfterDays")
            if sec.rotation_enabled and isinstance(days, int):
                result["NextRotationDate"] = Epoch(sec.last_rotated + days * 86400)
        result["LastChangedDate"] = Epoch(sec.last_changed)
        if sec.last_accessed is not None:
            result["LastAccessedDate"] = Epoch(sec.last_accessed)
        if sec.deleted is not None:
            result["DeletedDate"] = Epoch(sec.deleted)
        if sec.tags:
            result["Tags"] = sec.tags
        # Versions without any label are "deprecated" and, as in AWS, not listed.
        result["VersionIdsToStages"] = {vid: sec.stages_of(vid) for vid in sec.versions if sec.stages_of(vid)}
        result["CreatedDate"] = Epoch(sec.created)
        return result

    def op_UpdateSecretVersionStage(self, p, region, now):
        secret_id = self.secret_id(p)
        stage = p.string("VersionStage", required=True, min_len=1, max_len=256)
        move_to = p.string("MoveToVersionId", min_len=32, max_len=64)
        remove_from = p.string("RemoveFromVersionId", min_len=32, max_len=64)
        sec = self.secret(secret_id)
        holder = sec.stages.get(stage)
        mismatch = AwsError(400, "InvalidParameterException", "The parameter RemoveFromVersionId doesn't match "
                            "the version that currently has the staging label %s." % stage)
        if move_to is not None:
            if move_to not in sec.versions:
                raise not_found("Secrets Manager can't find the specified secret value for VersionId: %s" % move_to)
            if holder == move_to:
                return {"ARN": sec.arn, "Name": sec.name}     # already there: a retried call succeeds
            if holder is not None:
                if remove_from is None:
                    raise AwsError(400, "InvalidParameterException", "The staging label %s is currently "
                                   "attached to version %s, so you must explicitly reference that version in "
                                   "RemoveFromVersionId." % (stage, holder))
                if remove_from != holder:
                    raise mismatch
            sec.attach(stage, move_to, now)
        else:
            if remove_from is None:
                raise AwsError(400, "InvalidParameterException",
                               "You must specify MoveToVersionId or RemoveFromVersionId.")
            if holder != remove_from:
                raise mismatch
            if stage == "AWSCURRENT":
                raise AwsError(400, "InvalidParameterException", "You can't remove the staging label AWSCURRENT; "
                               "move it to another version instead.")
            del sec.stages[stage]
            sec.last_changed = now
        return {"ARN": sec.arn, "Name": sec.name}

    def op_GetRandomPassword(self, p, region, now):
        length = p.integer("PasswordLength", 32, 1, 4096)
        exclude = set(p.string("ExcludeCharacters", max_len=4096) or "")
        types = []
        if not p.boolean("ExcludeLowercase", False):
            types.append(string.ascii_lowercase)
        if not p.boolean("ExcludeUppercase", False):
            types.append(string.ascii_uppercase)
        if not p.boolean("ExcludeNumbers", False):
            types.append(string.digits)
        if not p.boolean("ExcludePunctuation", False):
            types.append(PUNCTUATION)
        types = ["".join(c for c in chars if c not in exclude) for chars in types]
        types = [chars for chars in types if chars]
        pool = "".join(types)
        if p.boolean("IncludeSpace", False) and " " not in exclude:
            pool += " "                   # a space may appear but is never a required type
        if not pool:
            raise AwsError(400, "InvalidParameterException",
                           "The password can't be generated because every character is excluded.")
        chosen = []
        if p.boolean("RequireEachIncludedType", True):
            if length < len(types):
                raise AwsError(400, "InvalidParameterException", "The password length is too short to include "
                               "every required character type.")
            chosen = [secrets.choice(chars) for chars in types]
        chosen += [secrets.choice(pool) for _ in range(length - len(chosen))]
        secrets.SystemRandom().shuffle(chosen)
        return {"RandomPassword": "".join(chosen)}

    def op_RotateSecret(self, p, region, now):
        secret_id = self.secret_id(p)
        token = self.token(p)
        lambda_arn = p.string("RotationLambdaARN", max_len=2048)
        rules = p.obj("RotationRules")
        immediately = p.boolean("RotateImmediately", True)
        sec = self.secret(secret_id)
        result = {"ARN": sec.arn, "Name": sec.name}
        if immediately and token not in sec.versions:
            pending, current = sec.stages.get("AWSPENDING"), sec.stages.get("AWSCURRENT")
            if pending is not None and pending != current:
                raise AwsError(400, "InvalidRequestException",
                               "A previous rotation isn't complete. That rotation will be reattempted.")
        # No Lambda is invoked (there is none): the test drives the rotation steps itself.
        sec.rotation_enabled = True
        if lambda_arn:
            sec.rotation_lambda_arn = lambda_arn
        if rules:
            sec.rotation_rules = rules
        if immediately:
            sec.add_version(token, None, ["AWSPENDING"], now, from_rotation=True)
            result["VersionId"] = token
        return result

    def op_DeleteSecret(self, p, region, now):
        secret_id = self.secret_id(p)
        force = p.boolean("ForceDeleteWithoutRecovery", False)
        window = p.integer("RecoveryWindowInDays", None, 7, 30)
        sec = self.secret(secret_id, allow_deleted=True)
        if force and window is not None:
            raise AwsError(400, "InvalidParameterException", "You can't use ForceDeleteWithoutRecovery in "
                           "conjunction with RecoveryWindowInDays.")
        if force:
            del self.state.secrets[sec.name]
            deletion = now
        else:
            if sec.deleted is not None:
                raise AwsError(400, "InvalidRequestException", "You can't perform this operation on the "
                               "secret because it was marked for deletion.")
            sec.deleted = now
            deletion = now + (window or 30) * 86400
        return {"ARN": sec.arn, "Name": sec.name, "DeletionDate": Epoch(deletion)}


# ---------------------------------------------------------------------------------------------------
# HTTP

class ControlError(Exception):
    pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"       # keep-alive, as the SDKs and libcurl use it
    server_version = "fake-aws"
    sys_version = ""
    timeout = 300                       # an idle keep-alive connection frees its thread eventually

    # -- plumbing -----------------------------------------------------------------------------------
    @property
    def state(self):
        return self.server.state

    def setup(self):
        # TLS is wrapped here, in the connection's own thread, so a slow or failing handshake never
        # stalls the accept loop.
        if self.server.ssl_context is not None:
            self.request.settimeout(self.timeout)
            conn = self.server.ssl_context.wrap_socket(self.request, server_side=True,
                                                       do_handshake_on_connect=False)
            try:
                conn.do_handshake()
            except (OSError, ValueError):
                conn.close()            # the server only knows the plain socket, now detached
                raise
            self.request = conn
        super().setup()

    def finish(self):
        super().finish()
        if self.server.ssl_context is not None:
            self.request.close()

    def version_string(self):
        return self.server_version

    def log_request(self, code="-", size="-"):
        # Request line, status and operation only: never bodies, which carry secrets.
        target = self.headers.get("X-Amz-Target", "") if self.headers else ""
        self.log_message('"%s" %s %s', self.requestline, code, target)

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("fake_aws: %s %s\n" % (self.address_string(), fmt % args))

    def date_time_string(self, timestamp=None):
        # Date comes from the fake's clock: clients learn AWS's time from it when correcting skew.
        if timestamp is None:
            timestamp = self.state.now() + getattr(self, "extra_skew", 0)
        return email.utils.formatdate(timestamp, usegmt=True)

    def read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline(1024).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass            # trailers
                    return b"".join(chunks)
                total += size
                if total > MAX_REQUEST_BODY:
                    raise ValueError("request body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(1024)
        length = int(self.headers.get("Content-Length") or 0)      # ValueError when not a number
        if length < 0 or length > MAX_REQUEST_BODY:
            raise ValueError("request body too large")
        return self.rfile.read(length) if length else b""

    def send(self, status, body, content_type, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_aws_error(self, err, message_key="message", type_override=None):
        body = {"__type": type_override or ERROR_NAMESPACE + err.code, message_key: err.message}
        self.send(err.status, to_json(body), JSON_CONTENT_TYPE,
                  [("x-amzn-RequestId", str(uuid.uuid4())), ("x-amzn-ErrorType", err.code)])

    def drop(self):
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def stream_oversize(self, size, chunked):
        """A 200 that starts like a GetSecretValue answer and goes on for `size` bytes."""
        self.close_connection = True
        head = (b'{"ARN":"arn:aws:secretsmanager:us-east-1:123456789012:secret:oversize-AbCdEf",'
                b'"Name":"oversize","VersionId":"' + str(uuid.uuid4()).encode() + b'","SecretString":"')
        tail = b'","VersionStages":["AWSCURRENT"],"CreatedDate":1.7E9}'
        filler = max(0, size - len(head) - len(tail))
        self.send_response(200)
        self.send_header("Content-Type", JSON_CONTENT_TYPE)
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(size))
        self.end_headers()

        def pieces():
            yield head
            left = filler
            while left > 0:
                n = min(left, 65536)
                yield b"A" * n
                left -= n
            yield tail
        sent = 0
        try:
            for piece in pieces():
                piece = piece[:size - sent]
                if not piece:
                    break
                sent += len(piece)
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout):
            pass                        # the client gave up reading, as it should

    # -- dispatch -----------------------------------------------------------------------------------
    def do_GET(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def dispatch(self):
        self.extra_skew = 0
        try:
            body = self.read_body()
        except ValueError as err:
            # The rest of the stream cannot be trusted: answer and close.
            self.close_connection = True
            status = 413 if "too large" in str(err) else 400
            self.send(status, to_json({"message": "Bad request body framing"}), "application/json")
            return
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/__control/"):
            self.control(path[len("/__control/"):], body)
        elif path.startswith("/latest/"):
            self.imds(path)
        elif path.startswith("/container/") or path == "/container":
            self.container()
        elif self.command == "POST" and path == "/":
            self.secrets_manager(body)
        else:
            self.send(404, b'{"message":"Not Found"}', "application/json")

    def apply_fault(self, fault, metadata):
        """Answer for a fault; True when the request was answered. delay/clock let it go on normally.
        Faults act in front of everything else, as a load balancer or throttling layer would."""
        kind = fault["kind"]
        if kind == "delay":
            time.sleep(fault.get("delay_ms", 1000) / 1000.0)
            return False
        if kind == "clock":
            self.extra_skew = fault.get("skew_seconds", 0)
            return False
        if kind == "drop":
            self.drop()
        elif kind == "malformed":
            body = b'{"ARN":"arn:aws:secretsmanager:us-east-1:123456789012:secret:malformed-AbCdEf","Secre'
            self.send(200, body, "text/plain" if metadata else JSON_CONTENT_TYPE)
        elif kind in ("oversize", "oversize_chunked"):
            self.stream_oversize(fault.get("size", 1 << 20), kind == "oversize_chunked")
        elif metadata:
            # The metadata services answer errors in plain text; IMDS throttles with 429.
            status = {"throttle": 429, "status": 500, "error": 400}[kind]
            status = fault.get("status", status) if kind != "throttle" else status
            self.send(status, (fault.get("code") or "Fault injected by fake_aws").encode(), "text/plain")
        elif kind == "throttle":
            self.send_aws_error(AwsError(400, "ThrottlingException", "Rate exceeded"))
        elif kind == "status":
            status = fault.get("status", 500)
            code = {500: "InternalServiceError", 503: "ServiceUnavailable"}.get(status, "InternalFailure")
            self.send_aws_error(AwsError(status, code, "Fault injected by fake_aws"))
        elif kind == "error":
            err = AwsError(fault.get("status", 400), fault.get("code", "InternalFailure"),
                           fault.get("message", "Fault injected by fake_aws"))
            self.send_aws_error(err, fault.get("message_key", "message"), fault.get("type"))
        return True

    # -- Secrets Manager ----------------------------------------------------------------------------
    def secrets_manager(self, body):
        target = self.headers.get("X-Amz-Target", "")
        operation = target[len(TARGET_PREFIX):] if target.startswith(TARGET_PREFIX) else (target or "(none)")
        self.state.count(operation)
        self.state.count("total")
        fault = self.state.take_fault(operation, True)
        if fault is not None and self.apply_fault(fault, metadata=False):
            return
        try:
            now = self.state.now() + self.extra_skew
            raw_target = self.raw_requestline.decode("latin-1").split(" ")[1] if self.raw_requestline else "/"
            region = self.state.verify_signature(self.command, raw_target, self.headers.items(), body, now)
            if not target.startswith(TARGET_PREFIX) or operation not in SecretsManager.OPERATIONS:
                raise AwsError(400, "UnknownOperationException", "Unknown operation %s" % operation[:128])
            try:
                request = json.loads(body.decode("utf-8")) if body.strip() else {}
            except (UnicodeDecodeError, ValueError):
                raise AwsError(400, "SerializationException", "The request body is not valid JSON.")
            if not isinstance(request, dict):
                raise AwsError(400, "SerializationException", "The request body must be a JSON object.")
            result = self.server.sm.call(operation, request, region, now)
        except AwsError as err:
            if err.auth:
                self.state.count("signature_rejected")
            self.send_aws_error(err)
            return
        except Exception as exc:        # a bug in the fake: say where, never what (values may be secrets)
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            sys.stderr.write("fake_aws: internal error %s at line %d in %s\n"
                             % (type(exc).__name__, frame.lineno, frame.name))
            self.send_aws_error(AwsError(500, "InternalFailure", "fake_aws internal error"))
            return
        self.send(200, to_json(result), JSON_CONTENT_TYPE, [("x-amzn-RequestId", str(uuid.uuid4()))])

    # -- IMDS ---------------------------------------------------------------------------------------
    def imds(self, path):
        roles = "/latest/meta-data/iam/security-credentials"
        if path == "/latest/api/token":
            name = "imds_token"
        elif path in (roles, roles + "/"):
            name = "imds_role"
        elif path.startswith(roles + "/"):
            name = "imds_credentials"
        elif path == "/latest/meta-data/placement/region":
            name = "imds_region"
        else:
            name = "imds_other"
        self.state.count(name)
        self.state.count("total")
        fault = self.state.take_fault("imds", False)
        if fault is not None and self.apply_fault(fault, metadata=True):
            return
        state = self.state
        text = "text/plain"
        if name == "imds_token":
            if self.command != "PUT":
                return self.send(405, b"Method Not Allowed", text)
            if self.headers.get("X-Forwarded-For") is not None:
                return self.send(403, b"Forbidden", text)    # IMDS refuses proxied token requests
            try:
                ttl = int(self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", ""))
            except ValueError:
                ttl = 0
            if not 1 <= ttl <= 21600:
                return self.send(400, b"Bad Request", text)
            token = base64.urlsafe_b64encode(secrets.token_bytes(42)).decode()
            with state.lock:
                now = state.now()
                state.imds_tokens = {t: exp for t, exp in state.imds_tokens.items() if exp > now}
                state.imds_tokens[token] = now + ttl
            return self.send(200, token.encode(), text, [("X-aws-ec2-metadata-token-ttl-seconds", str(ttl))])
        if self.command != "GET":
            return self.send(405, b"Method Not Allowed", text)
        token = self.headers.get("X-aws-ec2-metadata-token")
        with state.lock:
            if token is not None:
                # A token that is sent must be valid, even when IMDSv1 is allowed.
                authorized = state.imds_tokens.get(token, 0) > state.now()
            else:
                authorized = bool(state.imds["allow_v1"])
            role, region = state.imds["role"], state.imds["region"]
        if not authorized:
            return self.send(401, b"Unauthorized", text)
        if name == "imds_role":
            return self.send(200, role.encode(), text)
        if name == "imds_region":
            return self.send(200, region.encode(), text)
        if name == "imds_credentials" and path[len(roles) + 1:] == role:
            cred = state.issue_credentials("imds")
            doc = {"Code": "Success", "LastUpdated": iso8601(state.now()), "Type": "AWS-HMAC",
                   "AccessKeyId": cred.access_key_id, "SecretAccessKey": cred.secret_access_key,
                   "Token": cred.token, "Expiration": iso8601(cred.expiration)}
            return self.send(200, json.dumps(doc, indent=2).encode(), text)
        return self.send(404, b"Not Found", text)

    # -- container credentials ----------------------------------------------------------------------
    def container(self):
        self.state.count("container")
        self.state.count("total")
        fault = self.state.take_fault("container", False)
        if fault is not None and self.apply_fault(fault, metadata=True):
            return
        if self.command != "GET":
            return self.send(405, b'{"message":"Method Not Allowed"}', "application/json")
        expected = self.state.container["token"]
        given = self.headers.get("Authorization")
        if expected is not None and (given is None or not hmac.compare_digest(given.encode("latin-1"),
                                                                               expected.encode("utf-8"))):
            return self.send(401, b'{"code":"AccessDenied","message":"Unauthorized"}', "application/json")
        cred = self.state.issue_credentials("container")
        doc = {"AccessKeyId": cred.access_key_id, "SecretAccessKey": cred.secret_access_key,
               "Token": cred.token, "Expiration": iso8601(cred.expiration),
               "RoleArn": "arn:aws:iam::%s:role/rdssecret-test-role" % ACCOUNT_ID}
        self.send(200, json.dumps(doc).encode(), "application/json")

    # -- control ------------------------------------------------------------------------------------
    def control(self, action, body):
        if not (self.client_address[0].startswith("127.") or self.client_address[0] == "::1"):
            return self.send(403, b'{"error":"control is loopback only"}', "application/json")
        if self.command != "POST":
            return self.send(405, b'{"error":"POST only"}', "application/json")
        try:
            args = json.loads(body.decode("utf-8")) if body.strip() else {}
            if not isinstance(args, dict):
                raise ControlError("body must be a JSON object")
            handler = getattr(self, "control_" + action, None)
            if handler is None:
                return self.send(404, to_json({"error": "unknown control action %s" % action[:64]}),
                                 "application/json")
            with self.state.lock:
                result = handler(args)
        except (ControlError, ValueError, TypeError, KeyError) as err:
            return self.send(400, to_json({"error": "%s: %s" % (type(err).__name__, err)}), "application/json")
        self.send(200, to_json(result if result is not None else {"ok": True}), "application/json")

    def control_reset(self, args):
        self.state.reset()

    def control_put_secret(self, args):
        state, name = self.state, args["Name"]
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise ControlError("bad Name")
        now = state.now()
        sec = state.secrets.get(name)
        if sec is None:
            sec = Secret(name, args.get("Region", "us-east-1"), now)
            state.secrets[name] = sec
        value = None
        if args.get("SecretString") is not None:
            value = ("string", args["SecretString"])
        elif args.get("SecretBinary") is not None:
            value = ("binary", base64.b64decode(args["SecretBinary"], validate=True))
        version_id = args.get("VersionId") or str(uuid.uuid4())
        stages = args.get("VersionStages", ["AWSCURRENT"])
        if not isinstance(stages, list):
            raise ControlError("VersionStages must be a list")
        sec.add_version(version_id, value, stages, now)
        return {"ARN": sec.arn, "Name": sec.name, "VersionId": version_id}

    def control_secret_settings(self, args):
        sec = self.server.sm.find(args["SecretId"])
        if sec is None:
            raise ControlError("no such secret")
        for key, attr in (("RotationEnabled", "rotation_enabled"), ("RotationLambdaARN", "rotation_lambda_arn"),
                          ("RotationRules", "rotation_rules"), ("LastRotatedDate", "last_rotated"),
                          ("Description", "description")):
            if key in args:
                setattr(sec, attr, args[key])

    def control_fault(self, args):
        fault = dict(args)
        if fault.get("kind") not in FAULT_KINDS:
            raise ControlError("kind must be one of %s" % ", ".join(FAULT_KINDS))
        if not isinstance(fault.get("target"), str) or not fault["target"]:
            raise ControlError("target is required")
        fault["count"] = int(fault.get("count", 1))
        if fault["count"] == 0 or fault["count"] < -1:
            raise ControlError("count must be positive or -1")
        for key in ("status", "delay_ms", "size"):
            if key in fault:
                fault[key] = int(fault[key])
        if "skew_seconds" in fault:
            fault["skew_seconds"] = float(fault["skew_seconds"])
        self.state.faults.append(fault)
        return {"ok": True, "queued": len(self.state.faults)}

    def control_clear_faults(self, args):
        self.state.faults = []

    def control_counts(self, args):
        counts = {"signature_rejected": 0, "total": 0}
        counts.update(self.state.counts)
        return counts

    def control_imds(self, args):
        for key in ("role", "allow_v1", "region", "expiration_seconds", "session_token_bytes"):
            if key in args:
                self.state.imds[key] = args[key]
        self.state.imds["expiration_seconds"] = int(self.state.imds["expiration_seconds"])
        self.state.imds["session_token_bytes"] = max(1, int(self.state.imds["session_token_bytes"]))
        self.state.current["imds"] = None         # the new settings apply to the next credentials

    def control_container(self, args):
        for key in ("token", "expiration_seconds", "session_token_bytes"):
            if key in args:
                self.state.container[key] = args[key]
        self.state.container["expiration_seconds"] = int(self.state.container["expiration_seconds"])
        self.state.container["session_token_bytes"] = max(1, int(self.state.container["session_token_bytes"]))
        self.state.current["container"] = None

    def control_add_credentials(self, args):
        key_id, secret_key = args["AccessKeyId"], args["SecretAccessKey"]
        if not isinstance(key_id, str) or not isinstance(secret_key, str) or not key_id or not secret_key:
            raise ControlError("AccessKeyId and SecretAccessKey must be non-empty strings")
        self.state.long_term[key_id] = secret_key

    def control_expire_credentials(self, args):
        self.state.expire_credentials()

    def control_clock(self, args):
        self.state.skew = float(args["skew_seconds"])

    def control_dump(self, args):
        return self.state.dump()


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True               # never wait for connection threads on exit
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address, state, sm, ssl_context, verbose):
        self.state, self.sm, self.ssl_context, self.verbose = state, sm, ssl_context, verbose
        super().__init__(address, Handler)

    def handle_error(self, request, client_address):
        # Clients that hang up, fail the TLS handshake on purpose, etc. are normal in these tests.
        if self.verbose:
            super().handle_error(request, client_address)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="HTTP port (0: any free port)")
    parser.add_argument("--https-port", type=int, default=0, help="HTTPS port (0: any free port)")
    parser.add_argument("--tls-cert", help="PEM certificate (chain) for the HTTPS listener")
    parser.add_argument("--tls-key", help="PEM private key for the HTTPS listener")
    parser.add_argument("--state", help="JSON file written by /__control/dump to start from")
    parser.add_argument("--exit-on-stdin-eof", action="store_true",
                        help="exit when stdin reaches EOF (a test that dies never leaves a fake behind)")
    parser.add_argument("--verbose", action="store_true", help="log requests (never bodies) to stderr")
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")

    state = State()
    if args.state:
        with open(args.state, encoding="utf-8") as f:
            state.load(json.load(f))
    sm = SecretsManager(state)
    servers = [FakeServer(("127.0.0.1", args.port), state, sm, None, args.verbose)]
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(args.tls_cert, args.tls_key)
        servers.append(FakeServer(("127.0.0.1", args.https_port), state, sm, context, args.verbose))

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    for server in servers:
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    if args.exit_on_stdin_eof:
        def watch_stdin():
            try:
                while os.read(sys.stdin.fileno(), 4096):
                    pass
            except OSError:
                pass
            stop.set()
        threading.Thread(target=watch_stdin, daemon=True).start()

    print(json.dumps({"http_port": servers[0].server_address[1],
                      "https_port": servers[1].server_address[1] if len(servers) > 1 else None}), flush=True)
    while not stop.wait(0.5):
        pass
    for server in servers:
        server.shutdown()
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
