//! `cargo xtask`: the project's scripts in Rust. Placeholder until the suites land.
fn main() {
    eprintln!("xtask: nothing here yet");
}
