//! The HTTP client that talks to Twilio: one pooled reqwest client (rustls),
//! HTTP Basic with the API key, a bounded timeout on every call.
//!
//! Its vocabulary is plain data: the [`PreparedRequest`] the call pipeline
//! builds (`call::request`), the [`UpstreamResponse`] it shapes
//! (`call::response`), and the [`Credentials`] it signs with.

use std::fmt;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bytes::Bytes;

use serde_json::Value;

use crate::catalog::HttpMethod;
use crate::secret::Secret;

/// A request ready to send.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedRequest {
    /// The operation's HTTP method.
    pub method: HttpMethod,
    /// Absolute URL without the query string.
    pub url: String,
    /// Query pairs, in argument order; repeated keys for arrays.
    pub query: Vec<(String, String)>,
    /// Header arguments, `(name, value)`.
    pub headers: Vec<(String, String)>,
    /// What goes in the body.
    pub body: RequestBody,
}

/// The body of a [`PreparedRequest`].
#[derive(Debug, Clone, PartialEq)]
pub enum RequestBody {
    /// No body (GET, DELETE, and operations that declare none).
    None,
    /// `application/x-www-form-urlencoded` pairs, repeated keys for arrays.
    Form(Vec<(String, String)>),
    /// A JSON body.
    Json(Value),
    /// A `multipart/form-data` body: text fields, then files.
    Multipart {
        /// Text parts `(name, value)`, repeated names for arrays.
        fields: Vec<(String, String)>,
        /// File parts.
        files: Vec<FilePart>,
    },
}

/// One file part of a multipart body.
#[derive(Clone, PartialEq)]
pub struct FilePart {
    /// The part's name (`Content`).
    pub name: String,
    /// The `filename` of its `Content-Disposition` (`hello.js`).
    pub file_name: String,
    /// Its `Content-Type` (`application/javascript`).
    pub content_type: String,
    /// The file.
    pub data: Bytes,
}

impl fmt::Debug for FilePart {
    // The file's size, not its bytes: code and images do not belong in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FilePart")
            .field("name", &self.name)
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("bytes", &self.data.len())
            .finish()
    }
}

/// The API key credentials requests are signed with.
#[derive(Clone)]
pub struct Credentials {
    /// The account whose resources the tools reach (`AC…`); fills in
    /// `AccountSid` arguments the caller leaves out.
    pub account_sid: String,
    /// API key SID (`SK…`), the Basic auth user name.
    pub api_key: String,
    /// API key secret, the Basic auth password.
    pub api_secret: Secret,
}

/// Credentials, or the environment variables that are missing.
#[derive(Debug, Clone)]
pub enum CredentialState {
    /// All three are set.
    Ready(Credentials),
    /// These variables are unset or empty: tools are listed, calls that
    /// need credentials fail saying so.
    Missing(Vec<&'static str>),
}

impl CredentialState {
    /// The configured account SID, if any.
    pub fn account_sid(&self) -> Option<&str> {
        match self {
            CredentialState::Ready(c) => Some(c.account_sid.as_str()),
            CredentialState::Missing(_) => None,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("account_sid", &self.account_sid)
            .field("api_key", &self.api_key)
            .field("api_secret", &self.api_secret)
            .finish()
    }
}

/// What came back from Twilio.
#[derive(Debug, Clone)]
pub struct UpstreamResponse {
    /// HTTP status code.
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The whole body.
    pub body: Bytes,
    /// From sending the request to the end of the body.
    pub elapsed: Duration,
}

/// A call that got no HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamError {
    /// No answer within the configured timeout.
    Timeout(Duration),
    /// Could not connect (DNS, refused, TLS).
    Connect(String),
    /// Anything else reqwest reports.
    Other(String),
}

impl fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UpstreamError::Timeout(d) => write!(
                f,
                "Twilio did not answer within {} s (the call may or may not have taken effect; \
                 check before retrying a create)",
                d.as_secs_f32()
            ),
            UpstreamError::Connect(e) => write!(f, "could not connect to Twilio: {e}"),
            UpstreamError::Other(e) => write!(f, "the request to Twilio failed: {e}"),
        }
    }
}

impl std::error::Error for UpstreamError {}

