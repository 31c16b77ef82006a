//! MCP prompts: recipes for common Twilio tasks, as data.
//!
//! Each [`PromptDef`] in [`PROMPTS`] names the tools it uses, in order
//! ([`Step`]), its arguments, and the care it asks of the model (what it
//! costs, what to confirm first). A request sees a prompt only when every
//! tool it names is one the request may call: in its selected services and
//! allowed by the server's policy (read-only mode, allow/deny lists), so a
//! read-only server offers no prompt that writes. `prompts/get` of any other
//! name is an error that says why.
//!
//! The text is rendered from the table: the goal, the numbered steps, what
//! to tell the user, the care to take, and one line every prompt shares (a
//! refusal by the server is final). Arguments fill `{name}` placeholders:
//! text as a JSON string (so quotes and line breaks in a message body stay
//! unambiguous), numbers as they are; an optional argument left out is
//! replaced by what its [`PromptArg::absent`] says to do instead.
//!
//! The README's "Example prompts" section is [`readme_markdown`]
//! (`tests/readme.rs` compares them).

use std::fmt;

use serde_json::{Map, Value};

use crate::call::{self, AppState, CallError, Mode, Scope};
use crate::catalog;

/// One prompt: a task, the tools that do it in order, and the care it takes.
#[derive(Debug)]
pub struct PromptDef {
    /// The prompt's name (`send_sms`).
    pub name: &'static str,
    /// Its display name.
    pub title: &'static str,
    /// The service (`?services=`) whose tools it uses: the README groups
    /// prompts by it, and an unavailable prompt suggests it.
    pub service: &'static str,
    /// One sentence: what it does.
    pub description: &'static str,
    /// What a user might say to ask for it (the README shows it).
    pub example: &'static str,
    /// Its arguments.
    pub arguments: &'static [PromptArg],
    /// The task, with placeholders.
    pub goal: &'static str,
    /// The tool calls, in order.
    pub steps: &'static [Step],
    /// What to tell the user at the end.
    pub report: &'static str,
    /// What the calls cost or risk, and what to confirm first.
    pub care: &'static str,
}

/// An argument of a prompt.
#[derive(Debug)]
pub struct PromptArg {
    /// Its name (`to`).
    pub name: &'static str,
    /// What to give.
    pub description: &'static str,
    /// How its value fills the text.
    pub kind: ArgKind,
    /// `None`: required. `Some(text)`: optional, and what the text says in
    /// its place when it is left out.
    pub absent: Option<&'static str>,
}

/// How an argument's value fills the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// Any text, written as a JSON string.
    Text,
    /// Digits only, written as they are (`AreaCode 415`).
    Number,
}

/// One step: the tool it calls and what to pass and keep.
#[derive(Debug)]
pub struct Step {
    /// The catalog tool.
    pub tool: &'static str,
    /// What to do with it, with placeholders.
    pub text: &'static str,
}

/// The line every prompt ends with.
const REFUSALS: &str = "If the server refuses a call (read-only mode, its allow/deny lists, a \
guardrail), tell the user what it said and stop: do not get around it with other tools or \
arguments.";

/// The line a prompt gets in discovery mode, where its tools are not listed.
const DISCOVERY: &str = "In this session the tools are reached through call_twilio_tool \
{\"name\": <tool>, \"arguments\": {…}}; describe_twilio_tool shows a tool's arguments.";

