//! TLS for `wss://`: which certificates are trusted (the public CAs, or those of a `--ca-file`,
//! a certificate in that file also being accepted as the server's own even when it is marked
//! as a CA), and a failed handshake turned into a sentence that says what to do.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use tokio_rustls::TlsConnector;

/// The project's own way to make a certificate that every TLS client accepts for `localhost`.
const CERTIFICATE_EXAMPLE: &str = "cargo run -p mmo-server --example self_signed_certificate -- DIR (crates/server/examples/self_signed_certificate.rs) writes DIR/cert.pem and DIR/key.pem";

/// Why a `--ca-file` cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("--ca-file {}: {problem}", path.display())]
pub struct CaFileError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub problem: String,
}

/// How a `wss://` server is trusted.
#[derive(Clone)]
pub struct Trust {
    connector: TlsConnector,
    /// The `--ca-file`, named in the advice when a handshake fails.
    ca_file: Option<PathBuf>,
}

impl Trust {
    /// Trusts the web's public certificate authorities (Mozilla's list).
    pub fn public() -> Self {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        Self {
            connector: connector(roots, Vec::new()),
            ca_file: None,
        }
    }

    /// Trusts only the certificates in the PEM file at `path`: as CAs, and each also as a
    /// server's own certificate when the server presents exactly it.
    pub fn ca_file(path: &Path) -> Result<Self, CaFileError> {
        let problem = |problem: String| CaFileError {
            path: path.to_owned(),
            problem,
        };
        let pem =
            std::fs::read(path).map_err(|error| problem(format!("cannot read it: {error}")))?;
        let mut roots = rustls::RootCertStore::empty();
        let mut pinned = Vec::new();
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.map_err(|error| problem(format!("not PEM: {error}")))?;
            roots
                .add(cert.clone())
                .map_err(|error| problem(format!("not a usable certificate: {error}")))?;
            pinned.push(cert);
        }
        if roots.is_empty() {
            return Err(problem(
                "no certificate in it (expected PEM: -----BEGIN CERTIFICATE-----)".to_owned(),
            ));
        }
        Ok(Self {
            connector: connector(roots, pinned),
            ca_file: Some(path.to_owned()),
        })
    }

    /// The TLS client.
    pub fn connector(&self) -> &TlsConnector {
        &self.connector
    }

    /// What went wrong in a handshake with `host`, and what to do about it.
    pub fn explain(&self, error: &io::Error, host: &str) -> TlsFailure {
        explain(error, host, self.ca_file.as_deref())
    }
}

fn connector(roots: rustls::RootCertStore, pinned: Vec<CertificateDer<'static>>) -> TlsConnector {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .unwrap_or_else(|_| unreachable!("the roots are never empty and no CRLs are given"));
    let verifier = Arc::new(PinnedOrSigned { webpki, pinned });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map(|builder| {
            builder
                .dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth()
        })
        .unwrap_or_else(|_| unreachable!("ring supports TLS 1.2 and 1.3"));
    TlsConnector::from(Arc::new(config))
}

/// The usual checks (a chain to a trusted certificate, dates, the name), plus one exception:
/// a certificate marked `CA:TRUE` — what OpenSSL 3's `openssl req -x509` makes by default — is
/// accepted as the server's own when it is byte for byte one the user put in `--ca-file`.
/// That is sound: the user named this very certificate, its name and dates are still checked,
/// and the handshake's signature still proves the server holds its key.
#[derive(Debug)]
struct PinnedOrSigned {
    webpki: Arc<WebPkiServerVerifier>,
    /// The certificates of the `--ca-file` (none for the public CAs).
    pinned: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for PinnedOrSigned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        match verdict {
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(other)))
                if is_ca_used_as_end_entity(&other)
                    && self.pinned.iter().any(|pinned| pinned == end_entity) =>
            {
                // webpki checks a certificate's dates before its basic constraints, so a
                // certificate refused for CA:TRUE is within its dates; the name is left.
                let parsed = ParsedCertificate::try_from(end_entity)?;
                rustls::client::verify_server_name(&parsed, server_name)?;
                Ok(ServerCertVerified::assertion())
            }
            verdict => verdict,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

fn is_ca_used_as_end_entity(other: &rustls::OtherError) -> bool {
    matches!(
        other.0.downcast_ref::<webpki::Error>(),
        Some(webpki::Error::CaUsedAsEndEntity)
    )
}

/// A failed TLS handshake: a short label that is the same for the same failure (for counting),
/// and a sentence for a person.
#[derive(Debug)]
pub struct TlsFailure {
    /// "unknown issuer", "wrong name", …
    pub label: &'static str,
    /// What happened and what to do.
    pub advice: String,
}

