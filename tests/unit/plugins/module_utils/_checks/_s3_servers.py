"""A real S3-compatible server on loopback (moto's server mode), filled with boto3 as a backup job would.

moto_server answers the S3 REST API (ListObjectsV2, HeadObject, bucket versioning, object lock, default
encryption). Started with INITIAL_NO_AUTH_ACTION_COUNT, it authenticates every request after the first few
(the IAM calls that create the test's users and keys): a SigV4 signature is verified against the secret key
of the access key id, and the users' IAM policies decide what each may do. boto3 is used here only, to set
the users and buckets up; the check itself signs with the standard library.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from typing import NamedTuple

REGION = "eu-central-1"
_STARTUP_SECONDS = 60


def moto_server_path():
    """moto_server beside this Python (the venv's), or on PATH; None when moto[server] is not installed."""
    beside = os.path.join(os.path.dirname(sys.executable), "moto_server")
    return beside if os.path.exists(beside) else shutil.which("moto_server")


def _free_port():
    # Not ._ports: the module tests load this file on its own, outside its package.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_listening(port, proc):
    deadline = time.monotonic() + _STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto_server exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"moto_server did not listen on port {port} within {_STARTUP_SECONDS}s")


# The unauthenticated requests that set up the users: create the admin user, its policy and its key.
_SETUP_ACTIONS = 3


class Credentials(NamedTuple):
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def options(self):
        """The check item's credential options."""
        return {name: value for name, value in self._asdict().items() if value}


class S3Store(NamedTuple):
    url: str
    admin: Credentials  # may do anything: sets up the buckets
    reader: Credentials  # s3:ListBucket and s3:GetObject only, as a read-only checker's key should be
    role: Credentials  # temporary credentials of an assumed role, with their session token


def _policy(*actions):
    statement = {"Effect": "Allow", "Action": list(actions), "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _client(service, url, credentials, region=REGION):
    import boto3  # test-only: sets up what the check reads
    from botocore.config import Config

    config = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1})
    return boto3.client(service, endpoint_url=url, region_name=region, config=config,
                        aws_access_key_id=credentials.access_key_id,
                        aws_secret_access_key=credentials.secret_access_key,
                        aws_session_token=credentials.session_token)


def _users(url):
    """The admin, read-only and assumed-role credentials, made by the first (unauthenticated) requests."""
    iam = _client("iam", url, Credentials("AKIAUNAUTHENTICATED0", "setup-before-auth"), region="us-east-1")
    iam.create_user(UserName="admin")
    iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=_policy("s3:*", "iam:*", "sts:*"))
    key = iam.create_access_key(UserName="admin")["AccessKey"]
    admin = Credentials(key["AccessKeyId"], key["SecretAccessKey"])
    iam = _client("iam", url, admin, region="us-east-1")
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=_policy("s3:ListBucket", "s3:GetObject"))
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    reader = Credentials(key["AccessKeyId"], key["SecretAccessKey"])
    anyone = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
    trust = json.dumps({"Version": "2012-10-17", "Statement": [anyone]})
    arn = iam.create_role(RoleName="checker", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName="checker", PolicyName="read", PolicyDocument=_policy("s3:*"))
    assumed = _client("sts", url, admin, region="us-east-1").assume_role(RoleArn=arn, RoleSessionName="golive")
    temporary = assumed["Credentials"]
    role = Credentials(temporary["AccessKeyId"], temporary["SecretAccessKey"], temporary["SessionToken"])
    return admin, reader, role


@contextlib.contextmanager
def s3_store():
    """An S3Store: a moto_server of its own that authenticates requests, stopped afterwards."""
    port = _free_port()
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", INITIAL_NO_AUTH_ACTION_COUNT=str(_SETUP_ACTIONS))
    proc = subprocess.Popen([moto_server_path(), "-H", "127.0.0.1", "-p", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_listening(port, proc)
        url = f"http://127.0.0.1:{port}"
        yield S3Store(url, *_users(url))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def s3_client(store):
    """A boto3 S3 client with the admin's key."""
    return _client("s3", store.url, store.admin)


def make_bucket(client, name, versioning=False, encryption=None, object_lock_days=None):
    """A bucket in REGION; ``encryption`` ('AES256', 'aws:kms') as its default, object lock with a default
    GOVERNANCE retention of ``object_lock_days``."""
    args = dict(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    if object_lock_days:
        args["ObjectLockEnabledForBucket"] = True
    client.create_bucket(**args)
    if versioning:
        client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if encryption:
        client.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": encryption}}]})
    if object_lock_days:
        client.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": object_lock_days}}})


def put(client, bucket, key, size, encryption=None):
    """An object of ``size`` bytes, written now; ``encryption`` asks for server-side encryption of its own."""
    args = dict(Bucket=bucket, Key=key, Body=os.urandom(size))
    if encryption:
        args["ServerSideEncryption"] = encryption
    client.put_object(**args)
