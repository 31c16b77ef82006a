//! The README says what the code does: its services table is the output of
//! `twilio-mcp audit --markdown`, its example prompts are the prompts the
//! server serves, and every setting the CLI reads is documented there and in
//! `.env.example`. `TWILIO_MCP_UPDATE_README=1` rewrites the prompts section
//! instead of comparing it (`tests/update-readme.sh` does).

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

/// The text between the marker comment starting `<!-- {name}:start` and
/// `<!-- {name}:end -->`: its byte range in `text`.
fn section(text: &str, name: &str) -> std::ops::Range<usize> {
    let open = format!("<!-- {name}:start");
    let start = text
        .find(&open)
        .and_then(|i| text[i..].find("-->").map(|j| i + j + 3))
        .unwrap_or_else(|| panic!("{name}:start marker"));
    let end = text
        .find(&format!("<!-- {name}:end -->"))
        .unwrap_or_else(|| panic!("{name}:end marker"));
    start..end
}

#[test]
fn example_prompts_are_the_served_prompts() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = read("README.md");
    let range = section(&readme, "prompts");
    let generated = twilio_mcp::prompts::readme_markdown();
    if std::env::var_os("TWILIO_MCP_UPDATE_README").is_some() {
        let updated = format!(
            "{}\n{generated}\n{}",
            &readme[..range.start],
            &readme[range.end..]
        );
        fs::write(path, updated).expect("README.md written");
        return;
    }
    assert_eq!(
        readme[range].trim(),
        generated.trim(),
        "README's example prompts are stale: run `bash tests/update-readme.sh`"
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
