//! `mmo chat`: a terminal chat client, either interactive (incoming lines are printed above the
//! line being typed, and the connection is re-opened with backoff) or scripted with `--once`.
//! Either way it joins a room as soon as it has its ID, so the server treats it as a client
//! that knows rooms, presence and refusals (docs/protocol.md, "opt-in").

mod account;
mod commands;
mod room_view;

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt as _, StreamExt as _};
use mmo_protocol::{LOBBY, Msg, Packet, decode_packet};
use rustyline::ExternalPrinter as _;
use tokio::io::AsyncBufReadExt as _;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use self::account::{Credentials, answers_account, describe_answer};
use self::commands::{HELP, Input, USAGE};
use self::room_view::RoomView;
use crate::ws::{self, ConnectError, DEFAULT_URL, ServerUrl, UrlError, Ws};

/// Lines typed but not yet sent. Typing is far slower than sending, so this only fills while a
/// send is stuck (or a join is being answered), and then the typist waits rather than memory
/// growing.
const TYPED_LINES_QUEUE: usize = 64;

/// Lines waiting to be printed. A burst of chat larger than this makes the network side wait
/// for the terminal instead of buffering without bound.
const PRINT_QUEUE: usize = 1_024;

/// `mmo chat`'s exit status for bad arguments, clap's own usage errors included.
const EXIT_BAD_ARGUMENTS: u8 = 2;

/// `mmo chat --once`'s exit status when the server refused at least one line or join (1 is
/// taken by every other failure, 2 by bad arguments).
const EXIT_DENIED: u8 = 3;

/// How long the server gets to answer our close frame before we stop waiting.
const CLOSE_WAIT: Duration = Duration::from_secs(3);

/// How long the interactive client holds typed lines back while its first join of a
/// connection is answered (so they go to the right room). A server that ignores joins (one
/// from before rooms) never answers; after this the client carries on without a room.
const FIRST_JOIN_WAIT: Duration = Duration::from_secs(5);

/// First delay before reconnecting: long enough not to hammer a restarting server.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);

/// Longest delay between reconnection attempts, so a returning server is found within this.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// How long a register or login request may take to be answered (the server hashes the
/// password on a small pool, which may be busy) before the connection is given up.
const ACCOUNT_WAIT: Duration = Duration::from_secs(15);

/// A session that lasted this long was a real connection, so the next failure starts the
/// backoff from the beginning again.
const STABLE_SESSION: Duration = Duration::from_secs(10);

