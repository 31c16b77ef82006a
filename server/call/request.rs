//! Turning checked arguments into the HTTP request Twilio expects.
//!
//! Pure data, no I/O, so every encoding rule is unit-tested:
//! - path parameters are filled and percent-encoded as one segment;
//!   `AccountSid` comes from configuration when the caller leaves it out;
//! - query and form values: arrays as repeated keys (`MediaUrl=a&MediaUrl=b`),
//!   booleans as `true`/`false`, objects as one JSON-encoded value, and
//!   `prefixed-collapsible-map-<Prefix>` objects flattened to
//!   `<Prefix>.<key>=<value>` (how Twilio's own SDKs send `AddOnsData`);
//! - JSON bodies as the spec's object (or the whole `RequestBody` argument);
//! - multipart bodies (the Serverless uploads) as text parts, then one file
//!   part per file: its bytes from the text or base64 argument, at most the
//!   file's size limit, named after the last segment of the argument the
//!   catalog names (`Path`), typed as the catalog says or by the name's
//!   extension ([`file_part`]);
//! - inequality filters go out under Twilio's wire names (`DateSent<`).

use base64::Engine as _;
use bytes::Bytes;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value};

use super::args::ArgError;
use crate::catalog::{BodyEncoding, FIELDS_ARG, FileEncoding, Param, ParamLocation, Tool};
use crate::twilio::{FilePart, PreparedRequest, RequestBody};

/// Everything but the unreserved characters of RFC 3986 is encoded in a path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Builds the request for a tool call whose arguments passed [`super::args::check`].
///
/// `base_url` replaces the scheme and host of the tool's server (testing,
/// proxies); the path is kept.
pub fn prepare(
    tool: &Tool,
    args: &Map<String, Value>,
    account_sid: Option<&str>,
    base_url: Option<&str>,
) -> Result<PreparedRequest, ArgError> {
    let mut path = tool.path.to_string();
    let mut query = Vec::new();
    let mut headers = Vec::new();
    let mut form = Vec::new();
    let mut json = Map::new();
    let mut whole_json = None;
    let mut files = Vec::new();

    for param in tool.params {
        let value = args.get(param.name).filter(|v| !v.is_null());
        let value = match (value, param.location) {
            (Some(v), _) => v.clone(),
            (None, _) if param.from_config => match account_sid {
                Some(sid) => Value::String(sid.to_string()),
                None => {
                    return Err(ArgError(format!(
                        "argument `{}` is missing and no account SID is configured \
                         (set ACCOUNT_SID or pass `{}`)",
                        param.name, param.name
                    )));
                }
            },
            (None, ParamLocation::Path) => {
                return Err(ArgError(format!(
                    "missing required argument `{}`",
                    param.name
                )));
            }
            (None, _) => continue,
        };
        match param.location {
            ParamLocation::Path => {
                let text = scalar_text(&value);
                if text.is_empty() {
                    return Err(ArgError(format!(
                        "argument `{}` must not be empty",
                        param.name
                    )));
                }
                // URL parsers resolve `.` and `..` segments (even encoded as
                // `%2e`), which would send the request to another endpoint
                // than this tool's, past the allow/deny lists.
                if text == "." || text == ".." {
                    return Err(ArgError(format!(
                        "argument `{}` cannot be `{text}`",
                        param.name
                    )));
                }
                let encoded = utf8_percent_encode(&text, SEGMENT).to_string();
                path = path.replace(&format!("{{{}}}", param.wire_name), &encoded);
            }
            ParamLocation::Query => encode_pairs(param.wire_name, param.format, &value, &mut query),
            ParamLocation::Form => encode_pairs(param.wire_name, param.format, &value, &mut form),
            ParamLocation::Header => {
                headers.push((param.wire_name.to_string(), scalar_text(&value)))
            }
            ParamLocation::Json => {
                json.insert(param.wire_name.to_string(), value);
            }
            ParamLocation::JsonBody => whole_json = Some(value),
            ParamLocation::File => files.push(file_part(param, &value, args)?),
        }
    }

    let body = match tool.body {
        BodyEncoding::None => RequestBody::None,
        BodyEncoding::Form => RequestBody::Form(form),
        BodyEncoding::Json => RequestBody::Json(whole_json.unwrap_or(Value::Object(json))),
        BodyEncoding::Multipart => RequestBody::Multipart {
            fields: form,
            files,
        },
    };
    Ok(PreparedRequest {
        method: tool.method,
        url: format!("{}{path}", server_base(tool.server, base_url)),
        query,
        headers,
        body,
    })
}

