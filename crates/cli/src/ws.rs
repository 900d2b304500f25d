//! Opening WebSocket connections to an mmo server: URL checks, TLS for `wss://` (trusting the
//! public CAs, or only those of a `--ca-file`), source-address binding, and one-line
//! descriptions of how a connection ended.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use mmo_protocol::{Message as _, Packet};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpSocket, TcpStream};
use tokio_rustls::client::TlsStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};

use crate::tls::{CaFileError, TlsFailure, Trust};

/// A client connection after the WebSocket handshake.
pub type Ws = WebSocketStream<Stream>;

/// The chat client's default server: the port the server and the Godot client use by default.
pub const DEFAULT_URL: &str = "ws://localhost:8080/ws";

/// Longest close reason or error text kept in a one-line description; the server's reasons are
/// short, and anything longer would only make summaries unreadable.
const MAX_DESCRIPTION_CHARS: usize = 100;

/// Why a string is not a server URL this tool can use.
#[derive(Debug, thiserror::Error)]
pub enum UrlError {
    /// Only `ws://HOST[:PORT][/PATH]` and `wss://…` are understood.
    #[error("{0}: expected ws://HOST[:PORT]/PATH or wss://HOST[:PORT]/PATH")]
    NotWebSocket(String),
    /// A CA file only means something for a `wss://` URL.
    #[error("{0}: --ca-file is for wss:// URLs; this one is not encrypted")]
    CaFileWithoutTls(String),
    /// The CA file cannot be read or holds no certificate.
    #[error(transparent)]
    CaFile(#[from] CaFileError),
    /// The port is not a number from 1 to 65535.
    #[error("{0}: bad port")]
    BadPort(String),
}

/// A parsed `ws://host:port/path` or `wss://…` URL, with how a `wss://` server is trusted.
#[derive(Clone)]
pub struct ServerUrl {
    text: String,
    host: String,
    port: u16,
    /// For `wss://`: the TLS client, which knows the certificates it trusts.
    tls: Option<Trust>,
}

impl std::fmt::Debug for ServerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerUrl")
            .field("text", &self.text)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls.is_some())
            .finish()
    }
}

impl ServerUrl {
    /// Parses `ws://HOST[:PORT][/PATH]` (the port defaults to 80) or `wss://…` (443). A
    /// `wss://` server is trusted if one of the web's public CAs vouches for it or, with
    /// `ca_file`, only if a CA certificate in that PEM file (or the self-signed certificate
    /// itself) does: for test and private servers.
    pub fn parse(text: &str, ca_file: Option<&Path>) -> Result<Self, UrlError> {
        let (rest, secure, default_port) = if let Some(rest) = text.strip_prefix("wss://") {
            (rest, true, 443)
        } else if let Some(rest) = text.strip_prefix("ws://") {
            (rest, false, 80)
        } else {
            return Err(UrlError::NotWebSocket(text.to_owned()));
        };
        let authority = rest.split('/').next().unwrap_or_default();
        if authority.is_empty() {
            return Err(UrlError::NotWebSocket(text.to_owned()));
        }
        let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
            // An IPv6 literal: [::1]:8080
            let (host, after) = bracketed
                .split_once(']')
                .ok_or_else(|| UrlError::NotWebSocket(text.to_owned()))?;
            match after {
                "" => (host, None),
                _ => match after.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    None => return Err(UrlError::NotWebSocket(text.to_owned())),
                },
            }
        } else {
            match authority.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(UrlError::NotWebSocket(text.to_owned()));
        }
        let port = match port {
            None => default_port,
            Some(port) => port
                .parse::<u16>()
                .ok()
                .filter(|&p| p != 0)
                .ok_or_else(|| UrlError::BadPort(text.to_owned()))?,
        };
        let tls = match (secure, ca_file) {
            (false, None) => None,
            (false, Some(_)) => return Err(UrlError::CaFileWithoutTls(text.to_owned())),
            (true, None) => Some(Trust::public()),
            (true, Some(path)) => Some(Trust::ca_file(path)?),
        };
        Ok(Self {
            text: text.to_owned(),
            host: host.to_owned(),
            port,
            tls,
        })
    }

    /// The URL as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's address, preferring IPv4 so that loopback source addresses can be bound.
    pub async fn resolve(&self) -> Result<SocketAddr, ConnectError> {
        let resolve_error = |source| ConnectError::Resolve {
            host: self.host.clone(),
            source,
        };
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((self.host.as_str(), self.port))
            .await
            .map_err(resolve_error)?
            .collect();
        addrs
            .iter()
            .find(|a| a.is_ipv4())
            .or_else(|| addrs.first())
            .copied()
            .ok_or_else(|| resolve_error(io::Error::new(io::ErrorKind::NotFound, "no addresses")))
    }
}