/// Chat with the server from the terminal.
///
/// Interactive by default: type a line and press Enter to send it (empty lines are not sent);
/// lines from others appear above the prompt; Ctrl-D or Ctrl-C leaves. The client joins the
/// lobby (or --room) as soon as it is connected and prints the room's members count and recent
/// history, then who joins and leaves. Commands: /join NAME (no NAME: the lobby), /rooms,
/// /who, /help. If the connection drops, the client reconnects with backoff and rejoins the
/// room it was in.
///
/// With --once it is a script helper: `echo hi | mmo chat --once URL` connects, prints
/// "Connected as client N" and the room, sends each stdin line (commands too; a /join or
/// /rooms is answered before the next line is read), then closes with a close handshake (so
/// the server has relayed every line before the command exits) and exits 0.
///
/// Exit codes with --once: 0 when everything was accepted; 1 with a message on stderr when it
/// cannot connect, times out, or the server closes it first; 3 when the server refused one or
/// more lines or joins (each is printed as "Denied: REASON"; the others still went through).
/// If joining --room is refused, no stdin line is sent.
///
/// A wss:// URL is checked against the public certificate authorities, or with --ca-file
/// against only the certificates in that file (a test server's self-signed certificate, which
/// is accepted as the server's own even when marked CA:TRUE, as `openssl req -x509` makes it).
#[derive(Debug, clap::Args)]
pub struct ChatArgs {
    /// Server WebSocket URL: ws:// or wss://.
    #[arg(default_value = DEFAULT_URL)]
    url: String,
    /// For a wss:// URL: trust only the certificates in this PEM file (the server's own
    /// certificate, or the CA that signed it).
    #[arg(long, value_name = "PEM")]
    ca_file: Option<PathBuf>,
    /// The room to join on connecting (default: the lobby).
    #[arg(long, value_name = "NAME", default_value = "")]
    room: String,
    /// Connect once, send stdin's lines, close, print what arrived, and exit (with status 3 if
    /// the server refused any line or join).
    #[arg(long)]
    once: bool,
    /// With --once: after stdin ends, wait until this many chat lines from others have arrived
    /// before closing (exit 1 if they do not arrive within --timeout).
    #[arg(long, value_name = "LINES", default_value_t = 0, requires = "once")]
    wait_for: u64,
    /// With --once: seconds allowed to connect and receive the ID, for each answer to a join
    /// or room list, and again for --wait-for.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    timeout: f64,
    /// Log into this account as soon as connected (and again on each reconnection). The
    /// password comes from the MMO_PASSWORD variable, else is asked for without echo.
    #[arg(long, value_name = "NAME")]
    user: Option<String>,
    /// With --user: register the account first (registering does not log in; the login
    /// follows).
    #[arg(long, requires = "user")]
    register: bool,
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

impl OnceError {
    /// The exit status: 2 for what the person typed on the command line, 1 for the rest.
    fn exit_code(&self) -> ExitCode {
        match self {
            Self::Url(_) | Self::BadTimeout(_) => ExitCode::from(EXIT_BAD_ARGUMENTS),
            _ => ExitCode::FAILURE,
        }
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

/// Whether a described close is the plain 1000 that answers a close of ours.
fn is_normal_close(description: &str) -> bool {
    description.split(' ').next() == Some("1000")
}

/// Whether `packet` answers a `JoinRoomMessage`: the room, or a refusal.
fn answers_join(packet: &Packet) -> bool {
    matches!(packet.msg, Some(Msg::Room(_) | Msg::DenyResponse(_)))
}

/// Whether `packet` answers a `RoomListRequestMessage`: the list, or a refusal.
fn answers_room_list(packet: &Packet) -> bool {
    matches!(packet.msg, Some(Msg::RoomList(_) | Msg::DenyResponse(_)))
}

/// Whether `packet` answers a `MemberListRequestMessage`: a page, or a refusal.
fn answers_member_page(packet: &Packet) -> bool {
    matches!(packet.msg, Some(Msg::MemberList(_) | Msg::DenyResponse(_)))
}

fn is_deny(packet: &Packet) -> bool {
    matches!(packet.msg, Some(Msg::DenyResponse(_)))
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
    let credentials = match &args.user {
        None => None,
        Some(user) => match Credentials::for_user(user, args.register) {
            Ok(credentials) => Some(credentials),
            Err(error) => {
                eprintln!("mmo chat: {error}");
                return ExitCode::from(EXIT_BAD_ARGUMENTS);
            }
        },
    };
    if args.once {
        match runtime.block_on(run_once(args, credentials.as_ref())) {
            Ok(refused) if refused.is_empty() => ExitCode::SUCCESS,
            Ok(refused) => {
                eprintln!("mmo chat: the server refused {}", refused.describe());
                ExitCode::from(EXIT_DENIED)
            }
            Err(error) => {
                eprintln!("mmo chat: {error}");
                error.exit_code()
            }
        }
    } else {
        match ServerUrl::parse(&args.url, args.ca_file.as_deref()) {
            Ok(url) => runtime.block_on(run_interactive(url, args.room.clone(), credentials)),
            Err(error) => {
                eprintln!("mmo chat: {error}");
                ExitCode::from(EXIT_BAD_ARGUMENTS)
            }
        }
    }
}

/// What the server refused during `mmo chat --once`, which decides its exit status.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Refused {
    /// Refusals that answered a join or room list the client was waiting on.
    requests: u64,
    /// Every other refusal: chat lines (this client sends nothing else unawaited).
    lines: u64,
    /// Refused registrations and logins.
    accounts: u64,
}

impl Refused {
    fn is_empty(self) -> bool {
        self == Self::default()
    }

