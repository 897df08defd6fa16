//! Vanity start URLs end to end: `sso login` and `configure sso-session` probe the configured
//! URL once (HEAD, GET when HEAD is refused), take one redirect hop to the access portal, send
//! the portal URL to signin-mock's IAM Identity Center as `issuerUrl`/`startUrl`, keep the
//! configured URL as the cache key and the token's `startUrl`, and write the region the portal
//! names into `sso_region`.
//!
//! The vanity server is a plain-HTTP server on 127.0.0.1 in this file: serving HTTPS on
//! loopback would need a certificate the client trusts, so the tests set
//! `AWS_LOGIN_TEST_LOOPBACK_START_URL=1`, which lets the *configured* URL be http:// to a
//! loopback address and nothing else (the portal it redirects to must still be https and
//! AWS-owned). One test checks that without the switch such a URL is refused.

mod login_support;
#[path = "../../login-io/tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};

use login_core::sso::{token_cache_file_name, SsoToken};
use login_support::*;
use support::Sandbox;

/// The access portal the vanity URL redirects to (region eu-west-1 in its host).
const PORTAL: &str = "https://ssoins-7223aa5cd9b8d3a1.portal.eu-west-1.app.aws";

/// How the vanity server answers.
#[derive(Clone, Copy)]
enum Answer {
    /// 302 to the portal (with a trailing `/` and a query the client must drop).
    Redirect,
    /// 405 to HEAD, 302 to GET.
    RefuseHead,
    /// 200, no redirect: nothing to resolve.
    Page,
}

