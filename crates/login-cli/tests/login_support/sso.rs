//! Helpers of the IAM Identity Center end-to-end tests: `aws-login` pointed at signin-mock's
//! OIDC service and portal, headless Chromium on the PKCE sign-in page, the device flow
//! auto-approved, and the token cache of the `my-sso` session the tests configure.

use super::*;

pub const SSO_DRIVER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/support/browser-driver/sso-driver.js"
);
pub const START_URL: &str = signin_mock::DEFAULT_SSO_START_URL;

/// Points `command` at the mock's OIDC service and portal, outside SSH (where PKCE would
/// refuse to wait for a browser).
pub fn with_sso_endpoints<'c>(command: &'c mut Command, sandbox: &Sandbox) -> &'c mut Command {
    command
        .env("AWS_ENDPOINT_URL_SSO_OIDC", sandbox.base_url())
        .env("AWS_ENDPOINT_URL_SSO", sandbox.base_url())
        .env_remove("SSH_CONNECTION")
        .env_remove("SSH_CLIENT")
        .env_remove("SSH_TTY")
}

/// `aws-login` with the SSO endpoints pointed at the mock.
pub fn sso_cli(sandbox: &Sandbox) -> Command {
    let mut command = aws_login(sandbox);
    with_sso_endpoints(&mut command, sandbox);
    command
}

/// Headless Chromium as `$BROWSER`, signing in as alice and answering `decision` (`allow` or
/// `deny`); `forge` first sends a callback with a forged state.
pub fn with_sso_chromium<'c>(
    command: &'c mut Command,
    sandbox: &Sandbox,
    peers: &Peers,
    decision: &str,
    forge: bool,
) -> &'c mut Command {
    command
        .env("BROWSER", format!("node {SSO_DRIVER} %s"))
        .env("AWS_LOGIN_TEST_NODE_MODULES", &peers.node_modules)
        .env("AWS_LOGIN_TEST_CHROMIUM", &peers.chromium)
        .env("AWS_LOGIN_DRIVER_IDENTITY", "alice")
        .env("AWS_LOGIN_DRIVER_DECISION", decision)
        .env(
            "AWS_LOGIN_DRIVER_FORGE_STATE",
            if forge { "1" } else { "0" },
        )
        .env("AWS_LOGIN_DRIVER_LOG", driver_log(sandbox))
}

/// The token cache file of the `my-sso` session.
pub fn sso_token_path(sandbox: &Sandbox) -> PathBuf {
    sandbox
        .home
        .join(".aws/sso/cache")
        .join(login_core::sso::token_cache_file_name("my-sso"))
}

/// Signs `profile` in through the device flow with an auto-approving mock and the redirect
/// follower.
pub fn sso_device_login(sandbox: &Sandbox, profile: &str) {
    sandbox.mock.set_sso_auto_approve(Some("alice")).unwrap();
    let out = with_fetch_browser(&mut sso_cli(sandbox), sandbox)
        .args(["sso", "login", "--use-device-code", "--profile", profile])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// Moves the cached token's expiry to `seconds` from now, keeping the writer's spelling.
pub fn set_sso_token_expiry(path: &Path, seconds: i64) {
    let text = std::fs::read_to_string(path).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let old = value["expiresAt"].as_str().unwrap().to_owned();
    let at = login_core::OffsetDateTime::now_utc() + time::Duration::seconds(seconds);
    let new = login_core::timefmt::format_expires_at(at);
    std::fs::write(
        path,
        text.replace(&format!("\"{old}\""), &format!("\"{new}\"")),
    )
    .unwrap();
}