impl ServerUrl {
    /// What a failed upgrade means: an HTTP answer is explained (with the right path when the
    /// URL has none), anything else kept as it is.
    pub fn handshake_error(&self, error: tungstenite::Error) -> ConnectError {
        let tungstenite::Error::Http(response) = &error else {
            return ConnectError::Handshake(Box::new(error));
        };
        let status = response.status();
        let said = response
            .body()
            .as_deref()
            .map(String::from_utf8_lossy)
            .and_then(|body| {
                body.lines()
                    .map(str::trim)
                    .find(|line| !line.is_empty() && !line.starts_with('<'))
                    .map(truncate)
            })
            .map_or_else(String::new, |line| format!(": {line}"));
        let mut advice = if status.is_success() {
            format!(
                "{self} answered with a web page (HTTP {status}) instead of a WebSocket: the \
                 path is probably wrong; mmo servers take WebSockets at /ws"
            )
        } else {
            format!("{self} refused the WebSocket (HTTP {status}{said})")
        };
        if let Some(suggestion) = self.with_ws_path() {
            advice.push_str(&format!("; did you mean {suggestion}?"));
        }
        ConnectError::Refused {
            status: status.as_u16(),
            advice,
        }
    }

    /// This URL with the path `/ws`, when it has no path at all.
    fn with_ws_path(&self) -> Option<String> {
        let scheme_end = self.text.find("://")? + 3;
        let authority = &self.text[scheme_end..];
        match authority.find('/') {
            None => Some(format!("{}/ws", self.text)),
            Some(slash) if authority[slash..] == *"/" => Some(format!("{}ws", self.text)),
            Some(_) => None,
        }
    }
}

impl std::fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// Why a connection could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The host name did not resolve.
    #[error("cannot resolve {host}: {source}")]
    Resolve {
        /// The host as written in the URL.
        host: String,
        /// What the resolver said.
        source: io::Error,
    },
    /// The local source address could not be used.
    #[error("cannot bind to {addr}: {source}")]
    Bind {
        /// The source address asked for.
        addr: SocketAddr,
        /// What the kernel said.
        source: io::Error,
    },
    /// The TCP connection failed.
    #[error("TCP connect failed: {0}")]
    Tcp(io::Error),
    /// The TLS handshake failed (for example, the server's certificate is not trusted).
    #[error("{}", .0.advice)]
    Tls(TlsFailure),
    /// The server answered the upgrade with an HTTP response instead of a WebSocket (HTTP 503
    /// at capacity, a 404 or a web page for a wrong path, for example).
    #[error("{advice}")]
    Refused {
        /// The response's status code.
        status: u16,
        /// What it said and what to do.
        advice: String,
    },
    /// The WebSocket upgrade failed otherwise.
    #[error("WebSocket handshake failed: {0}")]
    Handshake(#[source] Box<tungstenite::Error>),
}

impl ConnectError {
    /// A short, count-friendly label: the same failure always gives the same text.
    pub fn label(&self) -> String {
        match self {
            Self::Resolve { .. } => "cannot resolve host".to_owned(),
            Self::Bind { source, .. } => format!("bind: {}", io_label(source)),
            Self::Tcp(source) => format!("connect: {}", io_label(source)),
            Self::Tls(failure) => format!("TLS: {}", failure.label),
            Self::Refused { status, .. } => format!("HTTP {status}"),
            Self::Handshake(error) => match error.as_ref() {
                tungstenite::Error::Http(response) => format!("HTTP {}", response.status()),
                tungstenite::Error::Io(source) => format!("handshake: {}", io_label(source)),
                other => format!("handshake: {}", truncate(&other.to_string())),
            },
        }
    }
}

impl ConnectError {
    /// Whether trying again cannot help: the URL or the certificate is wrong, not the moment.
    /// Busy answers (429, 503), timeouts and network errors may pass.
    pub fn is_permanent(&self) -> bool {
        match self {
            Self::Refused { status, .. } => {
                *status == 200 || (400..500).contains(status) && !matches!(status, 408 | 429)
            }
            Self::Tls(failure) => failure.is_about_the_certificate(),
            Self::Resolve { .. } | Self::Bind { .. } | Self::Tcp(_) | Self::Handshake(_) => false,
        }
    }
}

/// Kernel error kinds without the per-call detail that would split one failure into many labels.
pub fn io_label(error: &io::Error) -> String {
    match error.raw_os_error() {
        Some(code) => format!("{:?} (os error {code})", error.kind()),
        None => format!("{:?}", error.kind()),
    }
}

