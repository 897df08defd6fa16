//! Reads a config file on stdin and prints what login-core reads from it as
//! JSON shaped like botocore's `build_profile_map` (`profiles`,
//! `sso_sessions`, `services`; nested values as objects). With
//! `--set KIND NAME KEY VALUE` (KIND: profile, sso-session, services) it
//! applies that edit first and prints `{"text": edited, "view": …}`.
//! Used by `fixtures/tools/config_diff.py` to compare with botocore.

use std::io::Read;

use login_core::config::SectionId;
use login_core::ConfigFile;
use serde_json::{json, Map, Value};

fn view(config: &ConfigFile) -> Value {
    let mut out = Map::new();
    for kind in ["profiles", "sso_sessions", "services"] {
        out.insert(kind.into(), Value::Object(Map::new()));
    }
    for id in config.section_ids() {
        let (kind, name) = match &id {
            SectionId::Profile(n) => ("profiles", n),
            SectionId::SsoSession(n) => ("sso_sessions", n),
            SectionId::Services(n) => ("services", n),
        };
        let view = config.section(&id).unwrap_or_default();
        let mut section = Map::new();
        for key in view.keys() {
            let value = match view.sub_properties(key) {
                Some(sub) => Value::Object(
                    sub.iter()
                        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                        .collect(),
                ),
                None => Value::from(view.get(key).unwrap_or_default()),
            };
            section.insert(key.to_owned(), value);
        }
        if let Some(m) = out[kind].as_object_mut() {
            m.insert(name.clone(), Value::Object(section));
        }
    }
    Value::Object(out)
}

fn main() {
    let mut text = String::new();
    if std::io::stdin().read_to_string(&mut text).is_err() {
        eprintln!("config_dump: stdin is not UTF-8");
        std::process::exit(2);
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, kind, name, key, value] if flag == "--set" => {
            let id = match kind.as_str() {
                "profile" => SectionId::Profile(name.clone()),
                "sso-session" => SectionId::SsoSession(name.clone()),
                _ => SectionId::Services(name.clone()),
            };
            match ConfigFile::parse(&text).set(&id, key, value) {
                Ok(edited) => {
                    let v = view(&ConfigFile::parse(&edited));
                    println!("{}", json!({"text": edited, "view": v}));
                }
                Err(e) => {
                    eprintln!("config_dump: {e}");
                    std::process::exit(3);
                }
            }
        }
        [] => println!("{}", view(&ConfigFile::parse(&text))),
        _ => {
            eprintln!("usage: config_dump [--set KIND NAME KEY VALUE] < config");
            std::process::exit(2);
        }
    }
}
