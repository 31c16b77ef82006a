//! Descriptions cut to what a caller needs, by fixed rules.
//!
//! A tool definition is paid for in tokens on every request, so the served
//! schema carries each parameter's description condensed ([`condense`]) and
//! each tool's without Twilio's account boilerplate ([`tool_description`]).
//! Every rule is deterministic; the phrases it matches are the tables below.

use super::{contains_words, sentence, sentences, split_camel};
use crate::naming::loose_key;

/// Twilio's stock phrases in operation descriptions that say nothing: every
/// call acts on the configured account.
const TOOL_PHRASES: &[(&str, &str)] = &[
    (" belonging to the account used to make the request", ""),
    (" associated with a Twilio Account", ""),
    (" associated with your account", ""),
];

/// Sentences worth keeping after the first: they state a rule a caller must follow.
const RULE_WORDS: &[&str] = &[
    "must",
    "required",
    "requires",
    "cannot",
    "can't",
    "can not",
    "either",
    "exactly",
    "up to",
    "at most",
    "maximum",
    "minimum",
    "not allowed",
    "only",
    "mutually",
    "ignore",
    "deprecated",
    "obsolete",
    "overrides",
    "takes priority",
    "instead of",
];

/// Twilio's stock phrases in parameter descriptions and their short forms,
/// replaced in order: a longer phrase goes before any shorter one inside it.
const SHORTER_PHRASES: &[(&str, &str)] = &[
    (" that we should use to ", " to "),
    (" we should use to ", " to "),
    (" that we should call ", " to call "),
    (" we should call ", " to call "),
    (" that we should use ", " to use "),
    (" that we should associate with ", " to associate with "),
    (" we should associate with ", " to associate with "),
    ("A Boolean indicating whether or not ", "Whether "),
    ("a Boolean indicating whether or not ", "whether "),
    ("Boolean indicating whether or not ", "Whether "),
    ("A Boolean indicating whether ", "Whether "),
    ("a Boolean indicating whether ", "whether "),
    ("Boolean indicating whether ", "Whether "),
    (
        "descriptive string that you created to describe ",
        "name for ",
    ),
    (
        "descriptive string that you create to describe ",
        "name for ",
    ),
    (
        "Descriptive string that you created to describe ",
        "Name for ",
    ),
    (
        "Descriptive string that you create to describe ",
        "Name for ",
    ),
    ("It can be up to ", "Up to "),
    ("Can be up to ", "Up to "),
    (" characters long.", " characters."),
    (" characters in length.", " characters."),
    (
        "This parameter will no longer have any effect as of ",
        "No effect as of ",
    ),
    (
        "How many resources to return in each list page.",
        "Resources per page.",
    ),
    (
        "Twilio-provided string that uniquely identifies the ",
        "SID of the ",
    ),
    (
        "The unique string that we created to identify the ",
        "SID of the ",
    ),
    ("The unique string that identifies the ", "SID of the "),
];

/// Articles a condensed description loses at its start ("The SID of" →
/// "SID of").
const LEADING_ARTICLES: &[&str] = &["The ", "A ", "An "];

/// Phrases that state a default; the value follows ("defaults to `POST`").
const DEFAULT_PHRASES: &[&str] = &[
    "defaults to ",
    "default value is ",
    "the default is ",
    "default is ",
];

/// "to be fetched" → "to fetch", after a resource name.
const PASSIVE_VERBS: &[(&str, &str)] = &[
    ("fetched", "fetch"),
    ("updated", "update"),
    ("deleted", "delete"),
];

/// Words that say nothing beyond a tool's argument names (see
/// [`restates_names`]).
const FILLER: &[&str] = &[
    "the", "a", "an", "of", "to", "for", "in", "on", "by", "that", "this", "which", "we", "should",
    "use", "used", "call", "http", "method", "url", "resource", "value",
];

/// Longest "Must be in ISO 8601 format." sentence dropped for a date: a
/// longer one says more than the format.
const FORMAT_SENTENCE: usize = 60;

