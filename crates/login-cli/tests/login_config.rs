//! What `aws-login login` does to ~/.aws/config, byte for byte: a missing file, an empty one,
//! CRLF line endings, no trailing newline, comments, sub-properties, other sections, an existing
//! or different `login_session`, `[profile default]`, and profiles that hold other credential
//! styles. Logins here are auto-approved by signin-mock and "browsed" by a redirect follower, so
//! they exercise the real callback server and token exchange without Chromium.

mod login_support;
#[path = "../../login-io/tests/support/mod.rs"]
mod support;

use std::process::Output;

use login_support::*;
use support::{Sandbox, ALICE_ARN};

const ADMIN_ARN: &str = "arn:aws:sts::111122223333:assumed-role/Admin/alice";

fn login(sandbox: &Sandbox, identity: &str, args: &[&str]) -> Output {
    sandbox.mock.set_auto_approve(Some(identity)).unwrap();
    let out = with_fetch_browser(&mut aws_login(sandbox), sandbox)
        .arg("login")
        .args(args)
        .output()
        .unwrap();
    sandbox.mock.set_auto_approve(None).unwrap();
    out
}

/// Logs alice in to `profile` over `before` and returns the file afterwards.
fn login_over(before: &str, profile: &str) -> String {
    let sandbox = Sandbox::new();
    std::fs::write(&sandbox.config_file, before).unwrap();
    let out = login(&sandbox, "alice", &["--profile", profile]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::read_to_string(&sandbox.config_file).unwrap()
}

#[test]
fn a_missing_file_and_directory_are_created() {
    let sandbox = Sandbox::new();
    std::fs::remove_dir_all(sandbox.config_file.parent().unwrap()).unwrap();
    let out = login(&sandbox, "alice", &["--profile", "dev"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with(&format!("Created {}.\n", sandbox.config_file.display())),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(
        std::fs::read_to_string(&sandbox.config_file).unwrap(),
        format!("[profile dev]\nlogin_session = {ALICE_ARN}\nregion = us-east-1\n")
    );
    assert!(cache_file(&sandbox, ALICE_ARN).exists());
    assert_eq!(browser_records(&sandbox, 1)[0]["status"], 200);
}

#[test]
fn an_empty_file_gets_the_profile() {
    assert_eq!(
        login_over("", "default"),
        format!("[default]\nlogin_session = {ALICE_ARN}\nregion = us-east-1\n")
    );
}

#[test]
fn crlf_files_stay_crlf_and_other_bytes_stay_put() {
    let before = "[default]\r\nregion = eu-west-1\r\n\r\n[profile other]\r\noutput = json\r\n";
    assert_eq!(
        login_over(before, "other"),
        format!("{before}login_session = {ALICE_ARN}\r\nregion = us-east-1\r\n")
    );
    let before = "[default]\r\nregion = eu-west-1\r\n";
    assert_eq!(
        login_over(before, "dev"),
        format!("{before}[profile dev]\r\nlogin_session = {ALICE_ARN}\r\nregion = us-east-1\r\n")
    );
}

#[test]
fn a_file_without_a_trailing_newline() {
    let after = login_over("[profile dev]\nregion = eu-west-1", "dev");
    assert_eq!(
        after,
        format!("[profile dev]\nregion = eu-west-1\nlogin_session = {ALICE_ARN}\n")
    );
    let after = login_over("[profile a]\noutput = json", "b");
    assert_eq!(after, format!("[profile a]\noutput = json\n[profile b]\nlogin_session = {ALICE_ARN}\nregion = us-east-1\n"));
}

#[test]
fn comments_sub_properties_and_other_sections_are_kept() {
    let before = "# Company settings; do not edit by hand\n\
                  [profile dev]   \n\
                  ; region for dev\n\
                  region = eu-west-1  \n\
                  s3 =\n    max_concurrent_requests = 20\n    addressing_style = path\n\
                  \n\
                  [sso-session corp]\n\
                  sso_start_url = https://corp.awsapps.com/start\n\
                  sso_region = us-east-1\n\
                  # trailing comment\n";
    let after = login_over(before, "dev");
    let expected = before.replace(
        "    addressing_style = path\n",
        &format!("    addressing_style = path\nlogin_session = {ALICE_ARN}\n"),
    );
    assert_eq!(after, expected);
}

#[test]
fn profile_default_spelled_as_a_profile_section_is_the_default_profile() {
    let before = "[profile default]\noutput = json\n";
    assert_eq!(
        login_over(before, "default"),
        format!("{before}login_session = {ALICE_ARN}\nregion = us-east-1\n")
    );
}

#[test]
fn logging_in_again_as_the_same_session_changes_no_byte() {
    let before =
        format!("# keep\n[profile dev]\nregion = eu-west-1\nlogin_session = {ALICE_ARN}\n");
    assert_eq!(login_over(&before, "dev"), before);
}

#[test]
fn a_different_session_is_replaced_only_when_confirmed() {
    let sandbox = Sandbox::new();
    let before = format!("[profile dev]\nlogin_session  =  {ALICE_ARN}\nregion = eu-west-1\n");
    std::fs::write(&sandbox.config_file, &before).unwrap();
    let out = login(&sandbox, "admin", &["--profile", "dev"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "Profile 'dev' is logged in as {ALICE_ARN}, but you signed in as {ADMIN_ARN}"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("--yes"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&sandbox.config_file).unwrap(),
        before
    );
    assert!(
        !cache_file(&sandbox, ADMIN_ARN).exists(),
        "nothing saved without consent"
    );

    let out = login(&sandbox, "admin", &["--profile", "dev", "--yes"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(&sandbox.config_file).unwrap(),
        format!("[profile dev]\nlogin_session  =  {ADMIN_ARN}\nregion = eu-west-1\n")
    );
    assert!(cache_file(&sandbox, ADMIN_ARN).exists());
}

#[test]
fn profiles_with_other_credential_styles_are_refused_before_any_browser() {
    let styles = [
        (
            "web_identity_token_file = /tmp/token\nrole_arn = arn:aws:iam::1:role/r",
            "Web Identity",
        ),
        (
            "sso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Admin",
            "SSO",
        ),
        ("sso_role_name = Admin", "SSO"),
        (
            "aws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x",
            "Access Key",
        ),
        (
            "role_arn = arn:aws:iam::1:role/r\nsource_profile = base",
            "Assume Role",
        ),
        ("credential_process = /bin/get-creds", "Credential Process"),
    ];
    for (keys, style) in styles {
        let sandbox = Sandbox::new();
        let before = format!("[profile work]\n{keys}\n");
        std::fs::write(&sandbox.config_file, &before).unwrap();
        let out = login(&sandbox, "alice", &["--profile", "work"]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{style}: {stderr}");
        assert!(
            stderr.contains(&format!("already uses {style} credentials")),
            "{style}: {stderr}"
        );
        assert!(stderr.contains("--profile work-login"), "{style}: {stderr}");
        assert_eq!(
            std::fs::read_to_string(&sandbox.config_file).unwrap(),
            before,
            "{style}"
        );
        assert!(
            browser_records(&sandbox, 0).is_empty(),
            "{style}: no browser was opened"
        );
    }
}

#[test]
fn the_region_passed_with_the_option_is_saved_and_an_existing_one_kept() {
    let sandbox = Sandbox::new();
    let out = login(
        &sandbox,
        "alice",
        &["--profile", "dev", "--region", "eu-central-1"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(&sandbox.config_file).unwrap(),
        format!("[profile dev]\nlogin_session = {ALICE_ARN}\nregion = eu-central-1\n")
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cache_file(&sandbox, ALICE_ARN)).unwrap()).unwrap();
    assert_eq!(json["signInRegion"], "eu-central-1");
    // A profile's own region is never overwritten by --region.
    let before = "[profile eu]\nregion = eu-west-1\n";
    std::fs::write(&sandbox.config_file, before).unwrap();
    let out = login(
        &sandbox,
        "alice",
        &["--profile", "eu", "--region", "us-west-2"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(&sandbox.config_file).unwrap(),
        format!("{before}login_session = {ALICE_ARN}\n")
    );
}

#[test]
fn network_failures_and_service_faults_at_the_token_endpoint_say_what_happened() {
    use signin_mock::{FaultPlan, FaultTarget};
    // Every attempt's connection is dropped: a network failure, named as one, nothing saved.
    let sandbox = Sandbox::new();
    let before = std::fs::read(&sandbox.config_file).unwrap();
    sandbox
        .mock
        .set_faults(FaultPlan {
            target: FaultTarget::Token,
            drop_count: 10,
            ..FaultPlan::default()
        })
        .unwrap();
    let out = login(&sandbox, "alice", &["--profile", "dev"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(
        stderr.contains("Could not reach the AWS Sign-In service"),
        "{stderr}"
    );
    assert!(stderr.contains("127.0.0.1"), "the host is named: {stderr}");
    assert_eq!(std::fs::read(&sandbox.config_file).unwrap(), before);
    assert!(no_session_files(&sandbox));
    let records = browser_records(&sandbox, 1);
    assert!(
        records[0]["text"]
            .as_str()
            .unwrap()
            .contains("Could not reach AWS Sign-In"),
        "{}",
        records[0]
    );

    // One 500 is retried with a fresh DPoP proof and the login still succeeds.
    let sandbox = Sandbox::new();
    sandbox
        .mock
        .set_faults(FaultPlan {
            target: FaultTarget::Token,
            error_status: Some(500),
            error_count: 1,
            ..FaultPlan::default()
        })
        .unwrap();
    let out = login(&sandbox, "alice", &["--profile", "dev"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(cache_file(&sandbox, ALICE_ARN).exists());
}
