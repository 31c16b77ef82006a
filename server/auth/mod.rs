//! Authentication of requests to the `/mcp` endpoint: Twilio's
//! `X-Twilio-Signature`, static bearer keys, and OAuth 2.1 access tokens.
//!
//! * [`gate`] decides from the request head which configured method a
//!   request uses, and checks bearer keys ([`keys`]) and OAuth tokens
//!   ([`oauth`]) there, before any body is read. Any configured method may
//!   authenticate a request; a credential that fails is refused, never
//!   retried with another method.
//! * The signature (below) is checked once the body is read.
//!
//! # X-Twilio-Signature
//!
//! MCP clients that talk to a Twilio-hosted (or Twilio-style) MCP server sign
//! each request the way Twilio signs webhooks: an HMAC-SHA1, keyed with the
//! account's auth token, over the full request URL. Whoever holds the auth
//! token can already do everything this server does through Twilio's API, so
//! proving possession of it is the right bar for using the server.
//!
//! * [`signature`] is the algorithm, as pure functions, matching Twilio's
//!   official validators (twilio-python `RequestValidator`, twilio-node
//!   `validateRequest`): the URL byte for byte, form parameters sorted, the
//!   default-port / no-port URL variants, and `bodySHA256`.
//! * [`layer`] is the axum middleware that rebuilds the public URL, reads the
//!   body (bounded, or takes the bytes an earlier layer read), runs the
//!   check, and answers 401/403/413 before the MCP service sees anything.
//!   On success it puts the [`Caller`] (which token signed) in the request's
//!   extensions.
//! * [`caller`] is who a request was authenticated as, for the call
//!   pipeline, logs and audit records; never a secret.
//!
//! # Why the signature may cover the URL only
//!
//! Twilio's scheme appends body parameters to the signed string only for
//! `application/x-www-form-urlencoded` bodies. MCP requests are JSON, so a
//! client following Twilio's recipe (as the Twilio Functions MCP template tells
//! clients to) signs the URL alone, and Twilio's own validators accept that.
//! The body is then *not* authenticated: someone who captures one signed
//! request can replay its URL with a different JSON body. That is the
//! compatible default, and the `services=` selection in the query *is* covered.
//!
//! Neither mode stops the replay of an identical captured request: Twilio's
//! scheme has no timestamp or nonce. TLS is what keeps requests from being
//! captured.
//!
//! To authenticate the body too, a client puts `bodySHA256=<lower-case hex
//! SHA-256 of the exact body bytes>` in the query (which the signature
//! covers); the server hashes the bytes it received and compares. Re-encoded
//! JSON, or upper-case hex, fails, exactly as in Twilio's validators.
//!
//! # Strict mode
//!
//! [`layer::SignatureConfig::require_body_hash`] rejects any request whose URL
//! lacks `bodySHA256`, so every accepted body is authenticated. It breaks
//! clients that sign the URL alone, hence opt-in.
//!
//! # Token rotation
//!
//! Several tokens can be configured ([`layer::SignatureConfig::tokens`]); a
//! request signed with any of them is accepted. During a rotation in the
//! Twilio console (primary and secondary auth token), configure both, move the
//! clients over, then drop the old one. Empty tokens are ignored so a blank
//! setting can never enable a signature keyed with the empty string.
//!
//! # The public URL
//!
//! The signed URL is the one the client used, which behind a proxy or tunnel
//! differs from what the server sees. It is rebuilt from the configured
//! [`layer::PublicBase`] if any; otherwise from `X-Forwarded-Proto` /
//! `X-Forwarded-Host` only when [`layer::SignatureConfig::trust_forwarded`] is
//! set (those headers are client-controlled unless a proxy overwrites them);
//! otherwise from `http://` and the `Host` header. The path and query are
//! always used exactly as received.

pub mod caller;
pub mod gate;
pub mod keys;
pub mod layer;
pub mod oauth;
pub mod signature;

pub use caller::{AuthMethod, Caller};
pub use gate::{AuthConfig, authenticate};
pub use keys::KeyStore;
pub use layer::{PublicBase, PublicBaseError, SignatureConfig, reject_unsigned, require_signature};
pub use oauth::{OAuth, OAuthSettings};
pub use signature::SignatureError;
