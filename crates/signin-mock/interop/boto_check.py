"""Interop check: real boto3/botocore against signin-mock.

Run by crates/signin-mock/tests/interop.rs with the environment it prepares
(AWS_CONFIG_FILE, AWS_LOGIN_CACHE_DIRECTORY, AWS_ENDPOINT_URL_SIGNIN/STS, MOCK_BASE,
INTEROP_DIR). Usage: python boto_check.py {login|static|retry|revoked}

- login:   botocore >= 1.41's LoginProvider refreshes against /v1/token (DPoP), then STS
           GetCallerIdentity and AssumeRole (role profile with source_profile = login profile).
- static:  what every boto3 (old too) does: explicit credentials and a credential_process
           source profile, GetCallerIdentity and AssumeRole; tampered credentials fail.
- retry:   the LoginProvider's refresh gets through an injected 500 and a dropped connection;
           a 429 surfaces as TooManyRequestsError.
- revoked: after the admin marks alice's password changed, the LoginProvider's refresh fails
           with botocore's LoginRefreshRequired (USER_CREDENTIALS_CHANGED is understood).
- mfa:     a role profile with mfa_serial over the credential_process profile: botocore's
           AssumeRoleProvider asks "Enter MFA code for <serial>: " (answered with the TOTP of the
           documented test secret), AssumeRole with SerialNumber + TokenCode succeeds; the same
           code again is refused as STS refuses a replay; without MFA the role refuses.
"""
import datetime
import json
import os
import sys
import urllib.request

import boto3
import botocore
import botocore.session
from botocore.exceptions import ClientError

BASE = os.environ["MOCK_BASE"]
DIR = os.environ["INTEROP_DIR"]
ALICE = "arn:aws:iam::111122223333:user/alice"
DEPLOY = "arn:aws:iam::111122223333:role/Deploy"


def say(message):
    print(f"PASS [{botocore.__version__}]: {message}", flush=True)


