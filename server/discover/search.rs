//! Search for discovery mode: a small ranked keyword index over the catalog.
//!
//! Query words are lower-cased, singularised and mapped through a few
//! synonyms ("sms" → message, "buy" → incoming), then scored by inverse
//! document frequency against each tool's operation name (strongest),
//! title, tag, description and argument names, with a bonus for naming the
//! operation's resource, another when the query's verb matches the
//! operation's (`send` → `Create…`), and a mild preference for current APIs
//! over superseded ones. The vocabulary and the weights are the data at the
//! top of this file; the tests at the bottom are the tasks it must answer.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use twilio_mcp_codegen::text::split_camel;

use crate::catalog::{self, ToolId};

/// Words that say nothing about which operation is meant.
const STOP_WORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "to",
    "of",
    "in",
    "on",
    "for",
    "from",
    "and",
    "or",
    "my",
    "me",
    "i",
    "with",
    "by",
    "this",
    "that",
    "is",
    "are",
    "be",
    "it",
    "as",
    "at",
    "can",
    "you",
    "your",
    "resource",
    "resources",
    "twilio",
    "api",
    "sid",
    "v1",
    "v2",
    "v2010",
];

/// Query words that ask for an operation verb (`send` → `Create…`); the
/// first group naming a word wins.
const VERBS: &[(&str, &[&str])] = &[
    (
        "create",
        &[
            "send",
            "create",
            "buy",
            "purchase",
            "provision",
            "make",
            "add",
            "start",
            "new",
            "place",
            "register",
            "open",
            "schedule",
            "execute",
            "run",
            "trigger",
        ],
    ),
    (
        "list",
        &["list", "show", "find", "search", "all", "which", "history"],
    ),
    (
        "fetch",
        &[
            "get", "fetch", "read", "lookup", "look", "detail", "status", "check",
        ],
    ),
    (
        "update",
        &[
            "update",
            "change",
            "modify",
            "edit",
            "set",
            "rename",
            "redirect",
            "end",
            "hang",
            "mute",
            "configure",
        ],
    ),
    (
        "delete",
        &[
            "delete", "remove", "release", "cancel", "drop", "destroy", "erase",
        ],
    ),
];

/// Query words and the catalog words they also stand for; the first group
/// naming a word wins.
const SYNONYMS: &[(&[&str], &[&str])] = &[
    (&["sms", "mms", "text", "texts", "whatsapp"], &["message"]),
    (&["number"], &["incoming", "phone"]),
    (&["buy", "purchase", "provision"], &["incoming"]),
    (&["dial", "phonecall", "ring"], &["call"]),
    (&["bill", "billing", "spend", "cost"], &["usage", "record"]),
    (
        &["otp", "verification", "2fa", "verify"],
        &["verification", "verify"],
    ),
    (
        &["canada", "uk", "us", "country"],
        &["country", "available"],
    ),
    (&["chat"], &["conversation"]),
    (&["look", "lookup"], &["lookup"]),
    (&["execute", "run", "trigger"], &["execution"]),
    (&["agent"], &["worker"]),
    (&["queue"], &["task", "queue"]),
    (&["function", "serverless"], &["function", "serverless"]),
    (&["subaccount"], &["account"]),
];

/// Added to a tool's score by its spec: current, general-purpose APIs
/// first, superseded ones last; other specs 0.
const SPEC_PRIORS: &[(&str, f32)] = &[
    ("twilio_api_v2010", 1.0),
    ("twilio_ip_messaging_v1", -1.5),
    ("twilio_ip_messaging_v2", -1.5),
    ("twilio_chat_v1", -1.5),
    ("twilio_preview", -1.5),
    ("twilio_studio_v1", -1.5),
];

/// A word's weight in a tool by where it occurs (the highest counts), times
/// its inverse document frequency.
const WEIGHT_OPERATION: f32 = 3.0;
const WEIGHT_TITLE: f32 = 2.0;
const WEIGHT_TAG: f32 = 3.0;
const WEIGHT_DESCRIPTION: f32 = 1.0;
const WEIGHT_PARAM: f32 = 0.3;
/// Bonus for naming the operation's whole resource ("calls" is all of
/// ListCall's, one word of ListUsageRecordYesterday's), pro rata.
const RESOURCE_BONUS: f32 = 5.0;
/// Bonus when the query's verb is the operation's.
const VERB_BONUS: f32 = 4.0;
/// Smaller bonus for a fetch operation when the query asks to list.
const LIST_FOR_FETCH_BONUS: f32 = 1.0;

