//! `mmo chat`: a terminal chat client, either interactive (incoming lines are printed above the
//! line being typed, and the connection is re-opened with backoff) or scripted with `--once`.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt as _, StreamExt as _};
use mmo_protocol::{ClientId, Msg, Packet, decode_packet};
use rustyline::ExternalPrinter as _;
use tokio::io::AsyncBufReadExt as _;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::ws::{self, ConnectError, DEFAULT_URL, ServerUrl, UrlError, Ws};

/// Lines typed but not yet sent. Typing is far slower than sending, so this only fills while a
/// send is stuck, and then the typist waits rather than memory growing.
const TYPED_LINES_QUEUE: usize = 64;

/// Lines waiting to be printed. A burst of chat larger than this makes the network side wait
/// for the terminal instead of buffering without bound.
const PRINT_QUEUE: usize = 1_024;

/// `mmo chat --once`'s exit status when the server refused at least one line (1 is taken by
/// every other failure, 2 by clap's usage errors).
const EXIT_DENIED: u8 = 3;

/// How long the server gets to answer our close frame before we stop waiting.
const CLOSE_WAIT: Duration = Duration::from_secs(3);

/// First delay before reconnecting: long enough not to hammer a restarting server.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);

/// Longest delay between reconnection attempts, so a returning server is found within this.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// A session that lasted this long was a real connection, so the next failure starts the
/// backoff from the beginning again.
const STABLE_SESSION: Duration = Duration::from_secs(10);

/// Chat with the server from the terminal.
///
/// Interactive by default: type a line and press Enter to send it (empty lines are not sent);
/// lines from others appear above the prompt; Ctrl-D or Ctrl-C leaves. If the connection drops,
/// the client reconnects with backoff.
///
/// With --once it is a script helper: `echo hi | mmo chat --once URL` connects, prints
/// "Connected as client N", sends each stdin line, then closes with a close handshake (so the
/// server has relayed every line before the command exits) and exits 0.
///
/// Exit codes with --once: 0 when every line was accepted; 1 with a message on stderr when it
/// cannot connect, times out, or the server closes it first; 3 when the server refused one or
/// more lines (each is printed as "Denied: REASON"; the others were still relayed).
///
/// A wss:// URL is checked against the public certificate authorities, or with --ca-file
/// against only the CA certificates in that file (a test server's self-signed certificate).
#[derive(Debug, clap::Args)]
pub struct ChatArgs {
    /// Server WebSocket URL: ws:// or wss://.
    #[arg(default_value = DEFAULT_URL)]
    url: String,
    /// For a wss:// URL: trust only the CA certificates in this PEM file.
    #[arg(long, value_name = "PEM")]
    ca_file: Option<PathBuf>,
    /// Connect once, send stdin's lines, close, print what arrived, and exit (with status 3 if
    /// the server refused any line).
    #[arg(long)]
    once: bool,
    /// With --once: after stdin ends, wait until this many chat lines from others have arrived
    /// before closing (exit 1 if they do not arrive within --timeout).
    #[arg(long, value_name = "LINES", default_value_t = 0, requires = "once")]
    wait_for: u64,
    /// With --once: seconds allowed to connect and receive the ID, and again for --wait-for.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    timeout: f64,
}

