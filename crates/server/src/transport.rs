//! `Transport`: the byte stream a connection runs over, used through readiness and
//! non-blocking calls so that a waiting session holds no read buffer. TCP implements it here
//! (`TcpStream` for a refusal answered and dropped, `Arc<TcpStream>` for a connection that may
//! become a session, whose stream a room's batch may write to as well: see `direct_socket`);
//! TLS (`tls::TlsStream`) implements the same calls, and the two it needs beyond TCP's have
//! defaults that cost TCP nothing.

use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::net::TcpStream;

/// A connection's byte stream, driven by readiness: wait with `poll_*_ready`, then move bytes
/// with the `try_*` calls, which return `WouldBlock` when the stream has nothing to give.
pub trait Transport: Send + Sync + 'static {
    /// Ready when a read may make progress (or the stream has ended or failed).
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    /// Reads what is there without waiting; `Ok(0)` means the peer closed.
    fn try_read(&mut self, buf: &mut [u8]) -> io::Result<usize>;
    /// Ready when a write may make progress.
    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    /// Writes what fits without waiting.
    fn try_write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize>;
    /// Says we will write nothing more (a FIN), so the peer reads everything sent, then an end.
    /// `WouldBlock` means it could not be said yet (the stream has output waiting): wait until
    /// writable and call it again.
    fn shutdown_write(&mut self) -> io::Result<()>;
    /// Whether bytes `try_write_vectored` accepted still wait to go out (TLS records the socket
    /// did not take). Then wait until writable and call `flush_pending`.
    fn has_pending_output(&self) -> bool {
        false
    }
    /// Sends what `has_pending_output` says is waiting, as far as the stream takes it now.
    fn flush_pending(&mut self) -> io::Result<()> {
        Ok(())
    }
    /// The same stream, its readiness now delivered by the runtime this is called in (see
    /// `server`: sessions are opened on the acceptor's runtime and served on the main one).
    fn rehome(self) -> io::Result<Self>
    where
        Self: Sized;

    /// The stream a room's batch may write to directly, bypassing this transport: only a
    /// transport that adds nothing to the bytes (plain TCP) has one. It is a shared handle, not
    /// a descriptor number: whoever still holds it keeps the socket open, so a write through a
    /// handle kept too long reaches this connection or fails, never another connection that
    /// was given the same descriptor number.
    fn direct_socket(&self) -> Option<Arc<TcpStream>> {
        None
    }
}

impl Transport for TcpStream {
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        TcpStream::poll_read_ready(self, cx)
    }

    fn try_read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        TcpStream::try_read(self, buf)
    }

    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        TcpStream::poll_write_ready(self, cx)
    }

    fn try_write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        TcpStream::try_write_vectored(self, bufs)
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        socket2::SockRef::from(&*self).shutdown(Shutdown::Write)
    }

    fn rehome(self) -> io::Result<Self> {
        TcpStream::from_std(self.into_std()?)
    }
}

/// A plain connection's stream, shared between its session and, while the session lets it,
/// its outbox (`Outbox::set_direct`), through which room batches write to it directly.
impl Transport for Arc<TcpStream> {
    fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        TcpStream::poll_read_ready(self, cx)
    }

    fn try_read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        TcpStream::try_read(self, buf)
    }

    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        TcpStream::poll_write_ready(self, cx)
    }

    fn try_write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        TcpStream::try_write_vectored(self, bufs)
    }

    fn shutdown_write(&mut self) -> io::Result<()> {
        socket2::SockRef::from(&**self).shutdown(Shutdown::Write)
    }

    /// Fails while the stream is shared: a session is moved to the main runtime before it is
    /// served, and only serving hands the stream to its outbox.
    fn rehome(self) -> io::Result<Self> {
        let stream = Self::try_unwrap(self)
            .map_err(|_| io::Error::other("the stream is shared and cannot move runtimes"))?;
        Ok(Self::new(stream.rehome()?))
    }

    fn direct_socket(&self) -> Option<Arc<TcpStream>> {
        Some(Self::clone(self))
    }
}

/// Sets the socket options of an accepted connection: no Nagle delay (we batch frames
/// ourselves, so it would only add latency), and a send buffer of `send_buffer_bytes` (0: the
/// kernel's autotuning), so that what waits for a slow client in the kernel is bounded and its
/// close comes soon after its outbound queue overflows (`Config::socket_send_buffer_bytes`).
pub fn set_accepted_options(stream: &TcpStream, send_buffer_bytes: usize) {
    let _ = stream.set_nodelay(true);
    if send_buffer_bytes > 0 {
        let _ = socket2::SockRef::from(stream).set_send_buffer_size(send_buffer_bytes);
    }
}

/// Waits until `transport` may be read.
pub async fn readable(transport: &impl Transport) -> io::Result<()> {
    poll_fn(|cx| transport.poll_read_ready(cx)).await
}

/// Waits until `transport` may be written.
pub async fn writable(transport: &impl Transport) -> io::Result<()> {
    poll_fn(|cx| transport.poll_write_ready(cx)).await
}

/// Writes all of `bytes`, failing with `TimedOut` after `timeout`.
pub async fn write_all(
    transport: &mut impl Transport,
    bytes: &[u8],
    timeout: Duration,
) -> io::Result<()> {
    tokio::time::timeout(timeout, async {
        let mut written = 0;
        while written < bytes.len() {
            writable(transport).await?;
            match transport.try_write_vectored(&[IoSlice::new(&bytes[written..])]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => written += n,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                Err(error) => return Err(error),
            }
        }
        while transport.has_pending_output() {
            writable(transport).await?;
            transport.flush_pending()?;
        }
        Ok(())
    })
    .await
    .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))?
}

/// Reads and drops what has arrived; `false` once the peer has closed or the read failed.
/// The buffer is on the stack of this call, not in the future that waits between reads.
fn discard_available(transport: &mut impl Transport) -> bool {
    let mut sink = [0u8; 4096];
    loop {
        match transport.try_read(&mut sink) {
            Ok(0) => return false,
            Ok(_) => {}
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => return true,
            Err(_) => return false,
        }
    }
}

/// Ends a connection politely: a FIN after everything written, then whatever the peer still
/// sends is read and dropped until it closes too or `linger` passes. Closing a socket with
/// unread bytes would send a reset instead, and a reset can destroy our last frames (the close
/// frame) before the peer reads them.
pub async fn close_gracefully(transport: &mut impl Transport, linger: Duration) {
    let _ = tokio::time::timeout(linger, async {
        loop {
            match transport.shutdown_write() {
                Ok(()) => break,
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => {
                    writable(transport).await.map_err(drop)?;
                }
                Err(_) => return Err(()),
            }
        }
        while readable(transport).await.is_ok() && discard_available(transport) {}
        Ok(())
    })
    .await;
}