/// A plain-HTTP "vanity" server on 127.0.0.1 that records the requests it got.
struct VanityServer {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl VanityServer {
    fn start(answer: Answer) -> VanityServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/start", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                // Read the headers to the blank line.
                loop {
                    let mut header = String::new();
                    match reader.read_line(&mut header) {
                        Ok(0) | Err(_) => break,
                        Ok(_) if header == "\r\n" => break,
                        Ok(_) => {}
                    }
                }
                let request = line
                    .trim()
                    .rsplit_once(' ')
                    .map_or(line.clone(), |(r, _)| r.to_owned());
                let head = request.starts_with("HEAD ");
                seen.lock().unwrap().push(request);
                let response = match (answer, head) {
                    (Answer::RefuseHead, true) => {
                        "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned()
                    }
                    (Answer::Redirect | Answer::RefuseHead, _) => format!(
                        "HTTP/1.1 302 Found\r\nLocation: {PORTAL}/?from=vanity\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    ),
                    (Answer::Page, _) => {
                        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned()
                    }
                };
                let _ = stream.write_all(response.as_bytes());
            }
        });
        VanityServer { url, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// A sandbox whose IAM Identity Center expects `issuer` as the start URL.
fn sandbox(issuer: &str, config: &str) -> Sandbox {
    let mut mock = signin_mock::MockConfig::default();
    mock.sso.start_url = issuer.to_owned();
    let sandbox = Sandbox::with_mock(mock);
    std::fs::write(&sandbox.config_file, config).unwrap();
    sandbox.mock.set_sso_auto_approve(Some("alice")).unwrap();
    sandbox
}

fn config(start_url: &str, region_line: &str) -> String {
    format!(
        "# corp portal\n[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\n\n\
         [sso-session corp]\nsso_start_url = {start_url}\n{region_line}sso_registration_scopes = sso:account:access\n"
    )
}

/// `config(start_url, "")` after `sso_region` was added: the new key goes last in its section.
fn config_with_added_region(start_url: &str, region: &str) -> String {
    format!("{}sso_region = {region}\n", config(start_url, ""))
}

fn cli(sandbox: &Sandbox) -> Command {
    let mut command = aws_login(sandbox);
    command
        .env("AWS_ENDPOINT_URL_SSO_OIDC", sandbox.base_url())
        .env("AWS_ENDPOINT_URL_SSO", sandbox.base_url())
        .env("AWS_LOGIN_TEST_LOOPBACK_START_URL", "1")
        .env_remove("SSH_CONNECTION")
        .env_remove("SSH_CLIENT")
        .env_remove("SSH_TTY")
        .stdin(Stdio::null());
    command
}

fn sso_login(sandbox: &Sandbox, extra: &[&str]) -> Output {
    with_fetch_browser(&mut cli(sandbox), sandbox)
        .args(["sso", "login", "--sso-session", "corp"])
        .args(extra)
        .output()
        .unwrap()
}

fn token(sandbox: &Sandbox) -> SsoToken {
    let path = sandbox
        .home
        .join(".aws/sso/cache")
        .join(token_cache_file_name("corp"));
    SsoToken::from_json(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn a_vanity_url_signs_in_at_its_portal_and_writes_the_region_it_names() {
    let vanity = VanityServer::start(Answer::Redirect);
    let sandbox = sandbox(PORTAL, &config(&vanity.url, ""));
    for extra in [&[][..], &["--use-device-code"][..]] {
        std::fs::write(&sandbox.config_file, config(&vanity.url, "")).unwrap();
        let out = sso_login(&sandbox, extra);
        assert!(out.status.success(), "{extra:?}: {}", text(&out.stderr));
        assert_eq!(
            text(&out.stdout),
            format!(
                "Successfully logged into Start URL: {}\nSSO region updated to eu-west-1\n",
                vanity.url
            )
        );
        // Only sso_region was added; the comment and the other keys stay.
        assert_eq!(
            std::fs::read_to_string(&sandbox.config_file).unwrap(),
            config_with_added_region(&vanity.url, "eu-west-1")
        );
        // The configured URL keys the cache and is the token's startUrl.
        let token = token(&sandbox);
        assert_eq!(token.start_url.as_deref(), Some(vanity.url.as_str()));
        assert_eq!(token.region.as_deref(), Some("eu-west-1"));
    }
    // One HEAD per sign-in, no redirect followed to the portal (it is not contacted).
    assert_eq!(vanity.requests(), vec!["HEAD /start", "HEAD /start"]);

    // The profile works with the written region; a second sign-in changes nothing.
    let out = cli(&sandbox)
        .args(["export-credentials", "--profile", "dev"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let before = std::fs::read_to_string(&sandbox.config_file).unwrap();
    let out = sso_login(&sandbox, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("SSO region updated"));
    assert_eq!(
        std::fs::read_to_string(&sandbox.config_file).unwrap(),
        before
    );
}

#[test]
fn head_refused_falls_back_to_get_and_a_different_sso_region_is_replaced() {
    let vanity = VanityServer::start(Answer::RefuseHead);
    let sandbox = sandbox(PORTAL, &config(&vanity.url, "sso_region = us-east-1\n"));
    let out = sso_login(&sandbox, &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).ends_with("\nSSO region updated to eu-west-1\n"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(vanity.requests(), vec!["HEAD /start", "GET /start"]);
    assert_eq!(
        std::fs::read_to_string(&sandbox.config_file).unwrap(),
        config(&vanity.url, "sso_region = eu-west-1\n")
    );
}

#[test]
fn a_vanity_url_that_leads_nowhere_is_sent_as_configured_with_sso_region() {
    let vanity = VanityServer::start(Answer::Page);
    let sandbox = sandbox(PORTAL, &config(&vanity.url, "sso_region = us-east-1\n"));
    // Nothing to resolve: RegisterClient gets the configured URL, which this IAM Identity
    // Center (expecting its portal URL) refuses, naming it.
    let out = sso_login(&sandbox, &[]);
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("Invalid issuer URL: {}", vanity.url)),
        "{stderr}"
    );
    assert_eq!(vanity.requests(), vec!["HEAD /start"]);
    assert!(!text(&out.stdout).contains("SSO region updated"));

    // Without sso_region it cannot know the region, and says what to set.
    std::fs::write(&sandbox.config_file, config(&vanity.url, "")).unwrap();
    let out = sso_login(&sandbox, &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("Cannot tell the region of the start URL")
            && stderr.contains("Set sso_region"),
        "{stderr}"
    );
    assert_eq!(
        sandbox.mock.stats().sso_token_calls("authorization_code"),
        0
    );
}

#[test]
fn without_the_test_switch_an_http_start_url_is_refused_before_any_request() {
    let vanity = VanityServer::start(Answer::Redirect);
    let sandbox = sandbox(PORTAL, &config(&vanity.url, "sso_region = us-east-1\n"));
    let out = with_fetch_browser(&mut cli(&sandbox), &sandbox)
        .env_remove("AWS_LOGIN_TEST_LOOPBACK_START_URL")
        .args(["sso", "login", "--sso-session", "corp"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("The sso_start_url must use the https scheme."),
        "{stderr}"
    );
    assert!(vanity.requests().is_empty());
    assert_eq!(
        sandbox.mock.stats().sso_token_calls("authorization_code"),
        0
    );
}

#[test]
fn configure_sso_session_takes_the_region_from_the_portal_without_asking() {
    let vanity = VanityServer::start(Answer::Redirect);
    let sandbox = sandbox(PORTAL, "");
    let out = cli(&sandbox)
        .args([
            "configure",
            "sso-session",
            "--sso-session",
            "corp",
            "--sso-start-url",
            &vanity.url,
            "--sso-registration-scopes",
            "sso:account:access",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(&sandbox.config_file).unwrap();
    assert!(
        written.contains(&format!(
            "[sso-session corp]\nsso_start_url = {}\nsso_region = eu-west-1\n",
            vanity.url
        )),
        "{written}"
    );
    assert_eq!(vanity.requests(), vec!["HEAD /start"]);
}
