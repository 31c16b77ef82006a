//! Cleaning Twilio's descriptions for a model to read.
//!
//! Twilio's descriptions are written for its docs site: markdown links with
//! long URLs, some HTML, doubled spaces. Links are reduced to their text (the
//! URL costs tokens and a model cannot follow it), tags are dropped, entities
//! decoded and white space collapsed.

/// Cleans one description: links to their text, no HTML, single spaces.
pub fn clean(text: &str) -> String {
    // Markdown emphasis is noise in a tool definition.
    let text = text.replace("**", "");
    let text = strip_links(&text);
    let text = strip_html(&text);
    let text = decode_entities(&text);
    collapse_whitespace(&text)
}

/// `[text](url)` → `text`; also bare `<https://…>` autolinks → the URL host.
fn strip_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        // Find the closing `](` and the `)` that ends the URL.
        match after.find("](").and_then(|close| {
            let url_start = close + 2;
            after[url_start..]
                .find(')')
                .map(|end| (close, url_start + end + 1))
        }) {
            Some((close, end)) if !after[..close].contains('[') => {
                out.push_str(&after[..close]);
                rest = &after[end..];
            }
            _ => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Drops `<tag …>` markup, keeping the text between tags. `<br>` and block
/// ends become spaces so words do not run together.
fn strip_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let looks_like_tag = after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!');
        match after.find('>') {
            Some(end) if looks_like_tag && !after[..end].contains('<') => {
                out.push(' ');
                rest = &after[end + 1..];
            }
            _ => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    text.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    // "word ." left behind by a removed tag.
    out.replace(" .", ".").replace(" ,", ",")
}

/// Splits `CreateMessageFeedback` into `Create Message Feedback`.
pub fn split_camel(ident: &str) -> String {
    let mut out = String::with_capacity(ident.len() + 8);
    let chars: Vec<char> = ident.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if i > 0 && c.is_uppercase() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                out.push(' ');
            }
        }
        out.push(c);
    }
    out
}

/// A cleaned operation description for a tool: Twilio's account
/// boilerplate dropped ([`TOOL_PHRASES`]), ending with a full stop.
pub fn tool_description(text: &str) -> String {
    let text = TOOL_PHRASES
        .iter()
        .fold(text.to_string(), |t, (long, short)| t.replace(long, short));
    sentence(&text)
}