def admin(path, method="GET", body=None):
    data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
    request = urllib.request.Request(f"{BASE}/__admin/{path}", method=method, data=data,
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def cache_file():
    import hashlib
    name = hashlib.sha256(ALICE.encode()).hexdigest() + ".json"
    return os.path.join(os.environ["AWS_LOGIN_CACHE_DIRECTORY"], name)


def expect_error(call, codes, what):
    try:
        call()
    except ClientError as error:
        code = error.response["Error"]["Code"]
        assert code in codes, f"{what}: got {code}, expected one of {codes}"
        say(f"{what} refused with {code}")
        return
    raise AssertionError(f"{what}: call succeeded but must fail")


def tampered_checks(good):
    def client(**overrides):
        creds = dict(good, **overrides)
        return boto3.client(
            "sts",
            region_name="us-east-1",
            aws_access_key_id=creds["key"],
            aws_secret_access_key=creds["secret"],
            aws_session_token=creds["token"],
        )

    flipped = ("A" if good["secret"][0] != "A" else "B") + good["secret"][1:]
    expect_error(lambda: client(secret=flipped).get_caller_identity(), {"SignatureDoesNotMatch"}, "tampered secret")
    expect_error(lambda: client(key="ASIAAAAAAAAAAAAAAAAA").get_caller_identity(), {"InvalidClientTokenId"}, "unknown access key id")
    expect_error(lambda: client(token=good["token"][:-4] + "AAAA").get_caller_identity(), {"InvalidClientTokenId"}, "tampered session token")


def login_step():
    before = admin("stats")["token"].get("refresh_token", {}).get("ok", 0)
    old = json.load(open(cache_file()))
    session = boto3.Session(profile_name="login")
    identity = session.client("sts").get_caller_identity()
    assert identity["Arn"] == ALICE, identity
    assert identity["Account"] == "111122223333", identity
    say(f"LoginProvider: get_caller_identity -> {identity['Arn']}")
    after = admin("stats")["token"].get("refresh_token", {}).get("ok", 0)
    assert after == before + 1, f"expected exactly one refresh, saw {after - before}"
    new = json.load(open(cache_file()))
    assert new["refreshToken"] != old["refreshToken"], "refresh token must rotate in the cache"
    assert new["accessToken"]["accessKeyId"] != old["accessToken"]["accessKeyId"]
    expires = datetime.datetime.strptime(new["accessToken"]["expiresAt"], "%Y-%m-%dT%H:%M:%SZ")
    assert expires > datetime.datetime.utcnow(), new["accessToken"]["expiresAt"]
    assert new["dpopKey"] == old["dpopKey"] and new["idToken"] == old["idToken"], "other fields kept"
    say("LoginProvider refreshed exactly once against /v1/token (DPoP) and rewrote the cache")

    deploy = boto3.Session(profile_name="deploy").client("sts").get_caller_identity()
    assert deploy["Arn"].startswith("arn:aws:sts::111122223333:assumed-role/Deploy/"), deploy
    say(f"AssumeRole via source_profile=login -> {deploy['Arn']}")

    creds = session.get_credentials().get_frozen_credentials()
    tampered_checks({"key": creds.access_key, "secret": creds.secret_key, "token": creds.token})


def static_step():
    process = json.load(open(os.path.join(DIR, "process.json")))
    good = {"key": process["AccessKeyId"], "secret": process["SecretAccessKey"], "token": process["SessionToken"]}
    sts = boto3.client("sts", region_name="us-east-1", aws_access_key_id=good["key"],
                       aws_secret_access_key=good["secret"], aws_session_token=good["token"])
    identity = sts.get_caller_identity()
    assert identity["Arn"] == ALICE, identity
    say(f"explicit credentials: get_caller_identity -> {identity['Arn']}")
    role = sts.assume_role(RoleArn=DEPLOY, RoleSessionName="interop", DurationSeconds=900)
    assert role["AssumedRoleUser"]["Arn"] == "arn:aws:sts::111122223333:assumed-role/Deploy/interop", role
    assert isinstance(role["Credentials"]["Expiration"], datetime.datetime)
    as_role = boto3.client("sts", region_name="us-east-1",
                           aws_access_key_id=role["Credentials"]["AccessKeyId"],
                           aws_secret_access_key=role["Credentials"]["SecretAccessKey"],
                           aws_session_token=role["Credentials"]["SessionToken"]).get_caller_identity()
    assert as_role["Arn"] == role["AssumedRoleUser"]["Arn"], as_role
    say("assume_role, then get_caller_identity as the role")
    expect_error(lambda: sts.assume_role(RoleArn="arn:aws:iam::111122223333:role/Nope", RoleSessionName="x1"),
                 {"AccessDenied"}, "assume_role of an unknown role")

    via_process = boto3.Session(profile_name="deploy-process").client("sts").get_caller_identity()
    assert via_process["Arn"].startswith("arn:aws:sts::111122223333:assumed-role/Deploy/"), via_process
    say(f"role profile with a credential_process source_profile -> {via_process['Arn']}")
    tampered_checks(good)


def expire_cached_access_token():
    entry = json.load(open(cache_file()))
    past = datetime.datetime.utcnow() - datetime.timedelta(minutes=1)
    entry["accessToken"]["expiresAt"] = past.strftime("%Y-%m-%dT%H:%M:%SZ")
    json.dump(entry, open(cache_file(), "w"))


def retry_step():
    """botocore's retries on the refresh call: a 500 and a dropped connection are retried (with
    the same DPoP proof: the before-call hook runs once per API call, not per attempt); a 429
    (TooManyRequestsError) is not retried and surfaces as a ClientError."""
    for fault, kind in (({"error_status": 500, "error_count": 1}, "status_500"), ({"drop_count": 1}, "drop")):
        expire_cached_access_token()
        before = admin("stats")
        admin("faults", method="POST", body=fault)
        identity = boto3.Session(profile_name="login").client("sts").get_caller_identity()
        assert identity["Arn"] == ALICE, identity
        after = admin("stats")
        injected = after["faults"].get(kind, 0) - before["faults"].get(kind, 0)
        refreshed = after["token"]["refresh_token"]["ok"] - before["token"]["refresh_token"]["ok"]
        assert (injected, refreshed) == (1, 1), (injected, refreshed)
        say(f"LoginProvider refresh survived one injected {kind} by retrying")

    expire_cached_access_token()
    admin("faults", method="POST", body={"error_status": 429, "error_count": 1})
    try:
        boto3.Session(profile_name="login").client("sts").get_caller_identity()
        raise AssertionError("a throttled refresh must surface")
    except ClientError as error:
        assert error.response["Error"]["Code"] == "TooManyRequestsError", error.response
        say("a 429 on refresh is not retried by botocore: TooManyRequestsError surfaces")
    identity = boto3.Session(profile_name="login").client("sts").get_caller_identity()
    assert identity["Arn"] == ALICE, identity
    say("the next call refreshes normally")
    admin("faults", method="DELETE")


def revoked_step():
    admin("principals/alice/password-changed", method="POST")
    try:
        boto3.Session(profile_name="login").client("sts").get_caller_identity()
    except Exception as error:  # botocore.exceptions.LoginRefreshRequired
        name = type(error).__name__
        assert name == "LoginRefreshRequired", f"{name}: {error}"
        say(f"after a password change the refresh fails with {name}: {error}")
        return
    raise AssertionError("refresh after a password change must fail")


def totp(secret, at=None):
    """RFC 6238 TOTP, HMAC-SHA256, 30 s, 6 digits: the mock's virtual MFA devices (its README)."""
    import hashlib
    import hmac
    import struct
    import time
    digest = hmac.new(secret.encode(), struct.pack(">Q", int(at or time.time()) // 30), hashlib.sha256).digest()
    offset = digest[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000)


def mfa_step():
    serial = "arn:aws:iam::111122223333:mfa/alice"
    role = "arn:aws:iam::111122223333:role/MfaDeploy"
    import time
    offset = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    code = totp("signin-mock-alice-totp", time.time() + offset)
    prompts = []

    def session_answering(answer):
        session = botocore.session.Session(profile="mfa")
        provider = session.get_component("credential_provider").get_provider("assume-role")
        provider._prompter = lambda prompt: prompts.append(prompt) or answer
        return boto3.Session(botocore_session=session)

    before = admin("stats").get("assume_role", {}).get(role, {}).get("ok", 0)
    identity = session_answering(code).client("sts").get_caller_identity()
    assert identity["Arn"].startswith("arn:aws:sts::111122223333:assumed-role/MfaDeploy/"), identity
    assert prompts == [f"Enter MFA code for {serial}: "], prompts
    after = admin("stats")["assume_role"][role]["ok"]
    assert after == before + 1, (before, after)
    say(f"AssumeRoleProvider with mfa_serial: prompted once, AssumeRole -> {identity['Arn']}")

    try:
        session_answering(code).client("sts").get_caller_identity()
        raise AssertionError("a replayed MFA code must be refused")
    except ClientError as error:
        assert error.response["Error"]["Code"] == "AccessDenied", error.response
        message = error.response["Error"]["Message"]
        assert message == "MultiFactorAuthentication failed with invalid MFA one time pass code.", message
        say(f"the same code again: AccessDenied: {message}")

    process = json.load(open(os.path.join(DIR, "process.json")))
    sts = boto3.client("sts", region_name="us-east-1", aws_access_key_id=process["AccessKeyId"],
                       aws_secret_access_key=process["SecretAccessKey"], aws_session_token=process["SessionToken"])
    expect_error(lambda: sts.assume_role(RoleArn=role, RoleSessionName="no-mfa"), {"AccessDenied"},
                 "assume_role of an MFA role without MFA")


if __name__ == "__main__":
    step = sys.argv[1]
    {"login": login_step, "static": static_step, "retry": retry_step, "revoked": revoked_step, "mfa": mfa_step}[step]()