/// A tool's terms with their weights.
struct Doc {
    id: ToolId,
    terms: HashMap<String, f32>,
    verb: String,
    /// Words of the operation's resource (`ListCallRecording` → call, recording).
    resource: Vec<String>,
    prior: f32,
}

struct Index {
    docs: Vec<Doc>,
    idf: HashMap<String, f32>,
}

static INDEX: LazyLock<Index> = LazyLock::new(build_index);

fn build_index() -> Index {
    let mut docs = Vec::with_capacity(catalog::TOOL_COUNT);
    for (id, tool) in catalog::all() {
        let mut terms: HashMap<String, f32> = HashMap::new();
        let mut add = |text: &str, weight: f32| {
            for word in words(text) {
                let w = terms.entry(word).or_insert(0.0);
                *w = w.max(weight);
            }
        };
        add(&split_camel(tool.operation_id), WEIGHT_OPERATION);
        add(tool.title, WEIGHT_TITLE);
        add(&split_camel(tool.tag), WEIGHT_TAG);
        add(tool.description, WEIGHT_DESCRIPTION);
        for p in tool.params {
            add(&split_camel(p.name), WEIGHT_PARAM);
        }
        let op_words = split_camel(tool.operation_id);
        let mut op_words = op_words.split(' ');
        let verb = op_words.next().unwrap_or_default().to_lowercase();
        let resource = words(&op_words.collect::<Vec<_>>().join(" "));
        docs.push(Doc {
            id,
            terms,
            verb,
            resource,
            prior: prior(tool.spec),
        });
    }
    let n = docs.len() as f32;
    let mut df: HashMap<String, f32> = HashMap::new();
    for doc in &docs {
        for term in doc.terms.keys() {
            *df.entry(term.clone()).or_insert(0.0) += 1.0;
        }
    }
    let idf = df
        .into_iter()
        .map(|(t, d)| (t, ((n - d + 0.5) / (d + 0.5) + 1.0).ln()))
        .collect();
    Index { docs, idf }
}

/// A tool's prior by its spec: [`SPEC_PRIORS`], else 0.
fn prior(spec: &str) -> f32 {
    SPEC_PRIORS
        .iter()
        .find(|(name, _)| *name == spec)
        .map_or(0.0, |&(_, prior)| prior)
}

/// The ids of the best matches among the tools `allowed` accepts.
pub fn search(query: &str, allowed: impl Fn(ToolId) -> bool, limit: usize) -> Vec<ToolId> {
    let index = &*INDEX;
    let mut query_terms: Vec<String> = Vec::new();
    let mut verb: Option<&'static str> = None;
    for word in words(query) {
        if verb.is_none() {
            verb = verb_of(&word);
        }
        for term in expand(&word) {
            if !query_terms.contains(&term) {
                query_terms.push(term);
            }
        }
    }
    let mut scored: Vec<(f32, ToolId)> = index
        .docs
        .iter()
        .filter(|d| allowed(d.id))
        .filter_map(|d| {
            let mut score = 0.0;
            let mut matched = 0;
            for term in &query_terms {
                if let Some(w) = d.terms.get(term) {
                    score += w * index.idf.get(term).copied().unwrap_or(0.0);
                    matched += 1;
                }
            }
            if matched == 0 {
                return None;
            }
            // How much of the operation's resource the query names: "calls"
            // is ListCall's whole resource, one word of ListUsageRecordYesterday's.
            if !d.resource.is_empty() {
                let covered = d
                    .resource
                    .iter()
                    .filter(|w| query_terms.contains(w))
                    .count();
                score += RESOURCE_BONUS * covered as f32 / d.resource.len() as f32;
            }
            if let Some(v) = verb {
                if d.verb == v {
                    score += VERB_BONUS;
                } else if v == "list" && d.verb == "fetch" {
                    score += LIST_FOR_FETCH_BONUS;
                }
            }
            Some((score + d.prior, d.id))
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(limit).map(|(_, id)| id).collect()
}

/// The operation verb a query word asks for ([`VERBS`]).
fn verb_of(word: &str) -> Option<&'static str> {
    VERBS
        .iter()
        .find(|(_, words)| words.contains(&word))
        .map(|&(verb, _)| verb)
}

/// A query word and the catalog words it stands for ([`SYNONYMS`]).
fn expand(word: &str) -> Vec<String> {
    let mut out = vec![word.to_string()];
    let extra = SYNONYMS
        .iter()
        .find(|(words, _)| words.contains(&word))
        .map_or(&[][..], |&(_, extra)| extra);
    for e in extra {
        if !out.iter().any(|w| w == e) {
            out.push((*e).to_string());
        }
    }
    out
}

/// Lower-cased, singular words of a text, without stop words.
fn words(text: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| singular(&w.to_ascii_lowercase()))
        .filter(|w| !STOP_WORDS.contains(&w.as_str()) && seen.insert(w.clone()))
        .collect()
}

