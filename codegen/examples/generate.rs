//! Generates the catalog from a spec directory, with the built-in
//! extensions as the server's build adds them, and prints a summary:
//! `cargo run -p twilio-mcp-codegen --example generate -- DIR [OUT.rs]`.
fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next() else {
        eprintln!("usage: generate DIR [OUT.rs]");
        std::process::exit(2);
    };
    let started = std::time::Instant::now();
    let catalog = match twilio_mcp_codegen::load_catalog(dir.as_ref()).and_then(|mut c| {
        twilio_mcp_codegen::add_built_in_extensions(&mut c)?;
        Ok(c)
    }) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let loaded = started.elapsed();
    let source = match twilio_mcp_codegen::render(&catalog) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let (info, warnings, errors) = twilio_mcp_codegen::finding_counts(&catalog);
    println!(
        "{} specs, {} tools; findings: {info} info, {warnings} warnings, {errors} errors; \
         load {loaded:?}, total {:?}, {} bytes of source",
        catalog.specs.len(),
        catalog.tools.len(),
        started.elapsed(),
        source.len()
    );
    for f in catalog
        .findings
        .iter()
        .filter(|f| f.level != twilio_mcp_codegen::model::FindingLevel::Info)
    {
        println!("{:?} {} {:?}: {}", f.level, f.spec, f.operation, f.message);
    }
    if let Some(out) = args.next()
        && let Err(e) = std::fs::write(&out, source)
    {
        eprintln!("error: cannot write {out}: {e}");
        std::process::exit(1);
    }
}