    /// "1 line", "2 joins", "1 line and 1 join".
    fn describe(self) -> String {
        let count = |n: u64, one: &str, many: &str| {
            (n > 0).then(|| format!("{n} {}", if n == 1 { one } else { many }))
        };
        [
            count(self.lines, "line", "lines"),
            count(self.requests, "join or room list", "joins or room lists"),
            count(
                self.accounts,
                "login or registration",
                "logins or registrations",
            ),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" and ")
    }
}

/// One `mmo chat --once` conversation: the connection, what it knows, and what it counted.
struct Once {
    ws: Ws,
    view: RoomView,
    refused: Refused,
    /// Chat lines from others, for --wait-for.
    chats_seen: u64,
    /// How long each wait may take.
    limit: Duration,
}

impl Once {
    /// Prints what `packet` means to a person and counts what the exit status depends on;
    /// `awaited` says whether it answered a request the client is waiting on.
    fn show(&mut self, packet: &Packet, awaited: bool) {
        if is_deny(packet) {
            if awaited {
                self.refused.requests += 1;
            } else {
                self.refused.lines += 1;
            }
        }
        if matches!(packet.msg, Some(Msg::Chat(_))) {
            self.chats_seen += 1;
        }
        for line in self.view.show(packet) {
            println!("{line}");
        }
    }

    /// The next packet, within `deadline`.
    async fn next_packet(&mut self, deadline: tokio::time::Instant) -> Result<Packet, OnceError> {
        loop {
            let message = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .map_err(|_| OnceError::TimedOut(self.limit))?;
            if let Some(packet) = next_once_event(message)? {
                return Ok(packet);
            }
        }
    }

    async fn send(&mut self, packet: &Packet) -> Result<(), OnceError> {
        self.ws
            .send(ws::packet_message(packet))
            .await
            .map_err(|error| OnceError::ClosedByServer(ws::describe_error(&error)))
    }

    /// Sends `request` and shows everything that arrives until the packet that `answers` it;
    /// returns whether that answer was a refusal.
    async fn request(
        &mut self,
        request: &Packet,
        answers: fn(&Packet) -> bool,
    ) -> Result<bool, OnceError> {
        self.send(request).await?;
        let deadline = tokio::time::Instant::now() + self.limit;
        loop {
            let packet = self.next_packet(deadline).await?;
            let answer = answers(&packet);
            self.show(&packet, answer);
            if answer {
                return Ok(is_deny(&packet));
            }
        }
    }