/// Ends `text` with a full stop unless it already ends with punctuation.
pub fn sentence(text: &str) -> String {
    let t = text.trim();
    if t.is_empty() || t.ends_with(['.', '!', '?', ':']) {
        t.to_string()
    } else {
        format!("{t}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_become_their_text() {
        assert_eq!(
            clean(
                "The SID of the [Account](https://www.twilio.com/docs/iam/api/account) that created it."
            ),
            "The SID of the Account that created it."
        );
        assert_eq!(clean("a [b] c"), "a [b] c");
        assert_eq!(clean("[OBSOLETE] gone"), "[OBSOLETE] gone");
    }

    #[test]
    fn html_is_removed_and_entities_decoded() {
        assert_eq!(
            clean("Use <code>To</code> &amp; <b>From</b>.<br/>Done"),
            "Use To & From. Done"
        );
        assert_eq!(clean("x < 5 and y > 2"), "x < 5 and y > 2");
    }

    #[test]
    fn whitespace_is_collapsed() {
        assert_eq!(clean("  a \n\n b  "), "a b");
    }

    #[test]
    fn camel_case_splits() {
        assert_eq!(split_camel("CreateMessage"), "Create Message");
        assert_eq!(split_camel("FetchSipDomain"), "Fetch Sip Domain");
        assert_eq!(split_camel("ListAPIKeys"), "List API Keys");
        assert_eq!(split_camel("UpdateV2Thing"), "Update V2 Thing");
    }
}

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

/// True when `phrase` occurs in `text` as whole words ("only" is not in
/// "commonly").
pub fn contains_words(text: &str, phrase: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    text.match_indices(phrase).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + phrase.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

/// Longest "Must be in ISO 8601 format." sentence dropped for a date: a
/// longer one says more than the format.
const FORMAT_SENTENCE: usize = 60;

/// Longest later sentence kept by [`condense`].
const MAX_RULE_SENTENCE: usize = 110;

/// A parameter description condensed for a tool definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Condensed {
    pub text: String,
    /// A default stated in the prose ("defaults to `POST`"), as JSON text.
    pub default: Option<String>,
}

/// What the schema already says about a parameter, so prose can skip it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Known<'a> {
    pub enum_values: &'a [String],
    pub is_boolean: bool,
    pub is_integer: bool,
    pub has_default: bool,
    /// `format: date-time` (or `date`): "in ISO 8601 format" goes without saying.
    pub is_date: bool,
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
    let mut default = None;
    let mut kept: Vec<String> = Vec::new();
    for (i, sentence) in sentences(&text).into_iter().enumerate() {
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
    let mut out = kept.join(" ");
    for (long, short) in [
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
    ] {
        // In order: a longer phrase goes before any shorter one inside it.
        out = out.replace(long, short);
    }
    out = drop_resource_word(&out);
    for article in ["The ", "A ", "An "] {
        if let Some(rest) = out.strip_prefix(article)
            && rest.starts_with(|c: char| c.is_alphabetic())
        {
            let mut chars = rest.chars();
            out = chars
                .next()
                .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
                .unwrap_or_default();
            break;
        }
    }
    if restates_names(&out, arg_names) {
        out.clear();
    }
    Condensed { text: out, default }
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

/// "fetched." → "fetch.", for "to be fetched" → "to fetch".
fn active_verb(word: &str) -> Option<String> {
    let bare = word.trim_end_matches(['.', ',', ';']);
    let verb = match bare {
        "fetched" => "fetch",
        "updated" => "update",
        "deleted" => "delete",
        _ => return None,
    };
    Some(format!("{verb}{}", &word[bare.len()..]))
}

/// True when every word of `text` is filler or a word of the tool's
/// argument names: "HTTP method to call SmsFallbackUrl." says nothing that
/// `SmsFallbackMethod` with `enum: [GET, POST]` does not.
fn restates_names(text: &str, arg_names: &[&str]) -> bool {
    const FILLER: &[&str] = &[
        "the", "a", "an", "of", "to", "for", "in", "on", "by", "that", "this", "which", "we",
        "should", "use", "used", "call", "http", "method", "url", "resource", "value",
    ];
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
    let loose = crate::naming::loose_key;
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.contains('_') {
            let key = loose(word);
            if let Some(name) = arg_names.iter().find(|n| loose(n) == key) {
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

/// The sentences of a text: a word ending in `.`, `!` or `?` ends one when
/// the next word starts with a letter, `[`, `*` or `(` (Twilio starts some
/// in lower case, "jpeg, jpg, gif…"), unless it is an abbreviation ("e.g.")
/// or a list number ("1.").
pub fn sentences(text: &str) -> Vec<String> {
    const ABBREVIATIONS: &[&str] = &[
        "e.g.", "eg.", "i.e.", "etc.", "vs.", "approx.", "no.", "u.s.", "a.m.", "p.m.", "inc.",
        "ltd.", "min.", "max.", "incl.", "cf.", "st.",
    ];
    let mut out = Vec::new();
    let mut current = String::new();
    let words: Vec<&str> = text.split(' ').collect();
    for (i, w) in words.iter().enumerate() {
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(w);
        let lower = w.to_lowercase();
        let list_number = w.trim_end_matches('.').chars().all(|c| c.is_ascii_digit());
        let ends = w.ends_with(['.', '!', '?'])
            && !list_number
            && !ABBREVIATIONS.iter().any(|a| lower.ends_with(a))
            && words.get(i + 1).is_some_and(|next| {
                next.starts_with(|c: char| c.is_alphabetic() || matches!(c, '[' | '*' | '('))
            });
        if ends {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.trim().is_empty() {
        out.push(current);
    }
    out
}

/// The value in "defaults to `POST`", "Default value is `false`", "The default is 50".
fn stated_default(sentence: &str) -> Option<String> {
    // ASCII lower-casing keeps byte offsets, so `start` indexes `sentence`.
    let lower = sentence.to_ascii_lowercase();
    let start = [
        "defaults to ",
        "default value is ",
        "the default is ",
        "default is ",
    ]
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
mod condense_tests {
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
        assert!(contains_words("x only y", "only"));
        assert!(!contains_words("commonly", "only"));
    }

    #[test]
    fn list_numbers_and_abbreviations_do_not_end_sentences() {
        assert_eq!(
            sentences("Steps: 1. opened 2. signed. E.g. for a TOTP factor. Done."),
            [
                "Steps: 1. opened 2. signed.",
                "E.g. for a TOTP factor.",
                "Done."
            ]
        );
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
    fn lower_case_and_parenthesised_sentences_are_sentences() {
        assert_eq!(
            sentences("Media URL. jpeg and png are supported. (US only)."),
            ["Media URL.", "jpeg and png are supported.", "(US only)."]
        );
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
}
