//! login-io: the IO driver for AWS console-credentials login (work in progress).
pub mod browser;
pub mod cache_store;
pub mod callback;
pub mod http;
pub mod paths;
pub mod settings;