/// Sends prepared requests to Twilio.
///
/// The reqwest client (one connection pool for all of Twilio's hosts) is
/// built on the first call: loading the system's root certificates takes
/// milliseconds and memory that a server only listing tools never needs.
#[derive(Debug)]
pub struct TwilioClient {
    http: OnceLock<Result<reqwest::Client, String>>,
    timeout: Duration,
}

impl TwilioClient {
    /// A client whose every call gives up after `timeout`.
    pub fn new(timeout: Duration) -> Self {
        Self {
            http: OnceLock::new(),
            timeout,
        }
    }

    fn http(&self) -> Result<&reqwest::Client, UpstreamError> {
        self.http
            .get_or_init(|| build_http_client(self.timeout))
            .as_ref()
            .map_err(|e| UpstreamError::Other(e.clone()))
    }

    /// Sends one request with HTTP Basic auth (`API_KEY:API_SECRET`), or none
    /// when `credentials` is `None` (operations that take no auth).
    pub async fn send(
        &self,
        request: &PreparedRequest,
        credentials: Option<&Credentials>,
    ) -> Result<UpstreamResponse, UpstreamError> {
        let method = match request.method {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
            HttpMethod::Put => reqwest::Method::PUT,
            HttpMethod::Delete => reqwest::Method::DELETE,
            HttpMethod::Patch => reqwest::Method::PATCH,
        };
        let mut builder = self.http()?.request(method, &request.url);
        if !request.query.is_empty() {
            builder = builder.query(&request.query);
        }
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(c) = credentials {
            builder = builder.basic_auth(&c.api_key, Some(c.api_secret.expose()));
        }
        builder = match &request.body {
            RequestBody::None => builder,
            RequestBody::Form(pairs) => builder.form(pairs),
            RequestBody::Json(value) => builder.json(value),
            RequestBody::Multipart { fields, files } => {
                builder.multipart(multipart(fields, files)?)
            }
        };
        let started = Instant::now();
        let response = builder.send().await.map_err(|e| self.classify(e))?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response.bytes().await.map_err(|e| self.classify(e))?;
        Ok(UpstreamResponse {
            status,
            content_type,
            body,
            elapsed: started.elapsed(),
        })
    }

    fn classify(&self, e: reqwest::Error) -> UpstreamError {
        // Without the URL: its query may carry phone numbers and other data
        // that does not belong in logs or in the model's context.
        let e = e.without_url();
        if e.is_timeout() {
            UpstreamError::Timeout(self.timeout)
        } else if e.is_connect() {
            UpstreamError::Connect(error_chain(&e))
        } else {
            UpstreamError::Other(error_chain(&e))
        }
    }
}

/// A multipart form: the text fields in order, then the files. Every part's
/// length is known, so reqwest sends a `Content-Length`.
fn multipart(
    fields: &[(String, String)],
    files: &[FilePart],
) -> Result<reqwest::multipart::Form, UpstreamError> {
    let mut form = reqwest::multipart::Form::new();
    for (name, value) in fields {
        form = form.text(name.clone(), value.clone());
    }
    for file in files {
        let part = reqwest::multipart::Part::stream_with_length(
            reqwest::Body::from(file.data.clone()),
            file.data.len() as u64,
        )
        .file_name(file.file_name.clone())
        .mime_str(&file.content_type)
        .map_err(|e| {
            UpstreamError::Other(format!(
                "the content type `{}` is not valid: {e}",
                file.content_type
            ))
        })?;
        form = form.part(file.name.clone(), part);
    }
    Ok(form)
}

/// The pooled client: rustls, a User-Agent naming the project, timeouts.
fn build_http_client(timeout: Duration) -> Result<reqwest::Client, String> {
    install_crypto_provider();
    reqwest::Client::builder()
        .user_agent(concat!("twilio-mcp/", env!("CARGO_PKG_VERSION"),))
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .pool_idle_timeout(Duration::from_secs(90))
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// `e` and its sources, joined: reqwest's top-level message alone says little.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// rustls needs one process-wide crypto provider; `ring` builds faster than
/// aws-lc and does the job.
pub(crate) fn install_crypto_provider() {
    // Fails only when a provider is already installed, which is fine.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
