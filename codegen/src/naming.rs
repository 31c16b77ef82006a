//! Names: tools, tool-name prefixes, synthetic tags and safe argument names.
//!
//! Tool names are `<SpecPrefix>_<operationId>`, e.g. `ApiV2010_CreateMessage`
//! or `MessagingV1_CreateService`. The prefix comes from the spec file name
//! (`twilio_api_v2010.json` → `ApiV2010`), so a name depends only on its own
//! spec file and operation: it is stable across regenerations and unique,
//! because operationIds are unique within a file. A name longer than 64
//! characters (the limit clients enforce) is cut to 57 characters and given a
//! `_` and six hex digits of the SHA-256 of the full name, which stays stable.

use sha2::{Digest, Sha256};

/// Longest tool name clients accept.
pub const MAX_TOOL_NAME: usize = 64;

/// `twilio_api_v2010` → `api_v2010`.
pub fn spec_short(stem: &str) -> String {
    stem.strip_prefix("twilio_").unwrap_or(stem).to_string()
}

/// `twilio_ip_messaging_v2` → `IpMessagingV2`.
pub fn spec_prefix(stem: &str) -> String {
    spec_short(stem)
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// Tool name for an operation of the spec with this prefix.
pub fn tool_name(prefix: &str, operation_id: &str) -> String {
    let op: String = operation_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let full = format!("{prefix}_{op}");
    if full.len() <= MAX_TOOL_NAME {
        return full;
    }
    let digest = Sha256::digest(full.as_bytes());
    let hash: String = digest[..3].iter().map(|b| format!("{b:02x}")).collect();
    format!("{}_{hash}", &full[..MAX_TOOL_NAME - 7])
}

/// Argument name safe for every client (`^[a-zA-Z0-9_.-]{1,64}$`).
///
/// Twilio's inequality filters end in `<` (on or before) and `>` (on or
/// after): `DateSent<` becomes `DateSentBefore`, `DateSent>` becomes
/// `DateSentAfter`. Any other character outside the set becomes `_`.
pub fn safe_arg_name(wire: &str) -> String {
    let (stem, suffix) = if let Some(stem) = wire.strip_suffix('<') {
        (stem, "Before")
    } else if let Some(stem) = wire.strip_suffix('>') {
        (stem, "After")
    } else {
        (wire, "")
    };
    let mut name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    name.push_str(suffix);
    if name.is_empty() {
        name.push('_');
    }
    name.truncate(64);
    name
}

/// Description of an inequality filter (`DateSent<`), which Twilio documents
/// only on the base filter.
pub fn inequality_description(wire: &str) -> Option<String> {
    if let Some(stem) = wire.strip_suffix('<') {
        Some(format!("Only results with {stem} on or before this value."))
    } else {
        wire.strip_suffix('>')
            .map(|stem| format!("Only results with {stem} on or after this value."))
    }
}

/// True when `name` is a property key every major client accepts.
pub fn is_safe_key(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// `url`, `application_sid`, `ApplicationSid` all normalise to `applicationsid`,
/// so `x-twilio.conditional` (snake_case) can be matched to parameters.
pub fn loose_key(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(spec_prefix("twilio_api_v2010"), "ApiV2010");
        assert_eq!(spec_prefix("twilio_ip_messaging_v2"), "IpMessagingV2");
        assert_eq!(spec_prefix("twilio_preview"), "Preview");
        assert_eq!(spec_short("twilio_verify_v2"), "verify_v2");
    }

    #[test]
    fn names_fit_and_stay_stable() {
        assert_eq!(
            tool_name("ApiV2010", "CreateMessage"),
            "ApiV2010_CreateMessage"
        );
        let long = tool_name(
            "MessagingV1",
            "FetchLinkshorteningMessagingServiceDomainAssociationAndMore",
        );
        assert_eq!(long.len(), 64);
        assert!(is_safe_key(&long));
        assert_eq!(
            long,
            tool_name(
                "MessagingV1",
                "FetchLinkshorteningMessagingServiceDomainAssociationAndMore"
            )
        );
        assert_ne!(
            long,
            tool_name(
                "MessagingV1",
                "FetchLinkshorteningMessagingServiceDomainAssociationAndLess"
            )
        );
    }

    #[test]
    fn safe_names() {
        assert_eq!(safe_arg_name("DateSent<"), "DateSentBefore");
        assert_eq!(safe_arg_name("DateSent>"), "DateSentAfter");
        assert_eq!(
            safe_arg_name("X-Twilio-Webhook-Enabled"),
            "X-Twilio-Webhook-Enabled"
        );
        assert_eq!(safe_arg_name("a b"), "a_b");
        assert!(is_safe_key("AddOns.x"));
        assert!(!is_safe_key("DateSent<"));
    }

    #[test]
    fn loose_keys() {
        assert_eq!(loose_key("application_sid"), loose_key("ApplicationSid"));
    }
}