/// Why `mmo chat --once` failed.
#[derive(Debug, thiserror::Error)]
enum OnceError {
    #[error(transparent)]
    Url(#[from] UrlError),
    #[error("cannot connect to {url}: {source}")]
    Connect { url: String, source: ConnectError },
    #[error("timed out after {0:?}")]
    TimedOut(Duration),
    #[error("{0:?} is not a valid timeout")]
    BadTimeout(f64),
    #[error("the server closed the connection: {0}")]
    ClosedByServer(String),
    #[error("reading stdin: {0}")]
    Stdin(std::io::Error),
}

/// What one packet from the server means to a person, or `None` for packets a chat client
/// has no use for.
fn describe_packet(packet: &Packet) -> Option<String> {
    let who = |sender: Option<ClientId>| match sender {
        Some(id) => format!("Client {id}"),
        None => "Server".to_owned(),
    };
    match packet.msg.as_ref()? {
        Msg::Id(id) => Some(format!("Connected as client {}", id.id)),
        Msg::Chat(chat) => Some(format!("{}: {}", who(packet.sender()), chat.msg)),
        Msg::Disconnect(left) if left.reason.is_empty() => {
            Some(format!("{} left", who(packet.sender())))
        }
        Msg::Disconnect(left) => Some(format!("{} left ({})", who(packet.sender()), left.reason)),
        Msg::DenyResponse(deny) => Some(format!("Denied: {}", deny.reason)),
        // Rooms and accounts are shown once the chat client speaks them.
        _ => None,
    }
}

/// What a WebSocket message from the server amounts to.
enum Received {
    Packet(Packet),
    Undecodable(String),
    Closed(String),
    Other,
}

fn classify(message: Message) -> Received {
    let bytes = match message {
        Message::Binary(bytes) => bytes,
        // The tutorial server also sent packets in text frames; same bytes either way.
        Message::Text(text) => bytes::Bytes::copy_from_slice(text.as_bytes()),
        Message::Close(frame) => return Received::Closed(ws::describe_close(frame.as_ref())),
        _ => return Received::Other,
    };
    match decode_packet(&bytes) {
        Ok(packet) => Received::Packet(packet),
        Err(error) => Received::Undecodable(error.to_string()),
    }
}

fn normal_close() -> Option<CloseFrame> {
    Some(CloseFrame {
        code: CloseCode::Normal,
        reason: "bye".into(),
    })
}

/// Runs `mmo chat`.
pub fn run(args: &ChatArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("mmo chat: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    if args.once {
        match runtime.block_on(run_once(args)) {
            Ok(OnceOutput { denied: 0 }) => ExitCode::SUCCESS,
            Ok(OnceOutput { denied }) => {
                let lines = if denied == 1 { "line" } else { "lines" };
                eprintln!("mmo chat: the server refused {denied} {lines}");
                ExitCode::from(EXIT_DENIED)
            }
            Err(error) => {
                eprintln!("mmo chat: {error}");
                ExitCode::FAILURE
            }
        }
    } else {
        match ServerUrl::parse(&args.url).and_then(|url| url.trusting(args.ca_file.as_deref())) {
            Ok(url) => {
                runtime.block_on(run_interactive(url));
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("mmo chat: {error}");
                ExitCode::FAILURE
            }
        }
    }
}

/// What `mmo chat --once` printed, as far as its exit status is concerned.
#[derive(Debug, Default)]
struct OnceOutput {
    /// `DenyResponseMessage`s received: lines the server refused (this client sends nothing else).
    denied: u64,
}

impl OnceOutput {
    /// Prints what `packet` means to a person, counting refusals.
    fn show(&mut self, packet: &Packet) {
        if matches!(packet.msg, Some(Msg::DenyResponse(_))) {
            self.denied += 1;
        }
        if let Some(line) = describe_packet(packet) {
            println!("{line}");
        }
    }
}

async fn run_once(args: &ChatArgs) -> Result<OnceOutput, OnceError> {
    let url = ServerUrl::parse(&args.url)?.trusting(args.ca_file.as_deref())?;
    let limit = Duration::try_from_secs_f64(args.timeout)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or(OnceError::BadTimeout(args.timeout))?;
    let connect_error = |source| OnceError::Connect {
        url: url.to_string(),
        source,
    };
    let mut ws = tokio::time::timeout(limit, ws::connect(&url))
        .await
        .map_err(|_| OnceError::TimedOut(limit))?
        .map_err(connect_error)?;

    let mut output = OnceOutput::default();
    // Nothing is sent before the ID arrives: it proves the server registered us.
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let message = tokio::time::timeout_at(deadline, ws.next())
            .await
            .map_err(|_| OnceError::TimedOut(limit))?;
        match next_once_event(message)? {
            Some(packet) => {
                output.show(&packet);
                if matches!(packet.msg, Some(Msg::Id(_))) {
                    break;
                }
            }
            None => continue,
        }
    }

    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut stdin_open = true;
    let mut chats_seen = 0_u64;
    let mut wait_deadline = None;
    while stdin_open || chats_seen < args.wait_for {
        let deadline = *wait_deadline.get_or_insert_with(|| tokio::time::Instant::now() + limit);
        tokio::select! {
            line = stdin.next_line(), if stdin_open => match line.map_err(OnceError::Stdin)? {
                Some(line) if line.trim().is_empty() => {}
                Some(line) => send_line(&mut ws, line).await?,
                None => stdin_open = false,
            },
            message = ws.next() => {
                if let Some(packet) = next_once_event(message)? {
                    if matches!(packet.msg, Some(Msg::Chat(_))) {
                        chats_seen += 1;
                    }
                    output.show(&packet);
                }
            }
            () = tokio::time::sleep_until(deadline), if !stdin_open => {
                return Err(OnceError::TimedOut(limit));
            }
        }
        if stdin_open {
            // The --wait-for clock starts when stdin ends.
            wait_deadline = None;
        }
    }

