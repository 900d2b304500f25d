//! Client-to-server frame decoding. Limits are checked on each frame header, before its payload
//! is buffered, and complete frames are handled straight from the caller's read buffer: bytes
//! are copied into the decoder only when a frame arrives split across reads, so an idle
//! connection holds no read buffer at all.

use super::{MAX_CONTROL_PAYLOAD, Opcode};

/// Something the client said, at the level the session acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WsEvent<'a> {
    /// A complete data message. A text message has been checked to be valid UTF-8; its bytes
    /// are passed on like a binary message's, because the tutorial's server accepted protobuf
    /// in text frames too.
    Message {
        /// The message payload, unmasked and reassembled.
        data: &'a [u8],
        /// Whether the message was sent as text.
        text: bool,
    },
    /// A ping, to be answered with a pong carrying the same payload.
    Ping(&'a [u8]),
    /// A pong (or an unsolicited one, which RFC 6455 allows as a heartbeat).
    Pong,
    /// The client's close frame: its code and reason, if it gave one.
    Close(Option<(u16, &'a str)>),
}

/// How the client broke the protocol; each maps to the close code sent back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// A message (or a frame's declared length) over the limit.
    #[error("message of {len} bytes exceeds the limit of {max} bytes")]
    MessageTooBig {
        /// The declared or accumulated size.
        len: u64,
        /// The limit.
        max: usize,
    },
    /// Any other violation of RFC 6455.
    #[error("protocol error: {0}")]
    Violation(&'static str),
    /// A close frame whose reason is not UTF-8.
    #[error("close reason is not valid UTF-8")]
    InvalidCloseReason,
    /// A text message that is not UTF-8 (RFC 6455 §8.1: the connection must fail).
    #[error("text message is not valid UTF-8")]
    InvalidText,
}

impl ProtocolError {
    /// The close code that tells the client what it did wrong.
    pub fn close_code(&self) -> u16 {
        match self {
            Self::MessageTooBig { .. } => super::close_code::MESSAGE_TOO_BIG,
            Self::Violation(_) => super::close_code::PROTOCOL_ERROR,
            Self::InvalidCloseReason | Self::InvalidText => super::close_code::INVALID_PAYLOAD,
        }
    }
}

/// Buffers larger than this are freed once empty rather than kept, so one large message does
/// not pin memory on a connection that then goes quiet.
const RETAINED_BUFFER_BYTES: usize = 4 * 1024;

/// Where the decoder is in the client's stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StreamState {
    /// Frames are expected.
    Open,
    /// The client's close frame has arrived: RFC 6455 says nothing may follow it.
    Closed,
    /// The client broke the protocol: what follows cannot be framed reliably and is ignored.
    Failed,
}

/// Decodes the client's byte stream into `WsEvent`s.
#[derive(Debug)]
pub struct FrameDecoder {
    max_message_bytes: usize,
    /// Bytes of a frame that arrived split across reads.
    partial: Vec<u8>,
    /// The payload of a fragmented message so far.
    fragments: Vec<u8>,
    /// Set while a fragmented message is under way: whether it is text.
    fragmented: Option<bool>,
    /// For a fragmented text message: how many bytes of `fragments` are known to be complete,
    /// valid UTF-8. Each fragment is checked as it arrives, so bad text fails at once.
    text_checked: usize,
    state: StreamState,
}

struct FrameHeader {
    fin: bool,
    opcode: Opcode,
    mask: [u8; 4],
    header_len: usize,
    payload_len: usize,
}

impl FrameDecoder {
    /// A decoder that refuses messages over `max_message_bytes`.
    pub fn new(max_message_bytes: usize) -> Self {
        Self {
            max_message_bytes,
            partial: Vec::new(),
            fragments: Vec::new(),
            fragmented: None,
            text_checked: 0,
            state: StreamState::Open,
        }
    }

    /// Keeps `bytes`, received before this decoder could be fed (frames that came with the
    /// upgrade request), to be decoded first by the next `feed`, as though they had arrived
    /// split from what it is given.
    pub fn keep_unread(&mut self, bytes: Vec<u8>) {
        debug_assert!(self.partial.is_empty(), "only before anything was fed");
        if !bytes.is_empty() {
            self.partial = bytes;
        }
    }

    /// Bytes held between reads (a split frame or a fragmented message).
    pub fn buffered_bytes(&self) -> usize {
        self.partial.capacity() + self.fragments.capacity()
    }

    /// Whether the decoder takes no more input: the client closed or broke the protocol.
    pub fn is_finished(&self) -> bool {
        self.state != StreamState::Open
    }

    /// Decodes everything complete in `input` (unmasking it in place) and calls `on_event` for
    /// each event; keeps any incomplete tail for the next call. After a close frame or an error
    /// every later call does nothing: a stream that broke the protocol cannot be reframed.
    pub fn feed(
        &mut self,
        input: &mut [u8],
        mut on_event: impl FnMut(WsEvent<'_>),
    ) -> Result<(), ProtocolError> {
        if self.is_finished() {
            return Ok(());
        }
        let result = self.feed_open(input, &mut on_event);
        if result.is_err() {
            self.state = StreamState::Failed;
            // Nothing more will be decoded, so nothing buffered is needed.
            self.partial = Vec::new();
            self.fragments = Vec::new();
        }
        result
    }

    fn feed_open(
        &mut self,
        input: &mut [u8],
        on_event: &mut impl FnMut(WsEvent<'_>),
    ) -> Result<(), ProtocolError> {
        if self.partial.is_empty() {
            let consumed = self.decode_frames(input, on_event)?;
            if !self.is_finished() && consumed < input.len() {
                self.partial.extend_from_slice(&input[consumed..]);
            }
            return Ok(());
        }
        self.partial.extend_from_slice(input);
        let mut partial = std::mem::take(&mut self.partial);
        let consumed = self.decode_frames(&mut partial, on_event)?;
        partial.drain(..consumed);
        if self.is_finished() || (partial.is_empty() && partial.capacity() > RETAINED_BUFFER_BYTES)
        {
            partial = Vec::new();
        }
        self.partial = partial;
        Ok(())
    }

    /// Decodes whole frames from the front of `buf`; returns how many bytes they took.
    fn decode_frames(
        &mut self,
        buf: &mut [u8],
        on_event: &mut impl FnMut(WsEvent<'_>),
    ) -> Result<usize, ProtocolError> {
        let mut offset = 0;
        while !self.is_finished() {
            let Some(header) = self.parse_header(&buf[offset..])? else {
                break;
            };
            // Cannot overflow: the payload is at most `max_message_bytes`, which config
            // validation keeps far below `usize::MAX`, and the header at most 14 bytes.
            let frame_len = header.header_len.saturating_add(header.payload_len);
            if buf.len() - offset < frame_len {
                break;
            }
            let payload = &mut buf[offset + header.header_len..offset + frame_len];
            unmask(payload, header.mask);
            self.handle_frame(&header, payload, on_event)?;
            offset += frame_len;
        }
        Ok(offset)
    }

    fn parse_header(&self, buf: &[u8]) -> Result<Option<FrameHeader>, ProtocolError> {
        let [first, second, ..] = *buf else {
            return Ok(None);
        };
        if first & 0x70 != 0 {
            return Err(ProtocolError::Violation(
                "reserved bits set without an extension",
            ));
        }
        let fin = first & 0x80 != 0;
        let opcode =
            Opcode::from_bits(first & 0x0F).ok_or(ProtocolError::Violation("unknown opcode"))?;
        if second & 0x80 == 0 {
            return Err(ProtocolError::Violation("client frames must be masked"));
        }
        // Checked before the length arrives, so a stream that is broken here fails at once
        // even when its bytes come one at a time.
        if opcode.is_control() && !fin {
            return Err(ProtocolError::Violation("fragmented control frame"));
        }
        match opcode {
            Opcode::Continuation if self.fragmented.is_none() => {
                return Err(ProtocolError::Violation(
                    "continuation without a message to continue",
                ));
            }
            Opcode::Text | Opcode::Binary if self.fragmented.is_some() => {
                return Err(ProtocolError::Violation(
                    "new message before the last one ended",
                ));
            }
            _ => {}
        }
        let (declared_len, len_bytes) = match second & 0x7F {
            126 => match buf.get(2..4) {
                Some(b) => (u64::from(u16::from_be_bytes([b[0], b[1]])), 2),
                None => return Ok(None),
            },
            127 => match buf.get(2..10) {
                Some(b) => {
                    let mut bytes = [0; 8];
                    bytes.copy_from_slice(b);
                    (u64::from_be_bytes(bytes), 8)
                }
                None => return Ok(None),
            },
            short => (u64::from(short), 0),
        };
        if opcode.is_control() && declared_len > MAX_CONTROL_PAYLOAD as u64 {
            return Err(ProtocolError::Violation(
                "control frame payload over 125 bytes",
            ));
        }
        // Checked before buffering: a client announcing a huge frame is refused at once.
        let already = if opcode == Opcode::Continuation {
            self.fragments.len()
        } else {
            0
        };
        let total = declared_len.saturating_add(already as u64);
        if total > self.max_message_bytes as u64 {
            return Err(ProtocolError::MessageTooBig {
                len: total,
                max: self.max_message_bytes,
            });
        }
        let mask_at = 2 + len_bytes;
        let Some(mask) = buf.get(mask_at..mask_at + 4) else {
            return Ok(None);
        };
        Ok(Some(FrameHeader {
            fin,
            opcode,
            mask: [mask[0], mask[1], mask[2], mask[3]],
            header_len: mask_at + 4,
            // Fits: it is at most max_message_bytes, a usize.
            payload_len: usize::try_from(declared_len).unwrap_or(usize::MAX),
        }))
    }

    fn handle_frame(
        &mut self,
        header: &FrameHeader,
        payload: &[u8],
        on_event: &mut impl FnMut(WsEvent<'_>),
    ) -> Result<(), ProtocolError> {
        match header.opcode {
            Opcode::Text | Opcode::Binary => {
                let text = header.opcode == Opcode::Text;
                if header.fin {
                    if text && std::str::from_utf8(payload).is_err() {
                        return Err(ProtocolError::InvalidText);
                    }
                    on_event(WsEvent::Message {
                        data: payload,
                        text,
                    });
                } else {
                    self.fragmented = Some(text);
                    self.fragments.extend_from_slice(payload);
                    self.check_text_so_far(false)?;
                }
            }
            Opcode::Continuation => {
                let text = self.fragmented.unwrap_or(false);
                self.fragments.extend_from_slice(payload);
                self.check_text_so_far(header.fin)?;
                if header.fin {
                    on_event(WsEvent::Message {
                        data: &self.fragments,
                        text,
                    });
                    self.fragmented = None;
                    self.text_checked = 0;
                    self.fragments.clear();
                    if self.fragments.capacity() > RETAINED_BUFFER_BYTES {
                        self.fragments = Vec::new();
                    }
                }
            }
            Opcode::Ping => on_event(WsEvent::Ping(payload)),
            Opcode::Pong => on_event(WsEvent::Pong),
            Opcode::Close => {
                let close = parse_close(payload)?;
                self.state = StreamState::Closed;
                self.partial = Vec::new();
                self.fragments = Vec::new();
                on_event(WsEvent::Close(close));
            }
        }
        Ok(())
    }

    /// Checks the text of a fragmented text message received so far. A character may be split
    /// between fragments, so an incomplete sequence at the end is fine until the last fragment.
    fn check_text_so_far(&mut self, last: bool) -> Result<(), ProtocolError> {
        if self.fragmented != Some(true) {
            return Ok(());
        }
        match std::str::from_utf8(&self.fragments[self.text_checked..]) {
            Ok(_) => {
                self.text_checked = self.fragments.len();
                Ok(())
            }
            Err(error) if error.error_len().is_none() && !last => {
                self.text_checked += error.valid_up_to();
                Ok(())
            }
            Err(_) => Err(ProtocolError::InvalidText),
        }
    }
}

fn parse_close(payload: &[u8]) -> Result<Option<(u16, &str)>, ProtocolError> {
    match payload {
        [] => Ok(None),
        [_] => Err(ProtocolError::Violation(
            "close frame with a one-byte payload",
        )),
        [high, low, reason @ ..] => {
            let code = u16::from_be_bytes([*high, *low]);
            if !is_valid_close_code(code) {
                return Err(ProtocolError::Violation("invalid close code"));
            }
            let reason =
                std::str::from_utf8(reason).map_err(|_| ProtocolError::InvalidCloseReason)?;
            Ok(Some((code, reason)))
        }
    }
}

/// Codes a peer may send in a close frame: those RFC 6455 §7.4 defines for use in a close
/// frame, those IANA has registered since (1012 service restart, 1013 try again later, 1014 bad
/// gateway), and the ranges for libraries (3000–3999) and applications (4000–4999). 1004–1006
/// and 1015 are reserved and must never be sent.
fn is_valid_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

fn unmask(payload: &mut [u8], mask: [u8; 4]) {
    // Word-at-a-time XOR; the compiler vectorises the chunked loop.
    let word = u32::from_ne_bytes(mask);
    let mut chunks = payload.chunks_exact_mut(4);
    for chunk in &mut chunks {
        let value = u32::from_ne_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]) ^ word;
        chunk.copy_from_slice(&value.to_ne_bytes());
    }
    for (byte, key) in chunks.into_remainder().iter_mut().zip(mask) {
        *byte ^= key;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

    fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![first];
        if let Ok(short @ 0..=125) = u8::try_from(payload.len()) {
            out.push(0x80 | short);
        } else if let Ok(medium) = u16::try_from(payload.len()) {
            out.push(0x80 | 126);
            out.extend_from_slice(&medium.to_be_bytes());
        } else {
            out.push(0x80 | 127);
            out.extend_from_slice(&(payload.len() as u64).to_be_bytes());
        }
        out.extend_from_slice(&MASK);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
        out
    }

    #[derive(Debug, PartialEq)]
    enum Owned {
        Message(Vec<u8>, bool),
        Ping(Vec<u8>),
        Pong,
        Close(Option<(u16, String)>),
    }

    fn feed_all(decoder: &mut FrameDecoder, bytes: &[u8]) -> Result<Vec<Owned>, ProtocolError> {
        let mut events = Vec::new();
        let mut input = bytes.to_vec();
        decoder.feed(&mut input, |event| events.push(own(event)))?;
        Ok(events)
    }

    fn own(event: WsEvent<'_>) -> Owned {
        match event {
            WsEvent::Message { data, text } => Owned::Message(data.to_vec(), text),
            WsEvent::Ping(p) => Owned::Ping(p.to_vec()),
            WsEvent::Pong => Owned::Pong,
            WsEvent::Close(c) => Owned::Close(c.map(|(code, r)| (code, r.to_owned()))),
        }
    }

    #[test]
    fn bytes_kept_unread_are_decoded_first_by_the_next_feed() {
        let mut early = frame(0x82, b"one");
        let second = frame(0x82, b"two");
        early.extend_from_slice(&second[..3]);
        let mut decoder = FrameDecoder::new(1_000);
        decoder.keep_unread(early);
        assert_eq!(
            feed_all(&mut decoder, &[]).expect("valid"),
            [Owned::Message(b"one".to_vec(), false)],
            "what is whole is decoded with nothing more given"
        );
        assert_eq!(
            feed_all(&mut decoder, &second[3..]).expect("valid"),
            [Owned::Message(b"two".to_vec(), false)],
            "a frame split between the kept bytes and a read is whole again"
        );
        let mut none = FrameDecoder::new(1_000);
        none.keep_unread(Vec::new());
        assert_eq!(feed_all(&mut none, &[]).expect("valid"), []);
        assert_eq!(none.buffered_bytes(), 0, "nothing kept for nothing");
    }

    #[test]
    fn decodes_masked_binary_frames_of_every_length_form() {
        for len in [0, 1, 5, 125, 126, 1000, 65_535, 65_536, 70_000] {
            let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let mut decoder = FrameDecoder::new(100_000);
            let events = feed_all(&mut decoder, &frame(0x82, &payload)).expect("valid");
            assert_eq!(events, [Owned::Message(payload, false)], "length {len}");
            assert_eq!(decoder.buffered_bytes(), 0, "nothing kept for whole frames");
        }
    }

    #[test]
    fn reassembles_frames_split_at_every_byte() {
        let mut stream = frame(0x82, b"hello world");
        stream.extend(frame(0x89, b"pp"));
        stream.extend(frame(0x81, b"text"));
        for split in 0..stream.len() {
            let mut decoder = FrameDecoder::new(1024);
            let mut events = feed_all(&mut decoder, &stream[..split]).expect("valid");
            events.extend(feed_all(&mut decoder, &stream[split..]).expect("valid"));
            assert_eq!(
                events,
                [
                    Owned::Message(b"hello world".to_vec(), false),
                    Owned::Ping(b"pp".to_vec()),
                    Owned::Message(b"text".to_vec(), true),
                ],
                "split at {split}"
            );
        }
    }

    #[test]
    fn reassembles_fragmented_messages_with_control_frames_between() {
        let mut stream = frame(0x02, b"abc");
        stream.extend(frame(0x8A, b""));
        stream.extend(frame(0x00, b"def"));
        stream.extend(frame(0x80, b"g"));
        let events = feed_all(&mut FrameDecoder::new(1024), &stream).expect("valid");
        assert_eq!(
            events,
            [Owned::Pong, Owned::Message(b"abcdefg".to_vec(), false)]
        );
    }

    #[test]
    fn refuses_oversize_messages_from_the_header_alone() {
        let mut decoder = FrameDecoder::new(100);
        // Only the header of a 1 MiB frame: refused before any payload is buffered.
        let header = &frame(0x82, &vec![0; 1 << 20])[..14];
        assert_eq!(
            feed_all(&mut decoder, header),
            Err(ProtocolError::MessageTooBig {
                len: 1 << 20,
                max: 100
            })
        );
        // Fragments that add up past the limit are refused too.
        let mut decoder = FrameDecoder::new(100);
        let mut stream = frame(0x02, &[0; 60]);
        stream.extend(frame(0x80, &[0; 60]));
        assert_eq!(
            feed_all(&mut decoder, &stream),
            Err(ProtocolError::MessageTooBig { len: 120, max: 100 })
        );
    }

    #[test]
    fn refuses_protocol_violations() {
        let cases: [(&[u8], &str); 6] = [
            (&[0x82, 0x00], "unmasked"),
            (&[0xC2, 0x80, 0, 0, 0, 0], "rsv bit"),
            (&[0x83, 0x80, 0, 0, 0, 0], "unknown opcode"),
            (&[0x09, 0x80, 0, 0, 0, 0], "fragmented ping"),
            (&[0x89, 0xFE, 0x00, 0x7E], "long ping"),
            (&[0x80, 0x80, 0, 0, 0, 0], "stray continuation"),
        ];
        for (bytes, what) in cases {
            let result = feed_all(&mut FrameDecoder::new(1024), bytes);
            assert!(
                matches!(result, Err(ProtocolError::Violation(_))),
                "{what}: {result:?}"
            );
        }
        let mut interleaved = frame(0x02, b"a");
        interleaved.extend(frame(0x82, b"b"));
        assert!(feed_all(&mut FrameDecoder::new(1024), &interleaved).is_err());
    }

    #[test]
    fn parses_close_frames_and_stops() {
        let mut payload = 1000u16.to_be_bytes().to_vec();
        payload.extend_from_slice(b"bye");
        let mut stream = frame(0x88, &payload);
        stream.extend(frame(0x82, b"after close"));
        let events = feed_all(&mut FrameDecoder::new(1024), &stream).expect("valid");
        assert_eq!(events, [Owned::Close(Some((1000, "bye".to_owned())))]);
        assert_eq!(
            feed_all(&mut FrameDecoder::new(1024), &frame(0x88, b"")).expect("valid"),
            [Owned::Close(None)]
        );
        assert!(feed_all(&mut FrameDecoder::new(1024), &frame(0x88, &[0x03, 0xED])).is_err());
        assert_eq!(
            feed_all(
                &mut FrameDecoder::new(1024),
                &frame(0x88, &[0x03, 0xE8, 0xFF])
            ),
            Err(ProtocolError::InvalidCloseReason)
        );
    }

    #[test]
    fn unmask_matches_the_bytewise_definition() {
        for len in 0..20 {
            let mut data: Vec<u8> = (0..len).map(|i: u8| i.wrapping_mul(7)).collect();
            let expected: Vec<u8> = data
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ MASK[i % 4])
                .collect();
            unmask(&mut data, MASK);
            assert_eq!(data, expected);
        }
    }
}

#[cfg(test)]
mod properties {
    //! Random bytes, split at random points: the decoder never panics, holds no more than one
    //! frame's worth of input, and decides the same whatever the split.

    use super::*;
    use proptest::prelude::*;

    const MAX_MESSAGE: usize = 300;

    /// What feeding produced: the events, then the error that ended it, if any.
    #[derive(Debug, PartialEq)]
    struct Outcome {
        events: Vec<String>,
        error: Option<ProtocolError>,
    }

    fn feed_in_pieces(bytes: &[u8], cuts: &[usize]) -> Outcome {
        let mut decoder = FrameDecoder::new(MAX_MESSAGE);
        let mut outcome = Outcome {
            events: Vec::new(),
            error: None,
        };
        let mut points: Vec<usize> = cuts.iter().map(|cut| cut % (bytes.len() + 1)).collect();
        points.push(0);
        points.push(bytes.len());
        points.sort_unstable();
        for piece in points.windows(2) {
            let mut chunk = bytes[piece[0]..piece[1]].to_vec();
            let result = decoder.feed(&mut chunk, |event| {
                outcome.events.push(format!("{event:?}"))
            });
            if let Err(error) = result {
                assert!(outcome.error.is_none(), "an error after the first");
                outcome.error = Some(error);
            }
            // One frame's worth at most (its header and payload), twice over for the growth of
            // the buffers, plus the piece being fed.
            let bound = 2 * (2 * (MAX_MESSAGE + 14)) + chunk.len();
            assert!(
                decoder.buffered_bytes() <= bound,
                "{} > {bound}",
                decoder.buffered_bytes()
            );
        }
        outcome
    }

    /// Masked frames with any opcode, flag and payload, some of them broken on purpose.
    fn frames() -> impl Strategy<Value = Vec<u8>> {
        let frame = (
            any::<u8>(),
            prop::collection::vec(any::<u8>(), 0..200),
            any::<[u8; 4]>(),
        )
            .prop_map(|(first, payload, mask)| {
                let mut out = vec![first & 0x8F | (first & 0x10)];
                out.push(0x80 | u8::try_from(payload.len().min(125)).unwrap_or(125));
                let payload = &payload[..payload.len().min(125)];
                out.extend_from_slice(&mask);
                out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
                out
            });
        prop::collection::vec(frame, 0..8).prop_map(|frames| frames.concat())
    }

    proptest! {
        #[test]
        fn random_bytes_decide_the_same_whatever_the_split(
            bytes in prop::collection::vec(any::<u8>(), 0..600),
            cuts in prop::collection::vec(any::<usize>(), 0..12),
        ) {
            prop_assert_eq!(feed_in_pieces(&bytes, &cuts), feed_in_pieces(&bytes, &[]));
        }

        #[test]
        fn frame_streams_decide_the_same_whatever_the_split(
            bytes in frames(),
            cuts in prop::collection::vec(any::<usize>(), 0..12),
        ) {
            prop_assert_eq!(feed_in_pieces(&bytes, &cuts), feed_in_pieces(&bytes, &[]));
        }
    }
}