impl TlsFailure {
    /// Whether the server's certificate is what failed, rather than the connection.
    pub fn is_about_the_certificate(&self) -> bool {
        !matches!(self.label, "connection" | "handshake")
    }
}

fn explain(error: &io::Error, host: &str, ca_file: Option<&Path>) -> TlsFailure {
    let failure = |label, advice: String| TlsFailure { label, advice };
    let Some(rustls_error) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        return failure("connection", format!("the TLS handshake failed: {error}"));
    };
    let certificate = match rustls_error {
        rustls::Error::InvalidCertificate(certificate) => certificate,
        rustls::Error::InvalidMessage(_) => {
            return failure(
                "not TLS",
                format!(
                    "the server did not answer in TLS ({rustls_error}); if it serves plain \
                     WebSocket, use a ws:// URL instead of wss://"
                ),
            );
        }
        other => return failure("handshake", format!("the TLS handshake failed: {other}")),
    };
    let in_file = |path: &Path| format!("the certificates in {}", path.display());
    match certificate {
        // A certificate in the file with the issuer's name but another key is the same mistake.
        CertificateError::UnknownIssuer | CertificateError::BadSignature => match ca_file {
            Some(path) => failure(
                "unknown issuer",
                format!(
                    "the server's certificate is not one of {} nor signed by one of them: is \
                     this the right --ca-file? Give the server's own certificate (the file of \
                     its tls_cert setting) or the CA that signed it",
                    in_file(path)
                ),
            ),
            None => failure(
                "unknown issuer",
                format!(
                    "no public certificate authority vouches for the server's certificate. If \
                     it is a self-signed one, trust it with --ca-file CERT.pem, CERT.pem being \
                     the server's own certificate (the file of its tls_cert setting); {CERTIFICATE_EXAMPLE}"
                ),
            ),
        },
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            failure(
                "wrong name",
                format!(
                    "the server's certificate is not made for the name {host}: use a URL with a \
                     name the certificate lists (its subjectAltName, e.g. wss://localhost:PORT/… \
                     for a test certificate), or give the server a certificate for {host} \
                     (openssl req … -addext subjectAltName=DNS:{host})"
                ),
            )
        }
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => failure(
            "expired",
            "the server's certificate has expired: the server needs a new one (or this \
             computer's clock is wrong)"
                .to_owned(),
        ),
        CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => failure(
            "not yet valid",
            "the server's certificate is not valid yet: check this computer's clock".to_owned(),
        ),
        CertificateError::Other(other) if is_ca_used_as_end_entity(other) => {
            let what_to_do = match ca_file {
                Some(path) => format!(
                    "it is not one of {}, so it is refused: give the server's own certificate \
                     file with --ca-file",
                    in_file(path)
                ),
                None => "such a certificate is accepted only when it is the very one given \
                         with --ca-file: add --ca-file CERT.pem, CERT.pem being the server's \
                         own certificate (the file of its tls_cert setting)"
                    .to_owned(),
            };
            failure(
                "CA used as server certificate",
                format!(
                    "the server's certificate is marked as a certificate authority (CA:TRUE, \
                     as OpenSSL 3's `openssl req -x509` makes it); {what_to_do}. Or make one \
                     without CA:TRUE: {CERTIFICATE_EXAMPLE}"
                ),
            )
        }
        other => failure(
            "bad certificate",
            format!("the server's certificate is not accepted: {other}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rustls_io(error: rustls::Error) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, error)
    }

    #[test]
    fn each_certificate_problem_gets_its_own_advice() {
        let unknown = rustls_io(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer,
        ));
        let without_file = explain(&unknown, "example.invalid", None);
        assert_eq!(without_file.label, "unknown issuer");
        assert!(
            without_file.advice.contains("--ca-file")
                && without_file.advice.contains("self_signed_certificate.rs"),
            "{}",
            without_file.advice
        );
        let with_file = explain(&unknown, "example.invalid", Some(Path::new("other.pem")));
        assert!(
            with_file.advice.contains("right --ca-file") && with_file.advice.contains("other.pem"),
            "{}",
            with_file.advice
        );

        let name = explain(
            &rustls_io(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName,
            )),
            "127.0.0.1",
            None,
        );
        assert!(name.advice.contains("not made for the name 127.0.0.1"));

        let ca = explain(
            &rustls_io(rustls::Error::InvalidCertificate(CertificateError::Other(
                rustls::OtherError(Arc::new(webpki::Error::CaUsedAsEndEntity)),
            ))),
            "localhost",
            None,
        );
        assert_eq!(ca.label, "CA used as server certificate");
        assert!(ca.advice.contains("CA:TRUE"), "{}", ca.advice);

        let plain = explain(
            &io::Error::new(io::ErrorKind::ConnectionReset, "reset"),
            "localhost",
            None,
        );
        assert_eq!(plain.label, "connection");
    }
}
