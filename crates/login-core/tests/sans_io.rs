//! Guards the crate's promise: no IO, no clock, no global RNG in `src/`.

use std::fs;
use std::path::Path;

const FORBIDDEN: &[&str] = &[
    "std::fs",
    "std::net",
    "std::env",
    "std::process",
    "std::time::SystemTime",
    "SystemTime::now",
    "Instant::now",
    "now_utc",
    "now_local",
    "OsRng",
    "thread_rng",
    "getrandom",
    "println!",
    "eprintln!",
];

#[test]
fn sources_do_no_io_and_read_no_clock_or_global_rng() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut checked = 0;
    for entry in fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for word in FORBIDDEN {
                assert!(
                    !code.contains(word),
                    "{}:{}: `{word}` in login-core: {line}",
                    path.display(),
                    n + 1
                );
            }
        }
        checked += 1;
    }
    assert!(
        checked >= 10,
        "expected the crate's modules, found {checked}"
    );
}
