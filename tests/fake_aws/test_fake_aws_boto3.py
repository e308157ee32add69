#!/usr/bin/python3
"""Fidelity tests for the fake AWS (fake_aws.py next to this file), using Debian's python3-boto3 as the
reference client: if botocore accepts what the fake answers and the fake accepts what botocore signs, the
C client is tested against something that behaves like AWS. From the repository root:

    /usr/bin/python3 -m unittest tests/fake_aws/test_fake_aws_boto3.py -v
"""

import base64
import calendar
import email.utils
import http.client
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fake_aws  # noqa: E402  (the SigV4 pieces are tested directly against the AWS suite)
import testcerts  # noqa: E402

FAKE = os.path.join(HERE, "fake_aws.py")
SIGV4_SUITE = os.path.join(HERE, "..", "data", "sigv4")
KEY, SECRET = fake_aws.LONG_TERM_ACCESS_KEY, fake_aws.LONG_TERM_SECRET_KEY

# Keep boto3 away from anything on this machine: no real credentials, profiles, IMDS or proxies.
for _var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
             "AWS_SESSION_TOKEN", "AWS_CA_BUNDLE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SECRETS_MANAGER",
             "AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy",
             "ALL_PROXY", "all_proxy"):
    os.environ.pop(_var, None)
os.environ.update({"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                   "AWS_EC2_METADATA_DISABLED": "true", "NO_PROXY": "127.0.0.1,localhost"})

try:
    import boto3
    import botocore.exceptions
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.config import Config
    from botocore.credentials import Credentials
    from botocore.utils import ContainerMetadataFetcher, InstanceMetadataFetcher
    HAVE_BOTO3 = True
except ImportError:             # Debian's python3-boto3 is needed; it imports under /usr/bin/python3 only
    HAVE_BOTO3 = False

NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
V1, V2, V3 = ("%s-%s" % (tag, uuid.UUID(int=n)) for n, tag in ((1, "v1"), (2, "v2"), (3, "v3")))


class FakeAws:
    """The fake as a child process that dies with us (--exit-on-stdin-eof)."""

    def __init__(self, *args):
        self.proc = subprocess.Popen([sys.executable, FAKE, "--port", "0", "--exit-on-stdin-eof"] + list(args),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        ready, _, _ = select.select([self.proc.stdout], [], [], 20)
        if not ready:
            self.proc.kill()
            raise RuntimeError("fake_aws did not report its ports")
        self.startup_line = self.proc.stdout.readline().decode()
        info = json.loads(self.startup_line)
        self.http_port, self.https_port = info["http_port"], info["https_port"]
        self.endpoint = "http://127.0.0.1:%d" % self.http_port

    def control(self, action, body=None):
        data = json.dumps(body if body is not None else {}).encode()
        req = urllib.request.Request(self.endpoint + "/__control/" + action, data=data, method="POST")
        with NO_PROXY_OPENER.open(req, timeout=10) as resp:
            return json.loads(resp.read())

    def counts(self):
        return self.control("counts")

    def stop(self):
        self.proc.stdin.close()
        if self.proc.poll() is None:
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()


def socket_connection(port):
    return http.client.HTTPConnection("127.0.0.1", port, timeout=10)


def http_request(port, method, path, body=b"", headers=None, timeout=10):
    """One plain request; returns (status, headers as a dict with lower-case names, body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


@unittest.skipUnless(HAVE_BOTO3, "Debian's python3-boto3 is needed (run with /usr/bin/python3)")
class FakeTestCase(unittest.TestCase):
    """One fake per test class, reset before every test."""
    fake_args = ()

    @classmethod
    def setUpClass(cls):
        cls.fake = FakeAws(*cls.fake_args)
        cls.session = boto3.session.Session()     # one session: the service model is loaded once

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    def setUp(self):
        self.fake.control("reset")

    def client(self, attempts=1, key=KEY, secret=SECRET, token=None, endpoint=None, verify=None,
               read_timeout=10, region="us-east-1"):
        config = Config(retries={"mode": "standard", "total_max_attempts": attempts},
                        connect_timeout=5, read_timeout=read_timeout)
        client = self.session.client("secretsmanager", region_name=region,
                                     endpoint_url=endpoint or self.fake.endpoint, aws_access_key_id=key,
                                     aws_secret_access_key=secret, aws_session_token=token, verify=verify,
                                     config=config)
        self.addCleanup(client.close)
        return client

    def assertAwsError(self, code, call, *args, status=None, **kwargs):
        with self.assertRaises(botocore.exceptions.ClientError) as ctx:
            call(*args, **kwargs)
        self.assertEqual(ctx.exception.response["Error"]["Code"], code)
        if status is not None:
            self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], status)
        return ctx.exception.response

    def signed(self, operation, payload, key=KEY, secret=SECRET, token=None, raw_body=None):
        """A request signed by botocore's own signer and sent with http.client, to see the raw answer."""
        body = raw_body if raw_body is not None else json.dumps(payload).encode()
        req = AWSRequest(method="POST", url=self.fake.endpoint + "/", data=body,
                         headers={"Content-Type": fake_aws.JSON_CONTENT_TYPE,
                                  "X-Amz-Target": "secretsmanager." + operation})
        SigV4Auth(Credentials(key, secret, token), "secretsmanager", "us-east-1").add_auth(req)
        return http_request(self.fake.http_port, "POST", "/", body, dict(req.headers.items()))

    def create(self, name="db/app", value="p1", token=V1, client=None):
        return (client or self.client()).create_secret(Name=name, SecretString=value, ClientRequestToken=token)


# ---------------------------------------------------------------------------------------------------

class SigV4SuiteTest(unittest.TestCase):
    """The fake's verifier recomputes signatures; check its pieces against the AWS SigV4 test suite."""

    @staticmethod
    def parse_req(text):
        text = text.lstrip("\ufeff")
        head, _, body = text.partition("\n\n")
        lines = head.split("\n")
        words = lines[0].split(" ")
        method, target = words[0], " ".join(words[1:-1])      # raw targets may contain spaces
        headers = []
        for line in lines[1:]:
            if line[:1] in (" ", "\t") and headers:              # obsolete line folding
                headers[-1] = (headers[-1][0], headers[-1][1] + "\n" + line)
            else:
                name, _, value = line.partition(":")
                headers.append((name, value))
        return method, target, headers, body.encode()

    def test_suite_cases(self):
        cases = []
        for root, _, files in os.walk(SIGV4_SUITE):
            cases += [os.path.join(root, f[:-4]) for f in files if f.endswith(".req")]
        self.assertGreaterEqual(len(cases), 30, "the SigV4 suite should be in tests/data/sigv4")
        scope = "20150830/us-east-1/service/aws4_request"
        for case in sorted(cases):
            with self.subTest(case=os.path.basename(case)):
                def read(ext):
                    with open(case + ext, encoding="utf-8") as f:
                        return f.read().lstrip("\ufeff")
                method, target, headers, body = self.parse_req(read(".req"))
                signed = re.search(r"SignedHeaders=([^,]+)", read(".authz")).group(1).split(";")
                creq = fake_aws.SigV4.canonical_request(method, target, headers, signed, body)
                self.assertEqual(creq, read(".creq"))
                sts = fake_aws.SigV4.string_to_sign("20150830T123600Z", scope, creq)
                self.assertEqual(sts, read(".sts"))
                sig = fake_aws.SigV4.signature("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830",
                                               "us-east-1", "service", sts)
                self.assertEqual("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/%s, SignedHeaders=%s, Signature=%s"
                                 % (scope, ";".join(signed), sig), read(".authz").strip())

    def test_wire_path_is_encoded_twice(self):
        # On the wire the path is already encoded once; non-S3 services sign it encoded once more.
        self.assertEqual(fake_aws.SigV4.canonical_uri("/a%20b/./c//"), "/a%2520b/c/")
        self.assertEqual(fake_aws.SigV4.canonical_uri(""), "/")

    def test_dates_are_written_as_java_doubles(self):
        self.assertEqual(fake_aws.java_double(1523477145.713), "1.523477145713E9")
        self.assertEqual(fake_aws.java_double(1764374400.0), "1.7643744E9")
        self.assertEqual(json.loads(fake_aws.to_json({"d": fake_aws.Epoch(1523477145.713)})),
                         {"d": 1523477145.713})


# ---------------------------------------------------------------------------------------------------

class SecretsManagerTest(FakeTestCase):

    def test_create_then_get_by_stage_version_id_and_arn(self):
        created = self.create(value='{"username":"app","password":"p1"}')
        self.assertEqual(created["VersionId"], V1)
        self.assertRegex(created["ARN"], r"^arn:aws:secretsmanager:us-east-1:123456789012:secret:db/app-"
                                         r"[A-Za-z0-9]{6}$")
        sm = self.client()
        for kwargs in ({}, {"VersionStage": "AWSCURRENT"}, {"VersionId": V1},
                       {"VersionId": V1, "VersionStage": "AWSCURRENT"}):
            with self.subTest(**kwargs):
                got = sm.get_secret_value(SecretId="db/app", **kwargs)
                self.assertEqual(got["SecretString"], '{"username":"app","password":"p1"}')
                self.assertEqual((got["VersionId"], got["VersionStages"], got["ARN"], got["Name"]),
                                 (V1, ["AWSCURRENT"], created["ARN"], "db/app"))
                self.assertLess(abs(got["CreatedDate"].timestamp() - time.time()), 60)
        self.assertEqual(sm.get_secret_value(SecretId=created["ARN"])["VersionId"], V1)
        self.assertEqual(sm.get_secret_value(SecretId=created["ARN"][:-7])["VersionId"], V1)  # partial ARN
        self.assertAwsError("ResourceNotFoundException", sm.get_secret_value, SecretId="db/app",
                            VersionStage="AWSPREVIOUS")
        self.assertAwsError("ResourceNotFoundException", sm.get_secret_value, SecretId="db/app",
                            VersionId=V1, VersionStage="AWSPENDING")
        self.assertAwsError("ResourceNotFoundException", sm.get_secret_value, SecretId="db/app", VersionId=V2)
        err = self.assertAwsError("ResourceNotFoundException", sm.get_secret_value, SecretId="nope", status=400)
        self.assertEqual(err["Error"]["Message"], "Secrets Manager can't find the specified secret.")

    def test_secrets_live_in_one_region(self):
        """As in AWS: a client set up for another region does not find the secret (nor by its ARN)."""
        created = self.client(region="eu-west-1").create_secret(Name="db/eu", SecretString="pw")
        self.assertIn(":eu-west-1:", created["ARN"])
        self.assertEqual(self.client(region="eu-west-1").get_secret_value(SecretId="db/eu")["SecretString"], "pw")
        for secret_id in ("db/eu", created["ARN"]):
            with self.subTest(secret_id=secret_id):
                self.assertAwsError("ResourceNotFoundException", self.client(region="us-west-2").get_secret_value,
                                    SecretId=secret_id)

    def test_put_secret_value_is_idempotent_and_refuses_other_data(self):
        self.create()
        sm = self.client()
        put = sm.put_secret_value(SecretId="db/app", ClientRequestToken=V2, SecretString="p2")
        self.assertEqual((put["VersionId"], put["VersionStages"]), (V2, ["AWSCURRENT"]))
        self.assertEqual(sm.put_secret_value(SecretId="db/app", ClientRequestToken=V2,
                                             SecretString="p2")["VersionId"], V2)
        self.assertAwsError("ResourceExistsException", sm.put_secret_value, SecretId="db/app",
                            ClientRequestToken=V2, SecretString="other")
        self.assertEqual(sm.get_secret_value(SecretId="db/app")["SecretString"], "p2")
        previous = sm.get_secret_value(SecretId="db/app", VersionStage="AWSPREVIOUS")
        self.assertEqual((previous["VersionId"], previous["SecretString"]), (V1, "p1"))
        pending = sm.put_secret_value(SecretId="db/app", ClientRequestToken=V3, SecretString="p3",
                                      VersionStages=["AWSPENDING"])
        self.assertEqual(pending["VersionStages"], ["AWSPENDING"])
        self.assertEqual(sm.get_secret_value(SecretId="db/app")["VersionId"], V2)
        self.assertEqual(sm.describe_secret(SecretId="db/app")["VersionIdsToStages"],
                         {V1: ["AWSPREVIOUS"], V2: ["AWSCURRENT"], V3: ["AWSPENDING"]})

    def test_update_secret_version_stage(self):
        self.create()
        sm = self.client()
        sm.put_secret_value(SecretId="db/app", ClientRequestToken=V2, SecretString="p2")
        self.assertAwsError("InvalidParameterException", sm.update_secret_version_stage, SecretId="db/app",
                            VersionStage="AWSCURRENT", MoveToVersionId=V1)           # RemoveFrom required
        self.assertAwsError("InvalidParameterException", sm.update_secret_version_stage, SecretId="db/app",
                            VersionStage="AWSCURRENT", MoveToVersionId=V1, RemoveFromVersionId=V1)
        sm.update_secret_version_stage(SecretId="db/app", VersionStage="AWSCURRENT", MoveToVersionId=V1,
                                       RemoveFromVersionId=V2)
        self.assertEqual(sm.describe_secret(SecretId="db/app")["VersionIdsToStages"],
                         {V1: ["AWSCURRENT"], V2: ["AWSPREVIOUS"]})
        sm.put_secret_value(SecretId="db/app", ClientRequestToken=V3, SecretString="p3",
                            VersionStages=["AWSPENDING"])
        sm.update_secret_version_stage(SecretId="db/app", VersionStage="AWSPENDING", RemoveFromVersionId=V3)
        self.assertNotIn(V3, sm.describe_secret(SecretId="db/app")["VersionIdsToStages"])
        self.assertEqual(sm.get_secret_value(SecretId="db/app", VersionId=V3)["VersionStages"], [])
        self.assertAwsError("InvalidParameterException", sm.update_secret_version_stage, SecretId="db/app",
                            VersionStage="AWSCURRENT", RemoveFromVersionId=V1)       # cannot just drop it

    def test_describe_secret(self):
        created = self.create()
        sm = self.client()
        described = sm.describe_secret(SecretId="db/app")
        self.assertEqual((described["ARN"], described["Name"]), (created["ARN"], "db/app"))
        self.assertNotIn("RotationEnabled", described)              # never configured: left out, as AWS does
        self.fake.control("secret_settings", {"SecretId": "db/app", "RotationEnabled": True,
                                              "RotationLambdaARN": "arn:aws:lambda:us-east-1:123456789012:"
                                                                   "function:rotate"})
        described = sm.describe_secret(SecretId=created["ARN"])
        self.assertIs(described["RotationEnabled"], True)
        self.assertTrue(described["RotationLambdaARN"].endswith(":function:rotate"))
        status, _, body = self.signed("DescribeSecret", {"SecretId": "db/app"})
        self.assertEqual(status, 200)
        # AWS writes timestamps as Java doubles; so does the fake, so clients are tested with that form.
        self.assertRegex(body.decode(), r'"CreatedDate":1\.[0-9]+E9')

    def test_get_random_password_honours_options(self):
        sm = self.client()
        allowed = set(fake_aws.string.ascii_letters + fake_aws.string.digits + fake_aws.PUNCTUATION)
        default = sm.get_random_password()["RandomPassword"]
        self.assertEqual(len(default), 32)
        self.assertLessEqual(set(default), allowed)
        for _ in range(20):       # 4 characters, 4 types: only RequireEachIncludedType makes this certain
            pw = sm.get_random_password(PasswordLength=4)["RandomPassword"]
            self.assertTrue(any(c.islower() for c in pw) and any(c.isupper() for c in pw)
                            and any(c.isdigit() for c in pw) and any(c in fake_aws.PUNCTUATION for c in pw))
        excluded = sm.get_random_password(PasswordLength=4096, ExcludeCharacters="/@\"'\\ABC")["RandomPassword"]
        self.assertEqual(len(excluded), 4096)
        self.assertFalse(set(excluded) & set("/@\"'\\ABC"))
        letters = sm.get_random_password(PasswordLength=500, ExcludeNumbers=True,
                                         ExcludePunctuation=True)["RandomPassword"]
        self.assertTrue(letters.isalpha() and letters.isascii())
        digits = sm.get_random_password(PasswordLength=50, ExcludeLowercase=True, ExcludeUppercase=True,
                                        ExcludePunctuation=True)["RandomPassword"]
        self.assertTrue(digits.isdigit())
        spaced = sm.get_random_password(PasswordLength=4096, IncludeSpace=True)["RandomPassword"]
        self.assertIn(" ", spaced)
        self.assertNotIn(" ", excluded)
        self.assertEqual(len(sm.get_random_password(PasswordLength=1, RequireEachIncludedType=False)
                             ["RandomPassword"]), 1)
        self.assertAwsError("InvalidParameterException", sm.get_random_password, PasswordLength=3)
        self.assertAwsError("ValidationException", sm.get_random_password, PasswordLength=4097)

    def test_rotate_secret_pending_version_has_no_value_until_put(self):
        self.create()
        sm = self.client()
        token = str(uuid.uuid4())
        rotated = sm.rotate_secret(SecretId="db/app", ClientRequestToken=token,
                                   RotationLambdaARN="arn:aws:lambda:us-east-1:123456789012:function:rotate",
                                   RotationRules={"AutomaticallyAfterDays": 30})
        self.assertEqual((rotated["VersionId"], rotated["Name"]), (token, "db/app"))
        described = sm.describe_secret(SecretId="db/app")
        self.assertIs(described["RotationEnabled"], True)
        self.assertEqual(described["VersionIdsToStages"], {V1: ["AWSCURRENT"], token: ["AWSPENDING"]})
        self.assertAwsError("ResourceNotFoundException", sm.get_secret_value, SecretId="db/app",
                            VersionId=token, VersionStage="AWSPENDING")
        self.assertAwsError("ResourceNotFoundException", sm.get_secret_value, SecretId="db/app",
                            VersionStage="AWSPENDING")
        self.assertAwsError("InvalidRequestException", sm.rotate_secret, SecretId="db/app",
                            ClientRequestToken=str(uuid.uuid4()))          # previous rotation unfinished
        sm.put_secret_value(SecretId="db/app", ClientRequestToken=token, SecretString="p-new",
                            VersionStages=["AWSPENDING"])
        self.assertEqual(sm.get_secret_value(SecretId="db/app", VersionId=token,
                                             VersionStage="AWSPENDING")["SecretString"], "p-new")
        sm.update_secret_version_stage(SecretId="db/app", VersionStage="AWSCURRENT", MoveToVersionId=token,
                                       RemoveFromVersionId=V1)
        described = sm.describe_secret(SecretId="db/app")
        self.assertEqual({vid: sorted(stages) for vid, stages in described["VersionIdsToStages"].items()},
                         {V1: ["AWSPREVIOUS"], token: ["AWSCURRENT", "AWSPENDING"]})
        self.assertIn("LastRotatedDate", described)
        raw = json.loads(self.signed("DescribeSecret", {"SecretId": "db/app"})[2])   # botocore 1.29 drops it
        self.assertAlmostEqual(raw["NextRotationDate"] - raw["LastRotatedDate"], 30 * 86400, delta=1)

    def test_binary_secret(self):
        sm = self.client()
        blob = bytes(range(256)) * 3
        sm.create_secret(Name="bin", SecretBinary=blob, ClientRequestToken=V1)
        got = sm.get_secret_value(SecretId="bin")
        self.assertEqual(got["SecretBinary"], blob)
        self.assertNotIn("SecretString", got)
        _, _, raw = self.signed("GetSecretValue", {"SecretId": "bin"})
        self.assertEqual(json.loads(raw)["SecretBinary"], base64.b64encode(blob).decode())

    def test_awkward_characters_round_trip_byte_identical(self):
        value = ("q\"uote 'single' back\\slash $HOME ${X} `cmd` %s %% \n newline\r\n\t tab "
                 "caf\u00e9 \u65e5\u672c \U0001F511 \u2028 \x01 \u007f end")
        self.create(name="awkward", value=value)
        got = self.client().get_secret_value(SecretId="awkward")["SecretString"]
        self.assertEqual(got.encode("utf-8"), value.encode("utf-8"))
        self.create(name="json", value=json.dumps({"password": value}), token=V2)
        self.assertEqual(json.loads(self.client().get_secret_value(SecretId="json")["SecretString"]),
                         {"password": value})

    def test_size_limit(self):
        sm = self.client()
        sm.create_secret(Name="big", SecretString="x" * 65536, ClientRequestToken=V1)
        self.assertEqual(len(sm.get_secret_value(SecretId="big")["SecretString"]), 65536)
        self.assertAwsError("ValidationException", sm.put_secret_value, SecretId="big", ClientRequestToken=V2,
                            SecretString="\u00e9" * 32769)                  # 65538 bytes in UTF-8

    def test_errors_as_boto3_parses_them(self):
        self.create()
        sm = self.client()
        err = self.assertAwsError("ResourceExistsException", self.create, token=V2, status=400)
        self.assertIn("already exists", err["Error"]["Message"])
        sm.delete_secret(SecretId="db/app", RecoveryWindowInDays=7)
        self.assertAwsError("InvalidRequestException", sm.get_secret_value, SecretId="db/app")
        self.assertIn("DeletedDate", sm.describe_secret(SecretId="db/app"))
        self.assertAwsError("InvalidParameterException", sm.delete_secret, SecretId="db/app",
                            ForceDeleteWithoutRecovery=True, RecoveryWindowInDays=7)
        sm.delete_secret(SecretId="db/app", ForceDeleteWithoutRecovery=True)
        self.assertAwsError("ResourceNotFoundException", sm.describe_secret, SecretId="db/app")

    def test_raw_protocol_errors(self):
        def check(expected_status, code, response):
            status, headers, body = response
            self.assertEqual(status, expected_status)
            self.assertEqual(headers["content-type"], "application/x-amz-json-1.1")
            self.assertEqual(headers["x-amzn-errortype"], code)
            self.assertTrue(headers["x-amzn-requestid"])
            self.assertEqual(json.loads(body)["__type"], "com.amazonaws.secretsmanager#" + code)
            self.assertTrue(json.loads(body)["message"])
        check(400, "UnknownOperationException", self.signed("NoSuchOperation", {}))
        check(400, "SerializationException", self.signed("GetSecretValue", None, raw_body=b'{"SecretId": '))
        check(400, "SerializationException", self.signed("GetSecretValue", {"SecretId": 5}))
        check(400, "SerializationException", self.signed("GetSecretValue", None, raw_body=b'{"SecretId":"\\ud800"}'))
        check(400, "ValidationException", self.signed("GetSecretValue", {}))
        check(400, "InvalidRequestException",           # the SDKs fill the token in; the raw API needs it
              self.signed("CreateSecret", {"Name": "x", "SecretString": "y"}))
        check(400, "ValidationException",
              self.signed("PutSecretValue", {"SecretId": "x", "ClientRequestToken": "short", "SecretString": "y"}))
        check(403, "MissingAuthenticationTokenException",
              http_request(self.fake.http_port, "POST", "/", b"{}",
                           {"X-Amz-Target": "secretsmanager.GetSecretValue"}))
        status, headers, _ = self.signed("GetRandomPassword", {})
        self.assertEqual(status, 200)
        self.assertLess(abs(email.utils.parsedate_to_datetime(headers["date"]).timestamp() - time.time()), 60)

    def test_counts(self):
        self.create()
        sm = self.client()
        sm.get_secret_value(SecretId="db/app")
        sm.get_secret_value(SecretId="db/app")
        self.assertAwsError("ResourceNotFoundException", sm.describe_secret, SecretId="nope")
        counts = self.fake.counts()
        self.assertEqual(counts, {"CreateSecret": 1, "GetSecretValue": 2, "DescribeSecret": 1,
                                  "signature_rejected": 0, "total": 4})
        self.fake.control("reset")
        self.assertEqual(self.fake.counts(), {"signature_rejected": 0, "total": 0})

    def test_control_put_secret(self):
        first = self.fake.control("put_secret", {"Name": "ctl", "SecretString": "c1"})
        self.assertEqual(set(first), {"ARN", "Name", "VersionId"})
        self.fake.control("put_secret", {"Name": "ctl", "VersionId": V2, "VersionStages": ["AWSPENDING"]})
        sm = self.client()
        self.assertAwsError("ResourceNotFoundException", sm.get_secret_value, SecretId="ctl",
                            VersionStage="AWSPENDING")                     # an empty version, like RotateSecret's
        self.fake.control("put_secret", {"Name": "ctl", "VersionId": V2, "SecretString": "c2",
                                         "VersionStages": ["AWSPENDING"]})
        self.assertEqual(sm.get_secret_value(SecretId="ctl", VersionStage="AWSPENDING")["SecretString"], "c2")
        self.fake.control("put_secret", {"Name": "ctl", "SecretBinary": base64.b64encode(b"\0\1").decode()})
        got = sm.get_secret_value(SecretId=first["ARN"])
        self.assertEqual((got["SecretBinary"], got["VersionStages"]), (b"\0\1", ["AWSCURRENT"]))
        self.assertEqual(sm.get_secret_value(SecretId="ctl", VersionStage="AWSPREVIOUS")["SecretString"], "c1")
        self.assertEqual(self.fake.counts()["total"], 4)                  # control requests are not counted

    def test_request_body_too_large(self):
        # Only the header is sent: the fake must refuse on Content-Length alone, before reading anything.
        conn = socket_connection(self.fake.http_port)
        try:
            conn.putrequest("POST", "/")
            conn.putheader("Content-Length", str(2 << 20))
            conn.endheaders()
            self.assertEqual(conn.getresponse().status, 413)
        finally:
            conn.close()

    def test_state_dump_and_reload(self):
        created = self.create(value="p-dump")
        self.client().rotate_secret(SecretId="db/app", ClientRequestToken=V2)
        dump = self.fake.control("dump")
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump(dump, f)
        try:
            other = FakeAws("--state", f.name)
            try:
                sm = self.client(endpoint=other.endpoint)
                got = sm.get_secret_value(SecretId="db/app")
                self.assertEqual((got["SecretString"], got["ARN"]), ("p-dump", created["ARN"]))
                self.assertEqual(sm.describe_secret(SecretId="db/app")["VersionIdsToStages"],
                                 {V1: ["AWSCURRENT"], V2: ["AWSPENDING"]})
            finally:
                other.stop()
        finally:
            os.unlink(f.name)


# ---------------------------------------------------------------------------------------------------

class SignatureTest(FakeTestCase):

    def tamper(self, client, change):
        """Change the request after botocore signed it (before-send runs after signing)."""
        def hook(request, **_):
            change(request)
        client.meta.events.register("before-send.secrets-manager.GetSecretValue", hook)
        return client

    def test_tampered_signature_refused(self):
        self.create()
        def flip_signature(request):
            auth = request.headers["Authorization"]
            auth = auth.decode() if isinstance(auth, bytes) else auth
            last = auth[-1]
            request.headers["Authorization"] = auth[:-1] + ("0" if last != "0" else "1")
        sm = self.tamper(self.client(), flip_signature)
        err = self.assertAwsError("InvalidSignatureException", sm.get_secret_value, SecretId="db/app", status=403)
        self.assertIn("does not match", err["Error"]["Message"])
        self.assertEqual(self.fake.counts()["signature_rejected"], 1)

    def test_tampered_body_refused(self):
        self.create()
        self.create(name="db/apq", token=V2)
        def other_secret(request):
            request.body = request.body.replace(b"db/app", b"db/apq")      # same length, other secret
        sm = self.tamper(self.client(), other_secret)
        self.assertAwsError("InvalidSignatureException", sm.get_secret_value, SecretId="db/app", status=403)

    def test_wrong_secret_key_refused(self):
        self.assertAwsError("InvalidSignatureException", self.client(secret="x" * 40).get_random_password)

    def test_unknown_access_key_refused_until_added(self):
        sm = self.client(key="AKIDSOMEONEELSE", secret="other-secret")
        err = self.assertAwsError("UnrecognizedClientException", sm.get_random_password, status=403)
        self.assertEqual(err["Error"]["Message"], "The security token included in the request is invalid.")
        self.fake.control("add_credentials", {"AccessKeyId": "AKIDSOMEONEELSE", "SecretAccessKey": "other-secret"})
        self.assertEqual(len(sm.get_random_password()["RandomPassword"]), 32)

    def test_session_token_with_long_term_key_refused(self):
        self.assertAwsError("UnrecognizedClientException", self.client(token="bogus").get_random_password)

    @unittest.skipUnless(shutil.which("curl"), "the curl command is needed")
    def test_libcurl_signer_is_accepted(self):
        # The C client sends with libcurl: its own SigV4 signer (and its Expect: 100-continue for a large
        # body) must get through the fake's verifier as it would through AWS.
        value = "s" * 60000
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(tmp, "body.json"), "w") as f:
                json.dump({"Name": "curl", "SecretString": value, "ClientRequestToken": V1}, f)
            out = subprocess.run(
                ["curl", "-sS", "-o", os.path.join(tmp, "out"), "-w", "%{http_code}", "--noproxy", "*",
                 "--aws-sigv4", "aws:amz:us-east-1:secretsmanager", "--user", "%s:%s" % (KEY, SECRET),
                 "-H", "Content-Type: application/x-amz-json-1.1", "-H", "X-Amz-Target: secretsmanager.CreateSecret",
                 "--data-binary", "@" + os.path.join(tmp, "body.json"), self.fake.endpoint + "/"],
                capture_output=True, text=True, timeout=20)
        self.assertEqual(out.stdout, "200")
        self.assertEqual(self.client().get_secret_value(SecretId="curl")["SecretString"], value)
        self.assertEqual(self.fake.counts()["signature_rejected"], 0)

    def test_clock_skew_refused_with_aws_message_and_date(self):
        sm = self.client(attempts=3)      # let botocore retry if it wants to: the fake still refuses
        self.fake.control("clock", {"skew_seconds": 3600})
        err = self.assertAwsError("InvalidSignatureException", sm.get_random_password, status=403)
        self.assertRegex(err["Error"]["Message"],
                         r"^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z "
                         r"\(\d{8}T\d{6}Z - 5 min\.\)$")
        server_date = email.utils.parsedate_to_datetime(err["ResponseMetadata"]["HTTPHeaders"]["date"])
        self.assertLess(abs(server_date.timestamp() - time.time() - 3600), 60)     # Date from the fake's clock
        self.assertGreaterEqual(self.fake.counts()["signature_rejected"], 1)
        self.fake.control("clock", {"skew_seconds": -3600})
        err = self.assertAwsError("InvalidSignatureException", sm.get_random_password)
        self.assertTrue(err["Error"]["Message"].startswith("Signature not yet current: "))
        self.fake.control("clock", {"skew_seconds": 240})        # within 5 minutes: accepted
        self.assertTrue(sm.get_random_password()["RandomPassword"])

    def test_one_shot_clock_fault(self):
        sm = self.client()
        self.fake.control("fault", {"target": "GetRandomPassword", "kind": "clock", "skew_seconds": -900})
        self.assertAwsError("InvalidSignatureException", sm.get_random_password)
        self.assertTrue(sm.get_random_password()["RandomPassword"])
        self.assertEqual(self.fake.counts()["signature_rejected"], 1)


# ---------------------------------------------------------------------------------------------------

class FaultTest(FakeTestCase):

    def test_throttle_then_retry(self):
        self.create()
        self.fake.control("fault", {"target": "GetSecretValue", "kind": "throttle"})
        err = self.assertAwsError("ThrottlingException", self.client(attempts=1).get_secret_value,
                                  SecretId="db/app", status=400)
        self.assertEqual(err["Error"]["Message"], "Rate exceeded")
        self.assertEqual(self.fake.counts()["GetSecretValue"], 1)
        self.fake.control("fault", {"target": "GetSecretValue", "kind": "throttle"})
        got = self.client(attempts=2).get_secret_value(SecretId="db/app")
        self.assertEqual((got["SecretString"], got["ResponseMetadata"]["RetryAttempts"]), ("p1", 1))
        self.assertEqual(self.fake.counts()["GetSecretValue"], 3)

    def test_status_and_error_faults(self):
        sm = self.client()
        for status, code in ((500, "InternalServiceError"), (503, "ServiceUnavailable"), (502, "InternalFailure")):
            self.fake.control("fault", {"target": "*", "kind": "status", "status": status})
            self.assertAwsError(code, sm.get_random_password, status=status)
        self.fake.control("fault", {"target": "GetRandomPassword", "kind": "error", "code": "AccessDeniedException"})
        self.assertAwsError("AccessDeniedException", sm.get_random_password, status=400)
        self.assertTrue(sm.get_random_password()["RandomPassword"])
        raw_type = "com.amazon.coral.service#AccessDeniedException:http://internal.amazon.com/coral/"
        self.fake.control("fault", {"target": "GetRandomPassword", "kind": "error", "code": "AccessDeniedException",
                                    "status": 403, "message": "no", "message_key": "Message", "type": raw_type})
        status, headers, body = self.signed("GetRandomPassword", {})
        self.assertEqual((status, headers["x-amzn-errortype"]), (403, "AccessDeniedException"))
        self.assertEqual(json.loads(body), {"__type": raw_type, "Message": "no"})

    def test_faults_apply_in_order_and_by_target(self):
        self.create()
        sm = self.client()
        self.fake.control("fault", {"target": "GetSecretValue", "kind": "throttle", "count": 2})
        self.fake.control("fault", {"target": "*", "kind": "error", "code": "AccessDeniedException"})
        self.assertAwsError("ThrottlingException", sm.get_secret_value, SecretId="db/app")
        self.assertAwsError("AccessDeniedException", sm.describe_secret, SecretId="db/app")
        self.assertAwsError("ThrottlingException", sm.get_secret_value, SecretId="db/app")
        self.assertEqual(sm.get_secret_value(SecretId="db/app")["SecretString"], "p1")
        self.fake.control("fault", {"target": "*", "kind": "throttle", "count": -1})
        for _ in range(3):
            self.assertAwsError("ThrottlingException", sm.describe_secret, SecretId="db/app")
        self.fake.control("clear_faults")
        self.assertEqual(sm.describe_secret(SecretId="db/app")["Name"], "db/app")
        counts = self.fake.counts()
        self.assertEqual((counts["GetSecretValue"], counts["DescribeSecret"], counts["total"]), (3, 5, 9))

    def test_malformed_oversize_and_drop(self):
        port = self.fake.http_port
        op = {"X-Amz-Target": "secretsmanager.GetSecretValue"}
        self.fake.control("fault", {"target": "GetSecretValue", "kind": "malformed"})
        status, _, body = http_request(port, "POST", "/", b"{}", op)
        self.assertEqual(status, 200)
        self.assertRaises(ValueError, json.loads, body)
        self.fake.control("fault", {"target": "GetSecretValue", "kind": "oversize", "size": 300000})
        status, headers, body = http_request(port, "POST", "/", b"{}", op)
        self.assertEqual((status, headers["content-length"], len(body)), (200, "300000", 300000))
        self.assertTrue(body.startswith(b'{"ARN":'))
        self.fake.control("fault", {"target": "GetSecretValue", "kind": "oversize_chunked", "size": 200000})
        status, headers, body = http_request(port, "POST", "/", b"{}", op)
        self.assertEqual((status, headers.get("transfer-encoding"), len(body)), (200, "chunked", 200000))
        self.assertNotIn("content-length", headers)
        self.fake.control("fault", {"target": "GetSecretValue", "kind": "oversize"})    # 1 MiB default
        conn = socket_connection(port)
        conn.request("POST", "/", b"{}", op)
        resp = conn.getresponse()
        self.assertEqual(resp.getheader("Content-Length"), str(1 << 20))
        resp.read(1000)
        conn.close()                    # a client giving up early must not upset the fake
        self.fake.control("fault", {"target": "GetSecretValue", "kind": "drop"})
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionResetError)):
            http_request(port, "POST", "/", b"{}", op)
        self.fake.control("fault", {"target": "GetSecretValue", "kind": "drop"})
        self.assertRaises(botocore.exceptions.ConnectionClosedError,
                          self.client().get_secret_value, SecretId="db/app")
        self.assertEqual(self.fake.counts()["GetSecretValue"], 6)

    def test_delay_does_not_block_other_requests(self):
        self.create()
        self.fake.control("fault", {"target": "GetSecretValue", "kind": "delay", "delay_ms": 1500})
        result = {}

        def slow():
            start = time.monotonic()
            result["value"] = self.client().get_secret_value(SecretId="db/app")["SecretString"]
            result["seconds"] = time.monotonic() - start
        worker = threading.Thread(target=slow)
        worker.start()
        deadline = time.monotonic() + 10
        while self.fake.counts().get("GetSecretValue", 0) < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(self.client().describe_secret(SecretId="db/app")["Name"], "db/app")
        self.assertTrue(worker.is_alive(), "the delayed request should still be sleeping")
        worker.join(10)
        self.assertEqual(result["value"], "p1")
        self.assertGreaterEqual(result["seconds"], 1.4)
        self.fake.control("fault", {"target": "GetSecretValue", "kind": "delay", "delay_ms": 2000})
        self.assertRaises(botocore.exceptions.ReadTimeoutError,
                          self.client(read_timeout=0.5).get_secret_value, SecretId="db/app")


