//! Readiness and graceful shutdown behind a load balancer.
//!
//! `GET /readyz` answers 200 `ready` while the server takes traffic and 503
//! `draining` once SIGTERM has arrived. On SIGTERM the server keeps serving
//! for the drain delay (`--drain-delay`), so a load balancer that polls
//! `/readyz` (a Kubernetes readiness probe, an HAProxy or Envoy health check)
//! takes the instance out of rotation before the listener closes. While
//! draining, every response carries `Connection: close`, so a proxy that
//! keeps idle connections to the server (nginx `keepalive`) does not reuse
//! one the server is about to close: that race is what makes a proxy answer
//! 502 for a request it had already sent. After the delay the listening
//! socket closes, so new connections are refused (proxies retry those on
//! another instance: nothing was sent); connections accepted just before get
//! [`LINGER`] to deliver their request (answered, with `Connection: close`),
//! and only then are idle connections closed and in-flight requests
//! finished. Closing a just-accepted connection whose request is still
//! unread would reset it, and the proxy would answer 502.
//!
//! SIGINT (Ctrl-C) skips the delay; a second signal during the delay ends it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};

/// Whether the server is draining; shared by `/readyz`, the connection
/// layer and the shutdown sequence.
#[derive(Debug)]
pub struct Drain {
    draining: AtomicBool,
    /// Set to `true` when the listening socket should close.
    close_listener: watch::Sender<bool>,
}

/// How long connections accepted right before the listener closed get to
/// deliver their request before idle connections are closed.
pub const LINGER: Duration = Duration::from_secs(1);

impl Drain {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            draining: AtomicBool::new(false),
            close_listener: watch::Sender::new(false),
        })
    }

    /// Wraps the listener so that [`shutdown`] can close it while the
    /// connections it accepted are still served.
    pub fn listener(&self, inner: TcpListener) -> std::io::Result<DrainListener> {
        Ok(DrainListener {
            addr: inner.local_addr()?,
            state: ListenerState::Open(inner),
            close: self.close_listener.subscribe(),
        })
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Relaxed)
    }

    fn start(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }
}

/// `GET /readyz`: 200 `ready`, or 503 `draining` after SIGTERM.
pub async fn readyz(State(drain): State<Arc<Drain>>) -> Response {
    if drain.is_draining() {
        (StatusCode::SERVICE_UNAVAILABLE, "draining\n").into_response()
    } else {
        "ready\n".into_response()
    }
}

/// While draining, asks the client (usually a proxy) to close the connection
/// after this response instead of keeping it for the next request.
pub async fn close_while_draining(
    State(drain): State<Arc<Drain>>,
    req: Request,
    next: Next,
) -> Response {
    let mut response = next.run(req).await;
    if drain.is_draining() {
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// A TCP listener that closes its socket when the drain delay is over (the
/// server keeps running its connections meanwhile) and then accepts nothing.
///
/// Before the socket closes, the connections already waiting in the kernel's
/// accept queue are taken (with non-blocking `accept` calls until it would
/// block) and served: closing a listening socket resets the connections
/// still queued on it, and a proxy that had already sent a request on one
/// answers 502.
#[derive(Debug)]
pub struct DrainListener {
    state: ListenerState,
    addr: SocketAddr,
    close: watch::Receiver<bool>,
}

#[derive(Debug)]
enum ListenerState {
    Open(TcpListener),
    /// Taking what is queued, then closing.
    Closing(std::net::TcpListener),
    Closed,
}

impl axum::serve::Listener for DrainListener {
    type Io = TcpStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match &mut self.state {
                ListenerState::Open(inner) => {
                    tokio::select! {
                        accepted = axum::serve::Listener::accept(inner) => return accepted,
                        _ = self.close.wait_for(|close| *close) => {}
                    }
                    let ListenerState::Open(inner) =
                        std::mem::replace(&mut self.state, ListenerState::Closed)
                    else {
                        continue;
                    };
                    // A std listener accepts with a plain system call: no
                    // readiness event can hide a queued connection.
                    if let Ok(std) = inner.into_std() {
                        self.state = ListenerState::Closing(std);
                    }
                }
                ListenerState::Closing(std) => match std.accept() {
                    Ok((stream, addr)) => {
                        if stream.set_nonblocking(true).is_ok()
                            && let Ok(stream) = TcpStream::from_std(stream)
                        {
                            return (stream, addr);
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) if e.kind() == std::io::ErrorKind::ConnectionAborted => {}
                    // WouldBlock: the queue is empty; close the socket now,
                    // so connection attempts are refused from here on.
                    Err(_) => self.state = ListenerState::Closed,
                },
                ListenerState::Closed => std::future::pending().await,
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.addr)
    }
}

/// Which signal asked the server to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Interrupt,
    Terminate,
}

async fn next_signal() -> Stop {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => Stop::Interrupt,
        () = terminate => Stop::Terminate,
    }
}

/// Resolves when the server should close its connections: at SIGINT, or
/// after SIGTERM once the drain delay is over, the listener closed and
/// [`LINGER`] passed (marking the server as draining meanwhile), or at a
/// second signal.
pub async fn shutdown(drain: Arc<Drain>, delay: Duration) {
    let first = next_signal().await;
    drain.start();
    if first == Stop::Terminate && !delay.is_zero() {
        tracing::info!(
            drain_delay_s = delay.as_secs_f64(),
            "SIGTERM: draining (/readyz answers 503, responses close their connections); \
             the listener closes after the drain delay"
        );
        tokio::select! {
            () = async {
                tokio::time::sleep(delay).await;
                drain.close_listener.send_replace(true);
                tracing::info!("drain delay over: the listener is closed");
                tokio::time::sleep(LINGER).await;
            } => {},
            _ = next_signal() => tracing::info!("second signal: ending the drain delay"),
        }
    }
    drain.close_listener.send_replace(true);
    tracing::info!("shutting down: finishing in-flight requests");
}
