"""Interop check: real botocore (current and 1.40.76) against signin-mock's IAM Identity Center.

Run by crates/signin-mock/tests/interop.rs (sso_peers_against_the_mock) with HOME, AWS_CONFIG_FILE,
AWS_ENDPOINT_URL_SSO_OIDC, AWS_ENDPOINT_URL_SSO and AWS_ENDPOINT_URL_STS all pointing at the one mock
base URL (MOCK_BASE). It:

1. drives the `sso-oidc` client through the device flow: RegisterClient, StartDeviceAuthorization,
   CreateToken answered with the modeled AuthorizationPendingException, approval through the admin
   API, then CreateToken with a token and a refresh token;
2. pages the `sso` client's ListAccounts / ListAccountRoles paginators one item per page, and sees
   ForbiddenException (unmodeled) and UnauthorizedException (modeled) as botocore reads them;
3. writes the token cache for an sso-session profile as `aws sso login` does, with the access token
   about to expire, and lets botocore's SSOTokenProvider refresh it (CreateToken refresh_token) and
   its SSOProvider call GetRoleCredentials; the credentials then pass STS GetCallerIdentity (SigV4);
4. logs out, after which the portal refuses the token.
"""
import datetime
import hashlib
import json
import os
import urllib.request

import boto3
import botocore
import botocore.session
from botocore.exceptions import ClientError

BASE = os.environ["MOCK_BASE"]
HOME = os.environ["HOME"]
START_URL = "https://d-1234567890.awsapps.com/start"
SESSION = "my-sso"


def say(message):
    print(f"PASS [{botocore.__version__}]: {message}", flush=True)


def admin(path, method="GET", body=None):
    data = json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None)
    request = urllib.request.Request(f"{BASE}/__admin/{path}", method=method, data=data,
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def stat(section, key, outcome="ok"):
    return int(admin("stats").get(section, {}).get(key, {}).get(outcome, 0))


def utc(seconds_from_now):
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds_from_now)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    session = boto3.session.Session(region_name="us-east-1")
    oidc = session.client("sso-oidc")
    portal = session.client("sso")

    # 1. Device flow.
    registration = oidc.register_client(clientName=f"botocore-client-{SESSION}", clientType="public",
                                        scopes=["sso:account:access"])
    device = oidc.start_device_authorization(clientId=registration["clientId"],
                                             clientSecret=registration["clientSecret"],
                                             startUrl=START_URL)
    assert device["verificationUriComplete"].endswith(device["userCode"]), device
    try:
        oidc.create_token(grantType="urn:ietf:params:oauth:grant-type:device_code",
                          clientId=registration["clientId"], clientSecret=registration["clientSecret"],
                          deviceCode=device["deviceCode"])
        raise AssertionError("CreateToken must be pending before approval")
    except oidc.exceptions.AuthorizationPendingException as error:
        assert error.response["Error"]["Code"] == "AuthorizationPendingException"
        say("CreateToken before approval raises the modeled AuthorizationPendingException")
    admin("sso/device/approve", "POST", {"user_code": device["userCode"], "user": "alice"})
    import time
    time.sleep(1.1)
    token = oidc.create_token(grantType="urn:ietf:params:oauth:grant-type:device_code",
                              clientId=registration["clientId"], clientSecret=registration["clientSecret"],
                              deviceCode=device["deviceCode"])
    assert token["tokenType"] == "Bearer" and token["refreshToken"], token
    say("device flow: token and refresh token after approval")
    try:
        oidc.create_token(grantType="urn:ietf:params:oauth:grant-type:device_code",
                          clientId=registration["clientId"], clientSecret=registration["clientSecret"],
                          deviceCode=device["deviceCode"])
        raise AssertionError("a redeemed device code must be refused")
    except oidc.exceptions.InvalidGrantException:
        say("a redeemed device code raises InvalidGrantException")

    # 2. Portal through botocore's paginators, one item per page.
    access = token["accessToken"]
    accounts = [a for page in portal.get_paginator("list_accounts").paginate(
        accessToken=access, PaginationConfig={"PageSize": 1}) for a in page["accountList"]]
    assert [a["accountId"] for a in accounts] == ["111122223333", "444455556666"], accounts
    roles = [r["roleName"] for page in portal.get_paginator("list_account_roles").paginate(
        accessToken=access, accountId="111122223333", PaginationConfig={"PageSize": 1})
        for r in page["roleList"]]
    assert roles == ["AdministratorAccess", "ReadOnly"], roles
    say("ListAccounts / ListAccountRoles paginate through nextToken")
    try:
        portal.get_role_credentials(accessToken=access, accountId="111122223333", roleName="Nope")
        raise AssertionError("an unassigned role must be refused")
    except ClientError as error:
        assert error.response["Error"]["Code"] == "ForbiddenException", error.response
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        say("an unassigned role is ForbiddenException: No access")
    try:
        portal.list_accounts(accessToken="aoa-not-a-token")
        raise AssertionError("a bad token must be refused")
    except portal.exceptions.UnauthorizedException:
        say("a bad token raises the modeled UnauthorizedException")

    # 3. The SDK chain: an sso-session profile with a cached token that needs a refresh.
    config = os.environ["AWS_CONFIG_FILE"]
    with open(config, "w") as f:
        f.write(f"[profile dev]\nsso_session = {SESSION}\nsso_account_id = 444455556666\n"
                f"sso_role_name = Deploy\nregion = us-east-1\n\n"
                f"[sso-session {SESSION}]\nsso_start_url = {START_URL}\nsso_region = us-east-1\n"
                f"sso_registration_scopes = sso:account:access\n")
    cache_dir = os.path.join(HOME, ".aws", "sso", "cache")
    os.makedirs(cache_dir, exist_ok=True)
    cache_path = os.path.join(cache_dir, hashlib.sha1(SESSION.encode()).hexdigest() + ".json")
    registration_expires = datetime.datetime.fromtimestamp(
        registration["clientSecretExpiresAt"], datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with open(cache_path, "w") as f:
        json.dump({"startUrl": START_URL, "region": "us-east-1", "accessToken": access,
                   "expiresAt": utc(120), "clientId": registration["clientId"],
                   "clientSecret": registration["clientSecret"],
                   "registrationExpiresAt": registration_expires,
                   "refreshToken": token["refreshToken"]}, f)
    refreshes = stat("sso_token", "refresh_token")
    role_calls = stat("sso_portal", "GetRoleCredentials")
    dev = boto3.session.Session(profile_name="dev")
    identity = dev.client("sts").get_caller_identity()
    assert identity["Account"] == "444455556666", identity
    assert "/AWSReservedSSO_Deploy_" in identity["Arn"] and identity["Arn"].endswith("/alice"), identity
    assert stat("sso_token", "refresh_token") == refreshes + 1, admin("stats")
    assert stat("sso_portal", "GetRoleCredentials") == role_calls + 1, admin("stats")
    with open(cache_path) as f:
        written = json.load(f)
    assert written["accessToken"] != access and written["refreshToken"] != token["refreshToken"], written
    say("SSOTokenProvider refreshed once, SSOProvider got role credentials, STS accepted them: "
        + identity["Arn"])

    # 4. Logout: the refreshed token stops working.
    portal.logout(accessToken=written["accessToken"])
    try:
        portal.list_accounts(accessToken=written["accessToken"])
        raise AssertionError("a logged-out token must be refused")
    except portal.exceptions.UnauthorizedException:
        say("Logout ends the sign-in")


if __name__ == "__main__":
    main()
