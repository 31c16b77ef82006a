//! Over stdio, plain `tools/list` requests are answered from pre-serialised
//! bytes: byte for byte what rmcp answers, and only once the session speaks
//! a protocol version whose answer is the plain result.

use clap::Parser;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, ReadHalf, WriteHalf};
use twilio_mcp::cli::{Cli, Command};
use twilio_mcp::commands::serve::build_state;
use twilio_mcp::transport::stdio::serve_io;

struct Client {
    to_server: WriteHalf<DuplexStream>,
    from_server: BufReader<ReadHalf<DuplexStream>>,
    server: tokio::task::JoinHandle<Result<u64, String>>,
}

impl Client {
    fn start(fast: bool, serve_args: &[&str]) -> Self {
        let mut argv = vec!["twilio-mcp", "serve", "--stdio"];
        argv.extend_from_slice(serve_args);
        let Command::Serve(args) = Cli::parse_from(argv).command else {
            panic!("serve expected")
        };
        let state = build_state(&args).expect("state");
        let (client_end, server_end) = tokio::io::duplex(1 << 16);
        let (server_in, server_out) = tokio::io::split(server_end);
        let server = tokio::spawn(serve_io(state, server_in, server_out, fast));
        let (from_server, to_server) = tokio::io::split(client_end);
        Client {
            to_server,
            from_server: BufReader::new(from_server),
            server,
        }
    }

    async fn send(&mut self, line: &str) {
        self.to_server
            .write_all(format!("{line}\n").as_bytes())
            .await
            .expect("send");
    }

    async fn receive(&mut self) -> String {
        let mut line = String::new();
        let read = tokio::time::timeout(
            std::time::Duration::from_secs(30),
            self.from_server.read_line(&mut line),
        )
        .await
        .expect("an answer in time")
        .expect("read");
        assert!(read > 0, "server closed stdout");
        line
    }

    /// Handshake at `version`; returns the version the server agreed on.
    async fn initialize(&mut self, version: &str) -> String {
        self.send(&format!(
            r#"{{"jsonrpc":"2.0","id":0,"method":"initialize","params":{{"protocolVersion":"{version}","capabilities":{{}},"clientInfo":{{"name":"t","version":"1"}}}}}}"#
        ))
        .await;
        let answer: serde_json::Value =
            serde_json::from_str(&self.receive().await).expect("initialize answer");
        self.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
            .await;
        answer["result"]["protocolVersion"]
            .as_str()
            .expect("protocolVersion")
            .to_string()
    }

    /// Closes stdin; returns how many `tools/list` were answered fast.
    async fn close(mut self) -> u64 {
        self.to_server.shutdown().await.expect("close stdin");
        let ended = tokio::time::timeout(std::time::Duration::from_secs(10), self.server)
            .await
            .expect("server ends when stdin closes");
        ended.expect("task").expect("clean end")
    }
}

/// The same requests to a server with and without the fast path; the
/// answers, and how many the fast path gave.
async fn both(serve_args: &[&str], version: &str, requests: &[&str]) -> (Vec<String>, u64) {
    let mut answers = Vec::new();
    let mut fast_answers = 0;
    let mut agreed = Vec::new();
    for fast in [true, false] {
        let mut client = Client::start(fast, serve_args);
        agreed.push(client.initialize(version).await);
        let mut these = Vec::new();
        for request in requests {
            client.send(request).await;
            these.push(client.receive().await);
        }
        let served_fast = client.close().await;
        if fast {
            fast_answers = served_fast;
        } else {
            assert_eq!(served_fast, 0);
        }
        answers.push(these);
    }
    assert_eq!(agreed[0], agreed[1]);
    assert_eq!(answers[0], answers[1], "{serve_args:?} {version}");
    (answers.swap_remove(0), fast_answers)
}

#[tokio::test]
async fn fast_answers_are_rmcp_answers() {
    let requests = [
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
        r#"{"jsonrpc":"2.0","id":"two","method":"tools/list","params":{}}"#,
        // A cursor: rmcp's answer (the fast path steps aside).
        r#"{"jsonrpc":"2.0","id":3,"method":"tools/list","params":{"cursor":"x"}}"#,
    ];
    for args in [
        &["--services", "all"][..],
        &[][..],
        &["--services", "Voice,Usage", "--read-only"][..],
        &["--mode", "discover"][..],
    ] {
        for version in ["2025-06-18", "2025-11-25", "2024-11-05"] {
            let (answers, fast_answers) = both(args, version, &requests).await;
            // The first two; the cursor goes to rmcp.
            assert_eq!(fast_answers, 2, "{args:?} {version}");
            let first: serde_json::Value = serde_json::from_str(&answers[0]).expect("json");
            assert!(
                !first["result"]["tools"]
                    .as_array()
                    .expect("tools")
                    .is_empty(),
                "{args:?}"
            );
        }
    }
}

