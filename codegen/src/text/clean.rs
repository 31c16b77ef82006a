//! Markup → plain text: what Twilio wrote for its docs site, for a model.
//!
//! Twilio's descriptions carry markdown links with long URLs, some HTML,
//! emphasis and doubled spaces. Links are reduced to their text (the URL
//! costs tokens and a model cannot follow it), tags dropped, entities
//! decoded and white space collapsed.

/// HTML entities Twilio uses, decoded in this order (`&amp;` last, so
/// `&amp;lt;` stays `&lt;`).
const ENTITIES: &[(&str, &str)] = &[
    ("&nbsp;", " "),
    ("&lt;", "<"),
    ("&gt;", ">"),
    ("&quot;", "\""),
    ("&#39;", "'"),
    ("&amp;", "&"),
];

/// Cleans one description: links to their text, no HTML, single spaces.
pub fn clean(text: &str) -> String {
    // Markdown emphasis is noise in a tool definition.
    let text = text.replace("**", "");
    let text = strip_links(&text);
    let text = strip_html(&text);
    let text = decode_entities(&text);
    collapse_whitespace(&text)
}

/// `[text](url)` → `text`. (A bare `<https://…>` autolink looks like a tag
/// to [`strip_html`], which drops it whole.)
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
    ENTITIES
        .iter()
        .fold(text.to_string(), |t, (entity, plain)| {
            t.replace(entity, plain)
        })
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
    fn entities_decode_once_ampersand_last() {
        assert_eq!(decode_entities("&quot;a&quot; &#39;b&#39;"), "\"a\" 'b'");
        assert_eq!(decode_entities("&amp;lt;"), "&lt;");
        assert_eq!(decode_entities("no entities"), "no entities");
    }

    #[test]
    fn whitespace_is_collapsed() {
        assert_eq!(clean("  a \n\n b  "), "a b");
        assert_eq!(clean("Done <b>now</b> ."), "Done now.");
    }

    #[test]
    fn autolinks_go_like_tags() {
        assert_eq!(clean("See <https://www.twilio.com/docs> now."), "See now.");
    }

    #[test]
    fn emphasis_goes() {
        assert_eq!(clean("**Required** field"), "Required field");
    }
}
