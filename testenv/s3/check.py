#!/usr/bin/env python3
"""End-to-end check of the test S3 server with a real client (boto3, SigV4).

Reads ~/.cache/mlscale/testenv/s3.env (written by up.sh). Needs boto3, e.g.:
    python3 -m venv /tmp/s3venv && /tmp/s3venv/bin/pip install boto3
    /tmp/s3venv/bin/python testenv/s3/check.py
Checks: create bucket, put/get/list/delete objects (a small one and a 12 MiB multipart one),
wrong secret key -> SignatureDoesNotMatch, unknown access key -> InvalidAccessKeyId,
missing bucket -> NoSuchBucket (get and put), missing key -> NoSuchKey, delete bucket.
Prints one line per check and "N passed, N failed".
"""
import os
import sys
import time
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

env_file = os.environ.get("MLSCALE_S3_ENV_FILE",
                          os.path.expanduser("~/.cache/mlscale/testenv/s3.env"))
env = dict(line.strip().split("=", 1) for line in open(env_file) if "=" in line)
endpoint = env["MLSCALE_TEST_S3_ENDPOINT"]
region = env.get("MLSCALE_TEST_S3_REGION", "us-east-1")


def client(access=env["MLSCALE_TEST_S3_ACCESS_KEY"], secret=env["MLSCALE_TEST_S3_SECRET_KEY"]):
    return boto3.client("s3", endpoint_url=endpoint, region_name=region,
                        aws_access_key_id=access, aws_secret_access_key=secret,
                        config=Config(s3={"addressing_style": "path"},
                                      retries={"max_attempts": 1}))


passed = failed = 0


def check(name, fn):
    global passed, failed
    t = time.monotonic()
    try:
        detail = fn()
        passed += 1
        print(f"ok   {name} ({(time.monotonic() - t) * 1000:.0f} ms){': ' + detail if detail else ''}")
    except Exception as e:  # noqa: BLE001 - report every failure and go on
        failed += 1
        print(f"FAIL {name}: {e!r}")


def expect_error(code, fn):
    try:
        fn()
    except ClientError as e:
        got = e.response["Error"]["Code"]
        if got != code:
            raise AssertionError(f"expected {code}, got {got}: {e}")
        return f"{got} (HTTP {e.response['ResponseMetadata']['HTTPStatusCode']})"
    raise AssertionError(f"expected {code}, but the call succeeded")


s3 = client()
bucket = "check-" + uuid.uuid4().hex[:12]
body = b"hello from mlscale\n" * 100
big = os.urandom(12 * 1024 * 1024)

check("create bucket", lambda: s3.create_bucket(Bucket=bucket) and None)
check("bucket listed", lambda: None if bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
      else (_ for _ in ()).throw(AssertionError("bucket not listed")))
check("put object", lambda: s3.put_object(Bucket=bucket, Key="data/a.txt", Body=body) and None)
check("get object", lambda: None if s3.get_object(Bucket=bucket, Key="data/a.txt")["Body"].read() == body
      else (_ for _ in ()).throw(AssertionError("content differs")))
check("multipart upload 12 MiB", lambda: s3.upload_fileobj(
    __import__("io").BytesIO(big), bucket, "data/big.bin",
    Config=boto3.s3.transfer.TransferConfig(multipart_threshold=5 * 1024 * 1024,
                                            multipart_chunksize=5 * 1024 * 1024)))
check("download 12 MiB", lambda: None if s3.get_object(Bucket=bucket, Key="data/big.bin")["Body"].read() == big
      else (_ for _ in ()).throw(AssertionError("content differs")))
check("list prefix", lambda: None if sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="data/")["Contents"])
      == ["data/a.txt", "data/big.bin"] else (_ for _ in ()).throw(AssertionError("listing differs")))
check("missing key -> NoSuchKey", lambda: expect_error("NoSuchKey", lambda: s3.get_object(Bucket=bucket, Key="nope")))
check("missing bucket get -> NoSuchBucket",
      lambda: expect_error("NoSuchBucket", lambda: s3.get_object(Bucket="no-such-bucket-" + bucket, Key="x")))
check("missing bucket list -> NoSuchBucket",
      lambda: expect_error("NoSuchBucket", lambda: s3.list_objects_v2(Bucket="no-such-bucket-" + bucket)))
check("wrong secret key -> SignatureDoesNotMatch",
      lambda: expect_error("SignatureDoesNotMatch",
                           lambda: client(secret="wrong-secret").get_object(Bucket=bucket, Key="data/a.txt")))
check("unknown access key -> InvalidAccessKeyId",
      lambda: expect_error("InvalidAccessKeyId",
                           lambda: client(access="NOSUCHKEY", secret="x").list_buckets()))
check("anonymous request refused -> AccessDenied",
      lambda: expect_error("AccessDenied", lambda: boto3.client(
          "s3", endpoint_url=endpoint, region_name=region,
          config=Config(signature_version=__import__("botocore").UNSIGNED)).get_object(Bucket=bucket, Key="data/a.txt")))


def cleanup():
    for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=o["Key"])
    s3.delete_bucket(Bucket=bucket)


check("delete objects and bucket", cleanup)
check("deleted bucket -> NoSuchBucket",
      lambda: expect_error("NoSuchBucket", lambda: s3.list_objects_v2(Bucket=bucket)))
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
