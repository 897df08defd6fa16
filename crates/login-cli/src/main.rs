//! aws-login (work in progress).
fn main() {}
