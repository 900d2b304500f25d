//! One bench client's connection after the WebSocket handshake: the socket is read straight
//! into a buffer that all of a worker's connections share, every complete frame in it is
//! handled where it lies, and only a frame cut off by the end of a read is copied aside.
//!
//! tungstenite (used for the handshake, so refusals read exactly as in the chat client) copies
//! each message into a `Vec` of its own and hands messages over one wake-up at a time; the
//! bench's receivers spend most of their time receiving, so here a read costs one system call
//! and no allocation however many frames it brings.

use std::cell::RefCell;
use std::io;
use std::net::SocketAddr;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _, ReadBuf};

use super::frame::{self, Frame, FrameError, MAX_PARTIAL_FRAME, opcode};
use crate::ws::{self, ConnectError, ConnectOptions, ServerUrl, Stream};

/// Most bytes one read asks for, beyond a partial frame carried over from the last read. A
/// reader that fell behind catches up a few hundred chat lines per system call; the buffer
/// exists once per worker, so its size costs nothing per connection.
const READ_CHUNK: usize = 64 * 1024;

/// A partial-frame buffer larger than this is given back once empty, so that a rare large
/// frame does not leave every connection that once saw one holding its size.
const KEEP_PARTIAL_CAPACITY: usize = 1024;

/// The read buffer every connection of a worker reads into, one at a time: a worker is a
/// single thread, and a connection borrows it only inside one poll, never across an await.
pub struct ReadScratch(RefCell<Box<[u8]>>);

impl ReadScratch {
    /// A buffer for one partial frame plus one read.
    pub fn new() -> Self {
        Self(RefCell::new(
            vec![0; MAX_PARTIAL_FRAME + READ_CHUNK].into_boxed_slice(),
        ))
    }
}

