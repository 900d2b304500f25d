//! The opening handshake: checks an HTTP request is a WebSocket upgrade we can accept, and
//! computes `Sec-WebSocket-Accept`.

use base64::Engine as _;
use sha1::{Digest, Sha1};

/// The GUID RFC 6455 §1.3 appends to the client's key.
const WEBSOCKET_GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The parts of an upgrade request the server needs once it is validated.
#[derive(Debug, PartialEq, Eq)]
pub struct UpgradeRequest {
    /// `Sec-WebSocket-Key`, as sent.
    pub key: String,
    /// `Origin`, when a browser sent one.
    pub origin: Option<String>,
}

/// Why a request to `/ws` cannot be upgraded; each maps to an HTTP status for the client.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// No `Upgrade: websocket` — a plain HTTP request to the WebSocket endpoint.
    #[error(
        "this is the mmo WebSocket endpoint: connect with a WebSocket client (ws://HOST:PORT/ws)"
    )]
    NotAnUpgrade,
    /// A version other than 13.
    #[error("unsupported WebSocket version: only 13 is supported")]
    UnsupportedVersion,
    /// A missing or malformed `Sec-WebSocket-Key`.
    #[error("missing or invalid Sec-WebSocket-Key header")]
    BadKey,
    /// The upgrade was not a GET.
    #[error("a WebSocket upgrade must be a GET request")]
    NotGet,
}

impl UpgradeRequest {
    /// Validates the method and headers of a request for the WebSocket endpoint.
    pub fn from_request(
        method: &str,
        headers: &[httparse::Header<'_>],
    ) -> Result<Self, HandshakeError> {
        let header = |name: &str| {
            headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .and_then(|h| std::str::from_utf8(h.value).ok())
                .map(str::trim)
        };
        let has_token = |name: &str, token: &str| {
            headers
                .iter()
                .filter(|h| h.name.eq_ignore_ascii_case(name))
                .filter_map(|h| std::str::from_utf8(h.value).ok())
                .flat_map(|v| v.split(','))
                .any(|t| t.trim().eq_ignore_ascii_case(token))
        };
        if !has_token("upgrade", "websocket") || !has_token("connection", "upgrade") {
            return Err(HandshakeError::NotAnUpgrade);
        }
        if method != "GET" {
            return Err(HandshakeError::NotGet);
        }
        if header("sec-websocket-version") != Some("13") {
            return Err(HandshakeError::UnsupportedVersion);
        }
        let key = header("sec-websocket-key").ok_or(HandshakeError::BadKey)?;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(key)
            .map_err(|_| HandshakeError::BadKey)?;
        if decoded.len() != 16 {
            return Err(HandshakeError::BadKey);
        }
        Ok(Self {
            key: key.to_owned(),
            origin: header("origin").map(str::to_owned),
        })
    }

    /// The `101 Switching Protocols` response that completes this handshake.
    pub fn response(&self) -> String {
        format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\n\r\n",
            accept_key(&self.key)
        )
    }
}

/// `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key` (RFC 6455 §4.2.2).
pub fn accept_key(key: &str) -> String {
    let mut sha = Sha1::new();
    sha.update(key.as_bytes());
    sha.update(WEBSOCKET_GUID);
    base64::engine::general_purpose::STANDARD.encode(sha.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(name: &'a str, value: &'a str) -> httparse::Header<'a> {
        httparse::Header {
            name,
            value: value.as_bytes(),
        }
    }

    #[test]
    fn accept_key_matches_the_rfc_example() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn accepts_a_valid_upgrade_with_token_lists() {
        let headers = [
            header("Upgrade", "websocket"),
            header("Connection", "keep-alive, Upgrade"),
            header("Sec-WebSocket-Version", "13"),
            header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            header("Origin", "http://localhost:8080"),
        ];
        let request = UpgradeRequest::from_request("GET", &headers).expect("valid upgrade");
        assert_eq!(request.origin.as_deref(), Some("http://localhost:8080"));
        assert!(request.response().contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    }

    #[test]
    fn refuses_what_is_not_a_valid_upgrade() {
        assert_eq!(
            UpgradeRequest::from_request("GET", &[header("Host", "x")]),
            Err(HandshakeError::NotAnUpgrade)
        );
        let upgrade = [
            header("Upgrade", "websocket"),
            header("Connection", "Upgrade"),
        ];
        let mut with_version = upgrade.to_vec();
        with_version.push(header("Sec-WebSocket-Version", "8"));
        assert_eq!(
            UpgradeRequest::from_request("GET", &with_version),
            Err(HandshakeError::UnsupportedVersion)
        );
        let mut bad_key = upgrade.to_vec();
        bad_key.push(header("Sec-WebSocket-Version", "13"));
        bad_key.push(header("Sec-WebSocket-Key", "c2hvcnQ="));
        assert_eq!(
            UpgradeRequest::from_request("GET", &bad_key),
            Err(HandshakeError::BadKey)
        );
        assert_eq!(
            UpgradeRequest::from_request("POST", &upgrade),
            Err(HandshakeError::NotGet)
        );
    }
}