/// Content type of a file whose name's extension says nothing (OpenAPI's
/// default for `format: binary`).
const UNKNOWN_FILE_TYPE: &str = "application/octet-stream";

/// File name when the naming argument ends in `/` (or is missing).
const DEFAULT_FILE_NAME: &str = "index";

/// The file part a [`ParamLocation::File`] argument gives: its bytes (the
/// text, or the base64 decoded), within the size limit; its file name, the
/// last segment of the argument [`File::name_from`] names (`/js/app.js` →
/// `app.js`); its type, [`File::content_type`] or else the name's
/// extension's (`.css` → `text/css`, unknown → `application/octet-stream`).
///
/// [`File::name_from`]: crate::catalog::File::name_from
/// [`File::content_type`]: crate::catalog::File::content_type
fn file_part(
    param: &Param,
    value: &Value,
    args: &Map<String, Value>,
) -> Result<FilePart, ArgError> {
    let Some(file) = param.file else {
        return Err(ArgError(format!(
            "argument `{}` is a file without a file description (a catalog error); nothing was sent",
            param.name
        )));
    };
    let text = scalar_text(value);
    let data = match file.encoding {
        FileEncoding::Text => Bytes::from(text),
        FileEncoding::Base64 => {
            // Line breaks are common in pasted base64; nothing else is allowed.
            let compact: String = text.split_ascii_whitespace().collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact.as_bytes())
                .map(Bytes::from)
                .map_err(|e| {
                    ArgError(format!(
                        "argument `{}` is not valid base64 ({e}); nothing was sent",
                        param.name
                    ))
                })?
        }
    };
    if let Some(max) = file.max_bytes
        && data.len() as u64 > max
    {
        return Err(ArgError(format!(
            "the file in `{}` is {} bytes, more than the {max} bytes Twilio accepts; \
             nothing was sent",
            param.name,
            data.len()
        )));
    }
    let file_name = file
        .name_from
        .and_then(|name| args.get(name))
        .map(scalar_text)
        .and_then(|path| path.rsplit('/').next().map(str::to_string))
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| DEFAULT_FILE_NAME.to_string());
    let content_type = match file.content_type {
        Some(fixed) => fixed.to_string(),
        None if file_name.contains('.') => mime_guess::from_path(&file_name)
            .first_raw()
            .unwrap_or(UNKNOWN_FILE_TYPE)
            .to_string(),
        None => UNKNOWN_FILE_TYPE.to_string(),
    };
    Ok(FilePart {
        name: param.wire_name.to_string(),
        file_name,
        content_type,
        data,
    })
}

/// The base URL requests go to: the override when set, else the tool's server.
fn server_base<'a>(server: &'a str, base_url: Option<&'a str>) -> &'a str {
    base_url.map_or(server, |b| b.trim_end_matches('/'))
}

/// One argument as query or form pairs.
fn encode_pairs(wire: &str, format: Option<&str>, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Null => {}
        Value::Array(items) => {
            for item in items {
                out.push((wire.to_string(), scalar_text(item)));
            }
        }
        Value::Object(map) => {
            match format.and_then(|f| f.strip_prefix("prefixed-collapsible-map-")) {
                Some(prefix) => flatten(prefix, map, out),
                None => out.push((wire.to_string(), value.to_string())),
            }
        }
        other => out.push((wire.to_string(), scalar_text(other))),
    }
}

