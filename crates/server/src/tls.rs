//! TLS for `https://` and `wss://` on the server's one port: the certificate and key read and
//! checked at start (`load`), and `TlsStream`, the `Transport` of a connection that speaks
//! TLS, driving rustls over the non-blocking socket so that, as with plain TCP, a waiting
//! session holds no read buffer of its own (only what rustls keeps: about 4 KiB for the
//! records it reads, plus its state).

use std::io::{self, IoSlice, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ServerConfig, ServerConnection};
use tokio::net::TcpStream;

use crate::config::Config;
use crate::transport::Transport;

/// Most plaintext handed to rustls per write: one TLS record's worth. The frames of a batch
/// are copied together first, so that many small chat frames cost one record (one header, one
/// seal) rather than one each.
const MAX_PLAINTEXT_PER_WRITE: usize = 16 * 1024;

/// Why the certificate or the key cannot be used; the message names the setting, the file
/// and the problem, as the other configuration errors do.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read.
    #[error("invalid configuration: {setting} = {}: cannot read it: {source}", path.display())]
    Unreadable {
        /// `tls_cert` or `tls_key`.
        setting: &'static str,
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// A file holds no usable certificate or key.
    #[error("invalid configuration: {setting} = {}: {problem}", path.display())]
    Unusable {
        /// `tls_cert` or `tls_key`.
        setting: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong with what it holds.
        problem: String,
    },
    /// The key is not the certificate's, or rustls refused the pair for another reason.
    #[error(
        "invalid configuration: tls_key = {} and tls_cert = {} cannot be used together: {problem}",
        key.display(),
        cert.display()
    )]
    Mismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// What rustls said, in words.
        problem: String,
    },
}

/// The TLS configuration `config` asks for: `None` without `tls_cert` and `tls_key`, else their
/// certificate chain and key, checked to belong together.
pub fn load(config: &Config) -> Result<Option<Arc<ServerConfig>>, TlsError> {
    let (Some(cert), Some(key)) = (&config.tls_cert, &config.tls_key) else {
        return Ok(None);
    };
    let certs = read_certificates(cert)?;
    let private_key = read_key(key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mismatch = |error: rustls::Error| TlsError::Mismatch {
        cert: cert.clone(),
        key: key.clone(),
        problem: match error {
            rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch) => {
                "the key is not the certificate's (its public key differs)".to_owned()
            }
            other => other.to_string(),
        },
    };
    let mut server = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(mismatch)?
        .with_no_client_auth()
        .with_single_cert(certs, private_key)
        .map_err(mismatch)?;
    // Every answer is HTTP/1.1 (a browser offering HTTP/2 falls back to it).
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(Arc::new(server)))
}

fn read_file(setting: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Unreadable {
        setting,
        path: path.to_owned(),
        source,
    })
}

fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let unusable = |problem: String| TlsError::Unusable {
        setting: "tls_cert",
        path: path.to_owned(),
        problem,
    };
    let pem = read_file("tls_cert", path)?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| unusable(format!("not PEM: {error}")))?;
    if certs.is_empty() {
        return Err(unusable(
            "no certificate in it (expected PEM: -----BEGIN CERTIFICATE-----)".to_owned(),
        ));
    }
    Ok(certs)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let pem = read_file("tls_key", path)?;
    PrivateKeyDer::from_pem_slice(&pem).map_err(|error| TlsError::Unusable {
        setting: "tls_key",
        path: path.to_owned(),
        problem: match error {
            rustls::pki_types::pem::Error::NoItemsFound => "no private key in it (expected PEM: \
                 -----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY)"
                .to_owned(),
            other => format!("not PEM: {other}"),
        },
    })
}

/// A TLS connection over a TCP socket, driven without waiting: reads take what the socket has
/// and decrypt it, writes encrypt and send what the socket takes, and the encrypted bytes the
/// socket did not take yet wait in rustls (`has_pending_output`) until it is writable again.
pub struct TlsStream {
    tcp: TcpStream,
    tls: Box<ServerConnection>,
    /// Whether decrypted bytes may be waiting in rustls: the socket's readiness says nothing
    /// about them.
    plaintext_waiting: bool,
}