/// The prompts, in the order `prompts/list` gives them.
pub static PROMPTS: &[PromptDef] = &[
    PromptDef {
        name: "send_sms",
        title: "Send an SMS and confirm delivery",
        service: "Messaging",
        description: "Send a text message and follow it until Twilio reports it delivered or failed.",
        example: "Text +15558675310 \"Your table is ready\" and tell me when it is delivered.",
        arguments: &[
            PromptArg {
                name: "to",
                description: "Recipient's phone number, E.164 (+15558675310).",
                kind: ArgKind::Text,
                absent: None,
            },
            PromptArg {
                name: "body",
                description: "The message text.",
                kind: ArgKind::Text,
                absent: None,
            },
            PromptArg {
                name: "from",
                description: "Sender: one of the account's numbers, E.164. Default: one the account has.",
                kind: ArgKind::Text,
                absent: Some("one of the account's SMS-capable numbers (step 1)"),
            },
        ],
        goal: "Send the SMS {body} to {to} and find out whether it was delivered.",
        steps: &[
            Step {
                tool: "ApiV2010_ListIncomingPhoneNumber",
                text: "Only when no sender was given: list the account's numbers with fields \
                       [\"phone_number\", \"capabilities\"] and take one whose capabilities.sms is true.",
            },
            Step {
                tool: "ApiV2010_CreateMessage",
                text: "Send it with To {to}, From {from} and Body {body}. Keep the sid it returns.",
            },
            Step {
                tool: "ApiV2010_FetchMessage",
                text: "Fetch that sid with fields [\"sid\", \"status\", \"error_code\", \"error_message\"] \
                       every few seconds, for up to a minute, until the status is delivered, \
                       undelivered or failed (sent means the carrier has it but has not confirmed).",
            },
        ],
        report: "The final status; for undelivered or failed, the error_code and what it means \
                 (https://www.twilio.com/docs/api/errors/<code>).",
        care: "This sends a real SMS, billed to the account. Before ApiV2010_CreateMessage, show the \
               user To, From and Body and wait for their go-ahead. Send it once: if the call fails \
               without an answer, ask the user before trying again.",
    },
    PromptDef {
        name: "failed_messages",
        title: "List failed messages and why",
        service: "Messaging",
        description: "Find a day's undelivered and failed messages and explain their error codes.",
        example: "Which of today's messages failed, and why?",
        arguments: &[PromptArg {
            name: "date",
            description: "The day, YYYY-MM-DD (UTC). Default: today.",
            kind: ArgKind::Text,
            absent: Some("today's date (UTC, YYYY-MM-DD)"),
        }],
        goal: "Find the messages sent on {date} that did not arrive, and explain why.",
        steps: &[Step {
            tool: "ApiV2010_ListMessage",
            text: "List messages with DateSent {date}, PageSize 100 and fields [\"sid\", \"to\", \
                   \"from\", \"status\", \"error_code\", \"error_message\", \"date_sent\"]; follow \
                   next_page until there is none. Keep those whose status is failed or undelivered.",
        }],
        report: "The failed and undelivered messages grouped by error_code: for each code, what it \
                 means (https://www.twilio.com/docs/api/errors/<code>), how many messages and to \
                 whom, and what would fix it.",
        care: "Reads only. Phone numbers are personal data: show only what the user needs.",
    },
    PromptDef {
        name: "buy_local_number",
        title: "Find and buy a local number",
        service: "PhoneNumbers",
        description: "Search the local numbers for sale in an area code and buy the one the user picks.",
        example: "Get me a phone number in the 415 area code that can send SMS.",
        arguments: &[
            PromptArg {
                name: "area_code",
                description: "Area code to search, digits only (415).",
                kind: ArgKind::Number,
                absent: None,
            },
            PromptArg {
                name: "country",
                description: "ISO country code (US, CA, GB). Default: US.",
                kind: ArgKind::Text,
                absent: Some("\"US\""),
            },
            PromptArg {
                name: "sms_url",
                description: "URL Twilio calls when the new number receives an SMS. Default: none.",
                kind: ArgKind::Text,
                absent: Some("nothing (leave SmsUrl out)"),
            },
        ],
        goal: "Buy a local phone number with area code {area_code} in country {country}.",
        steps: &[
            Step {
                tool: "ApiV2010_ListAvailablePhoneNumberLocal",
                text: "Search with CountryCode {country}, AreaCode {area_code}, SmsEnabled true, \
                       PageSize 5 and fields [\"phone_number\", \"friendly_name\", \"locality\", \
                       \"region\", \"capabilities\", \"address_requirements\"], and show the user \
                       what is for sale.",
            },
            Step {
                tool: "ApiV2010_CreateIncomingPhoneNumber",
                text: "Buy the one the user picks: PhoneNumber as listed, SmsUrl {sms_url}.",
            },
        ],
        report: "The new number's phone_number and sid.",
        care: "A number costs a monthly fee from the day it is bought. Buy only the number the user \
               chose, once. If its address_requirements is not none, the purchase needs an \
               AddressSid: ask the user for it rather than making one up.",
    },
    PromptDef {
        name: "verify_phone",
        title: "Start a verification and check the code",
        service: "verify_v2",
        description: "Send a one-time code with Twilio Verify and check the code the user got.",
        example: "Verify +15558675310 by SMS.",
        arguments: &[
            PromptArg {
                name: "to",
                description: "Phone number (E.164) or email address to verify.",
                kind: ArgKind::Text,
                absent: None,
            },
            PromptArg {
                name: "channel",
                description: "sms, call, email or whatsapp. Default: sms.",
                kind: ArgKind::Text,
                absent: Some("\"sms\""),
            },
            PromptArg {
                name: "service_sid",
                description: "The Verify Service (VA…). Default: the account's first.",
                kind: ArgKind::Text,
                absent: Some("the sid from step 1"),
            },
        ],
        goal: "Verify {to} with a one-time code sent by {channel}.",
        steps: &[
            Step {
                tool: "VerifyV2_ListService",
                text: "Only when no Verify Service was given: list them with fields [\"sid\", \
                       \"friendly_name\"] and use the first; if there is none, tell the user one \
                       must be created first.",
            },
            Step {
                tool: "VerifyV2_CreateVerification",
                text: "Send the code: ServiceSid {service_sid}, To {to}, Channel {channel}. The \
                       status should be pending.",
            },
            Step {
                tool: "VerifyV2_CreateVerificationCheck",
                text: "Ask the user for the code they received, then check it: ServiceSid \
                       {service_sid}, To {to}, Code as the user typed it. approved means verified; \
                       pending means the code was wrong.",
            },
        ],
        report: "Whether {to} is verified.",
        care: "This sends a real message or call, billed to the account: confirm To and the \
               channel with the user first. Only the user can give the code: never guess it or \
               try codes. After five wrong codes Verify stops accepting them: say so and stop.",
    },
    PromptDef {
        name: "inspect_studio_flow",
        title: "Inspect a Studio flow's last executions",
        service: "Studio",
        description: "Show how a Studio flow's recent executions went, widget by widget.",
        example: "How did the last runs of my IVR flow go?",
        arguments: &[
            PromptArg {
                name: "flow_sid",
                description: "The flow (FW…). Default: the user picks from the list.",
                kind: ArgKind::Text,
                absent: Some("the sid of the flow the user means (step 1)"),
            },
            PromptArg {
                name: "count",
                description: "How many recent executions. Default: 5.",
                kind: ArgKind::Number,
                absent: Some("5"),
            },
        ],
        goal: "Show how the last executions of the Studio flow {flow_sid} went.",
        steps: &[
            Step {
                tool: "StudioV2_ListFlow",
                text: "Only when no flow was given: list the flows with fields [\"sid\", \
                       \"friendly_name\", \"status\"] and ask the user which one.",
            },
            Step {
                tool: "StudioV2_ListExecution",
                text: "List its executions: FlowSid {flow_sid}, PageSize {count}, fields [\"sid\", \
                       \"status\", \"date_created\", \"contact_channel_address\"] (newest first).",
            },
            Step {
                tool: "StudioV2_ListExecutionStep",
                text: "For each execution, list its steps (FlowSid, ExecutionSid) to see which \
                       widgets it went through.",
            },
            Step {
                tool: "StudioV2_FetchExecutionContext",
                text: "For an execution that did not end as expected, fetch its context to see the \
                       widgets' outputs and errors.",
            },
        ],
        report: "For each execution: when, for which contact, its path through the widgets, and \
                 where and why it stopped.",
        care: "Reads only. Execution context holds customer data (numbers, messages, HTTP \
               answers): show only what the user needs.",
    },
    PromptDef {
        name: "deploy_function",
        title: "Deploy a Function",
        service: "Serverless",
        description: "Create a Serverless Service, upload a Function's code, build it and deploy it \
                      to an environment.",
        example: "Deploy a Function at /hello that answers \"Hello from Twilio\".",
        arguments: &[
            PromptArg {
                name: "service_name",
                description: "Unique name of the new Service; it becomes part of the domain.",
                kind: ArgKind::Text,
                absent: None,
            },
            PromptArg {
                name: "path",
                description: "URL path of the Function (/hello).",
                kind: ArgKind::Text,
                absent: None,
            },
            PromptArg {
                name: "code",
                description: "The Function's JavaScript. Default: a handler answering Hello.",
                kind: ArgKind::Text,
                absent: Some(
                    "the code exports.handler = (context, event, callback) => callback(null, \
                     'Hello from Twilio Functions');",
                ),
            },
            PromptArg {
                name: "environment",
                description: "Name of the environment to deploy to. Default: production.",
                kind: ArgKind::Text,
                absent: Some("\"production\""),
            },
        ],
        goal: "Deploy a Twilio Function at {path} in a new Serverless Service {service_name}.",
        steps: &[
            Step {
                tool: "ServerlessV1_CreateService",
                text: "UniqueName {service_name}, FriendlyName {service_name}. Keep its sid (ZS…).",
            },
            Step {
                tool: "ServerlessV1_CreateFunction",
                text: "ServiceSid, FriendlyName {path}. Keep its sid (ZH…).",
            },
            Step {
                tool: "ServerlessV1_CreateFunctionVersion",
                text: "Upload the code: ServiceSid, FunctionSid, Path {path}, Visibility \"public\", \
                       Content {code}. Keep the version's sid (ZN…).",
            },
            Step {
                tool: "ServerlessV1_CreateBuild",
                text: "ServiceSid, FunctionVersions [the version's sid]; Dependencies only if the \
                       code requires npm modules. Keep the build's sid (ZB…).",
            },
            Step {
                tool: "ServerlessV1_FetchBuildStatus",
                text: "ServiceSid, Sid the build's sid: every few seconds until the status is \
                       completed or failed (a build takes up to a couple of minutes).",
            },
            Step {
                tool: "ServerlessV1_CreateEnvironment",
                text: "ServiceSid, UniqueName {environment}. Keep its sid (ZE…).",
            },
            Step {
                tool: "ServerlessV1_CreateDeployment",
                text: "ServiceSid, EnvironmentSid the environment's sid, BuildSid the build's sid.",
            },
            Step {
                tool: "ServerlessV1_FetchEnvironment",
                text: "ServiceSid, Sid the environment's sid: its domain_name is where the \
                       Function runs.",
            },
        ],
        report: "The Function's URL: https://, the environment's domain_name, then the path {path}.",
        care: "This publishes code on the internet (Visibility public: anyone can call it) and \
               creates resources on the account. Show the user the code and the names first; use \
               Visibility protected if only Twilio should call it. If the build fails, stop and \
               report its status: a fix needs a new Function Version and a new Build.",
    },
    PromptDef {
        name: "call_and_say",
        title: "Place a call that speaks a message",
        service: "Voice",
        description: "Call a number, read a message out with text-to-speech, and report how the \
                      call ended.",
        example: "Call +15558675310 from my Twilio number and say the build is green.",
        arguments: &[
            PromptArg {
                name: "to",
                description: "Number to call, E.164.",
                kind: ArgKind::Text,
                absent: None,
            },
            PromptArg {
                name: "from",
                description: "Caller ID: one of the account's voice numbers, E.164.",
                kind: ArgKind::Text,
                absent: None,
            },
            PromptArg {
                name: "message",
                description: "What the call says.",
                kind: ArgKind::Text,
                absent: None,
            },
        ],
        goal: "Call {to} from {from} and say {message}.",
        steps: &[
            Step {
                tool: "ApiV2010_CreateCall",
                text: "To {to}, From {from}, Twiml <Response><Say>…</Say></Response> with the \
                       message {message} inside Say (escape <, > and &). Keep the sid.",
            },
            Step {
                tool: "ApiV2010_FetchCall",
                text: "Fetch that sid with fields [\"sid\", \"status\", \"duration\"] every few \
                       seconds until the status is completed, busy, no-answer, failed or canceled.",
            },
        ],
        report: "How the call ended, and how long it lasted.",
        care: "This places a real phone call, billed to the account: confirm the number and the \
               message with the user first. Call once; never call emergency numbers.",
    },
    PromptDef {
        name: "usage_this_month",
        title: "Summarise this month's usage and cost",
        service: "Usage",
        description: "Sum up what the account used and spent this month, by category.",
        example: "What have we spent on Twilio this month?",
        arguments: &[PromptArg {
            name: "category",
            description: "One usage category (sms, calls, …). Default: all.",
            kind: ArgKind::Text,
            absent: Some("none (leave Category out)"),
        }],
        goal: "Sum up this month's Twilio usage and cost.",
        steps: &[Step {
            tool: "ApiV2010_ListUsageRecordThisMonth",
            text: "Category {category}, PageSize 100, fields [\"category\", \"description\", \
                   \"usage\", \"usage_unit\", \"price\", \"price_unit\"]; follow next_page until \
                   there is none.",
        }],
        report: "The total (the totalprice category) and the five categories that cost the most, \
                 with their usage.",
        care: "Reads only.",
    },
];