/// Why a connection broke.
#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    /// The socket failed.
    #[error("connection error: {}", ws::io_label(.0))]
    Io(#[from] io::Error),
    /// The server sent something that is not a WebSocket stream this client reads.
    #[error("protocol error: {0}")]
    Frame(#[from] FrameError),
}

/// What one read brought, after its frames were handled.
#[derive(Debug)]
pub enum Batch {
    /// Frames handled, if any; more may come.
    More,
    /// The callback stopped at a frame; the frames after it wait for the next call.
    Stopped,
    /// The server sent a close frame (code and reason, if any); nothing after it was read.
    Closed(Option<(u16, String)>),
    /// The stream ended without a close frame.
    Ended,
}

/// A bench client's open WebSocket connection.
pub struct Conn {
    stream: Stream,
    /// The bytes of a frame the last read ended inside (or, when `unparsed`, of frames not
    /// handled yet).
    partial: Vec<u8>,
    /// Whether `partial` may hold complete frames: bytes that came with the handshake, or
    /// the frames after one where the callback stopped.
    unparsed: bool,
    /// Client frames not yet written: chat lines, and pongs owed.
    out: Vec<u8>,
    /// A chat packet being encoded before it is masked into `out`.
    packet: Vec<u8>,
    /// xorshift state for the masking keys.
    mask_state: u64,
}

impl Conn {
    /// Connects, completes the handshake, and keeps whatever the server sent after it.
    /// `seed` varies the masking keys between connections.
    pub async fn open(
        url: &ServerUrl,
        addr: SocketAddr,
        options: &ConnectOptions,
        seed: u64,
    ) -> Result<Self, ConnectError> {
        let stream = ws::open(url, addr, options).await?;
        let recorder = Recorder {
            stream,
            seen: Vec::new(),
        };
        let (ws, _response) = tokio_tungstenite::client_async(url.as_str(), recorder)
            .await
            .map_err(|error| url.handshake_error(error))?;
        let Recorder { stream, seen } = ws.into_inner();
        // A 101 response has no body: whatever follows its blank line is WebSocket frames
        // (usually the ID packet) that tungstenite read along with the headers.
        let frames_from = seen
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(seen.len(), |at| at + 4);
        let partial = seen[frames_from..].to_vec();
        Ok(Self {
            stream,
            unparsed: !partial.is_empty(),
            partial,
            out: Vec::new(),
            packet: Vec::new(),
            // xorshift must not start at zero.
            mask_state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
        })
    }

    /// Waits for the next read and hands each binary message in it to `on_binary`, until it
    /// breaks; answers pings, stops at a close frame. Pongs owed are written first. Safe to
    /// cancel: nothing is lost between polls.
    pub async fn read_frames(
        &mut self,
        scratch: &ReadScratch,
        mut on_binary: impl FnMut(&[u8]) -> ControlFlow<()>,
    ) -> Result<Batch, ConnError> {
        self.flush().await?;
        std::future::poll_fn(|cx| self.poll_frames(cx, scratch, &mut on_binary)).await
    }

    /// Reads until `pick` makes something of a message, skipping those before it, and returns
    /// it; the messages after it wait for the next read. A close, the end of the stream or an
    /// error first is an error that names `what` was awaited.
    pub async fn read_until<T>(
        &mut self,
        scratch: &ReadScratch,
        what: &str,
        mut pick: impl FnMut(&[u8]) -> Option<T>,
    ) -> Result<T, String> {
        loop {
            let mut found = None;
            let batch = self
                .read_frames(scratch, |payload| match pick(payload) {
                    Some(made) => {
                        found = Some(made);
                        ControlFlow::Break(())
                    }
                    None => ControlFlow::Continue(()),
                })
                .await;
            match batch {
                Ok(Batch::Stopped | Batch::More) => {
                    if let Some(made) = found {
                        return Ok(made);
                    }
                }
                Ok(Batch::Closed(close)) => {
                    let close = close
                        .as_ref()
                        .map(|(code, reason)| (*code, reason.as_str()));
                    let close = ws::describe_close_parts(close);
                    return Err(format!("closed before {what}: {close}"));
                }
                Ok(Batch::Ended) => return Err(format!("connection ended before {what}")),
                Err(error) => return Err(error.to_string()),
            }
        }
    }

    fn poll_frames(
        &mut self,
        cx: &mut Context<'_>,
        scratch: &ReadScratch,
        on_binary: &mut impl FnMut(&[u8]) -> ControlFlow<()>,
    ) -> Poll<Result<Batch, ConnError>> {
        let mut buf = scratch.0.borrow_mut();
        let carried = self.partial.len();
        let filled = if self.unparsed {
            self.unparsed = false;
            buf[..carried].copy_from_slice(&self.partial);
            carried
        } else {
            // A short read tells tokio the socket is drained, so the next poll waits for
            // readiness instead of trying another read that would find nothing.
            let mut read = ReadBuf::new(&mut buf[carried..]);
            ready!(Pin::new(&mut self.stream).poll_read(cx, &mut read))?;
            let n = read.filled().len();
            if n == 0 {
                return Poll::Ready(Ok(Batch::Ended));
            }
            buf[..carried].copy_from_slice(&self.partial);
            carried + n
        };
        let bytes = &buf[..filled];
        let mut batch = Batch::More;
        let out = &mut self.out;
        let mask_state = &mut self.mask_state;
        let used = frame::parse_all(bytes, |frame| match frame {
            Frame::Binary(payload) => {
                let flow = on_binary(payload);
                if flow.is_break() {
                    batch = Batch::Stopped;
                }
                flow
            }
            Frame::Ping(payload) => {
                frame::put_client_frame(out, opcode::PONG, payload, next_mask(mask_state));
                ControlFlow::Continue(())
            }
            Frame::Text(_) | Frame::Pong => ControlFlow::Continue(()),
            Frame::Close(close) => {
                batch =
                    Batch::Closed(close.map(|(code, reason)| {
                        (code, String::from_utf8_lossy(reason).into_owned())
                    }));
                ControlFlow::Break(())
            }
        })?;
        let rest = &bytes[used..];
        if rest.is_empty() && self.partial.capacity() > KEEP_PARTIAL_CAPACITY {
            self.partial = Vec::new();
        } else {
            self.partial.clear();
            self.partial.extend_from_slice(rest);
        }
        self.unparsed = matches!(batch, Batch::Stopped) && !self.partial.is_empty();
        Poll::Ready(Ok(batch))
    }

    /// Queues one chat line as a client `Packet` in a masked binary frame; [`Conn::flush`]
    /// sends it.
    pub fn queue_chat(&mut self, text: &str) {
        self.queue_packet(frame::put_chat_packet, text);
    }

    /// Queues a `JoinRoomMessage` for `room`; [`Conn::flush`] sends it.
    pub fn queue_join(&mut self, room: &str) {
        self.queue_packet(frame::put_join_packet, room);
    }

    /// Queues the packet `put` writes for `text`, in a masked binary frame.
    fn queue_packet(&mut self, put: fn(&mut Vec<u8>, &str), text: &str) {
        self.packet.clear();
        put(&mut self.packet, text);
        let mask = next_mask(&mut self.mask_state);
        frame::put_client_frame(&mut self.out, opcode::BINARY, &self.packet, mask);
    }

    /// Queues a close frame: `code` and `reason`, or an empty one when `code` is `None`.
    pub fn queue_close(&mut self, close: Option<(u16, &str)>) {
        let mut payload = Vec::new();
        if let Some((code, reason)) = close {
            payload.extend_from_slice(&code.to_be_bytes());
            payload.extend_from_slice(reason.as_bytes());
        }
        let mask = next_mask(&mut self.mask_state);
        frame::put_client_frame(&mut self.out, opcode::CLOSE, &payload, mask);
    }

    /// Writes everything queued. Safe to cancel: what was written is forgotten, the rest kept.
    pub async fn flush(&mut self) -> io::Result<()> {
        while !self.out.is_empty() {
            let n = self.stream.write(&self.out).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            self.out.drain(..n);
        }
        Ok(())
    }

    /// Reads and discards until the server closes the stream: after the close frames have
    /// crossed, the server is the one to close TCP.
    pub async fn read_to_end(&mut self, scratch: &ReadScratch) -> io::Result<()> {
        self.partial = Vec::new();
        std::future::poll_fn(|cx| {
            let mut buf = scratch.0.borrow_mut();
            loop {
                let mut read = ReadBuf::new(&mut buf[..READ_CHUNK]);
                ready!(Pin::new(&mut self.stream).poll_read(cx, &mut read))?;
                if read.filled().is_empty() {
                    return Poll::Ready(Ok(()));
                }
            }
        })
        .await
    }
}

/// The next masking key. RFC 6455 asks for unpredictable keys to defeat cache poisoning by
/// proxies; the bench talks to its own server directly, so a fast generator is enough.
fn next_mask(state: &mut u64) -> [u8; 4] {
    let mut x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    let bytes = x.to_le_bytes();
    [bytes[0], bytes[1], bytes[2], bytes[3]]
}

/// The TCP stream during the handshake, keeping a copy of every byte read: tungstenite may
/// read the first frames along with the response headers, and they are needed afterwards.
/// Only the handshake goes through it, so what it keeps is bounded by tungstenite's limit on
/// response headers plus one read.
struct Recorder {
    stream: Stream,
    seen: Vec<u8>,
}

impl AsyncRead for Recorder {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.stream).poll_read(cx, buf))?;
        this.seen.extend_from_slice(&buf.filled()[before..]);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Recorder {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use mmo_protocol::{ClientId, Message as _, Packet};
    use tokio::io::AsyncReadExt as _;
    use tokio::net::{TcpListener, TcpStream};
    use tokio::task::JoinHandle;

    use super::*;
    use crate::bench::frame::{PacketView, view_packet};

    /// An unmasked server frame with a 7-bit length.
    fn server_frame(code: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![0x80 | code, u8::try_from(payload.len()).expect("short")];
        out.extend_from_slice(payload);
        out
    }

    /// Reads one masked client frame: opcode and unmasked payload.
    async fn read_client_frame(stream: &mut TcpStream) -> (u8, Vec<u8>) {
        let mut header = [0; 2];
        stream.read_exact(&mut header).await.expect("header");
        assert_ne!(header[1] & 0x80, 0, "client frames are masked");
        let mut mask = [0; 4];
        stream.read_exact(&mut mask).await.expect("mask");
        let mut payload = vec![0; usize::from(header[1] & 0x7F)];
        stream.read_exact(&mut payload).await.expect("payload");
        for (byte, key) in payload.iter_mut().zip(mask.iter().cycle()) {
            *byte ^= key;
        }
        (header[0] & 0x0F, payload)
    }

    /// A WebSocket server on 127.0.0.1:0 that accepts one client and then runs `script` on
    /// the raw stream, so a test can send exactly the bytes it wants.
    async fn scripted_server<Script, Done>(script: Script) -> (SocketAddr, JoinHandle<Done::Output>)
    where
        Script: FnOnce(TcpStream) -> Done + Send + 'static,
        Done: std::future::Future + Send + 'static,
        Done::Output: Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let server = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.expect("accept");
            let ws = tokio_tungstenite::accept_async(stream)
                .await
                .expect("handshake");
            script(ws.into_inner()).await
        });
        (addr, server)
    }

    /// A bench connection to the server at `addr`.
    async fn open(addr: SocketAddr) -> Conn {
        let url = ServerUrl::parse(&format!("ws://{addr}/ws"), None).expect("url");
        Conn::open(&url, addr, &ConnectOptions::default(), 1)
            .await
            .expect("open")
    }

    #[tokio::test]
    async fn reads_split_frames_answers_pings_and_stops_at_close() {
        let (addr, server) = scripted_server(|mut stream| async move {
            let id = Packet::id_assignment(ClientId::new(7).expect("non-zero"));
            let chat = Packet::chat_from(ClientId::new(8).expect("non-zero"), "hello");
            // The ID and the first half of a chat line in one write, the rest later.
            let mut first = server_frame(opcode::BINARY, &id.encode_to_vec());
            let chat_frame = server_frame(opcode::BINARY, &chat.encode_to_vec());
            first.extend_from_slice(&chat_frame[..5]);
            stream.write_all(&first).await.expect("write");
            tokio::time::sleep(Duration::from_millis(20)).await;
            let mut second = chat_frame[5..].to_vec();
            second.extend(server_frame(opcode::PING, b"are you there"));
            stream.write_all(&second).await.expect("write");
            assert_eq!(
                read_client_frame(&mut stream).await,
                (opcode::PONG, b"are you there".to_vec())
            );
            let mut close = 1008_u16.to_be_bytes().to_vec();
            close.extend_from_slice(b"too slow");
            stream
                .write_all(&server_frame(opcode::CLOSE, &close))
                .await
                .expect("write");
            assert_eq!(
                read_client_frame(&mut stream).await,
                (opcode::CLOSE, 1008_u16.to_be_bytes().to_vec())
            );
        })
        .await;

        let mut conn = open(addr).await;
        let scratch = ReadScratch::new();
        let mut seen = Vec::new();
        let mut batches = Vec::new();
        loop {
            let batch = conn
                .read_frames(&scratch, |payload| {
                    let view = view_packet(payload);
                    let is_id = matches!(view, Some(PacketView::Id(_)));
                    seen.push(format!("{view:?}"));
                    if is_id {
                        ControlFlow::Break(())
                    } else {
                        ControlFlow::Continue(())
                    }
                })
                .await
                .expect("read");
            batches.push(format!("{batch:?}"));
            if let Batch::Closed(close) = batch {
                assert_eq!(close, Some((1008, "too slow".to_owned())));
                break;
            }
        }
        assert_eq!(seen, ["Some(Id(7))", "Some(Chat(\"hello\"))"]);
        assert_eq!(batches.first().map(String::as_str), Some("Stopped"));
        conn.queue_close(Some((1008, "")));
        conn.flush().await.expect("close sent");
        server.await.expect("server");
        // The server side is gone: the stream ends.
        conn.read_to_end(&scratch).await.expect("end");
    }

    #[tokio::test]
    async fn reads_until_the_message_awaited_and_names_it_when_a_close_comes_first() {
        let (addr, server) = scripted_server(|mut stream| async move {
            let chat = Packet::chat_from(ClientId::new(8).expect("non-zero"), "first");
            let id = Packet::id_assignment(ClientId::new(7).expect("non-zero"));
            let later = Packet::chat_from(ClientId::new(8).expect("non-zero"), "later");
            let mut close = 1001_u16.to_be_bytes().to_vec();
            close.extend_from_slice(b"server shutting down");
            let mut all = Vec::new();
            for packet in [chat, id, later] {
                all.extend(server_frame(opcode::BINARY, &packet.encode_to_vec()));
            }
            all.extend(server_frame(opcode::CLOSE, &close));
            stream.write_all(&all).await.expect("write");
            stream
        })
        .await;

        let mut conn = open(addr).await;
        let scratch = ReadScratch::new();
        let id = conn
            .read_until(&scratch, "ID", |payload| match view_packet(payload) {
                Some(PacketView::Id(id)) => Some(id),
                _ => None,
            })
            .await;
        assert_eq!(id, Ok(7), "the chat line before the ID is skipped");
        let text = |payload: &[u8]| match view_packet(payload) {
            Some(PacketView::Chat(text)) => Some(text.to_owned()),
            _ => None,
        };
        let later = conn.read_until(&scratch, "a line", text).await;
        assert_eq!(later, Ok("later".to_owned()), "what follows the ID is kept");
        let room = conn.read_until(&scratch, "room", |_| Some(())).await;
        assert_eq!(
            room,
            Err("closed before room: 1001 server shutting down".to_owned())
        );
        drop(server.await.expect("server"));
    }
}