impl TlsStream {
    /// A server-side TLS connection on `tcp`; the handshake happens as it is read.
    pub fn new(tcp: TcpStream, config: Arc<ServerConfig>) -> io::Result<Self> {
        let tls = ServerConnection::new(config).map_err(io::Error::other)?;
        Ok(Self {
            tcp,
            tls: Box::new(tls),
            plaintext_waiting: false,
        })
    }

    /// Sends what rustls has encrypted, as far as the socket takes it now.
    fn send_encrypted(&mut self) -> io::Result<()> {
        while self.tls.wants_write() {
            match self.tls.write_tls(&mut Socket(&self.tcp)) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(_) => {}
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(error) => return Err(error),
            }
        }
        Ok(())
    }
}

/// The socket as rustls reads and writes it: non-blocking calls that say `WouldBlock`.
struct Socket<'a>(&'a TcpStream);

impl Read for Socket<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.try_read(buf)
    }
}

impl Write for Socket<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.try_write(buf)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.0.try_write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Transport for TlsStream {
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.plaintext_waiting {
            return Poll::Ready(Ok(()));
        }
        // Handshake messages or alerts the socket did not take block the handshake until they
        // are sent, and a read sends them first: a writable socket is a reason to read.
        if self.tls.wants_write() && self.tcp.poll_write_ready(cx).is_ready() {
            return Poll::Ready(Ok(()));
        }
        self.tcp.poll_read_ready(cx)
    }

    fn try_read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.send_encrypted()?;
        loop {
            match self.tls.reader().read(buf) {
                Ok(n) => {
                    // A full buffer may have left more behind.
                    self.plaintext_waiting = n == buf.len() && n > 0;
                    return Ok(n);
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    self.plaintext_waiting = false;
                }
                Err(error) => return Err(error),
            }
            if !self.tls.wants_read() {
                // Our handshake messages must go out first; the socket is full.
                return Err(io::ErrorKind::WouldBlock.into());
            }
            // `Ok(0)` is the end of the stream: rustls notes it, and the next `read` above
            // says whether the end was clean.
            self.tls.read_tls(&mut Socket(&self.tcp))?;
            if let Err(error) = self.tls.process_new_packets() {
                // rustls has queued an alert saying why; the peer may as well learn it.
                let _ = self.send_encrypted();
                return Err(io::Error::new(io::ErrorKind::InvalidData, error));
            }
            self.send_encrypted()?;
        }
    }

    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.tcp.poll_write_ready(cx)
    }

    fn try_write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.send_encrypted()?;
        if self.tls.wants_write() {
            // The socket is full: take nothing more until it drains, so what waits for this
            // client stays in its outbox, where the outbound limit counts it.
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let mut record = [0u8; MAX_PLAINTEXT_PER_WRITE];
        let mut gathered = 0;
        for buf in bufs {
            let take = buf.len().min(record.len() - gathered);
            record[gathered..gathered + take].copy_from_slice(&buf[..take]);
            gathered += take;
            if gathered == record.len() {
                break;
            }
        }
        if gathered == 0 {
            return Ok(0);
        }
        let accepted = self.tls.writer().write(&record[..gathered])?;
        self.send_encrypted()?;
        if accepted == 0 {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        Ok(accepted)
    }

    fn has_pending_output(&self) -> bool {
        self.tls.wants_write()
    }

    fn flush_pending(&mut self) -> io::Result<()> {
        self.send_encrypted()
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        // Once only, however often this is called while the socket is full.
        self.tls.send_close_notify();
        self.send_encrypted()?;
        if self.tls.wants_write() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        socket2::SockRef::from(&self.tcp).shutdown(std::net::Shutdown::Write)
    }

    fn rehome(self) -> io::Result<Self> {
        Ok(Self {
            tcp: self.tcp.rehome()?,
            ..self
        })
    }
}
