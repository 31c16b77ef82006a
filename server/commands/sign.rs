//! `twilio-mcp sign`: the X-Twilio-Signature a client must send.

use crate::auth::signature;
use crate::cli::SignArgs;
use crate::config;

pub fn run(args: &SignArgs) -> Result<(), String> {
    let tokens = config::auth_tokens_from_env();
    let Some(token) = tokens.first() else {
        return Err("TWILIO_AUTH_TOKEN is not set (in the environment or .env)".into());
    };
    let mut params = Vec::new();
    for p in &args.params {
        let (k, v) = p
            .split_once('=')
            .ok_or_else(|| format!("bad --param `{p}`: expected NAME=VALUE"))?;
        params.push((k.to_string(), v.to_string()));
    }
    let sig = signature::compute(token.expose(), &args.url, &params);
    if args.client_config {
        let config = serde_json::json!({
            "mcpServers": {
                "twilio": {
                    "type": "http",
                    "url": args.url,
                    "headers": {"X-Twilio-Signature": sig}
                }
            }
        });
        let text = serde_json::to_string_pretty(&config).map_err(|e| e.to_string())?;
        outln!("{text}");
    } else {
        outln!("{sig}");
    }
    Ok(())
}
