//! The shared config file (`~/.aws/config`, and the credentials file, which is the same INI
//! dialect): parse any text, query it, then edit one key and read the result back.
//!
//! Input: `TEXT \0 KIND \0 NAME \0 KEY \0 VALUE` (missing fields are empty; an empty KEY means
//! `login_session`). Invariants: the parse keeps the exact text; a successful `set` reads back as
//! the new value in that section, every other section reads exactly as before, no section
//! disappears, and the edited section keeps every other key.
#![no_main]

use aws_login_fuzz::{fields, text};
use libfuzzer_sys::fuzz_target;
use login_core::{ConfigFile, SectionId};

fuzz_target!(|data: &[u8]| {
    let f = fields(data, 5);
    let original = text(f[0]);
    let file = ConfigFile::parse(&original);
    assert_eq!(file.text(), original, "parse must keep the exact text");

    // Every query the frontends make must answer without panicking.
    let ids = file.section_ids();
    for name in file.profile_names() {
        let _ = file.credential_style(&name);
        let _ = file.signin_endpoint_url(&name);
        let view = file.profile(&name).expect("a listed profile has a section");
        for key in view.keys() {
            assert!(view.contains(key));
        }
    }

    let name = text(f[2]);
    let id = match f[1].first().copied().unwrap_or(0) % 3 {
        0 => SectionId::profile(if name.is_empty() {
            "default".to_owned()
        } else {
            name
        }),
        1 => SectionId::SsoSession(name),
        _ => SectionId::Services(name),
    };
    let key = if f[3].is_empty() {
        "login_session".to_owned()
    } else {
        text(f[3])
    };
    let value = text(f[4]);

    let Ok(edited) = file.set(&id, &key, &value) else {
        return;
    };
    let after = ConfigFile::parse(&edited);
    let section = after
        .section(&id)
        .unwrap_or_else(|| panic!("the edited section {id} is gone:\n{edited}"));
    assert_eq!(
        section.get(&key),
        Some(value.as_str()),
        "{key} in {id} does not read back:\n--- before\n{original}\n--- after\n{edited}"
    );
    let before_section = file.section(&id);
    if let Some(before_section) = &before_section {
        for other in before_section
            .keys()
            .filter(|k| !k.eq_ignore_ascii_case(&key))
        {
            assert_eq!(
                section.get(other),
                before_section.get(other),
                "{other} in {id} changed:\n--- before\n{original}\n--- after\n{edited}"
            );
        }
    }
    let after_ids = after.section_ids();
    for other in &ids {
        assert!(
            after_ids.contains(other),
            "section {other} disappeared:\n{edited}"
        );
        if other != &id {
            assert_eq!(
                file.section(other),
                after.section(other),
                "section {other} changed by editing {id}:\n--- before\n{original}\n--- after\n{edited}"
            );
        }
    }
    for new in &after_ids {
        assert!(
            ids.contains(new) || new == &id,
            "edit created section {new}:\n{edited}"
        );
    }
    // The same edit again is a no-op.
    assert_eq!(
        after.set(&id, &key, &value).ok().as_deref(),
        Some(edited.as_str()),
        "setting the same value twice changed the file"
    );
});