/// Why `prompts/get` gives no prompt. Each message says what to do.
#[derive(Debug, Clone, PartialEq)]
pub enum PromptError {
    /// No prompt has this name.
    Unknown(String),
    /// The prompt names a tool this request may not call.
    Unavailable {
        /// The prompt.
        prompt: &'static str,
        /// Why its first unavailable tool is.
        reason: CallError,
        /// The service to add.
        service: &'static str,
    },
    /// An argument is missing, unknown, or not what it should be.
    BadArgument {
        /// The prompt.
        prompt: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl fmt::Display for PromptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PromptError::Unknown(name) => {
                let names: Vec<&str> = PROMPTS.iter().map(|p| p.name).collect();
                write!(
                    f,
                    "unknown prompt `{name}`: the server's prompts are {}; prompts/list shows \
                     the ones this request may use",
                    names.join(", ")
                )
            }
            PromptError::Unavailable {
                prompt,
                reason: CallError::NotSelected { tool, selected, .. },
                service,
            } => write!(
                f,
                "prompt `{prompt}` uses {tool}, which is not in the selected services ({}); \
                 add `services={service}` to the MCP URL (or --services) to use it",
                selected.join(", ")
            ),
            PromptError::Unavailable {
                prompt,
                reason: CallError::Refused { tool, reason },
                ..
            } => write!(
                f,
                "prompt `{prompt}` uses {tool}, which is not available: {reason}"
            ),
            PromptError::Unavailable { prompt, reason, .. } => {
                write!(f, "prompt `{prompt}` is not available: {reason}")
            }
            PromptError::BadArgument { prompt, message } => {
                write!(f, "prompt `{prompt}`: {message}")
            }
        }
    }
}

