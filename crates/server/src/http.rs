//! The HTTP/1.1 side of the server: reading a request head with limits, and writing the short
//! responses it answers without an upgrade. Every response closes the connection: browsers
//! and probes open a fresh one per request, which keeps this code small.

use std::io;
use std::time::Duration;

use crate::transport::{self, Transport};

/// Largest request head accepted. Browsers send under 2 KiB; 8 KiB is what common servers allow.
pub const MAX_HEAD_BYTES: usize = 8 * 1024;

/// How long a connection is drained after a response before it is dropped.
const RESPONSE_LINGER: Duration = Duration::from_millis(500);

/// Most headers parsed in one request.
const MAX_HEADERS: usize = 48;

/// A parsed request head, owning its parts.
#[derive(Debug)]
pub struct RequestHead {
    /// The method, such as `GET`.
    pub method: String,
    /// The path without its query string.
    pub path: String,
    /// Header names (lower-cased) and values.
    pub headers: Vec<(String, Vec<u8>)>,
}

impl RequestHead {
    /// The first value of header `name` (lower-case), as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
            .map(str::trim)
    }

    /// The headers in the form `httparse` gives them, for code that checks raw headers.
    pub fn raw_headers(&self) -> Vec<httparse::Header<'_>> {
        self.headers
            .iter()
            .map(|(name, value)| httparse::Header { name, value })
            .collect()
    }
}

/// Why no request head could be read.
#[derive(Debug, thiserror::Error)]
pub enum HeadError {
    /// The peer closed or reset the connection first.
    #[error("connection closed before a full request")]
    Closed(#[from] io::Error),
    /// The head was not valid HTTP/1.x.
    #[error("malformed HTTP request")]
    Malformed,
    /// The head was longer than `MAX_HEAD_BYTES`.
    #[error("request head over {MAX_HEAD_BYTES} bytes")]
    TooLarge,
    /// The head did not arrive in time.
    #[error("no complete request within {0:?}")]
    TimedOut(Duration),
}

impl HeadError {
    /// The HTTP status that answers it (a closed connection is not answered).
    pub fn status(&self) -> u16 {
        match self {
            Self::TooLarge => 431,
            Self::TimedOut(_) => 408,
            Self::Closed(_) | Self::Malformed => 400,
        }
    }
}

/// A request head arriving: the bytes so far, kept between reads so that reading can be
/// interrupted (a timeout, a request to give way) and looked at again without losing any.
#[derive(Debug, Default)]
pub struct HeadReader {
    // Nothing is allocated until the first bytes arrive: a socket that connects and stays
    // silent costs no buffer.
    buf: Vec<u8>,
}

/// A complete head and any bytes that came after it (a client may send its first WebSocket
/// frame without waiting for our answer).
pub type Head = (RequestHead, Vec<u8>);

impl HeadReader {
    /// Reads until the head is complete. Cancel-safe: what was read stays in the reader.
    pub async fn read(&mut self, transport: &mut impl Transport) -> Result<Head, HeadError> {
        loop {
            transport::readable(transport).await?;
            if let Some(result) = self.read_available(transport) {
                return result;
            }
        }
    }

    /// Reads what has arrived, without waiting: `Some` once that completes the head (or shows
    /// it cannot be one), `None` while more is needed.
    pub fn read_available(
        &mut self,
        transport: &mut impl Transport,
    ) -> Option<Result<Head, HeadError>> {
        loop {
            if self.buf.len() >= MAX_HEAD_BYTES {
                return Some(Err(HeadError::TooLarge));
            }
            let mut chunk = [0u8; 1024];
            let want = chunk.len().min(MAX_HEAD_BYTES - self.buf.len());
            let n = match transport.try_read(&mut chunk[..want]) {
                Ok(0) => {
                    return Some(Err(HeadError::Closed(io::ErrorKind::UnexpectedEof.into())));
                }
                Ok(n) => n,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return None,
                Err(error) => return Some(Err(HeadError::Closed(error))),
            };
            self.buf.extend_from_slice(&chunk[..n]);
            match parse_head(&self.buf) {
                Ok(Some((head, len))) => {
                    let rest = self.buf.split_off(len);
                    return Some(Ok((head, rest)));
                }
                Ok(None) => {}
                Err(error) => return Some(Err(error)),
            }
        }
    }
}

/// Parses a complete head from the front of `buf`, with its length; `None` if incomplete.
fn parse_head(buf: &[u8]) -> Result<Option<(RequestHead, usize)>, HeadError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let len = match request.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(HeadError::Malformed),
    };
    let target = request.path.ok_or(HeadError::Malformed)?;
    // The query string plays no part in routing.
    let path = target.split_once('?').map_or(target, |(path, _)| path);
    Ok(Some((
        RequestHead {
            method: request.method.ok_or(HeadError::Malformed)?.to_owned(),
            path: path.to_owned(),
            headers: request
                .headers
                .iter()
                .map(|h| (h.name.to_ascii_lowercase(), h.value.to_vec()))
                .collect(),
        },
        len,
    )))
}

/// A complete response, written in one go.
#[derive(Debug)]
pub struct Response {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    omit_body: bool,
}