/// How to open one connection.
#[derive(Clone, Copy, Debug, Default)]
pub struct ConnectOptions {
    /// Local address to connect from. Binding 127.0.0.2, 127.0.0.3… gives each source address
    /// its own ~28k ephemeral ports, which is what lets one machine open more connections than that.
    pub source: Option<Ipv4Addr>,
    /// Kernel receive buffer to ask for; small for clients that are meant to fall behind.
    pub recv_buffer_bytes: Option<u32>,
    /// Lets a bound source port be reused while an old connection on it is in TIME_WAIT, which
    /// connect/close cycles produce by the thousand.
    pub reuse_addr: bool,
}

/// Resolves `url`, opens a connection to it with the default options (TLS for `wss://`), and
/// upgrades it to a WebSocket.
pub async fn connect(url: &ServerUrl) -> Result<Ws, ConnectError> {
    let stream = open(url, url.resolve().await?, &ConnectOptions::default()).await?;
    let (ws, _response) = tokio_tungstenite::client_async(url.as_str(), stream)
        .await
        .map_err(|error| url.handshake_error(error))?;
    Ok(ws)
}

/// As `connect`, with the WebSocket's own settings: a bench holding hundreds of busy clients
/// wants a smaller read buffer than the library's 128 KiB, all of which it zeroes before each
/// read from the socket.
pub async fn connect_with(
    url: &ServerUrl,
    config: tungstenite::protocol::WebSocketConfig,
) -> Result<Ws, ConnectError> {
    let stream = open(url, url.resolve().await?, &ConnectOptions::default()).await?;
    let (ws, _response) =
        tokio_tungstenite::client_async_with_config(url.as_str(), stream, Some(config))
            .await
            .map_err(|error| url.handshake_error(error))?;
    Ok(ws)
}

/// Opens the connection a WebSocket runs over: TCP to `addr`, and TLS on it for `wss://`.
pub async fn open(
    url: &ServerUrl,
    addr: SocketAddr,
    options: &ConnectOptions,
) -> Result<Stream, ConnectError> {
    let tcp = connect_tcp(addr, options).await?;
    let Some(tls) = &url.tls else {
        return Ok(Stream::Plain(tcp));
    };
    let name = ServerName::try_from(url.host.clone()).map_err(|error| {
        ConnectError::Tls(tls.explain(
            &io::Error::new(io::ErrorKind::InvalidInput, error),
            &url.host,
        ))
    })?;
    let stream = tls
        .connector()
        .connect(name, tcp)
        .await
        .map_err(|error| ConnectError::Tls(tls.explain(&error, &url.host)))?;
    Ok(Stream::Tls(Box::new(stream)))
}

