//! login-node: the napi-rs addon behind the npm package `aws-login-provider`.

use napi_derive::napi;

#[napi]
pub fn addon_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}