    // The server answers our close only after handling everything we sent before it, so a
    // completed handshake means every line has been relayed.
    // Refusals of the last lines arrive here, before the server's answer to the close.
    if ws.close(normal_close()).await.is_err() {
        return Ok(output);
    }
    let _ = tokio::time::timeout(CLOSE_WAIT, async {
        while let Some(Ok(message)) = ws.next().await {
            match classify(message) {
                Received::Packet(packet) => output.show(&packet),
                Received::Closed(description) => println!("Connection closed: {description}"),
                Received::Undecodable(_) | Received::Other => {}
            }
        }
    })
    .await;
    Ok(output)
}

/// One step of the `--once` conversation: a packet, nothing of interest, or the end.
fn next_once_event(
    message: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
) -> Result<Option<Packet>, OnceError> {
    match message {
        None => Err(OnceError::ClosedByServer("connection ended".to_owned())),
        Some(Err(error)) => Err(OnceError::ClosedByServer(ws::describe_error(&error))),
        Some(Ok(message)) => match classify(message) {
            Received::Packet(packet) => Ok(Some(packet)),
            Received::Closed(description) => Err(OnceError::ClosedByServer(description)),
            Received::Undecodable(error) => {
                eprintln!("mmo chat: ignoring a frame that is not a Packet: {error}");
                Ok(None)
            }
            Received::Other => Ok(None),
        },
    }
}

async fn send_line(ws: &mut Ws, line: String) -> Result<(), OnceError> {
    ws.send(ws::packet_message(&Packet::chat(line)))
        .await
        .map_err(|error| OnceError::ClosedByServer(ws::describe_error(&error)))
}

/// What the person at the keyboard did.
enum Typed {
    Line(String),
    Quit,
}

/// Where status and chat lines go: above the prompt when editing a line on a terminal, plain
/// stdout otherwise. Printing happens on its own thread because the terminal may block.
struct Console {
    lines: mpsc::Sender<String>,
}

impl Console {
    async fn say(&self, line: impl Into<String>) {
        let mut line = line.into();
        line.push('\n');
        // The printer thread only stops when the process is ending.
        let _ = self.lines.send(line).await;
    }
}

/// Starts the keyboard and printer threads.
fn start_terminal() -> (Console, mpsc::Receiver<Typed>) {
    let (typed_tx, typed_rx) = mpsc::channel(TYPED_LINES_QUEUE);
    let (print_tx, mut print_rx) = mpsc::channel::<String>(PRINT_QUEUE);
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let editor = if interactive {
        rustyline::DefaultEditor::new().ok()
    } else {
        None
    };
    match editor {
        Some(mut editor) => {
            let mut printer = editor.create_external_printer().ok();
            std::thread::spawn(move || {
                while let Some(line) = print_rx.blocking_recv() {
                    match printer.as_mut() {
                        Some(printer) => {
                            if printer.print(line.clone()).is_err() {
                                print!("{line}");
                            }
                        }
                        None => print!("{line}"),
                    }
                }
            });
            std::thread::spawn(move || {
                loop {
                    let typed = match editor.readline("> ") {
                        Ok(line) => Typed::Line(line),
                        Err(_) => Typed::Quit,
                    };
                    let quit = matches!(typed, Typed::Quit);
                    if typed_tx.blocking_send(typed).is_err() || quit {
                        break;
                    }
                }
            });
        }
        None => {
            std::thread::spawn(move || {
                while let Some(line) = print_rx.blocking_recv() {
                    print!("{line}");
                }
            });
            tokio::spawn(async move {
                let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).lines();
                while let Ok(Some(line)) = stdin.next_line().await {
                    if typed_tx.send(Typed::Line(line)).await.is_err() {
                        return;
                    }
                }
                let _ = typed_tx.send(Typed::Quit).await;
            });
        }
    }
    (Console { lines: print_tx }, typed_rx)
}

/// Delays between reconnection attempts: doubling from `FIRST_BACKOFF` up to `MAX_BACKOFF`,
/// with up to a quarter added at random so many clients dropped together do not return together.
#[derive(Debug)]
struct Backoff {
    next: Duration,
}

impl Backoff {
    fn new() -> Self {
        Self {
            next: FIRST_BACKOFF,
        }
    }

    fn reset(&mut self) {
        self.next = FIRST_BACKOFF;
    }

    /// The next delay, given a random number in 0..1 for the jitter.
    fn next_delay(&mut self, random_fraction: f64) -> Duration {
        let base = self.next;
        self.next = (self.next * 2).min(MAX_BACKOFF);
        base + base.mul_f64(random_fraction.clamp(0.0, 1.0) / 4.0)
    }
}

/// A number in 0..1 that differs from call to call, which is all jitter needs.
fn jitter() -> f64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    f64::from(nanos % 1_000) / 1_000.0
}

