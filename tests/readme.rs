//! The README says what the code does: its services table is the output of
//! `twilio-mcp audit --markdown`, and every setting the CLI reads is documented
//! there and in `.env.example`.

use std::fs;

fn read(path: &str) -> String {
    fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/").to_string() + path)
        .unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

#[test]
fn services_table_matches_audit() {
    let readme = read("README.md");
    let start = readme
        .find("<!-- services:start")
        .and_then(|i| readme[i..].find("-->").map(|j| i + j + 3))
        .expect("services:start marker");
    let end = readme
        .find("<!-- services:end -->")
        .expect("services:end marker");
    let documented = readme[start..end].trim();
    let generated = twilio_mcp::commands::audit::services_markdown();
    assert_eq!(
        documented,
        generated.trim(),
        "README's services table is stale: run `bash tests/update-readme.sh`"
    );
}

#[test]
fn every_environment_variable_is_documented() {
    let readme = read("README.md");
    let example = read(".env.example");
    let mut sources = read("server/cli.rs");
    sources.push_str(&read("server/config.rs"));
    let mut names: Vec<String> = Vec::new();
    for chunk in sources.split('"').skip(1).step_by(2) {
        let looks_like_var = chunk.len() > 3
            && chunk
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
            && (chunk.starts_with("TWILIO_")
                || chunk.ends_with("_SID")
                || chunk.starts_with("API_"));
        if looks_like_var && !names.contains(&chunk.to_string()) {
            names.push(chunk.to_string());
        }
    }
    assert!(names.len() > 20, "found only {names:?}");
    for name in &names {
        assert!(readme.contains(name), "{name} is not in README.md");
        assert!(example.contains(name), "{name} is not in .env.example");
    }
}