/// Longest later sentence kept by [`condense`].
const MAX_RULE_SENTENCE: usize = 110;

/// A parameter description condensed for a tool definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Condensed {
    /// The condensed text; empty when nothing is worth saying.
    pub text: String,
    /// A default stated in the prose ("defaults to `POST`"), as JSON text.
    pub default: Option<String>,
}

/// What the schema already says about a parameter, so prose can skip it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Known<'a> {
    /// The schema's `enum` values.
    pub enum_values: &'a [String],
    /// `type: boolean`.
    pub is_boolean: bool,
    /// `type: integer`.
    pub is_integer: bool,
    /// The schema has a `default` already.
    pub has_default: bool,
    /// `format: date-time` (or `date`): "in ISO 8601 format" goes without saying.
    pub is_date: bool,
}

/// A cleaned operation description for a tool: Twilio's account
/// boilerplate dropped ("… belonging to the account used to make the
/// request", "… associated with your account"), ending with a full stop.
pub fn tool_description(text: &str) -> String {
    let text = TOOL_PHRASES
        .iter()
        .fold(text.to_string(), |t, (long, short)| t.replace(long, short));
    sentence(&text)
}

/// Condenses a cleaned parameter description, every rule deterministic:
/// the first sentence plus later ones that state a rule (must, required, up
/// to, …); "Can be: …" sentences dropped when the schema lists the values;
/// a stated default moved to the schema's `default`; `snake_case` names of
/// sibling arguments rewritten as the argument names the caller uses
/// (`sms_url` → `SmsUrl`); backticks dropped; "in ISO 8601 format"
/// sentences dropped for dates; Twilio's stock phrases shortened ("The SID
/// of" → "SID of", "that we should use to call" → "to call", "A Boolean
/// indicating whether or not" → "Whether", "A descriptive string that you
/// create to describe" → "Name for", "It can be up to 64 characters long."
/// → "Up to 64 characters.").
pub fn condense(text: &str, arg_names: &[&str], known: Known<'_>) -> Condensed {
    let text = rename_references(text, arg_names);
    let (kept, default) = keep_sentences(&text, known);
    let shorter = shorten_phrases(&kept.join(" "));
    let mut out = drop_leading_article(drop_resource_word(&shorter));
    if restates_names(&out, arg_names) {
        out.clear();
    }
    Condensed { text: out, default }
}

/// The sentences worth keeping (the first, then those that state a rule
/// briefly), and a default the prose states that the schema can carry.
fn keep_sentences(text: &str, known: Known<'_>) -> (Vec<String>, Option<String>) {
    let mut default = None;
    let mut kept: Vec<String> = Vec::new();
    for (i, sentence) in sentences(text).into_iter().enumerate() {
        let lower = sentence.to_lowercase();
        if let Some(value) = stated_default(&sentence)
            && !known.has_default
            && default.is_none()
        {
            let literal = (known.is_boolean && (value == "true" || value == "false"))
                || (known.is_integer && value.parse::<i64>().is_ok());
            let json = if literal {
                Some(value.clone())
            } else if known.enum_values.contains(&value) {
                Some(format!("\"{value}\""))
            } else {
                None
            };
            if let Some(json) = json {
                default = Some(json);
                if i > 0 || lower.starts_with("can be") || lower.starts_with("default") {
                    continue;
                }
            }
        }
        let lists_values = lower.starts_with("can be") || lower.starts_with("possible values");
        if lists_values && (known.is_boolean || !known.enum_values.is_empty()) {
            continue;
        }
        if i > 0 && known.is_date && lower.contains("iso 8601") && sentence.len() <= FORMAT_SENTENCE
        {
            continue;
        }
        // Later sentences only when they state a rule, briefly: a tool
        // definition is paid for in tokens on every request.
        if i == 0
            || (sentence.len() <= MAX_RULE_SENTENCE
                && RULE_WORDS.iter().any(|w| contains_words(&lower, w)))
        {
            kept.push(sentence);
        }
    }
    (kept, default)
}