/// A connection to a server: plain TCP for `ws://`, TLS over TCP for `wss://`.
pub enum Stream {
    /// `ws://`.
    Plain(TcpStream),
    /// `wss://`.
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Self::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Self::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Self::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Self::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Opens the TCP connection [`connect`] upgrades: source address, buffer size and no Nagle.
pub async fn connect_tcp(
    addr: SocketAddr,
    options: &ConnectOptions,
) -> Result<TcpStream, ConnectError> {
    let socket = match addr.ip() {
        IpAddr::V4(_) => TcpSocket::new_v4(),
        IpAddr::V6(_) => TcpSocket::new_v6(),
    }
    .map_err(ConnectError::Tcp)?;
    if options.reuse_addr {
        socket.set_reuseaddr(true).map_err(ConnectError::Tcp)?;
    }
    if let Some(bytes) = options.recv_buffer_bytes {
        socket
            .set_recv_buffer_size(bytes)
            .map_err(ConnectError::Tcp)?;
    }
    if let (Some(source), true) = (options.source, addr.is_ipv4()) {
        let local = SocketAddr::from((source, 0));
        socket.bind(local).map_err(|source| ConnectError::Bind {
            addr: local,
            source,
        })?;
    }
    let stream = socket.connect(addr).await.map_err(ConnectError::Tcp)?;
    // Chat lines are small and latency is what we measure: never wait to coalesce them.
    stream.set_nodelay(true).map_err(ConnectError::Tcp)?;
    Ok(stream)
}

/// One packet as a WebSocket binary message.
pub fn packet_message(packet: &Packet) -> Message {
    Message::Binary(Bytes::from(packet.encode_to_vec()))
}

/// "1008 too slow: …", "1000", or "no close frame" for a close the server sent.
pub fn describe_close(frame: Option<&CloseFrame>) -> String {
    describe_close_parts(frame.map(|frame| (u16::from(frame.code), frame.reason.as_str())))
}

/// [`describe_close`] for a close frame's code and reason.
pub fn describe_close_parts(close: Option<(u16, &str)>) -> String {
    match close {
        None => "no close code".to_owned(),
        Some((code, "")) => code.to_string(),
        Some((code, reason)) => format!("{code} {}", truncate(reason)),
    }
}

/// A connection that ended without a close frame, described as briefly as a close code is.
pub fn describe_error(error: &tungstenite::Error) -> String {
    match error {
        tungstenite::Error::Io(source) => format!("connection error: {}", io_label(source)),
        tungstenite::Error::Protocol(problem) => format!("protocol error: {problem}"),
        other => truncate(&other.to_string()),
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(MAX_DESCRIPTION_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_host_port_and_path() {
        let url = ServerUrl::parse("ws://localhost:8080/ws", None).expect("valid");
        assert_eq!((url.host.as_str(), url.port), ("localhost", 8080));
        let url = ServerUrl::parse("ws://[::1]:9000/ws", None).expect("valid");
        assert_eq!((url.host.as_str(), url.port), ("::1", 9000));
        let url = ServerUrl::parse("ws://example.invalid", None).expect("valid");
        assert_eq!(url.port, 80);
    }

    #[test]
    fn wss_urls_default_to_port_443_and_a_ca_file_needs_one() {
        let url = ServerUrl::parse("wss://example.invalid/ws", None).expect("valid");
        assert_eq!((url.port, url.tls.is_some()), (443, true));
        assert!(matches!(
            ServerUrl::parse("ws://example.invalid/ws", Some(Path::new("ca.pem"))),
            Err(UrlError::CaFileWithoutTls(_))
        ));
        let missing = ServerUrl::parse(
            "wss://example.invalid/ws",
            Some(Path::new("/nonexistent/ca.pem")),
        );
        assert!(
            matches!(&missing, Err(UrlError::CaFile(CaFileError { problem, .. })) if problem.starts_with("cannot read it")),
            "{missing:?}"
        );
    }

    fn http_answer(status: u16, body: &str) -> tungstenite::Error {
        let mut response = tungstenite::http::Response::new(Some(body.as_bytes().to_vec()));
        *response.status_mut() = tungstenite::http::StatusCode::from_u16(status).expect("a status");
        tungstenite::Error::Http(Box::new(response))
    }

    #[test]
    fn an_http_answer_to_the_upgrade_says_what_it_means() {
        let bare = ServerUrl::parse("ws://example.invalid:8080", None).expect("valid");
        let page = bare.handshake_error(http_answer(200, "<!doctype html>\n<p>hi</p>"));
        assert!(page.is_permanent());
        let advice = page.to_string();
        assert!(
            advice.contains("web page")
                && advice.ends_with("did you mean ws://example.invalid:8080/ws?"),
            "{advice}"
        );
        let slash = ServerUrl::parse("ws://example.invalid:8080/", None).expect("valid");
        let not_found = slash.handshake_error(http_answer(
            404,
            "WebSocket connections are served at /ws\n",
        ));
        assert_eq!(not_found.label(), "HTTP 404");
        assert!(not_found.is_permanent());
        let advice = not_found.to_string();
        assert!(
            advice.contains("HTTP 404 Not Found: WebSocket connections are served at /ws")
                && advice.ends_with("did you mean ws://example.invalid:8080/ws?"),
            "{advice}"
        );
        let with_path = ServerUrl::parse("ws://example.invalid:8080/ws", None).expect("valid");
        let busy = with_path.handshake_error(http_answer(503, "server is full"));
        assert!(!busy.is_permanent());
        assert!(!busy.to_string().contains("did you mean"), "{busy}");
    }

    #[test]
    fn refuses_what_it_cannot_speak() {
        assert!(matches!(
            ServerUrl::parse("http://x/ws", None),
            Err(UrlError::NotWebSocket(_))
        ));
        assert!(matches!(
            ServerUrl::parse("ws://x:0/ws", None),
            Err(UrlError::BadPort(_))
        ));
        assert!(matches!(
            ServerUrl::parse("ws:///ws", None),
            Err(UrlError::NotWebSocket(_))
        ));
        for no_host in ["ws://:8080/ws", "ws://[]:8080/ws", "ws://[::1]junk/ws"] {
            assert!(
                matches!(
                    ServerUrl::parse(no_host, None),
                    Err(UrlError::NotWebSocket(_))
                ),
                "{no_host}"
            );
        }
    }
}