impl std::error::Error for PromptError {}

/// The prompt called `name`, when every tool it uses is one this request
/// may call.
pub fn available(
    state: &AppState,
    scope: &Scope,
    name: &str,
) -> Result<&'static PromptDef, PromptError> {
    let prompt = PROMPTS
        .iter()
        .find(|p| p.name == name)
        .ok_or_else(|| PromptError::Unknown(name.to_string()))?;
    for step in prompt.steps {
        call::resolve(state, scope, step.tool).map_err(|reason| PromptError::Unavailable {
            prompt: prompt.name,
            reason,
            service: prompt.service,
        })?;
    }
    Ok(prompt)
}

/// The prompts this request may use, in table order.
pub fn list<'a>(
    state: &'a AppState,
    scope: &'a Scope,
) -> impl Iterator<Item = &'static PromptDef> + 'a {
    PROMPTS
        .iter()
        .filter(|p| available(state, scope, p.name).is_ok())
}

/// The prompt's text for these arguments (MCP sends them as strings).
pub fn render(
    prompt: &'static PromptDef,
    arguments: &Map<String, Value>,
    mode: Mode,
) -> Result<String, PromptError> {
    let bad = |message: String| PromptError::BadArgument {
        prompt: prompt.name,
        message,
    };
    for name in arguments.keys() {
        if !prompt.arguments.iter().any(|a| a.name == name) {
            let valid: Vec<&str> = prompt.arguments.iter().map(|a| a.name).collect();
            return Err(bad(format!(
                "unknown argument `{name}`; its arguments are {}",
                if valid.is_empty() {
                    "none".to_string()
                } else {
                    valid.join(", ")
                }
            )));
        }
    }
    let mut values: Vec<(&str, String)> = Vec::new();
    for arg in prompt.arguments {
        let given = match arguments.get(arg.name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => Some(s.trim()),
            Some(_) => return Err(bad(format!("argument `{}` must be a string", arg.name))),
        };
        let text = match (given, arg.absent) {
            (None, None) => return Err(bad(format!("missing argument `{}`", arg.name))),
            (None, Some(instead)) => instead.to_string(),
            (Some(value), _) => match arg.kind {
                ArgKind::Text => Value::String(value.to_string()).to_string(),
                ArgKind::Number if value.chars().all(|c| c.is_ascii_digit()) => value.to_string(),
                ArgKind::Number => {
                    return Err(bad(format!(
                        "argument `{}` must be digits only, got \"{value}\"",
                        arg.name
                    )));
                }
            },
        };
        values.push((arg.name, text));
    }
    let fill = |template: &str| fill(template, &values);
    let mut out = format!("{}\n\nSteps:\n", fill(prompt.goal));
    for (i, step) in prompt.steps.iter().enumerate() {
        out.push_str(&format!("{}. {}: {}\n", i + 1, step.tool, fill(step.text)));
    }
    out.push_str(&format!("\nTell the user: {}\n", fill(prompt.report)));
    out.push_str(&format!("\nTake care: {} {REFUSALS}", fill(prompt.care)));
    if mode == Mode::Discover {
        out.push_str(&format!("\n\n{DISCOVERY}"));
    }
    Ok(out)
}

