//! The reference server's own connection loop ([`serve`]): hyper on each accepted connection,
//! as `axum::serve` does it, so that what happens below the router can vary too. A [`Wire`]
//! says how: close a connection without `Connection: close`, say `Connection: close` on every
//! answer, frame bodies with chunked coding, or answer a request before routing, like an HTTP
//! parser, without `Date`. The default [`Wire`] serves exactly as `axum::serve` did.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::http::header::{CONNECTION, CONTENT_LENGTH, DATE};
use axum::http::{HeaderValue, Request, Response, StatusCode};
use axum::Router;
use hyper::body::Incoming;
use hyper::service::Service as _;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};

use super::{Fault, ServerConfig, Variation};

/// How the server behaves at the connection level, below the router.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Wire {
    /// After an error answer (4xx or 5xx), the connection is closed without saying so.
    close_after_error: bool,
    /// After a 5xx answer, the connection is closed without saying so.
    close_after_server_error: bool,
    /// `Connection: close` on every answer.
    connection_close: bool,
    /// Bodies framed with chunked coding, never `Content-Length`.
    chunked: bool,
    /// A method HTTP does not define is refused before routing, as an HTTP parser refuses it.
    parser_rejects_unknown_method: bool,
}

impl Wire {
    pub(super) fn of(config: &ServerConfig) -> Self {
        Wire {
            close_after_error: config.varies(Variation::ClosesAfterError),
            close_after_server_error: config.faults.has(Fault::CrashOnLoneSurrogateCloses),
            connection_close: config.varies(Variation::ConnectionClose),
            chunked: config.varies(Variation::Chunked),
            parser_rejects_unknown_method: config.varies(Variation::ParserRejectsUnknownMethod),
        }
    }

    fn closes_after(&self, status: StatusCode) -> bool {
        (self.close_after_error && (status.is_client_error() || status.is_server_error()))
            || (self.close_after_server_error && status.is_server_error())
    }
}

/// Serves `router` on `listener` until `stop` fires (or its sender is dropped), then lets every
/// open connection finish its request in flight.
pub(super) async fn serve(
    listener: TcpListener,
    router: Router,
    wire: Wire,
    hits: Arc<AtomicU64>,
    mut stop: oneshot::Receiver<()>,
) -> io::Result<()> {
    let (closing, closing_seen) = watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                match accepted {
                    Ok((stream, _)) => {
                        let job = connection(stream, router.clone(), wire, hits.clone(), closing_seen.clone());
                        connections.spawn(job);
                    }
                    // Out of file descriptors, say: wait a little rather than spin.
                    Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
                }
            }
        }
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = closing.send(true);
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// One connection: hyper with the router behind it, shut down gracefully when told to.
async fn connection(
    stream: TcpStream,
    router: Router,
    wire: Wire,
    hits: Arc<AtomicU64>,
    mut closing: watch::Receiver<bool>,
) {
    let gate = Arc::new(AtomicU8::new(OPEN));
    let io = TokioIo::new(Gate {
        inner: stream,
        state: gate.clone(),
    });
    let router = TowerToHyperService::new(router);
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let (router, hits, gate) = (router.clone(), hits.clone(), gate.clone());
        async move {
            hits.fetch_add(1, Ordering::Relaxed);
            Ok::<_, Infallible>(answer(request, &router, wire, &gate).await)
        }
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    if wire.parser_rejects_unknown_method {
        // A parser's own answer has no `Date`; every other answer gets one from `answer`.
        builder.http1().auto_date_header(false);
    }
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        // A dropped sender also means stop.
        _ = closing.wait_for(|c| *c) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

/// The router's answer, with what the wire adds to it.
async fn answer(
    request: Request<Incoming>,
    router: &TowerToHyperService<Router>,
    wire: Wire,
    gate: &AtomicU8,
) -> Response<Body> {
    if wire.parser_rejects_unknown_method && !super::standards::known_method(request.method()) {
        // What Node's parser writes: `400 Bad Request`, `Connection: close`, nothing more.
        let mut refused = Response::new(Body::empty());
        *refused.status_mut() = StatusCode::BAD_REQUEST;
        refused
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        return refused;
    }
    let mut response = match router.call(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    if wire.closes_after(response.status()) {
        gate.store(ARMED, Ordering::Release);
    }
    if wire.connection_close {
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    if wire.chunked {
        // A body of unknown length is what hyper frames with chunked coding.
        let body = std::mem::take(response.body_mut());
        *response.body_mut() = Body::from_stream(body.into_data_stream());
        response.headers_mut().remove(CONTENT_LENGTH);
    }
    if wire.parser_rejects_unknown_method && !response.headers().contains_key(DATE) {
        let now = httpdate::fmt_http_date(std::time::SystemTime::now());
        if let Ok(v) = HeaderValue::from_str(&now) {
            response.headers_mut().insert(DATE, v);
        }
    }
    response
}

/// The connection serves as usual.
const OPEN: u8 = 0;
/// An answer after which the connection closes is being written.
const ARMED: u8 = 1;
/// That answer has been written: the connection reads nothing more. When the client's next
/// request arrives it is swallowed and the connection closed, unanswered, without a
/// `Connection: close` ever said: the keep-alive race a client loses against a server that
/// closes an idle connection, made certain.
const CLOSING: u8 = 2;

/// The TCP stream under hyper, which can stop reading after an answer (see [`CLOSING`]).
struct Gate {
    inner: TcpStream,
    state: Arc<AtomicU8>,
}

impl AsyncRead for Gate {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.state.load(Ordering::Acquire) != CLOSING {
            return Pin::new(&mut this.inner).poll_read(cx, buf);
        }
        // Wait for the next request (or the client's close), read it away so the close is a
        // FIN rather than a reset, and tell hyper the stream has ended.
        let mut scratch = [0u8; 8192];
        let mut swallowed = ReadBuf::new(&mut scratch);
        match Pin::new(&mut this.inner).poll_read(cx, &mut swallowed) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(_) => Poll::Ready(Ok(())),
        }
    }
}

impl AsyncWrite for Gate {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let flushed = Pin::new(&mut this.inner).poll_flush(cx);
        if let Poll::Ready(Ok(())) = flushed {
            // hyper flushes once the answer's bytes are all handed to the socket.
            let _ =
                this.state
                    .compare_exchange(ARMED, CLOSING, Ordering::AcqRel, Ordering::Acquire);
        }
        flushed
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