#[tokio::test]
async fn other_protocol_versions_get_rmcp_answers() {
    // Whatever rmcp agrees on for a version the fast path does not know
    // (rmcp may fall back to one it does), the answer is rmcp's.
    for version in ["2026-07-28", "2099-01-01"] {
        let mut client = Client::start(true, &[]);
        let agreed = client.initialize(version).await;
        client.close().await;
        let (answers, fast_answers) = both(
            &[],
            version,
            &[r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#],
        )
        .await;
        let plain = twilio_mcp::listing::PLAIN_RESULT_VERSIONS.contains(&agreed.as_str());
        assert_eq!(fast_answers, u64::from(plain), "{version} → {agreed}");
        assert!(answers[0].contains("\"tools\""), "{}", answers[0]);
    }
}

#[tokio::test]
async fn other_messages_pass_through() {
    let mut client = Client::start(true, &[]);
    // Before initialisation the fast path is off.
    client
        .send(r#"{"jsonrpc":"2.0","id":5,"method":"ping"}"#)
        .await;
    let pong = client.receive().await;
    assert!(pong.contains(r#""id":5"#), "{pong}");
    assert_eq!(client.initialize("2025-06-18").await, "2025-06-18");
    client
        .send(r#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"NoSuchTool","arguments":{}}}"#)
        .await;
    let answer = client.receive().await;
    assert!(answer.contains("unknown tool"), "{answer}");
    client.send("this is not json").await;
    client
        .send(r#"{"jsonrpc":"2.0","id":7,"method":"tools/list"}"#)
        .await;
    let list = client.receive().await;
    assert!(list.contains(r#""id":7"#), "{list}");
    assert_eq!(client.close().await, 1);
}

#[tokio::test]
async fn ids_rmcp_would_rewrite_go_to_rmcp() {
    // rmcp answers `1.0` as `1` and refuses `1.5`: the fast path steps aside.
    let (answers, fast_answers) = both(
        &[],
        "2025-06-18",
        &[
            r#"{"jsonrpc":"2.0","id":1.0,"method":"tools/list"}"#,
            r#"{"jsonrpc":"2.0","id":7,"method":"tools/list"}"#,
        ],
    )
    .await;
    assert_eq!(fast_answers, 1);
    assert!(answers[0].contains(r#""id":1,"#), "{}", answers[0]);
}

#[tokio::test]
async fn long_lines_pass_through_and_a_cut_last_line_is_not_answered() {
    let mut outputs = Vec::new();
    for fast in [true, false] {
        let mut client = Client::start(fast, &[]);
        client.initialize("2025-06-18").await;
        // Far longer than the module ever holds: streamed to rmcp.
        let big = "x".repeat(300 * 1024);
        client
            .send(&format!(
                r#"{{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{{"name":"ApiV2010_CreateMessage","arguments":{{"To":"+15551234567","Body":"{big}","Bogus":1}}}}}}"#
            ))
            .await;
        let answer = client.receive().await;
        assert!(
            answer.contains(r#""id":8"#),
            "{}",
            &answer[..200.min(answer.len())]
        );
        assert!(
            answer.contains("unknown argument `Bogus`"),
            "{}",
            &answer[..300.min(answer.len())]
        );
        // A last tools/list without its newline: rmcp drops an incomplete
        // message, and so does the fast path.
        client
            .to_server
            .write_all(br#"{"jsonrpc":"2.0","id":9,"method":"tools/list"}"#)
            .await
            .expect("send");
        client.to_server.shutdown().await.expect("close stdin");
        let mut rest = String::new();
        tokio::time::timeout(
            std::time::Duration::from_secs(10),
            tokio::io::AsyncReadExt::read_to_string(&mut client.from_server, &mut rest),
        )
        .await
        .expect("stdout closes")
        .expect("read");
        let fast_answers = client.server.await.expect("task").expect("clean end");
        assert_eq!(fast_answers, 0);
        outputs.push(rest);
    }
    assert_eq!(outputs[0], outputs[1]);
}