/// `template` with each `{name}` of `values` replaced, in one pass (a
/// value that holds `{name}` itself stays as it is).
fn fill(template: &str, values: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (v, close))
        });
        match value {
            Some((value, close)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The README's "Example prompts" section: one table per service.
pub fn readme_markdown() -> String {
    let mut out = String::new();
    let mut services: Vec<&str> = Vec::new();
    for p in PROMPTS {
        if !services.contains(&p.service) {
            services.push(p.service);
        }
    }
    for service in services {
        let named = catalog::SERVICES.iter().any(|s| s.name == service);
        let heading = if named {
            format!("**{service}**")
        } else {
            format!("**{service}** (not a named service: `services={service}`)")
        };
        out.push_str(&format!(
            "{heading}\n\n| prompt | arguments | a user asks | tools, in order |\n|---|---|---|---|\n"
        ));
        for p in PROMPTS.iter().filter(|p| p.service == service) {
            let arguments: Vec<String> = p
                .arguments
                .iter()
                .map(|a| match a.absent {
                    None => format!("`{}`", a.name),
                    Some(_) => format!("`{}`?", a.name),
                })
                .collect();
            let tools: Vec<String> = p.steps.iter().map(|s| format!("`{}`", s.tool)).collect();
            out.push_str(&format!(
                "| `{}`: {} | {} | {} | {} |\n",
                p.name,
                p.title,
                arguments.join(", "),
                p.example.replace('|', "\\|"),
                tools.join(" → ")
            ));
        }
        out.push('\n');
    }
    // One prompt as a client gets it, rendered by the code that serves it.
    let mut example = Map::new();
    example.insert("to".into(), Value::String("+15558675310".into()));
    example.insert("body".into(), Value::String("Your table is ready".into()));
    if let Some(send) = PROMPTS.iter().find(|p| p.name == "send_sms")
        && let Ok(text) = render(send, &example, Mode::Tools)
    {
        out.push_str(&format!(
            "`prompts/get` of `send_sms` with `to` +15558675310 and `body` \"Your table is \
             ready\" gives one user message:\n\n```text\n{text}\n```\n"
        ));
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use serde_json::json;

    use super::*;

    /// The `{name}` placeholders of a template (lower-case words only, so
    /// JSON examples in the text are not mistaken for them).
    fn placeholders(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            if let Some(close) = after.find('}') {
                let inner = &after[..close];
                if !inner.is_empty() && inner.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                    out.push(inner);
                }
            }
            rest = after;
        }
        out
    }

    #[test]
    fn every_prompt_is_well_formed() {
        let mut names = HashSet::new();
        for p in PROMPTS {
            assert!(names.insert(p.name), "duplicate prompt {}", p.name);
            assert!(!p.steps.is_empty(), "{}", p.name);
            let known: Vec<&str> = p.arguments.iter().map(|a| a.name).collect();
            let mut used = HashSet::new();
            for text in [p.goal, p.report, p.care]
                .into_iter()
                .chain(p.steps.iter().map(|s| s.text))
            {
                for name in placeholders(text) {
                    assert!(
                        known.contains(&name),
                        "{}: unknown placeholder {{{name}}}",
                        p.name
                    );
                    used.insert(name);
                }
            }
            for arg in p.arguments {
                assert!(
                    used.contains(arg.name),
                    "{}: `{}` is never used",
                    p.name,
                    arg.name
                );
            }
            for step in p.steps {
                let (_, tool) = catalog::find(step.tool)
                    .unwrap_or_else(|| panic!("{}: no tool {}", p.name, step.tool));
                // The care a write asks for is spelled out.
                if !tool.annotations.read_only {
                    assert!(!p.care.starts_with("Reads only"), "{}", p.name);
                }
            }
            if p.steps
                .iter()
                .all(|s| catalog::find(s.tool).is_some_and(|(_, t)| t.annotations.read_only))
            {
                assert!(p.care.starts_with("Reads only"), "{}", p.name);
            }
            // The service it names selects its tools.
            let selection = crate::filter::Selection::parse(&[p.service]).expect("a service");
            for step in p.steps {
                let (id, _) = catalog::find(step.tool).expect("tool");
                assert!(
                    selection.contains(id),
                    "{}: {} not in {}",
                    p.name,
                    step.tool,
                    p.service
                );
            }
        }
    }

    fn args(value: Value) -> Map<String, Value> {
        value.as_object().cloned().expect("object")
    }

    fn send_sms() -> &'static PromptDef {
        PROMPTS
            .iter()
            .find(|p| p.name == "send_sms")
            .expect("send_sms")
    }

    #[test]
    fn arguments_fill_the_text_as_json_strings() {
        let text = render(
            send_sms(),
            &args(json!({"to": "+15558675310", "body": "Say \"hi\"\nbye", "from": "+15017122661"})),
            Mode::Tools,
        )
        .expect("renders");
        assert!(
            text.starts_with(
                "Send the SMS \"Say \\\"hi\\\"\\nbye\" to \"+15558675310\" and find out whether it was delivered.\n\nSteps:\n1. ApiV2010_ListIncomingPhoneNumber: "
            ),
            "{text}"
        );
        assert!(
            text.contains("\n2. ApiV2010_CreateMessage: Send it with To \"+15558675310\", From \"+15017122661\" and Body \"Say \\\"hi\\\"\\nbye\"."),
            "{text}"
        );
        assert!(text.contains("\n3. ApiV2010_FetchMessage: "), "{text}");
        assert!(text.ends_with(REFUSALS), "{text}");
        assert!(!text.contains("call_twilio_tool"));
        // Left out: what to do instead.
        let text = render(
            send_sms(),
            &args(json!({"to": "+1555", "body": "x"})),
            Mode::Discover,
        )
        .expect("renders");
        assert!(
            text.contains("From one of the account's SMS-capable numbers (step 1)"),
            "{text}"
        );
        assert!(text.ends_with(DISCOVERY), "{text}");
    }

    #[test]
    fn placeholders_in_values_stay_as_they_are() {
        let values = [("a", "\"{b}\"".to_string()), ("b", "B".to_string())];
        assert_eq!(fill("{a} {b} {c} {", &values), "\"{b}\" B {c} {");
    }

    #[test]
    fn bad_arguments_say_what_is_wrong() {
        let error = |value: Value| {
            render(send_sms(), &args(value), Mode::Tools)
                .expect_err("refused")
                .to_string()
        };
        assert_eq!(
            error(json!({"to": "+1"})),
            "prompt `send_sms`: missing argument `body`"
        );
        assert_eq!(
            error(json!({"to": "+1", "body": "  "})),
            "prompt `send_sms`: missing argument `body`"
        );
        assert_eq!(
            error(json!({"to": "+1", "body": "x", "cc": "y"})),
            "prompt `send_sms`: unknown argument `cc`; its arguments are to, body, from"
        );
        assert_eq!(
            error(json!({"to": 15558675310u64, "body": "x"})),
            "prompt `send_sms`: argument `to` must be a string"
        );
        let buy = PROMPTS
            .iter()
            .find(|p| p.name == "buy_local_number")
            .expect("prompt");
        assert_eq!(
            render(buy, &args(json!({"area_code": "4l5"})), Mode::Tools)
                .expect_err("digits")
                .to_string(),
            "prompt `buy_local_number`: argument `area_code` must be digits only, got \"4l5\""
        );
        let text = render(buy, &args(json!({"area_code": "415"})), Mode::Tools).expect("renders");
        assert!(
            text.contains("CountryCode \"US\", AreaCode 415, SmsEnabled true"),
            "{text}"
        );
    }

    #[test]
    fn the_readme_table_names_every_prompt() {
        let markdown = readme_markdown();
        for p in PROMPTS {
            assert!(
                markdown.contains(&format!("| `{}`: {} |", p.name, p.title)),
                "{}",
                p.name
            );
        }
        assert!(markdown.contains("**verify_v2** (not a named service: `services=verify_v2`)"));
    }
}
