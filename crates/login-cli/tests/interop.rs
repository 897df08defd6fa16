//! Interop with the real peers, all pointed at signin-mock through AWS_ENDPOINT_URL_SIGNIN /
//! AWS_ENDPOINT_URL_STS: botocore (>= 1.41, with `botocore[crt]`) and the JS SDK's
//! `@aws-sdk/credential-provider-login` each resolve and refresh a session whose cache
//! `aws-login` wrote, `aws-login` resolves and refreshes what they wrote, and boto3 / the JS SDK
//! call STS `GetCallerIdentity` with the credentials.
//!
//! The peers come from the environment (`cargo xtask test` installs and sets them):
//! - `AWS_LOGIN_TEST_PYTHON`: a python with `botocore[crt]>=1.41` and `boto3`
//! - `AWS_LOGIN_TEST_NODE_MODULES`: a node_modules with `@aws-sdk/credential-provider-login`
//!   and `@aws-sdk/client-sts`
//!
//! Without them these tests fail (they never pass silently), unless `AWS_LOGIN_SKIP_INTEROP=1`.

#[path = "../../login-io/tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::Output;

use login_core::CacheEntry;
use support::{Sandbox, Session};

const HOW_TO_RUN: &str = "run them through `cargo xtask test` (it installs the peers), or set AWS_LOGIN_TEST_PYTHON \
     (python with botocore[crt]>=1.41 and boto3) and AWS_LOGIN_TEST_NODE_MODULES (node_modules with \
     @aws-sdk/credential-provider-login and @aws-sdk/client-sts); AWS_LOGIN_SKIP_INTEROP=1 skips them explicitly";

/// The peer from `var`, `None` when interop is explicitly skipped; panics with instructions otherwise.
fn peer(var: &str) -> Option<PathBuf> {
    if std::env::var("AWS_LOGIN_SKIP_INTEROP").is_ok_and(|v| v == "1") {
        eprintln!("AWS_LOGIN_SKIP_INTEROP=1: interop test skipped");
        return None;
    }
    match std::env::var_os(var) {
        Some(path) if !path.is_empty() => Some(PathBuf::from(path)),
        _ => panic!("{var} is not set: the interop tests need the real peers; {HOW_TO_RUN}"),
    }
}

fn check(out: &Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn last_json_line(stdout: &str) -> serde_json::Value {
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON in output: {stdout}"));
    serde_json::from_str(line).unwrap()
}

fn cached_key(session: &Session) -> String {
    let entry =
        CacheEntry::from_json(&std::fs::read(&session.cache_file).unwrap()).expect("cache parses");
    entry.access_token.access_key_id
}

/// `aws-login export-credentials` refreshes the (expiring) session and prints the new key.
fn aws_login_refreshes(sandbox: &Sandbox, session: &Session) -> String {
    let before = sandbox.refresh_calls();
    sandbox.set_seconds_left(session, 60);
    let out = sandbox
        .command(env!("CARGO_BIN_EXE_aws-login"))
        .args(["export-credentials", "--profile", &session.profile])
        .output()
        .unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&check(&out, "aws-login export-credentials")).unwrap();
    assert_eq!(sandbox.refresh_calls(), before + 1, "aws-login refreshed");
    let key = json["AccessKeyId"].as_str().unwrap().to_string();
    assert_eq!(key, cached_key(session), "aws-login wrote what it printed");
    key
}

const BOTOCORE_SCRIPT: &str = r#"
import json, sys
import botocore, botocore.session, boto3
session = botocore.session.Session(profile="dev")
creds = session.get_credentials()
if creds is None:
    sys.exit("botocore found no credentials")
frozen = creds.get_frozen_credentials()
sts = boto3.Session(botocore_session=session).client("sts", region_name="us-east-1")
ident = sts.get_caller_identity()
print(json.dumps({"botocore": botocore.__version__, "method": creds.method, "access_key": frozen.access_key,
                  "arn": ident["Arn"], "account": ident["Account"]}))
"#;

