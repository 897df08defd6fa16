//! `aws-login exec` serves a role profile (`role_arn` + `source_profile` on a login profile)
//! through the same chain every other command uses: the child's SDK gets the role's
//! credentials, and the server never learns what kind of profile it was.

#[path = "../../login-io/tests/support/mod.rs"]
mod support;

use std::process::Stdio;

use support::Sandbox;

const AWS_LOGIN: &str = env!("CARGO_BIN_EXE_aws-login");
const DEPLOY: &str = "arn:aws:iam::111122223333:role/Deploy";

const FETCH: &str = r#"
import json, os, urllib.request
request = urllib.request.Request(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
                                 headers={"Authorization": os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]})
with urllib.request.urlopen(request, timeout=30) as r:
    print(json.dumps(json.loads(r.read())))
"#;

#[test]
fn exec_serves_a_role_profile_on_a_login_profile() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    sandbox.add_profile(
        "deploy",
        &[
            ("role_arn", DEPLOY),
            ("source_profile", "dev"),
            ("region", "eu-west-1"),
        ],
    );
    let out = sandbox
        .command(AWS_LOGIN)
        .args(["exec", "--profile", "deploy", "--", "python3", "-c", FETCH])
        .env_remove("AWS_REGION")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let login_key = sandbox.read_cache(&session)["accessToken"]["accessKeyId"].clone();
    assert!(
        body["AccessKeyId"].as_str().unwrap().starts_with("ASIA"),
        "{body}"
    );
    assert_ne!(
        body["AccessKeyId"], login_key,
        "the role's credentials, not the login's"
    );
    assert_eq!(body["AccountId"], "111122223333");
    let stats = serde_json::to_value(sandbox.mock.stats()).unwrap();
    assert_eq!(stats["sts"]["AssumeRole"]["ok"], 1, "{stats}");
}

#[test]
fn login_signs_in_to_the_login_profile_under_the_role() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    std::fs::remove_file(&session.cache_file).unwrap(); // logged out
    sandbox.add_profile("deploy", &[("role_arn", DEPLOY), ("source_profile", "dev")]);
    sandbox.mock.set_auto_approve(Some("alice")).unwrap();
    let fetch = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/support/browser-driver/fetch.js"
    );
    let out = sandbox
        .command(AWS_LOGIN)
        .args([
            "exec",
            "--profile",
            "deploy",
            "--login",
            "--",
            "python3",
            "-c",
            FETCH,
        ])
        .env("BROWSER", format!("node {fetch} %s"))
        .env(
            "AWS_LOGIN_DRIVER_LOG",
            sandbox.dir.path().join("browser.log"),
        )
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("Updated profile dev"),
        "signed in to the login profile: {stderr}"
    );
    let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let login_key = sandbox.read_cache(&session)["accessToken"]["accessKeyId"].clone();
    assert_ne!(body["AccessKeyId"], login_key, "the role's credentials");
    assert!(session.cache_file.exists());
}
