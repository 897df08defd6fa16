//! Whatever bytes sit in the cache file (random, or a valid file cut or flipped anywhere),
//! resolution never panics, never calls the network for an unusable file, and never changes it.

mod support;

use login_io::{resolve_credentials_blocking, ErrorKind, ResolveOptions};
use proptest::prelude::*;
use support::Sandbox;

fn check(sandbox: &Sandbox, path: &std::path::Path, bytes: &[u8]) -> Result<(), TestCaseError> {
    std::fs::write(path, bytes).unwrap();
    let calls = sandbox.refresh_calls();
    // A cut-short file is re-read for a while before it counts as broken (a peer may be writing
    // it); that wait is not what this test is about.
    let options = ResolveOptions {
        torn_read_wait: std::time::Duration::from_millis(1),
        ..sandbox.options("dev")
    };
    match resolve_credentials_blocking(&options) {
        Ok(_) => {}
        Err(e) => {
            prop_assert!(
                matches!(
                    e.kind(),
                    ErrorKind::CacheCorrupt
                        | ErrorKind::SessionExpired
                        | ErrorKind::ServiceRejected
                ),
                "unexpected error kind {:?}: {e}",
                e.kind()
            );
            if e.kind() == ErrorKind::CacheCorrupt {
                prop_assert_eq!(
                    sandbox.refresh_calls(),
                    calls,
                    "no network for an unusable file"
                );
                prop_assert_eq!(
                    std::fs::read(path).unwrap(),
                    bytes.to_vec(),
                    "file untouched"
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn damaged_cache_files_are_errors_not_panics(cut in 0usize..4096, flip in 0usize..4096, byte in any::<u8>(), random in proptest::collection::vec(any::<u8>(), 0..256)) {
        thread_local! {
            static SANDBOX: (Sandbox, support::Session, Vec<u8>) = {
                let sandbox = Sandbox::new();
                let session = sandbox.login("dev", "alice");
                let good = std::fs::read(&session.cache_file).unwrap();
                (sandbox, session, good)
            };
        }
        SANDBOX.with(|(sandbox, session, good)| {
            check(sandbox, &session.cache_file, &good[..cut.min(good.len())])?;
            let mut flipped = good.clone();
            let at = flip % flipped.len();
            flipped[at] = byte;
            check(sandbox, &session.cache_file, &flipped)?;
            check(sandbox, &session.cache_file, &random)?;
            std::fs::write(&session.cache_file, good).unwrap();
            Ok::<(), TestCaseError>(())
        })?;
    }
}