impl Response {
    /// A response with this status and no body yet.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            omit_body: false,
        }
    }

    /// A plain-text response: `text` plus a newline.
    pub fn text(status: u16, text: &str) -> Self {
        Self::new(status).body(
            "text/plain; charset=utf-8",
            format!("{text}\n").into_bytes(),
        )
    }

    /// Sets the body and its content type.
    pub fn body(mut self, content_type: &str, body: Vec<u8>) -> Self {
        self.headers.push(("Content-Type", content_type.to_owned()));
        self.body = body;
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Keeps the headers (including Content-Length) but sends no body, for HEAD requests.
    pub fn without_body(mut self) -> Self {
        self.omit_body = true;
        self
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The response as bytes on the wire.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!(
            "HTTP/1.1 {} {}\r\n",
            self.status,
            reason_phrase(self.status)
        );
        for (name, value) in &self.headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.body.len()
        ));
        let mut bytes = out.into_bytes();
        if !self.omit_body {
            bytes.extend_from_slice(&self.body);
        }
        bytes
    }

    /// Writes the response within `timeout`, then closes the connection without losing it
    /// (see `transport::close_gracefully`).
    pub async fn send(&self, mut transport: impl Transport, timeout: Duration) -> io::Result<()> {
        transport::write_all(&mut transport, &self.to_bytes(), timeout).await?;
        transport::close_gracefully(&mut transport, RESPONSE_LINGER).await;
        Ok(())
    }
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        304 => "Not Modified",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        429 => "Too Many Requests",
        426 => "Upgrade Required",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_head_and_keeps_what_follows() {
        let raw = b"GET /ws?x=1 HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n\x82\x80";
        let (head, len) = parse_head(raw).expect("valid").expect("complete");
        assert_eq!(head.method, "GET");
        assert_eq!(head.path, "/ws");
        assert_eq!(head.header("upgrade"), Some("websocket"));
        assert_eq!(&raw[len..], b"\x82\x80");
    }

    #[test]
    fn incomplete_and_malformed_heads() {
        assert!(matches!(parse_head(b"GET / HTTP/1.1\r\nHost"), Ok(None)));
        assert!(matches!(
            parse_head(b"\x16\x03\x01 garbage\r\n\r\n"),
            Err(HeadError::Malformed)
        ));
    }

    #[test]
    fn responses_carry_length_and_close() {
        let text =
            String::from_utf8(Response::text(404, "no such page").to_bytes()).expect("utf-8");
        assert!(text.starts_with("HTTP/1.1 404 Not Found\r\n"));
        assert!(text.contains("Content-Length: 13\r\n"));
        assert!(text.contains("Connection: close\r\n"));
        assert!(text.ends_with("\r\n\r\nno such page\n"));
        let head = Response::text(200, "ok").without_body().to_bytes();
        assert!(
            String::from_utf8(head)
                .expect("utf-8")
                .ends_with("Content-Length: 3\r\nConnection: close\r\n\r\n")
        );
    }
}

#[cfg(test)]
mod properties {
    //! Random request bytes, arriving in random pieces: the head parser never panics and comes
    //! to the same answer however the bytes are split.

    use super::*;
    use proptest::prelude::*;

    /// What reading decides from `bytes` arriving in pieces cut at `cuts`: the same steps as
    /// `HeadReader::read_available`, with the socket replaced by the pieces.
    fn decide(bytes: &[u8], cuts: &[usize]) -> Option<Result<(String, String, usize), String>> {
        let mut points: Vec<usize> = cuts.iter().map(|cut| cut % (bytes.len() + 1)).collect();
        points.push(bytes.len());
        points.sort_unstable();
        let mut seen = 0;
        for point in points {
            if point == seen && point != bytes.len() {
                continue;
            }
            seen = point;
            let buf = &bytes[..point.min(MAX_HEAD_BYTES)];
            match parse_head(buf) {
                Ok(Some((head, len))) => return Some(Ok((head.method, head.path, len))),
                Ok(None) if buf.len() >= MAX_HEAD_BYTES => return Some(Err("too large".into())),
                Ok(None) => {}
                Err(error) => return Some(Err(error.to_string())),
            }
        }
        None
    }

    fn requests() -> impl Strategy<Value = Vec<u8>> {
        let line = prop::sample::select(vec![
            "GET /ws HTTP/1.1\r\n",
            "Host: x\r\n",
            "Upgrade: websocket\r\n",
            "Connection: Upgrade\r\n",
            "Sec-WebSocket-Version: 13\r\n",
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
            "\r\n",
            "X: \u{202e}\r\n",
            "bad line\n",
        ]);
        (
            prop::collection::vec(line, 0..10),
            prop::collection::vec(any::<u8>(), 0..20),
        )
            .prop_map(|(lines, tail)| [lines.concat().into_bytes(), tail].concat())
    }

    proptest! {
        #[test]
        fn random_bytes_are_judged_alike_however_they_arrive(
            bytes in prop::collection::vec(any::<u8>(), 0..300),
            cuts in prop::collection::vec(any::<usize>(), 0..8),
        ) {
            prop_assert_eq!(decide(&bytes, &cuts), decide(&bytes, &[]));
        }

        #[test]
        fn request_like_bytes_are_judged_alike_however_they_arrive(
            bytes in requests(),
            cuts in prop::collection::vec(any::<usize>(), 0..8),
        ) {
            let whole = decide(&bytes, &[]);
            prop_assert_eq!(decide(&bytes, &cuts), whole.clone());
            if let Some(Ok((method, _, _))) = whole {
                // Whatever headers came, checking them as an upgrade never panics.
                let (head, _) = parse_head(&bytes).expect("parsed").expect("complete");
                prop_assert_eq!(&head.method, &method);
                let _ = crate::websocket::UpgradeRequest::from_request("GET", &head.raw_headers());
            }
        }
    }
}
