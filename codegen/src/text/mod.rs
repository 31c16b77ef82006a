//! Twilio's prose, made for a model to read.
//!
//! * [`clean`](clean()): markup → plain text (links, HTML, entities, spaces);
//!   every description goes through it.
//! * [`condense`](condense()): a cleaned parameter description cut to what a
//!   caller needs, by fixed rules; [`tool_description`] drops Twilio's
//!   account boilerplate from an operation's.
//! * Here: the word and sentence helpers both use ([`sentences`],
//!   [`contains_words`], [`split_camel`], [`sentence`]).

mod clean;
mod condense;

pub use clean::clean;
pub use condense::{Condensed, Known, condense, tool_description};

/// Words ending in `.` that do not end a sentence ("e.g. `whatsapp:…`").
const ABBREVIATIONS: &[&str] = &[
    "e.g.", "eg.", "i.e.", "etc.", "vs.", "approx.", "no.", "u.s.", "a.m.", "p.m.", "inc.", "ltd.",
    "min.", "max.", "incl.", "cf.", "st.",
];

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

/// Ends `text` with a full stop unless it already ends with punctuation.
pub fn sentence(text: &str) -> String {
    let t = text.trim();
    if t.is_empty() || t.ends_with(['.', '!', '?', ':']) {
        t.to_string()
    } else {
        format!("{t}.")
    }
}

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

/// The sentences of a text: a word ending in `.`, `!` or `?` ends one when
/// the next word starts with a letter, `[`, `*` or `(` (Twilio starts some
/// in lower case, "jpeg, jpg, gif…"), unless it is an abbreviation ("e.g.")
/// or a list number ("1.").
pub fn sentences(text: &str) -> Vec<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_splits() {
        assert_eq!(split_camel("CreateMessage"), "Create Message");
        assert_eq!(split_camel("FetchSipDomain"), "Fetch Sip Domain");
        assert_eq!(split_camel("ListAPIKeys"), "List API Keys");
        assert_eq!(split_camel("UpdateV2Thing"), "Update V2 Thing");
    }

    #[test]
    fn sentences_end_with_punctuation() {
        assert_eq!(sentence("Used by the account"), "Used by the account.");
        assert_eq!(sentence(" Done? "), "Done?");
        assert_eq!(sentence("Give one of:"), "Give one of:");
        assert_eq!(sentence("  "), "");
    }

    #[test]
    fn words_match_whole() {
        assert!(contains_words("x only y", "only"));
        assert!(contains_words("(US only).", "only"));
        assert!(!contains_words("commonly", "only"));
        assert!(!contains_words("only_if", "only"));
        assert!(contains_words("you must provide", "must provide"));
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
    fn lower_case_and_parenthesised_sentences_are_sentences() {
        assert_eq!(
            sentences("Media URL. jpeg and png are supported. (US only)."),
            ["Media URL.", "jpeg and png are supported.", "(US only)."]
        );
    }

    #[test]
    fn a_full_stop_before_a_digit_does_not_end_a_sentence() {
        assert_eq!(sentences("Version 2. 3 more."), ["Version 2. 3 more."]);
        assert!(sentences("").is_empty());
    }
}
