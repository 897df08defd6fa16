//! The id token of the token response (a JWT whose payload is read without verification) and
//! the session ARN in its `sub`.
//!
//! Invariants: an accepted ARN parses again to the same session, names a 64-hex cache file, and
//! can be written into the config as `login_session` and read back unchanged (login does exactly
//! that); the sign-in time never panics.
#![no_main]

use aws_login_fuzz::text;
use libfuzzer_sys::fuzz_target;
use login_core::{ConfigFile, LoginSession, SectionId};

fuzz_target!(|data: &[u8]| {
    let jwt = text(data);
    let _ = login_core::id_token_signed_in_at(&jwt);
    for candidate in [
        LoginSession::from_id_token(&jwt),
        LoginSession::from_arn(&jwt),
    ] {
        let Ok(session) = candidate else { continue };
        let again = LoginSession::from_arn(session.arn()).expect("an accepted ARN parses again");
        assert_eq!(again, session);
        assert_eq!(session.account_id().len(), 12);
        let name = session.cache_file_name();
        assert_eq!(name.len(), 64 + ".json".len());
        assert!(name[..64]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        let id = SectionId::profile("fuzz");
        let config = ConfigFile::parse("")
            .set(&id, "login_session", session.arn())
            .expect("login writes every accepted session ARN into the config");
        assert_eq!(
            ConfigFile::parse(&config)
                .section(&id)
                .and_then(|s| s.get("login_session").map(str::to_owned)),
            Some(session.arn().to_owned()),
            "login_session does not read back"
        );
    }
});