/// [`SHORTER_PHRASES`], in order.
fn shorten_phrases(text: &str) -> String {
    SHORTER_PHRASES
        .iter()
        .fold(text.to_string(), |t, (long, short)| t.replace(long, short))
}

/// "The status of …" → "Status of …": the first of [`LEADING_ARTICLES`]
/// that starts the text, when a word follows it.
fn drop_leading_article(text: String) -> String {
    for article in LEADING_ARTICLES {
        if let Some(rest) = text.strip_prefix(article)
            && rest.starts_with(|c: char| c.is_alphabetic())
        {
            let mut chars = rest.chars();
            return chars
                .next()
                .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
                .unwrap_or_default();
        }
    }
    text
}

/// "the Message resource to be fetched" → "the Message to fetch": the word
/// "resource(s)" goes only after a capitalised resource name and before
/// "to" or "you wish to" (after "the" it is the noun itself and stays).
fn drop_resource_word(text: &str) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let word = words[i];
        let after_name = out
            .last()
            .is_some_and(|prev| prev.starts_with(|c: char| c.is_ascii_uppercase()));
        if matches!(word, "resource" | "resources") && after_name {
            match (words.get(i + 1), words.get(i + 2), words.get(i + 3)) {
                (Some(&"to"), Some(&"be"), Some(done)) if active_verb(done).is_some() => {
                    out.push("to".into());
                    out.extend(active_verb(done));
                    i += 4;
                    continue;
                }
                (Some(&"to"), ..) => {
                    i += 1;
                    continue;
                }
                (Some(&"you"), Some(&"wish"), Some(&"to")) => {
                    out.push("to".into());
                    i += 4;
                    continue;
                }
                _ => {}
            }
        }
        out.push(word.to_string());
        i += 1;
    }
    out.join(" ")
}

/// "fetched." → "fetch.", for "to be fetched" → "to fetch" ([`PASSIVE_VERBS`]).
fn active_verb(word: &str) -> Option<String> {
    let bare = word.trim_end_matches(['.', ',', ';']);
    let (_, verb) = PASSIVE_VERBS.iter().find(|(passive, _)| *passive == bare)?;
    Some(format!("{verb}{}", &word[bare.len()..]))
}

/// True when every word of `text` is filler or a word of the tool's
/// argument names: "HTTP method to call SmsFallbackUrl." says nothing that
/// `SmsFallbackMethod` with `enum: [GET, POST]` does not.
fn restates_names(text: &str, arg_names: &[&str]) -> bool {
    let known: Vec<String> = arg_names
        .iter()
        .flat_map(|n| {
            let lower = n.to_lowercase();
            let mut words: Vec<String> = split_camel(n).split(' ').map(str::to_lowercase).collect();
            words.push(lower);
            words
        })
        .collect();
    let words: Vec<String> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    !words.is_empty()
        && words
            .iter()
            .all(|w| FILLER.contains(&w.as_str()) || known.contains(w))
}