fn singular(word: &str) -> String {
    if word.len() > 4 && word.ends_with("ies") {
        format!("{}y", &word[..word.len() - 3])
    } else if word.len() > 3
        && word.ends_with('s')
        && !word.ends_with("ss")
        && !word.ends_with("us")
    {
        word[..word.len() - 1].to_string()
    } else {
        word.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Natural-language tasks and the operation a model should find.
    const TASKS: &[(&str, &[&str])] = &[
        ("send an SMS", &["ApiV2010_CreateMessage"]),
        ("send a WhatsApp message", &["ApiV2010_CreateMessage"]),
        (
            "buy a phone number in Canada",
            &[
                "ApiV2010_CreateIncomingPhoneNumber",
                "ApiV2010_ListAvailablePhoneNumberLocal",
                "ApiV2010_ListAvailablePhoneNumberCountry",
            ],
        ),
        ("list failed calls from yesterday", &["ApiV2010_ListCall"]),
        (
            "create a TaskRouter activity",
            &["TaskrouterV1_CreateActivity"],
        ),
        ("make a phone call", &["ApiV2010_CreateCall"]),
        ("hang up a call", &["ApiV2010_UpdateCall"]),
        (
            "list my phone numbers",
            &["ApiV2010_ListIncomingPhoneNumber"],
        ),
        (
            "release a phone number",
            &["ApiV2010_DeleteIncomingPhoneNumber"],
        ),
        ("delete a recording", &["ApiV2010_DeleteRecording"]),
        (
            "list recordings of a call",
            &["ApiV2010_ListCallRecording", "ApiV2010_ListRecording"],
        ),
        ("send a verification code", &["VerifyV2_CreateVerification"]),
        (
            "check a verification code",
            &["VerifyV2_CreateVerificationCheck"],
        ),
        (
            "look up a phone number",
            &["LookupsV2_FetchPhoneNumber", "LookupsV1_FetchPhoneNumber"],
        ),
        (
            "create a conversation",
            &["ConversationsV1_CreateConversation"],
        ),
        (
            "add a participant to a conversation",
            &["ConversationsV1_CreateConversationParticipant"],
        ),
        ("create a studio flow", &["StudioV2_CreateFlow"]),
        ("execute a studio flow", &["StudioV2_CreateExecution"]),
        (
            "show this month's usage",
            &[
                "ApiV2010_ListUsageRecordThisMonth",
                "ApiV2010_ListUsageRecord",
            ],
        ),
        ("create a messaging service", &["MessagingV1_CreateService"]),
        ("create a subaccount", &["ApiV2010_CreateAccount"]),
        ("list conferences", &["ApiV2010_ListConference"]),
        ("create a TaskRouter worker", &["TaskrouterV1_CreateWorker"]),
        ("create a sync document", &["SyncV1_CreateDocument"]),
        ("cancel a scheduled message", &["ApiV2010_UpdateMessage"]),
    ];

    #[test]
    fn tasks_find_their_operation_in_the_top_three() {
        let mut failures = Vec::new();
        for (task, expected) in TASKS {
            for e in *expected {
                assert!(catalog::find(e).is_some(), "{e} is not a tool");
            }
            let hits: Vec<&str> = search(task, |_| true, 3)
                .into_iter()
                .filter_map(catalog::get)
                .map(|t| t.name)
                .collect();
            if !hits.iter().any(|h| expected.contains(h)) {
                failures.push(format!("{task:?} → {hits:?}"));
            }
        }
        assert!(
            failures.is_empty(),
            "not in the top 3:\n{}",
            failures.join("\n")
        );
    }

    #[test]
    fn search_respects_the_selection() {
        let messaging = crate::filter::Selection::parse(&["Messaging"]).expect("messaging");
        let hits = search("create a conversation", |id| messaging.contains(id), 5);
        assert!(hits.iter().all(|&id| messaging.contains(id)));
    }
}
