//! Cleaning Twilio's descriptions for a model to read.
//!
//! Twilio's descriptions are written for its docs site: markdown links with
//! long URLs, some HTML, doubled spaces. Links are reduced to their text (the
//! URL costs tokens and a model cannot follow it), tags are dropped, entities
//! decoded and white space collapsed.

/// Cleans one description: links to their text, no HTML, single spaces.
pub fn clean(text: &str) -> String {
    let text = strip_links(text);
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