    /// Registers (if asked) and logs in with `credentials`, showing what else arrives
    /// meanwhile; `false` when the server refused either (which is printed).
    async fn log_in(&mut self, credentials: &Credentials) -> Result<bool, OnceError> {
        // A field of 100 or above first: a client that logs in before one is taken for the
        // tutorial's client, which plays from its login on (docs/protocol.md, "The world").
        self.request(&Packet::room_list_request(), answers_room_list)
            .await?;
        let mut steps = Vec::with_capacity(2);
        if credentials.register {
            steps.push((credentials.register_packet(), true));
        }
        steps.push((credentials.login_packet(), false));
        for (request, registering) in steps {
            self.send(&request).await?;
            let deadline = tokio::time::Instant::now() + self.limit.max(ACCOUNT_WAIT);
            let answer = loop {
                let packet = self.next_packet(deadline).await?;
                if answers_account(&packet) {
                    break packet;
                }
                self.show(&packet, false);
            };
            println!(
                "{}",
                describe_answer(&answer, &credentials.user, registering)
            );
            if is_deny(&answer) {
                self.refused.accounts += 1;
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Acts on one stdin line.
    async fn on_line(&mut self, line: String) -> Result<(), OnceError> {
        match Input::parse(&line) {
            Input::Blank => {}
            Input::Chat(text) => self.send(&Packet::chat(text)).await?,
            Input::Join(room) => {
                self.request(&Packet::join_room(room), answers_join).await?;
            }
            Input::Rooms => {
                self.request(&Packet::room_list_request(), answers_room_list)
                    .await?;
            }
            Input::Who => {
                if let Some(who) = self.view.who() {
                    println!("{who}");
                }
                // A big room's list comes in pages, each asked for once the last arrived.
                while let Some(next) = self.view.take_request() {
                    self.request(&next, answers_member_page).await?;
                }
            }
            Input::Help => println!("{HELP}"),
            Input::Unknown => println!("{USAGE}"),
        }
        Ok(())
    }
}

async fn run_once(
    args: &ChatArgs,
    credentials: Option<&Credentials>,
) -> Result<Refused, OnceError> {
    let url = ServerUrl::parse(&args.url, args.ca_file.as_deref())?;
    let limit = Duration::try_from_secs_f64(args.timeout)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or(OnceError::BadTimeout(args.timeout))?;
    let connect_error = |source| OnceError::Connect {
        url: url.to_string(),
        source,
    };
    let ws = tokio::time::timeout(limit, ws::connect(&url))
        .await
        .map_err(|_| OnceError::TimedOut(limit))?
        .map_err(connect_error)?;
    let mut once = Once {
        ws,
        view: RoomView::default(),
        refused: Refused::default(),
        chats_seen: 0,
        limit,
    };

    // Nothing is sent before the ID arrives: it proves the server registered us.
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let packet = once.next_packet(deadline).await?;
        once.show(&packet, false);
        if matches!(packet.msg, Some(Msg::Id(_))) {
            break;
        }
    }
    // Logging in first makes the join (and what follows) the account's; a refused login
    // sends nothing more.
    let logged_in = match credentials {
        Some(credentials) => once.log_in(credentials).await?,
        None => true,
    };
    // Joining first makes this a client that is told of refusals (docs/protocol.md), and
    // puts every line in the room asked for; if that room refuses us, nothing is sent.
    if logged_in {
        let refused_room = once
            .request(&Packet::join_room(args.room.as_str()), answers_join)
            .await?;
        if !refused_room {
            exchange_stdin(&mut once, args.wait_for).await?;
        }
    }

    // The server answers our close only after handling everything we sent before it, so a
    // completed handshake means every line has been relayed.
    // Refusals of the last lines arrive here, before the server's answer to the close.
    if once.ws.close(normal_close()).await.is_err() {
        return Ok(once.refused);
    }
    let _ = tokio::time::timeout(CLOSE_WAIT, async {
        while let Some(Ok(message)) = once.ws.next().await {
            match classify(message) {
                Received::Packet(packet) => once.show(&packet, false),
                // The server's answer to our own close is no news; any other close is.
                Received::Closed(description) if !is_normal_close(&description) => {
                    println!("Connection closed: {description}");
                }
                Received::Closed(_) | Received::Undecodable(_) | Received::Other => {}
            }
        }
    })
    .await;
    Ok(once.refused)
}

/// Acts on every stdin line while showing what arrives, then waits for `wait_for` chat lines.
async fn exchange_stdin(once: &mut Once, wait_for: u64) -> Result<(), OnceError> {
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).lines();
    let mut stdin_open = true;
    // The --wait-for clock starts when stdin ends.
    let mut wait_deadline = None;
    while stdin_open || once.chats_seen < wait_for {
        let deadline =
            *wait_deadline.get_or_insert_with(|| tokio::time::Instant::now() + once.limit);
        tokio::select! {
            line = stdin.next_line(), if stdin_open => match line.map_err(OnceError::Stdin)? {
                Some(line) => once.on_line(line).await?,
                None => stdin_open = false,
            },
            message = once.ws.next() => {
                if let Some(packet) = next_once_event(message)? {
                    once.show(&packet, false);
                }
            }
            () = tokio::time::sleep_until(deadline), if !stdin_open => {
                return Err(OnceError::TimedOut(once.limit));
            }
        }
        if stdin_open {
            wait_deadline = None;
        }
    }
    Ok(())
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

    async fn say_all(&self, lines: Vec<String>) {
        for line in lines {
            self.say(line).await;
        }
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
                        Err(rustyline::error::ReadlineError::Interrupted) => {
                            // The cursor is after what was typed: say it went nowhere, so a
                            // half-typed line does not stay on screen looking sent.
                            println!("  ^C (not sent)");
                            Typed::Quit
                        }
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
    /// The server refused the registration or login (printed): trying again would not help.
    Refused,
}

/// The interactive client across connections: the room to be in, and what it knows now.
struct Interactive {
    console: Console,
    typed: mpsc::Receiver<Typed>,
    view: RoomView,
    /// The room to join on (re)connecting: `--room` at first, then the room the server last
    /// confirmed.
    home: String,
    /// The account to log into on each connection (registered on the first).
    credentials: Option<Credentials>,
}

async fn run_interactive(
    url: ServerUrl,
    room: String,
    credentials: Option<Credentials>,
) -> ExitCode {
    println!("Connecting to {url}...");
    let mut attempt = Some(ws::connect(&url).await);
    if let Some(Err(error)) = &attempt {
        if error.is_permanent() {
            // A wrong path or certificate fails the same way every time: say so and stop
            // (before the line editor takes the terminal) rather than retry for ever.
            eprintln!("mmo chat: cannot connect to {url}: {error}");
            return ExitCode::FAILURE;
        }
    }
    let (console, typed) = start_terminal();
    let mut client = Interactive {
        console,
        typed,
        view: RoomView::default(),
        home: room,
        credentials,
    };
    let mut backoff = Backoff::new();
    loop {
        let connected = match attempt.take() {
            Some(connected) => connected,
            None => {
                client.console.say(format!("Connecting to {url}...")).await;
                ws::connect(&url).await
            }
        };
        match connected {
            Err(error) => client.console.say(format!("Cannot connect: {error}")).await,
            Ok(ws) => {
                client.console.say("Connected successfully").await;
                let started = Instant::now();
                match client.session(ws).await {
                    SessionEnd::Quit => return ExitCode::SUCCESS,
                    SessionEnd::Refused => {
                        client
                            .console
                            .say("Leaving: fix the account and start again")
                            .await;
                        return ExitCode::FAILURE;
                    }
                    SessionEnd::Lost(description) => {
                        client
                            .console
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
        client
            .console
            .say(format!("Reconnecting in {:.1} s", delay.as_secs_f64()))
            .await;
        if !client
            .wait_offline(tokio::time::Instant::now() + delay)
            .await
        {
            return ExitCode::SUCCESS;
        }
    }
}

impl Interactive {
    /// Handles typing while not connected, until `wake`; `false` when the person quit.
    async fn wait_offline(&mut self, wake: tokio::time::Instant) -> bool {
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(wake) => return true,
                input = self.typed.recv() => match input {
                    Some(Typed::Line(line)) => match Input::parse(&line) {
                        Input::Blank => {}
                        Input::Chat(_) | Input::Join(_) | Input::Rooms => {
                            self.console.say(format!("Not connected; not sent: {line}")).await;
                        }
                        // Not connected: what is known, without asking for pages.
                        Input::Who => self.console.say(self.view.who_now()).await,
                        Input::Help => self.console.say(HELP).await,
                        Input::Unknown => self.console.say(USAGE).await,
                    },
                    Some(Typed::Quit) | None => return false,
                },
            }
        }
    }

    /// One connection, from its handshake until it ends or the person quits.
    async fn session(&mut self, mut ws: Ws) -> SessionEnd {
        self.view.reset();
        let mut close_description = None;
        // The room of this connection's first join while it awaits its answer: typed lines
        // wait meanwhile, so that none goes to the lobby by mistake.
        let mut first_join: Option<String> = None;
        let first_join_timer = tokio::time::sleep(Duration::ZERO);
        tokio::pin!(first_join_timer);
        loop {
            tokio::select! {
                input = self.typed.recv(), if first_join.is_none() => match input {
                    Some(Typed::Line(line)) => {
                        if let Err(error) = self.on_typed(&mut ws, &line).await {
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
                () = &mut first_join_timer, if first_join.is_some() => {
                    first_join = None;
                    self.console
                        .say("The server did not answer the join; it may not have rooms")
                        .await;
                }
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
                            let first_answer = first_join.is_some() && answers_join(&packet);
                            self.console.say_all(self.view.show(&packet)).await;
                            if let Some(next_page) = self.view.take_request() {
                                if let Err(error) = ws.send(ws::packet_message(&next_page)).await {
                                    return SessionEnd::Lost(ws::describe_error(&error));
                                }
                            }
                            let join = match &packet.msg {
                                Some(Msg::Id(_)) => {
                                    if let Err(end) = self.log_in(&mut ws).await {
                                        return end;
                                    }
                                    Some(self.home.clone())
                                }
                                Some(Msg::Room(room)) => {
                                    room.room.clone_into(&mut self.home);
                                    None
                                }
                                // The room of the last connection is full or gone: the
                                // lobby is never refused, and its answer lists who is there.
                                Some(Msg::DenyResponse(_)) if first_answer
                                    && first_join.as_deref().is_some_and(|r| !is_lobby(r)) =>
                                {
                                    self.console.say("Staying in the lobby").await;
                                    Some(String::new())
                                }
                                _ => None,
                            };
                            if first_answer {
                                first_join = None;
                            }
                            if let Some(room) = join {
                                if let Err(error) = ws.send(ws::packet_message(&Packet::join_room(room.as_str()))).await {
                                    return SessionEnd::Lost(ws::describe_error(&error));
                                }
                                first_join_timer
                                    .as_mut()
                                    .reset(tokio::time::Instant::now() + FIRST_JOIN_WAIT);
                                first_join = Some(room);
                            }
                        }
                        Received::Undecodable(error) => {
                            self.console.say(format!("(ignored a frame that is not a Packet: {error})")).await;
                        }
                        // tungstenite answers the close; the stream ends right after.
                        Received::Closed(description) => close_description = Some(description),
                        Received::Other => {}
                    },
                },
            }
        }
    }

    /// Registers (the first time, if asked) and logs in, showing what else arrives meanwhile;
    /// the session's end when that fails.
    async fn log_in(&mut self, ws: &mut Ws) -> Result<(), SessionEnd> {
        let Some(credentials) = self.credentials.clone() else {
            return Ok(());
        };
        // A field of 100 or above first, or the server takes this for the tutorial's client
        // and starts its game at the login (docs/protocol.md, "The world"). The list is shown
        // as it arrives, before the login's answer.
        if let Err(error) = ws
            .send(ws::packet_message(&Packet::room_list_request()))
            .await
        {
            return Err(SessionEnd::Lost(ws::describe_error(&error)));
        }
        let mut steps = Vec::with_capacity(2);
        if credentials.register {
            steps.push((credentials.register_packet(), true));
        }
        steps.push((credentials.login_packet(), false));
        for (request, registering) in steps {
            if let Err(error) = ws.send(ws::packet_message(&request)).await {
                return Err(SessionEnd::Lost(ws::describe_error(&error)));
            }
            let deadline = tokio::time::Instant::now() + ACCOUNT_WAIT;
            let answer = loop {
                let message = match tokio::time::timeout_at(deadline, ws.next()).await {
                    Err(_) => {
                        return Err(SessionEnd::Lost(
                            "no answer to the login in time".to_owned(),
                        ));
                    }
                    Ok(None) => return Err(SessionEnd::Lost("connection ended".to_owned())),
                    Ok(Some(Err(error))) => {
                        return Err(SessionEnd::Lost(ws::describe_error(&error)));
                    }
                    Ok(Some(Ok(message))) => message,
                };
                match classify(message) {
                    Received::Packet(packet) if answers_account(&packet) => break packet,
                    Received::Packet(packet) => {
                        self.console.say_all(self.view.show(&packet)).await;
                    }
                    Received::Closed(description) => return Err(SessionEnd::Lost(description)),
                    Received::Undecodable(_) | Received::Other => {}
                }
            };
            self.console
                .say(describe_answer(&answer, &credentials.user, registering))
                .await;
            if is_deny(&answer) {
                return Err(SessionEnd::Refused);
            }
            if registering {
                // Registered once is enough; reconnections only log in.
                if let Some(credentials) = self.credentials.as_mut() {
                    credentials.register = false;
                }
            }
        }
        Ok(())
    }

    /// Acts on a line typed while connected.
    async fn on_typed(
        &mut self,
        ws: &mut Ws,
        line: &str,
    ) -> Result<(), tokio_tungstenite::tungstenite::Error> {
        let packet = match Input::parse(line) {
            Input::Blank => return Ok(()),
            Input::Chat(text) => Packet::chat(text),
            Input::Join(room) => Packet::join_room(room),
            Input::Rooms => Packet::room_list_request(),
            Input::Who => match self.view.who() {
                Some(who) => {
                    self.console.say(who).await;
                    return Ok(());
                }
                // A big room: the list comes in pages, the answer with the last.
                None => match self.view.take_request() {
                    Some(request) => request,
                    None => return Ok(()),
                },
            },
            Input::Help => {
                self.console.say(HELP).await;
                return Ok(());
            }
            Input::Unknown => {
                self.console.say(USAGE).await;
                return Ok(());
            }
        };
        ws.send(ws::packet_message(&packet)).await
    }
}

/// Whether a join for `room` goes to the lobby.
fn is_lobby(room: &str) -> bool {
    room.is_empty() || room == LOBBY
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_described_by_kind() {
        let refused = |lines, requests| Refused {
            requests,
            lines,
            accounts: 0,
        };
        assert!(refused(0, 0).is_empty());
        assert_eq!(refused(1, 0).describe(), "1 line");
        assert_eq!(refused(2, 0).describe(), "2 lines");
        assert_eq!(refused(0, 1).describe(), "1 join or room list");
        assert_eq!(
            refused(3, 2).describe(),
            "3 lines and 2 joins or room lists"
        );
        let login = Refused {
            accounts: 1,
            ..Refused::default()
        };
        assert_eq!(login.describe(), "1 login or registration");
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