/// `{"a": {"b": 1}}` with prefix `AddOns` → `AddOns.a.b=1`.
fn flatten(prefix: &str, map: &Map<String, Value>, out: &mut Vec<(String, String)>) {
    for (key, value) in map {
        let name = format!("{prefix}.{key}");
        match value {
            Value::Object(inner) => flatten(&name, inner, out),
            other => encode_pairs(&name, None, other, out),
        }
    }
}

/// Text of a scalar as Twilio expects it; arrays and objects as JSON.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The `fields` argument, if given.
pub fn requested_fields(args: &Map<String, Value>) -> Option<Vec<String>> {
    args.get(FIELDS_ARG)?.as_array().map(|items| {
        items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{self, HttpMethod};
    use serde_json::json;

    const ACCOUNT: &str = "AC00000000000000000000000000000000";

    fn prep(name: &str, args: Value) -> PreparedRequest {
        let (_, tool) = catalog::find(name).expect("tool");
        prepare(tool, args.as_object().expect("object"), Some(ACCOUNT), None).expect("prepare")
    }

    #[test]
    fn form_post_with_array_and_account_from_config() {
        let req = prep(
            "ApiV2010_CreateMessage",
            json!({"To": "+15551234567", "From": "+15557654321", "MediaUrl": ["https://a/1.png", "https://a/2.png"], "SmartEncoded": true}),
        );
        assert_eq!(req.method, HttpMethod::Post);
        assert_eq!(
            req.url,
            format!("https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages.json")
        );
        let RequestBody::Form(form) = req.body else {
            panic!("form body expected")
        };
        let media: Vec<_> = form.iter().filter(|(k, _)| k == "MediaUrl").collect();
        assert_eq!(media.len(), 2);
        assert!(form.contains(&("SmartEncoded".into(), "true".into())));
        assert!(form.iter().all(|(k, _)| k != "AccountSid"));
    }

    #[test]
    fn get_sends_query_with_wire_names() {
        let req = prep(
            "ApiV2010_ListMessage",
            json!({"DateSentBefore": "2024-01-01", "PageSize": 20, "fields": ["sid"]}),
        );
        assert_eq!(req.body, RequestBody::None);
        assert_eq!(
            req.query,
            [
                ("DateSent<".to_string(), "2024-01-01".to_string()),
                ("PageSize".to_string(), "20".to_string())
            ]
        );
    }

    #[test]
    fn path_values_are_percent_encoded() {
        let req = prep("ApiV2010_FetchMessage", json!({"Sid": "SM1/../x y"}));
        assert!(
            req.url.ends_with("/Messages/SM1%2F..%2Fx%20y.json"),
            "{}",
            req.url
        );
    }

    #[test]
    fn dot_segments_are_refused() {
        let (_, tool) = catalog::find("ConversationsV1_DeleteUserConversation").expect("tool");
        for dots in [".", ".."] {
            let args =
                json!({"UserSid": dots, "ConversationSid": "CH00000000000000000000000000000000"});
            let err = prepare(tool, args.as_object().expect("object"), Some(ACCOUNT), None)
                .expect_err("dot segment");
            assert!(err.0.contains("UserSid"), "{err}");
        }
    }

    #[test]
    fn explicit_account_sid_wins_and_base_url_override_keeps_path() {
        let (_, tool) = catalog::find("ApiV2010_ListMessage").expect("tool");
        let other = "AC11111111111111111111111111111111";
        let req = prepare(
            tool,
            json!({"AccountSid": other}).as_object().expect("object"),
            Some(ACCOUNT),
            Some("http://127.0.0.1:4010/"),
        )
        .expect("prepare");
        assert_eq!(
            req.url,
            format!("http://127.0.0.1:4010/2010-04-01/Accounts/{other}/Messages.json")
        );
    }

    #[test]
    fn missing_account_sid_without_config_is_an_error() {
        let (_, tool) = catalog::find("ApiV2010_ListMessage").expect("tool");
        let err = prepare(tool, &Map::new(), None, None).expect_err("no account");
        assert!(err.0.contains("ACCOUNT_SID"), "{err}");
    }

    #[test]
    fn collapsible_maps_and_objects() {
        let mut out = Vec::new();
        encode_pairs(
            "AddOnsData",
            Some("prefixed-collapsible-map-AddOns"),
            &json!({"a": {"b": 1}, "c": "d"}),
            &mut out,
        );
        assert_eq!(
            out,
            [
                ("AddOns.a.b".to_string(), "1".to_string()),
                ("AddOns.c".to_string(), "d".to_string())
            ]
        );
        let mut out = Vec::new();
        encode_pairs("Data", None, &json!({"k": [1, 2]}), &mut out);
        assert_eq!(out, [("Data".to_string(), r#"{"k":[1,2]}"#.to_string())]);
    }

    const SERVICE: &str = "ZS00000000000000000000000000000000";
    const FUNCTION: &str = "ZH00000000000000000000000000000001";

    fn upload(name: &str, args: Value) -> Result<PreparedRequest, ArgError> {
        let (_, tool) = catalog::find(name).expect("tool");
        let mut args = args.as_object().expect("object").clone();
        args.insert("ServiceSid".into(), json!(SERVICE));
        let sid = if name.contains("Function") {
            "FunctionSid"
        } else {
            "AssetSid"
        };
        args.insert(sid.into(), json!(FUNCTION));
        prepare(tool, &args, Some(ACCOUNT), None)
    }

    fn multipart(req: PreparedRequest) -> (Vec<(String, String)>, Vec<FilePart>) {
        match req.body {
            RequestBody::Multipart { fields, files } => (fields, files),
            other => panic!("multipart body expected, got {other:?}"),
        }
    }

    #[test]
    fn a_function_upload_is_multipart_to_the_upload_host() {
        let code = "exports.handler = (c, e, cb) => cb(null, 'hi');";
        let req = upload(
            "ServerlessV1_CreateFunctionVersion",
            json!({"Path": "/api/hello", "Visibility": "public", "Content": code}),
        )
        .expect("prepare");
        assert_eq!(req.method, HttpMethod::Post);
        assert_eq!(
            req.url,
            format!(
                "https://serverless-upload.twilio.com/v1/Services/{SERVICE}/Functions/{FUNCTION}/Versions"
            )
        );
        let (fields, files) = multipart(req);
        assert_eq!(
            fields,
            [
                ("Path".to_string(), "/api/hello".to_string()),
                ("Visibility".to_string(), "public".to_string())
            ]
        );
        // A Function is JavaScript whatever its path; the file is named
        // after the path's last segment.
        assert_eq!(
            files,
            [FilePart {
                name: "Content".into(),
                file_name: "hello".into(),
                content_type: "application/javascript".into(),
                data: Bytes::from(code),
            }]
        );
    }

    #[test]
    fn an_asset_upload_takes_its_type_from_the_extension() {
        let png = [0x89u8, b'P', b'N', b'G', 0, 1, 2, 255];
        let encoded = base64::engine::general_purpose::STANDARD.encode(png);
        let (_, files) = multipart(
            upload(
                "ServerlessV1_CreateAssetVersion",
                json!({"Path": "/img/logo.png", "Visibility": "public", "ContentBase64": encoded}),
            )
            .expect("prepare"),
        );
        assert_eq!(files.len(), 1);
        assert_eq!(
            (files[0].file_name.as_str(), files[0].content_type.as_str()),
            ("logo.png", "image/png")
        );
        assert_eq!(files[0].data.as_ref(), png);
        for (path, expected) in [
            ("/index.html", "text/html"),
            ("/style.css", "text/css"),
            ("/data.json", "application/json"),
            ("/song.mp3", "audio/mpeg"),
            ("/notes", "application/octet-stream"),
            ("/archive.unknownext", "application/octet-stream"),
            ("/", "application/octet-stream"),
        ] {
            let (_, files) = multipart(
                upload(
                    "ServerlessV1_CreateAssetVersion",
                    json!({"Path": path, "Visibility": "private", "Content": "x"}),
                )
                .expect("prepare"),
            );
            assert_eq!(files[0].content_type, expected, "{path}");
            if path == "/" {
                assert_eq!(files[0].file_name, "index");
            }
        }
    }

    #[test]
    fn base64_may_be_wrapped_but_must_be_base64() {
        let wrapped = "aGVs\nbG8=\n";
        let (_, files) = multipart(
            upload(
                "ServerlessV1_CreateAssetVersion",
                json!({"Path": "/a.txt", "Visibility": "public", "ContentBase64": wrapped}),
            )
            .expect("prepare"),
        );
        assert_eq!(files[0].data.as_ref(), b"hello");
        let err = upload(
            "ServerlessV1_CreateAssetVersion",
            json!({"Path": "/a.txt", "Visibility": "public", "ContentBase64": "not base64!"}),
        )
        .expect_err("bad base64");
        assert!(
            err.0
                .starts_with("argument `ContentBase64` is not valid base64"),
            "{err}"
        );
    }

    #[test]
    fn files_over_the_limit_are_refused_before_sending() {
        let (_, tool) = catalog::find("ServerlessV1_CreateAssetVersion").expect("tool");
        let limit = tool
            .param("Content")
            .and_then(|p| p.file)
            .and_then(|f| f.max_bytes)
            .expect("a size limit");
        assert_eq!(limit, 25 * 1024 * 1024);
        let big = "x".repeat(limit as usize + 1);
        let err = upload(
            "ServerlessV1_CreateAssetVersion",
            json!({"Path": "/big.txt", "Visibility": "public", "Content": big}),
        )
        .expect_err("too big");
        assert_eq!(
            err.0,
            format!(
                "the file in `Content` is {} bytes, more than the {limit} bytes Twilio accepts; \
                 nothing was sent",
                limit + 1
            )
        );
        let exact = "x".repeat(limit as usize);
        assert!(
            upload(
                "ServerlessV1_CreateAssetVersion",
                json!({"Path": "/ok.txt", "Visibility": "public", "Content": exact}),
            )
            .is_ok()
        );
    }

    #[test]
    fn the_upload_host_follows_the_base_url_override() {
        let (_, tool) = catalog::find("ServerlessV1_CreateFunctionVersion").expect("tool");
        let args = json!({"ServiceSid": SERVICE, "FunctionSid": FUNCTION, "Path": "/x",
                          "Visibility": "public", "Content": "x"});
        let req = prepare(
            tool,
            args.as_object().expect("object"),
            Some(ACCOUNT),
            Some("http://127.0.0.1:4010"),
        )
        .expect("prepare");
        assert_eq!(
            req.url,
            format!("http://127.0.0.1:4010/v1/Services/{SERVICE}/Functions/{FUNCTION}/Versions")
        );
    }

    #[test]
    fn json_body_operations_send_json() {
        let (_, tool) = catalog::all()
            .find(|(_, t)| {
                t.body == BodyEncoding::Json
                    && t.params.iter().any(|p| p.location == ParamLocation::Json)
            })
            .expect("a JSON-body tool");
        let param = tool
            .params
            .iter()
            .find(|p| p.location == ParamLocation::Json)
            .expect("json param");
        let mut args = Map::new();
        args.insert(param.name.to_string(), json!("x"));
        let mut account = Map::new();
        for p in tool
            .params
            .iter()
            .filter(|p| p.location == ParamLocation::Path)
        {
            account.insert(p.name.to_string(), json!("ID"));
        }
        args.extend(account);
        let req = prepare(tool, &args, Some(ACCOUNT), None).expect("prepare");
        let RequestBody::Json(body) = req.body else {
            panic!("json body expected")
        };
        assert_eq!(body[param.wire_name], json!("x"));
    }
}
