//! Role-chain planning from the config and the shared credentials file (`role_arn`,
//! `source_profile`, `credential_source`, static keys, SSO, login, `credential_process`), as any
//! user may have written them, including loops and self-references.
//!
//! Input: `CONFIG \0 CREDENTIALS \0 PROFILE`. Invariants: planning always ends (loops are an
//! error, never a hang or a stack overflow) and a plan never has more role steps than the files
//! have profiles; planning the same files twice gives the same answer; the credentials file
//! reads every profile it lists.
#![no_main]

use aws_login_fuzz::{fields, text};
use libfuzzer_sys::fuzz_target;
use login_core::{plan, ConfigFile, SharedCredentialsFile};

fuzz_target!(|data: &[u8]| {
    let f = fields(data, 3);
    let config = ConfigFile::parse(&text(f[0]));
    let credentials = SharedCredentialsFile::parse(&text(f[1]));
    for name in credentials.profile_names() {
        assert!(
            credentials.profile(name).is_some(),
            "listed profile {name:?} does not read"
        );
    }
    let profiles = config.profile_names().len() + credentials.profile_names().len();
    let mut names: Vec<String> = config.profile_names();
    names.extend(credentials.profile_names().iter().map(|n| n.to_string()));
    let wanted = text(f[2]);
    names.push(if wanted.is_empty() {
        "default".into()
    } else {
        wanted
    });
    for name in names {
        let first = plan(&config, &credentials, &name);
        let second = plan(&config, &credentials, &name);
        assert_eq!(
            format!("{first:?}"),
            format!("{second:?}"),
            "planning is not deterministic"
        );
        if let Ok(p) = first {
            assert!(
                p.roles.len() <= profiles.max(1),
                "{} role steps from {profiles} profiles",
                p.roles.len()
            );
        }
    }
});