# ---------------------------------------------------------------------------------------------------

class MetadataTest(FakeTestCase):

    def imds(self, method, path, headers=None):
        return http_request(self.fake.http_port, method, path, headers=headers)

    def imds_token(self, ttl="21600"):
        status, headers, body = self.imds("PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": ttl})
        self.assertEqual((status, headers["x-aws-ec2-metadata-token-ttl-seconds"]), (200, ttl))
        return body.decode()

    def imds_credentials(self):
        token = {"X-aws-ec2-metadata-token": self.imds_token()}
        role = self.imds("GET", "/latest/meta-data/iam/security-credentials/", token)[2].decode()
        status, _, body = self.imds("GET", "/latest/meta-data/iam/security-credentials/" + role, token)
        self.assertEqual(status, 200)
        return json.loads(body)

    def test_imdsv2_flow(self):
        token = {"X-aws-ec2-metadata-token": self.imds_token()}
        status, _, role = self.imds("GET", "/latest/meta-data/iam/security-credentials/", token)
        self.assertEqual((status, role), (200, b"rdssecret-test-role"))
        status, _, body = self.imds("GET", "/latest/meta-data/iam/security-credentials/rdssecret-test-role", token)
        creds = json.loads(body)
        self.assertEqual((creds["Code"], creds["Type"]), ("Success", "AWS-HMAC"))
        self.assertRegex(creds["AccessKeyId"], r"^ASIA[A-Z0-9]{16}$")
        self.assertTrue(creds["SecretAccessKey"] and len(creds["Token"]) > 1000)
        expires = calendar.timegm(time.strptime(creds["Expiration"], "%Y-%m-%dT%H:%M:%SZ"))
        self.assertAlmostEqual(expires - time.time(), 3600, delta=60)
        self.assertEqual(self.imds("GET", "/latest/meta-data/placement/region", token)[2], b"us-east-1")
        self.assertEqual(self.imds("GET", "/latest/meta-data/iam/security-credentials/other-role", token)[0], 404)
        self.assertEqual(self.imds("GET", "/latest/meta-data/instance-id", token)[0], 404)
        self.assertEqual(self.fake.counts(), {"imds_token": 1, "imds_role": 1, "imds_credentials": 2,
                                              "imds_region": 1, "imds_other": 1, "signature_rejected": 0,
                                              "total": 6})

    def test_imdsv1_refused_unless_allowed(self):
        path = "/latest/meta-data/iam/security-credentials/"
        self.assertEqual(self.imds("GET", path)[0], 401)
        self.fake.control("imds", {"allow_v1": True})
        self.assertEqual(self.imds("GET", path)[:3:2], (200, b"rdssecret-test-role"))
        self.assertEqual(self.imds("GET", path, {"X-aws-ec2-metadata-token": "forged"})[0], 401)

    def test_imds_token_request_checks(self):
        self.assertEqual(self.imds("PUT", "/latest/api/token")[0], 400)
        for ttl in ("0", "21601", "x"):
            self.assertEqual(self.imds("PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": ttl})[0],
                             400)
        self.assertEqual(self.imds("GET", "/latest/api/token")[0], 405)
        self.assertEqual(self.imds("PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "60",
                                                                "X-Forwarded-For": "10.0.0.1"})[0], 403)

    def test_imds_settings(self):
        self.fake.control("imds", {"role": "other", "region": "eu-west-1", "expiration_seconds": 1200})
        token = {"X-aws-ec2-metadata-token": self.imds_token()}
        self.assertEqual(self.imds("GET", "/latest/meta-data/placement/region", token)[2], b"eu-west-1")
        creds = self.imds_credentials()
        expires = calendar.timegm(time.strptime(creds["Expiration"], "%Y-%m-%dT%H:%M:%SZ"))
        self.assertAlmostEqual(expires - time.time(), 1200, delta=60)
        self.assertEqual(self.imds_credentials()["AccessKeyId"], creds["AccessKeyId"])   # same until refreshed

    def test_imds_credentials_sign_requests_and_expire(self):
        self.create()
        creds = self.imds_credentials()
        key, secret, token = creds["AccessKeyId"], creds["SecretAccessKey"], creds["Token"]
        sm = self.client(key=key, secret=secret, token=token)
        self.assertEqual(sm.get_secret_value(SecretId="db/app")["SecretString"], "p1")
        self.assertAwsError("UnrecognizedClientException", self.client(key=key, secret=secret).get_random_password)
        self.assertAwsError("UnrecognizedClientException",
                            self.client(key=key, secret=secret, token=token[:-4] + "AAAA").get_random_password)
        self.assertAwsError("InvalidSignatureException",
                            self.client(key=key, secret=secret[:-1] + ("A" if secret[-1] != "A" else "B"),
                                        token=token).get_random_password)
        self.fake.control("expire_credentials")
        err = self.assertAwsError("ExpiredTokenException", sm.get_secret_value, SecretId="db/app", status=403)
        self.assertEqual(err["Error"]["Message"], "The security token included in the request is expired")
        fresh = self.imds_credentials()
        self.assertNotEqual(fresh["AccessKeyId"], key)
        sm = self.client(key=fresh["AccessKeyId"], secret=fresh["SecretAccessKey"], token=fresh["Token"])
        self.assertEqual(sm.get_secret_value(SecretId="db/app")["SecretString"], "p1")

    def test_credentials_past_expiration_are_expired(self):
        self.fake.control("container", {"expiration_seconds": -60})
        creds = json.loads(http_request(self.fake.http_port, "GET", "/container/creds")[2])
        sm = self.client(key=creds["AccessKeyId"], secret=creds["SecretAccessKey"], token=creds["Token"])
        self.assertAwsError("ExpiredTokenException", sm.get_random_password)

    def test_container_endpoint(self):
        port = self.fake.http_port
        status, _, body = http_request(port, "GET", "/container/v2/credentials/abc")
        creds = json.loads(body)
        self.assertEqual(status, 200)
        self.assertEqual(set(creds), {"AccessKeyId", "SecretAccessKey", "Token", "Expiration", "RoleArn"})
        self.fake.control("container", {"token": "Bearer s3cr3t-container-token"})
        self.assertEqual(http_request(port, "GET", "/container/creds")[0], 401)
        self.assertEqual(http_request(port, "GET", "/container/creds", headers={"Authorization": "wrong"})[0], 401)
        status, _, body = http_request(port, "GET", "/container/creds",
                                       headers={"Authorization": "Bearer s3cr3t-container-token"})
        self.assertEqual(status, 200)
        creds = json.loads(body)
        sm = self.client(key=creds["AccessKeyId"], secret=creds["SecretAccessKey"], token=creds["Token"])
        self.assertEqual(len(sm.get_random_password()["RandomPassword"]), 32)
        self.assertEqual(self.fake.counts()["container"], 4)

    def test_botocore_metadata_clients_accept_the_fake(self):
        fetcher = InstanceMetadataFetcher(timeout=5, num_attempts=1, base_url=self.fake.endpoint + "/",
                                          env={})      # this module's environment disables IMDS
        creds = fetcher.retrieve_iam_role_credentials()
        fetcher._session.close()
        self.assertEqual(creds["role_name"], "rdssecret-test-role")
        self.assertTrue(creds["access_key"].startswith("ASIA") and creds["token"])
        self.assertEqual(self.fake.counts()["imds_token"], 1)       # botocore used IMDSv2
        self.fake.control("container", {"token": "tok"})
        container = ContainerMetadataFetcher()
        creds = container.retrieve_full_uri(self.fake.endpoint + "/container/x", headers={"Authorization": "tok"})
        container._session.close()     # botocore never closes it itself
        self.assertTrue(creds["AccessKeyId"].startswith("ASIA"))

    def test_metadata_faults(self):
        self.fake.control("fault", {"target": "imds", "kind": "throttle"})
        self.assertEqual(self.imds("PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "60"})[0],
                         429)
        self.fake.control("fault", {"target": "container", "kind": "status", "status": 503})
        self.assertEqual(http_request(self.fake.http_port, "GET", "/container/x")[0], 503)
        self.fake.control("fault", {"target": "container", "kind": "malformed"})
        self.assertRaises(ValueError, json.loads, http_request(self.fake.http_port, "GET", "/container/x")[2])
        self.imds_token("60")                                   # the faults were used up
        self.assertEqual(http_request(self.fake.http_port, "GET", "/container/x")[0], 200)


# ---------------------------------------------------------------------------------------------------

@unittest.skipUnless(shutil.which("openssl"), "the openssl command is needed")
class HttpsTest(FakeTestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="fake-aws-certs-")
        cls.certs = testcerts.make_test_certs(cls.tmp)
        cls.fake_args = ("--tls-cert", cls.certs["cert"], "--tls-key", cls.certs["key"])
        super().setUpClass()
        cls.wrong = FakeAws("--tls-cert", cls.certs["wrong_cert"], "--tls-key", cls.certs["wrong_key"])

    @classmethod
    def tearDownClass(cls):
        cls.wrong.stop()
        super().tearDownClass()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_boto3_over_https_with_local_ca(self):
        self.assertIsInstance(self.fake.https_port, int)
        self.assertNotEqual(self.fake.https_port, self.fake.http_port)
        sm = self.client(endpoint="https://127.0.0.1:%d" % self.fake.https_port, verify=self.certs["ca"])
        sm.create_secret(Name="tls", SecretString="over-tls", ClientRequestToken=V1)
        # Both listeners serve the same state.
        self.assertEqual(self.client().get_secret_value(SecretId="tls")["SecretString"], "over-tls")

    def test_certificate_for_another_host_is_refused(self):
        sm = self.client(endpoint="https://127.0.0.1:%d" % self.wrong.https_port, verify=self.certs["ca"])
        self.assertRaises(botocore.exceptions.SSLError, sm.get_random_password)
        self.assertEqual(self.wrong.counts()["total"], 0)

    def test_untrusted_ca_is_refused(self):
        sm = self.client(endpoint="https://127.0.0.1:%d" % self.fake.https_port, verify=True)
        self.assertRaises(botocore.exceptions.SSLError, sm.get_random_password)
        self.assertEqual(self.fake.counts()["total"], 0)


# ---------------------------------------------------------------------------------------------------

class LifecycleTest(unittest.TestCase):

    def test_startup_line_and_stdin_eof(self):
        fake = FakeAws()
        try:
            self.assertEqual(json.loads(fake.startup_line), {"http_port": fake.http_port, "https_port": None})
            self.assertTrue(fake.startup_line.endswith("}\n"))
            fake.proc.stdin.close()
            self.assertEqual(fake.proc.wait(10), 0)
            self.assertEqual(fake.proc.stdout.read(), b"")       # nothing after the one line
        finally:
            fake.stop()

    def test_sigterm_and_sigint_exit_cleanly(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            fake = FakeAws()
            try:
                fake.proc.send_signal(sig)
                self.assertEqual(fake.proc.wait(10), 0)
            finally:
                fake.stop()

    def test_listens_on_loopback_only(self):
        fake = FakeAws()
        try:
            with open("/proc/%d/net/tcp" % fake.proc.pid) as f:
                listening = [line.split()[1] for line in f.readlines()[1:] if line.split()[3] == "0A"]
            self.assertIn("0100007F:%04X" % fake.http_port, listening)        # 127.0.0.1, little-endian
            self.assertFalse([a for a in listening if a.endswith(":%04X" % fake.http_port)
                              and not a.startswith("0100007F")])
        finally:
            fake.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