/// How an interactive session ended.
enum SessionEnd {
    Quit,
    Lost(String),
}

async fn run_interactive(url: ServerUrl) {
    let (console, mut typed) = start_terminal();
    let mut backoff = Backoff::new();
    loop {
        console.say(format!("Connecting to {url}...")).await;
        match ws::connect(&url).await {
            Err(error) => console.say(format!("Cannot connect: {error}")).await,
            Ok(ws) => {
                console.say("Connected successfully").await;
                let started = Instant::now();
                match session(ws, &mut typed, &console).await {
                    SessionEnd::Quit => break,
                    SessionEnd::Lost(description) => {
                        console
                            .say(format!("Connection closed: {description}"))
                            .await;
                        if started.elapsed() >= STABLE_SESSION {
                            backoff.reset();
                        }
                    }
                }
            }
        }
        let delay = backoff.next_delay(jitter());
        console
            .say(format!("Reconnecting in {:.1} s", delay.as_secs_f64()))
            .await;
        let wake = tokio::time::Instant::now() + delay;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(wake) => break,
                input = typed.recv() => match input {
                    Some(Typed::Line(line)) if !line.trim().is_empty() => {
                        console.say(format!("Not connected; not sent: {line}")).await;
                    }
                    Some(Typed::Line(_)) => {}
                    Some(Typed::Quit) | None => return,
                },
            }
        }
    }
}

async fn session(mut ws: Ws, typed: &mut mpsc::Receiver<Typed>, console: &Console) -> SessionEnd {
    let mut close_description = None;
    loop {
        tokio::select! {
            input = typed.recv() => match input {
                Some(Typed::Line(line)) => {
                    if line.trim().is_empty() {
                        continue;
                    }
                    if let Err(error) = ws.send(ws::packet_message(&Packet::chat(line))).await {
                        return SessionEnd::Lost(ws::describe_error(&error));
                    }
                }
                Some(Typed::Quit) | None => {
                    let _ = ws.close(normal_close()).await;
                    let _ = tokio::time::timeout(CLOSE_WAIT, async {
                        while let Some(Ok(_)) = ws.next().await {}
                    })
                    .await;
                    return SessionEnd::Quit;
                }
            },
            message = ws.next() => match message {
                None => {
                    return SessionEnd::Lost(
                        close_description.unwrap_or_else(|| "connection ended".to_owned()),
                    );
                }
                Some(Err(error)) => {
                    return SessionEnd::Lost(
                        close_description.unwrap_or_else(|| ws::describe_error(&error)),
                    );
                }
                Some(Ok(message)) => match classify(message) {
                    Received::Packet(packet) => {
                        if let Some(line) = describe_packet(&packet) {
                            console.say(line).await;
                        }
                    }
                    Received::Undecodable(error) => {
                        console.say(format!("(ignored a frame that is not a Packet: {error})")).await;
                    }
                    // tungstenite answers the close; the stream ends right after.
                    Received::Closed(description) => close_description = Some(description),
                    Received::Other => {}
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u64) -> ClientId {
        ClientId::new(n).expect("non-zero")
    }

    #[test]
    fn describes_what_a_chat_client_shows() {
        assert_eq!(
            describe_packet(&Packet::id_assignment(id(3))).as_deref(),
            Some("Connected as client 3")
        );
        assert_eq!(
            describe_packet(&Packet::chat_from(id(5), "hi")).as_deref(),
            Some("Client 5: hi")
        );
        assert_eq!(
            describe_packet(&Packet::disconnect_of(id(5), "")).as_deref(),
            Some("Client 5 left")
        );
        assert_eq!(
            describe_packet(&Packet::disconnect_of(id(5), "timed out")).as_deref(),
            Some("Client 5 left (timed out)")
        );
        assert_eq!(
            describe_packet(&Packet::deny("too fast")).as_deref(),
            Some("Denied: too fast")
        );
        assert_eq!(describe_packet(&Packet::default()), None);
    }

    #[test]
    fn backoff_doubles_to_a_cap_and_resets() {
        let mut backoff = Backoff::new();
        assert_eq!(backoff.next_delay(0.0), FIRST_BACKOFF);
        assert_eq!(backoff.next_delay(0.0), FIRST_BACKOFF * 2);
        for _ in 0..20 {
            backoff.next_delay(0.0);
        }
        assert_eq!(backoff.next_delay(0.0), MAX_BACKOFF);
        assert_eq!(backoff.next_delay(1.0), MAX_BACKOFF + MAX_BACKOFF / 4);
        backoff.reset();
        assert_eq!(backoff.next_delay(0.0), FIRST_BACKOFF);
    }
}
