//! Cost of the `X-Twilio-Signature` check (`twilio_mcp::auth::signature`).
//!
//! Run with `cargo bench --bench signature` (or `bench/run.sh`, which also
//! records the medians in `bench/results/`). Not part of the test suite.
//!
//! Cases, each on realistic inputs for an MCP request:
//! - `compute/form_5_params`: sign a URL plus Twilio's documented 5 form
//!   parameters (what a client does once per request).
//! - `validate/form_5_params`: accept a valid form-signed request.
//! - `validate/json_body_sha256`: accept a valid JSON-RPC `tools/call`
//!   (≈ 200-byte body) signed with `bodySHA256` — the path every signed MCP
//!   request takes.
//! - `validate/json_body_sha256_16k`: the same with a 16 KiB body (hashing
//!   dominates).
//! - `validate/invalid_two_tokens`: the worst case, a wrong signature during
//!   a token rotation: 2 tokens × 2 URL variants are tried before rejecting.
//! - `validate/missing`: no header (the cheapest rejection).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use twilio_mcp::auth::signature::{body_sha256_hex, compute, validate};
use twilio_mcp::secret::Secret;

const TOKEN: &str = "12345";
const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

fn docs_params() -> Vec<(String, String)> {
    [
        ("CallSid", "CA1234567890ABCDE"),
        ("Caller", "+14158675310"),
        ("Digits", "1234"),
        ("From", "+14158675310"),
        ("To", "+18005551212"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

fn tools_call_body(extra: usize) -> Vec<u8> {
    let mut body = String::from(
        r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"ApiV2010_CreateMessage","arguments":{"To":"+14155552345","From":"+14155550000","Body":""#,
    );
    body.push_str(&"x".repeat(extra.max(20)));
    body.push_str(r#""}}}"#);
    body.into_bytes()
}

fn bench_signature(c: &mut Criterion) {
    let tokens = vec![Secret::new(TOKEN)];
    let params = docs_params();

    c.bench_function("compute/form_5_params", |b| {
        b.iter(|| compute(black_box(TOKEN), black_box(URL), black_box(&params)))
    });

    let form_sig = compute(TOKEN, URL, &params);
    assert_eq!(form_sig, "GvWf1cFY/Q7PnoempGyD5oXAezc=");
    c.bench_function("validate/form_5_params", |b| {
        b.iter(|| {
            validate(
                black_box(&tokens),
                black_box(URL),
                black_box(&params),
                None,
                Some(black_box(form_sig.as_str())),
                false,
            )
        })
    });

    let mut group = c.benchmark_group("validate");
    for (name, extra) in [
        ("json_body_sha256", 20),
        ("json_body_sha256_16k", 16 * 1024),
    ] {
        let body = tools_call_body(extra);
        let url = format!(
            "https://mcp.example.com/mcp?services=Messaging&bodySHA256={}",
            body_sha256_hex(&body)
        );
        let sig = compute(TOKEN, &url, &[]);
        assert_eq!(
            validate(&tokens, &url, &[], Some(&body), Some(&sig), true),
            Ok(())
        );
        group.throughput(Throughput::Bytes(body.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                validate(
                    black_box(&tokens),
                    black_box(&url),
                    &[],
                    Some(black_box(&body)),
                    Some(black_box(sig.as_str())),
                    true,
                )
            })
        });
    }
    group.finish();

    let rotation = vec![Secret::new("old-token"), Secret::new("new-token")];
    let wrong = compute("someone-else", URL, &params);
    c.bench_function("validate/invalid_two_tokens", |b| {
        b.iter(|| {
            validate(
                black_box(&rotation),
                black_box(URL),
                black_box(&params),
                None,
                Some(black_box(wrong.as_str())),
                false,
            )
        })
    });

    c.bench_function("validate/missing", |b| {
        b.iter(|| {
            validate(
                black_box(&tokens),
                black_box(URL),
                black_box(&params),
                None,
                None,
                false,
            )
        })
    });
}

criterion_group!(benches, bench_signature);
criterion_main!(benches);
