//! The 13 named services and the OpenAPI tags each one selects.
//!
//! These names match Twilio's Functions `mcp-server` template, so a client
//! configured for it (`/mcp?services=Messaging&services=Voice`) works here
//! unchanged. Two hold a little more than the template's: Serverless also
//! has Function Versions (where the code upload lives) and Build Status (to
//! follow a build), PhoneNumbers the local numbers for sale (to find one to
//! buy). Any tag or spec not named here is still reachable by its own name
//! (see the server's service filter).

/// `(service, tags)`, in the order the README lists them. Messaging is the
/// default selection.
pub const NAMED_SERVICES: &[(&str, &[&str])] = &[
    (
        "Messaging",
        &["Api20100401Message", "Api20100401IncomingPhoneNumber"],
    ),
    ("Voice", &["Api20100401Call"]),
    (
        "VoiceAddOns",
        &[
            "Api20100401Recording",
            "Api20100401Transcription",
            "Api20100401Conference",
        ],
    ),
    (
        "Conversations",
        &[
            "ConversationsV1Conversation",
            "ConversationsV1Message",
            "ConversationsV1Participant",
            "ConversationsV1Service",
            "ConversationsV1User",
        ],
    ),
    (
        "Studio",
        &[
            "StudioV2Execution",
            "StudioV2ExecutionContext",
            "StudioV2ExecutionStep",
            "StudioV2Flow",
            "StudioV2FlowRevision",
            "StudioV2FlowValidate",
        ],
    ),
    (
        "TaskRouter",
        &[
            "TaskrouterV1Activity",
            "TaskrouterV1Event",
            "TaskrouterV1Task",
            "TaskrouterV1TaskChannel",
            "TaskrouterV1TaskQueue",
            "TaskrouterV1TaskReservation",
            "TaskrouterV1Worker",
            "TaskrouterV1WorkerChannel",
            "TaskrouterV1WorkerReservation",
            "TaskrouterV1Workflow",
            "TaskrouterV1Workspace",
            "TaskrouterV1WorkspaceStatistics",
        ],
    ),
    (
        "Serverless",
        &[
            "ServerlessV1Asset",
            "ServerlessV1AssetVersion",
            "ServerlessV1Build",
            "ServerlessV1BuildStatus",
            "ServerlessV1Deployment",
            "ServerlessV1Environment",
            "ServerlessV1Function",
            "ServerlessV1FunctionVersion",
            "ServerlessV1Service",
            "ServerlessV1Variable",
        ],
    ),
    ("Account", &["Api20100401Account"]),
    (
        "PhoneNumbers",
        &[
            "Api20100401IncomingPhoneNumber",
            "Api20100401Address",
            "Api20100401Local",
        ],
    ),
    ("Applications", &["Api20100401Application"]),
    ("Auth", &["Api20100401Token"]),
    ("AddOns", &["Api20100401AddOnResult"]),
    (
        "Usage",
        &[
            "Api20100401Record",
            "Api20100401AllTime",
            "Api20100401Daily",
            "Api20100401LastMonth",
            "Api20100401Monthly",
            "Api20100401ThisMonth",
            "Api20100401Today",
            "Api20100401Yearly",
            "Api20100401Yesterday",
            "Api20100401Trigger",
        ],
    ),
];

/// The service selected when a request names none.
pub const DEFAULT_SERVICE: &str = "Messaging";