#[test]
fn botocore_and_aws_login_refresh_each_others_sessions() {
    let Some(python) = peer("AWS_LOGIN_TEST_PYTHON") else {
        return;
    };
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");

    // 1. aws-login refreshes; botocore then refreshes the file aws-login wrote.
    let ours = aws_login_refreshes(&sandbox, &session);
    sandbox.set_seconds_left(&session, 60);
    let before = sandbox.refresh_calls();
    let out = sandbox
        .command(&python)
        .args(["-c", BOTOCORE_SCRIPT])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    let result = last_json_line(&check(&out, "botocore resolve"));
    assert_eq!(
        result["method"], "login",
        "botocore used its login provider: {result}"
    );
    assert_eq!(
        sandbox.refresh_calls(),
        before + 1,
        "botocore refreshed the session aws-login wrote: {result}"
    );
    let theirs = result["access_key"].as_str().unwrap().to_string();
    assert_ne!(theirs, ours);
    assert_eq!(
        theirs,
        cached_key(&session),
        "botocore wrote its refresh back"
    );
    assert_eq!(
        result["arn"],
        support::ALICE_ARN,
        "GetCallerIdentity on signin-mock's STS: {result}"
    );
    assert_eq!(result["account"], "111122223333");

    // 2. aws-login refreshes the file botocore wrote; botocore then uses it without a refresh.
    let ours_again = aws_login_refreshes(&sandbox, &session);
    assert_ne!(ours_again, theirs);
    let before = sandbox.refresh_calls();
    let out = sandbox
        .command(&python)
        .args(["-c", BOTOCORE_SCRIPT])
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .output()
        .unwrap();
    let result = last_json_line(&check(&out, "botocore resolve"));
    assert_eq!(
        result["access_key"],
        ours_again.as_str(),
        "botocore read what aws-login wrote"
    );
    assert_eq!(
        sandbox.refresh_calls(),
        before,
        "a fresh file needs no refresh"
    );
}

const NODE_SCRIPT: &str = r#"
const { fromLoginCredentials } = require("@aws-sdk/credential-provider-login");
const { STSClient, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");
(async () => {
  const provider = fromLoginCredentials({ profile: "dev" });
  const creds = await provider();
  const sts = new STSClient({ region: "us-east-1", credentials: provider });
  const id = await sts.send(new GetCallerIdentityCommand({}));
  console.log(JSON.stringify({ accessKeyId: creds.accessKeyId, arn: id.Arn, account: id.Account }));
})().catch((e) => { console.error(e); process.exit(1); });
"#;

#[test]
fn js_sdk_and_aws_login_refresh_each_others_sessions() {
    let Some(node_modules) = peer("AWS_LOGIN_TEST_NODE_MODULES") else {
        return;
    };
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    let node = |sandbox: &Sandbox| {
        sandbox
            .command("node")
            .args(["-e", NODE_SCRIPT])
            .env("NODE_PATH", &node_modules)
            .output()
            .expect("node runs")
    };

    let ours = aws_login_refreshes(&sandbox, &session);
    sandbox.set_seconds_left(&session, 60);
    let before = sandbox.refresh_calls();
    let result = last_json_line(&check(&node(&sandbox), "JS SDK resolve"));
    assert_eq!(
        sandbox.refresh_calls(),
        before + 1,
        "the JS SDK refreshed the session aws-login wrote: {result}"
    );
    let theirs = result["accessKeyId"].as_str().unwrap().to_string();
    assert_ne!(theirs, ours);
    assert_eq!(
        theirs,
        cached_key(&session),
        "the JS SDK wrote its refresh back"
    );
    assert_eq!(
        result["arn"],
        support::ALICE_ARN,
        "GetCallerIdentity on signin-mock's STS: {result}"
    );
    assert_eq!(result["account"], "111122223333");

    // The JS SDK writes pretty JSON with millisecond times; aws-login reads and refreshes it.
    let ours_again = aws_login_refreshes(&sandbox, &session);
    let before = sandbox.refresh_calls();
    let result = last_json_line(&check(&node(&sandbox), "JS SDK resolve"));
    assert_eq!(
        result["accessKeyId"],
        ours_again.as_str(),
        "the JS SDK read what aws-login wrote"
    );
    assert_eq!(
        sandbox.refresh_calls(),
        before,
        "a fresh file needs no refresh"
    );
}
