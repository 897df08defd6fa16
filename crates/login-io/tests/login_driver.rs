//! The login driver (`login_io::login`) against a real signin-mock, without a browser: the test
//! follows the authorize URL itself (the mock auto-approves) and checks the events a frontend
//! sees, the page the browser gets, the remote flow's retries on bad pastes, and what is saved.

mod support;

use std::time::Duration;

use login_io::login::{authorize, save_login, LoginEvent, LoginMethod, LoginObserver, LoginTarget};
use support::{Sandbox, ALICE_ARN};
use tokio::sync::mpsc;

/// Records events as short strings.
#[derive(Default)]
struct Recorder {
    events: Vec<String>,
    url: Option<String>,
    url_tx: Option<mpsc::UnboundedSender<String>>,
}

impl LoginObserver for Recorder {
    fn on_event(&mut self, event: LoginEvent<'_>) {
        let name = match &event {
            LoginEvent::AuthorizeUrl { url, remote } => {
                self.url = Some(url.to_string());
                if let Some(tx) = &self.url_tx {
                    let _ = tx.send(url.to_string());
                }
                format!("url remote={remote}")
            }
            LoginEvent::BrowserOpened { .. } => "browser opened".into(),
            LoginEvent::BrowserFailed { .. } => "browser failed".into(),
            LoginEvent::Waiting { remote } => format!("waiting remote={remote}"),
            LoginEvent::CallbackRejected { reason } => format!("rejected: {reason}"),
            LoginEvent::RemoteCodeRejected { reason } => format!("bad code: {reason}"),
            LoginEvent::Redeeming => "redeeming".into(),
            _ => "other".into(),
        };
        self.events.push(name);
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_device_login_reports_each_step_and_saves_both_files() {
    let sandbox = Sandbox::new();
    sandbox.mock.set_auto_approve(Some("alice")).unwrap();
    let target = LoginTarget::prepare(&sandbox.options("dev")).unwrap();
    let (url_tx, mut url_rx) = mpsc::unbounded_channel();
    let mut recorder = Recorder {
        url_tx: Some(url_tx),
        ..Recorder::default()
    };

    // The "browser": a stray request first, then the real redirect chain.
    let browser = tokio::spawn(async move {
        let url = url_rx.recv().await.unwrap();
        let redirect_uri = url
            .split("redirect_uri=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap();
        let redirect_uri = redirect_uri.replace("%3A", ":").replace("%2F", "/");
        let stray = client()
            .get(format!("{redirect_uri}?code=x&state=not-ours"))
            .send()
            .await
            .unwrap();
        assert_eq!(stray.status(), 400);
        let favicon = redirect_uri.replace("/oauth/callback", "/favicon.ico");
        assert_eq!(client().get(favicon).send().await.unwrap().status(), 404);
        let page = client().get(url).send().await.unwrap();
        (page.status().as_u16(), page.text().await.unwrap())
    });
    let method = LoginMethod::SameDevice {
        redirect_port: None,
        open_browser: false,
        fail_without_browser: false,
    };
    let logged_in = authorize(&target, method, Duration::from_secs(30), &mut recorder)
        .await
        .unwrap();
    let (status, page) = browser.await.unwrap();
    assert_eq!(status, 200);
    assert!(
        page.contains("You can close this tab and return to the terminal."),
        "{page}"
    );
    assert_eq!(
        recorder.events,
        [
            "url remote=false",
            "waiting remote=false",
            "rejected: the sign-in callback's state does not match this login (a stale browser tab or a forged request); start the login again",
            "redeeming",
        ]
    );
    assert_eq!(logged_in.session.arn(), ALICE_ARN);

    let saved = save_login(&target, &logged_in, false).await.unwrap();
    assert_eq!(saved.region_written.as_deref(), Some("us-east-1"));
    assert_eq!(
        std::fs::read_to_string(&sandbox.config_file).unwrap(),
        format!("[profile dev]\nlogin_session = {ALICE_ARN}\nregion = us-east-1\n")
    );
    let entry =
        login_core::CacheEntry::from_json(&std::fs::read(&saved.cache_path).unwrap()).unwrap();
    assert!(entry
        .dpop_key
        .expose()
        .starts_with("-----BEGIN EC PRIVATE KEY-----"));
    // A resolver (the SDK path) now finds the session.
    let resolved = login_io::resolve_credentials(&sandbox.options("dev"))
        .await
        .unwrap();
    assert_eq!(resolved.access_key_id(), entry.access_token.access_key_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_login_retries_bad_pastes_when_asked_and_redeems_the_right_one() {
    let sandbox = Sandbox::new();
    sandbox.mock.set_auto_approve(Some("alice")).unwrap();
    let target = LoginTarget::prepare(&sandbox.options("remote")).unwrap();
    let (url_tx, mut url_rx) = mpsc::unbounded_channel();
    let mut recorder = Recorder {
        url_tx: Some(url_tx),
        ..Recorder::default()
    };
    let (codes_tx, mut codes) = mpsc::channel(8);

    let person = tokio::spawn(async move {
        let url = url_rx.recv().await.unwrap();
        // The confirmation page the browser lands on shows the code to paste.
        let html = client()
            .get(url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let code = html
            .split("<code id=\"code\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_string();
        for paste in [
            "",
            "not a code at all",
            "c3RhdGU9b3RoZXImY29kZT14",
            &format!("  {code}  "),
        ] {
            codes_tx.send(paste.to_string()).await.unwrap();
            // Separate attempts, not one paste wrapped over lines: a part waits a second for
            // its next line before its problem is shown.
            tokio::time::sleep(Duration::from_millis(1300)).await;
        }
    });
    let method = LoginMethod::Remote {
        codes: &mut codes,
        retry_bad_codes: true,
    };
    let logged_in = authorize(&target, method, Duration::from_secs(30), &mut recorder)
        .await
        .unwrap();
    person.await.unwrap();
    assert_eq!(logged_in.session.arn(), ALICE_ARN);
    assert_eq!(
        logged_in.entry.client_id,
        "arn:aws:signin:::devtools/cross-device"
    );
    let events: Vec<&str> = recorder
        .events
        .iter()
        .map(|e| e.split(':').next().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "url remote=true",
            "waiting remote=true",
            "bad code",
            "bad code",
            "redeeming"
        ]
    );
    assert!(
        recorder.events[3].contains("state mismatch"),
        "{:?}",
        recorder.events
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeout_ends_a_login_nobody_finishes() {
    let sandbox = Sandbox::new();
    let target = LoginTarget::prepare(&sandbox.options("dev")).unwrap();
    let mut recorder = Recorder::default();
    let method = LoginMethod::SameDevice {
        redirect_port: None,
        open_browser: false,
        fail_without_browser: false,
    };
    let error = authorize(&target, method, Duration::from_millis(300), &mut recorder)
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("Timed out after 300ms waiting for the sign-in"),
        "{error}"
    );
    assert_eq!(std::fs::read_to_string(&sandbox.config_file).unwrap(), "");
}