/// `sms_url`, `` `sms_url` `` → `SmsUrl` when a sibling argument has that
/// name (compared ignoring case and underscores); other backticks dropped.
fn rename_references(text: &str, arg_names: &[&str]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.contains('_') {
            let key = loose_key(word);
            if let Some(name) = arg_names.iter().find(|n| loose_key(n) == key) {
                out.push_str(name);
                word.clear();
                return;
            }
        }
        out.push_str(word);
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            if c != '`' {
                out.push(c);
            }
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The value in "defaults to `POST`", "Default value is `false`", "The
/// default is 50" ([`DEFAULT_PHRASES`]).
fn stated_default(sentence: &str) -> Option<String> {
    // ASCII lower-casing keeps byte offsets, so `start` indexes `sentence`.
    let lower = sentence.to_ascii_lowercase();
    let start = DEFAULT_PHRASES
        .iter()
        .find_map(|p| lower.find(p).map(|i| i + p.len()))?;
    let value: String = sentence[start..]
        .trim_start_matches(['`', '\'', '"'])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    (!value.is_empty()).then_some(value)
}
#[cfg(test)]
mod tests {
    use super::*;

    fn enum_known(values: &[String]) -> Known<'_> {
        Known {
            enum_values: values,
            ..Known::default()
        }
    }

    #[test]
    fn method_descriptions_lose_what_the_schema_says() {
        let values = vec!["GET".to_string(), "POST".to_string()];
        let c = condense(
            "The HTTP method that we should use to call `sms_fallback_url`. Can be: `GET` or `POST` and defaults to `POST`.",
            &["SmsFallbackUrl", "SmsFallbackMethod"],
            enum_known(&values),
        );
        // Nothing beyond the argument names and the enum: dropped.
        assert_eq!(c.text, "");
        assert_eq!(c.default.as_deref(), Some("\"POST\""));
        let c = condense(
            "The HTTP method to call `status_callback` when the call ends.",
            &["StatusCallback", "StatusCallbackMethod"],
            enum_known(&values),
        );
        assert_eq!(
            c.text,
            "HTTP method to call StatusCallback when the call ends."
        );
    }

    #[test]
    fn rules_survive_and_filler_goes() {
        let c = condense(
            "The desired area code for your new incoming phone number. Can be any three-digit, US or Canada area code. We will provision an available phone number within this area code for you. **You must provide an `area_code` or a `phone_number`.** (US and Canada only).",
            &["AreaCode", "PhoneNumber"],
            Known::default(),
        );
        assert_eq!(
            c.text,
            "Desired area code for your new incoming phone number. **You must provide an AreaCode or a PhoneNumber.** (US and Canada only)."
        );
    }

    #[test]
    fn stock_phrases_are_shortened() {
        let c = condense(
            "A descriptive string that you create to describe the resource. It can be up to 64 characters long.",
            &[],
            Known::default(),
        );
        assert_eq!(c.text, "Name for the resource. Up to 64 characters.");
        let c = condense(
            "For Link Shortening only: A Boolean indicating whether or not Twilio should shorten links.",
            &[],
            Known::default(),
        );
        assert_eq!(
            c.text,
            "For Link Shortening only: Whether Twilio should shorten links."
        );
        let c = condense(
            "The SID of the Address resource that we should associate with the phone number.",
            &[],
            Known::default(),
        );
        assert_eq!(
            c.text,
            "SID of the Address to associate with the phone number."
        );
    }

    #[test]
    fn resource_goes_only_after_a_resource_name() {
        for (text, want) in [
            (
                "The SID of the Message resource to be fetched.",
                "SID of the Message to fetch.",
            ),
            (
                "The SID of the Message resource you wish to delete",
                "SID of the Message to delete",
            ),
            (
                "The SID of the IncomingPhoneNumber resource to update.",
                "SID of the IncomingPhoneNumber to update.",
            ),
            // After "the", "resource" is the noun itself.
            (
                "The status of the resources to read.",
                "Status of the resources to read.",
            ),
            (
                "The unique id that identifies the resource to fetch.",
                "Unique id that identifies the resource to fetch.",
            ),
        ] {
            assert_eq!(condense(text, &[], Known::default()).text, want, "{text}");
        }
    }

    #[test]
    fn rule_words_are_whole_words() {
        let c = condense(
            "The region. Commonly used in tests. (US and Canada only).",
            &[],
            Known::default(),
        );
        assert_eq!(c.text, "Region. (US and Canada only).");
    }

    #[test]
    fn iso_dates_go_without_saying() {
        let text = "Time that Twilio will send the message. Must be in ISO 8601 format.";
        let date = Known {
            is_date: true,
            ..Known::default()
        };
        assert_eq!(
            condense(text, &[], date).text,
            "Time that Twilio will send the message."
        );
        assert_eq!(condense(text, &[], Known::default()).text, text);
    }

    #[test]
    fn account_boilerplate_leaves_tool_descriptions() {
        assert_eq!(
            tool_description("Fetch a number belonging to the account used to make the request"),
            "Fetch a number."
        );
        // Only tool descriptions: `sentence` is plain punctuation.
        assert_eq!(sentence("Used by the account"), "Used by the account.");
    }

    #[test]
    fn abbreviations_do_not_end_sentences() {
        let c = condense(
            "The recipient's phone number in E.164 format or channel address, e.g. `whatsapp:+15552229999`. More text here.",
            &[],
            Known::default(),
        );
        assert_eq!(
            c.text,
            "Recipient's phone number in E.164 format or channel address, e.g. whatsapp:+15552229999."
        );
    }

    #[test]
    fn boolean_defaults_move_to_the_schema() {
        let c = condense(
            "Whether to shorten links. Default value is `false`.",
            &[],
            Known {
                is_boolean: true,
                ..Known::default()
            },
        );
        assert_eq!(c.text, "Whether to shorten links.");
        assert_eq!(c.default.as_deref(), Some("false"));
    }

    #[test]
    fn each_step_alone() {
        assert_eq!(
            rename_references("Use `sms_url` or `other_thing`.", &["SmsUrl"]),
            "Use SmsUrl or other_thing."
        );
        assert_eq!(
            shorten_phrases(
                "The URL that we should call when done. It can be up to 64 characters long."
            ),
            "The URL to call when done. Up to 64 characters."
        );
        assert_eq!(drop_leading_article("The status.".into()), "Status.");
        assert_eq!(
            drop_leading_article("An (odd) one.".into()),
            "An (odd) one."
        );
        assert_eq!(drop_leading_article("Another one.".into()), "Another one.");
        assert_eq!(active_verb("deleted."), Some("delete.".into()));
        assert_eq!(active_verb("created"), None);
        assert!(restates_names(
            "The HTTP method to call SmsUrl.",
            &["SmsUrl"]
        ));
        assert!(!restates_names("", &["SmsUrl"]));
        assert!(!restates_names("Called when the SMS fails.", &["SmsUrl"]));
    }

    #[test]
    fn defaults_are_read_from_the_prose() {
        assert_eq!(stated_default("Defaults to `POST`."), Some("POST".into()));
        assert_eq!(stated_default("The default is 50."), Some("50".into()));
        assert_eq!(
            stated_default("Default value is 'true'"),
            Some("true".into())
        );
        assert_eq!(stated_default("No default here."), None);
        assert_eq!(stated_default("Defaults to ."), None);
    }

    #[test]
    fn a_stated_default_only_moves_when_the_schema_can_carry_it() {
        let values = vec!["fixed".to_string()];
        // Not an enum value, not a boolean or integer: stays prose.
        let (kept, default) = keep_sentences("Mode. Defaults to `auto`.", enum_known(&values));
        assert_eq!((kept.len(), default), (1, None));
        // An enum value: out of the prose, into the schema.
        let (kept, default) = keep_sentences("Mode. Defaults to `fixed`.", enum_known(&values));
        assert_eq!(kept, ["Mode."]);
        assert_eq!(default.as_deref(), Some("\"fixed\""));
        // The schema has a default already: the prose is left alone.
        let has = Known {
            has_default: true,
            ..enum_known(&values)
        };
        let (kept, default) = keep_sentences("Mode. Defaults to `fixed`.", has);
        assert_eq!((kept, default), (vec!["Mode.".to_string()], None));
        // An integer default in the first sentence keeps the sentence.
        let integer = Known {
            is_integer: true,
            ..Known::default()
        };
        let (kept, default) = keep_sentences("The default is 50 items.", integer);
        assert_eq!(kept, ["The default is 50 items."]);
        assert_eq!(default.as_deref(), Some("50"));
    }

    #[test]
    fn long_rule_sentences_are_dropped() {
        let long = format!("Name. You must {}.", "x".repeat(MAX_RULE_SENTENCE));
        assert_eq!(condense(&long, &[], Known::default()).text, "Name.");
    }
}
