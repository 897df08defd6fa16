//! `cargo xtask demo`: written by the browser-login work (issue 5).
pub fn run(_args: &[String]) -> Result<(), String> {
    Err("the demo is not written yet".into())
}
