//! A machine whose clock is off by an hour can still refresh: the server's `Date` header shows
//! the skew and the DPoP proof is signed again with the server's time. (Its own test binary:
//! the learned skew is process-wide.)

mod support;

use login_io::resolve_credentials_blocking;
use support::Sandbox;

#[test]
fn refresh_succeeds_with_a_skewed_local_clock() {
    for offset in [3600i64, -3600] {
        let sandbox = Sandbox::new();
        let session = sandbox.login("dev", "alice");
        sandbox.set_seconds_left(&session, -10);
        // The server's clock moves; ours stays: our `iat` is now an hour off for the server.
        sandbox.mock.set_clock_offset(offset);
        let creds = resolve_credentials_blocking(&sandbox.options("dev"))
            .unwrap_or_else(|e| panic!("offset {offset}: {e}"));
        assert!(creds.refreshed());
        let stats = sandbox.mock.stats();
        assert_eq!(
            stats.token_outcome("refresh_token", "ok"),
            1,
            "offset {offset}: {stats:?}"
        );
        assert_eq!(
            stats.token_calls("refresh_token"),
            2,
            "one stale proof rejected, one re-signed: {stats:?}"
        );
        assert!(
            login_io::http::clock_skew_secs().abs() >= 3500,
            "skew learned from Date"
        );
    }
}
