//! Criterion benchmarks for the hot paths: building a DPoP proof (every
//! token request) and loading a cache entry + deciding whether to refresh
//! (every credential resolution).

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use login_core::config::SectionId;
use login_core::{CacheEntry, ConfigFile, DpopKey, Refresh, RefreshPlan, TokenRequest};
use time::macros::datetime;

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name);
    std::fs::read_to_string(path).expect("fixture")
}

fn benches(c: &mut Criterion) {
    let key = DpopKey::from_pem(&fixture("dpop/key-sec1.pem")).unwrap();
    c.bench_function("dpop_proof", |b| {
        b.iter(|| {
            key.proof(
                black_box("POST"),
                black_box("https://us-east-1.signin.aws.amazon.com/v1/token"),
                black_box(1_764_931_891),
                black_box("0b9e3f5c-2a6d-4c8e-9f1a-7d3b5e2c4a10"),
            )
        })
    });

    let sec1_pem = fixture("dpop/key-sec1.pem");
    c.bench_function("dpop_key_from_sec1_pem", |b| {
        b.iter(|| DpopKey::from_pem(black_box(&sec1_pem)).unwrap())
    });

    let cache =
        fixture("cache/4b0ba8f99f075c0633e122fd73346ce203a3faf18ea0310eb2d29df1bab2e255.json");
    let fresh_now = datetime!(2025-12-05 10:40:00 UTC);
    c.bench_function("cache_parse_and_refresh_decision", |b| {
        b.iter(|| {
            let entry = CacheEntry::from_json(black_box(cache.as_bytes())).unwrap();
            matches!(
                RefreshPlan::decide(&entry, fresh_now),
                RefreshPlan::Fresh(_)
            )
        })
    });

    let stale_now = datetime!(2025-12-05 10:50:00 UTC);
    c.bench_function("cache_parse_plan_and_build_refresh_request", |b| {
        b.iter(|| {
            let entry = CacheEntry::from_json(black_box(cache.as_bytes())).unwrap();
            match Refresh::plan(entry, stale_now).unwrap() {
                Refresh::Send(p) => {
                    Some(p.request("https://us-east-1.signin.aws.amazon.com/v1/token", 1, "jti"))
                }
                Refresh::Fresh(_) => None,
            }
        })
    });

    let entry = CacheEntry::from_json(cache.as_bytes()).unwrap();
    c.bench_function("cache_to_json", |b| b.iter(|| black_box(&entry).to_json()));

    c.bench_function("token_request_refresh", |b| {
        b.iter(|| {
            TokenRequest::refresh(
                &entry.client_id,
                &entry.refresh_token,
                "https://us-east-1.signin.aws.amazon.com/v1/token",
                &key,
                1,
                "jti",
            )
        })
    });

    let config = fixture("config/full.ini");
    c.bench_function("config_parse_and_set", |b| {
        b.iter(|| {
            ConfigFile::parse(black_box(&config))
                .set(
                    &SectionId::profile("dev"),
                    "login_session",
                    "arn:aws:iam::123456789012:user/bob",
                )
                .unwrap()
        })
    });
}

criterion_group!(core, benches);
criterion_main!(core);
