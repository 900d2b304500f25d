//! `mmo bench logins`: registers N accounts, then logs into each of them, a connection a
//! login, as fast as the server allows: logins per second, the time from request to answer,
//! and refusals by reason (issue 20). Runs in the parent process: the server's password
//! hashing, not the client, is what limits the rate.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _};
use mmo_protocol::{LoginRequestMessage, Msg, Packet, RegisterRequestMessage, decode_packet};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use super::args::{account_prefix, duration_arg};
use super::report::{ServerSpan, emit_json, per_second, seconds};
use crate::bench::histogram::Latencies;
use crate::bench::parent::{BenchError, ServerProbe};
use crate::bench::wire::Tally;
use crate::bench::{CommonArgs, micros};
use crate::ws::{self, ServerUrl, Ws};

/// The password of every bench account: within the server's documented length range.
const BENCH_PASSWORD: &str = "bench-password-1";

/// Longest username prefix: the server allows 20 characters, and the account's number
/// (up to 7 digits) and a '-' follow.
const MAX_PREFIX_CHARS: usize = 12;

/// `mmo bench logins`.
#[derive(Debug, clap::Args)]
pub struct LoginsArgs {
    /// Accounts to register and then log into.
    #[arg(long, default_value_t = 100)]
    accounts: u64,
    /// Requests in flight at once (connections registering, then logging in).
    #[arg(long, default_value_t = 16)]
    concurrency: u32,
    /// Usernames are PREFIX-0, PREFIX-1, …; default: a new prefix from the clock, so every
    /// run registers accounts of its own.
    #[arg(long, value_name = "PREFIX")]
    prefix: Option<String>,
    /// The accounts exist already (an earlier run with the same --prefix): only log in.
    #[arg(long)]
    skip_register: bool,
    /// Seconds allowed for any one answer.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    timeout: f64,
}

/// What one phase (registering or logging in) counted.
#[derive(Default)]
struct Tallies {
    accepted: u64,
    refused: Tally,
    /// Connections that failed or ended before an answer.
    failures: Tally,
    /// From sending the request to its answer.
    answer_latency: Latencies,
    /// From opening the connection to its ID.
    connect_latency: Latencies,
}

impl Tallies {
    fn json(&self, elapsed: Duration) -> serde_json::Value {
        json!({
            "accepted": self.accepted,
            "accepted_per_s": per_second(self.accepted, elapsed),
            "refused": self.refused,
            "failures": self.failures,
            "elapsed_s": seconds(elapsed),
            "answer_latency_us": self.answer_latency.summary(),
            "connect_latency_us": self.connect_latency.summary(),
        })
    }

    fn human(&self, what: &str, elapsed: Duration) -> String {
        let refused = if self.refused.is_empty() {
            "none".to_owned()
        } else {
            self.refused.human_reasons()
        };
        format!(
            "{what}: {} accepted in {:.2} s ({} per s); answered in {}; refused: {refused}; \
             failed: {}",
            self.accepted,
            elapsed.as_secs_f64(),
            per_second(self.accepted, elapsed),
            self.answer_latency.summary().human(),
            self.failures.human()
        )
    }
}

/// Why one request got no answer.
struct Failed(String);

/// Opens a connection and waits for its ID.
async fn open(url: &ServerUrl, limit: Duration) -> Result<Ws, Failed> {
    let mut ws = tokio::time::timeout(limit, ws::connect(url))
        .await
        .map_err(|_| Failed("no connection in time".to_owned()))?
        .map_err(|error| Failed(error.label()))?;
    answer(&mut ws, limit, |msg| matches!(msg, Msg::Id(_))).await?;
    Ok(ws)
}

/// Reads until a packet `wanted` accepts, within `limit`.
async fn answer(ws: &mut Ws, limit: Duration, wanted: fn(&Msg) -> bool) -> Result<Msg, Failed> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let message = tokio::time::timeout_at(deadline, ws.next())
            .await
            .map_err(|_| Failed("no answer in time".to_owned()))?;
        let bytes = match message {
            None => return Err(Failed("connection ended".to_owned())),
            Some(Err(error)) => return Err(Failed(ws::describe_error(&error))),
            Some(Ok(Message::Binary(bytes))) => bytes,
            Some(Ok(Message::Close(frame))) => {
                return Err(Failed(format!(
                    "closed: {}",
                    ws::describe_close(frame.as_ref())
                )));
            }
            Some(Ok(_)) => continue,
        };
        if let Ok(Packet { msg: Some(msg), .. }) = decode_packet(&bytes) {
            if wanted(&msg) {
                return Ok(msg);
            }
        }
    }
}

/// Sends `request` and records its answer in `tallies`.
async fn ask(ws: &mut Ws, request: Packet, limit: Duration, tallies: &RefCell<Tallies>) -> bool {
    let sent = Instant::now();
    if let Err(error) = ws.send(ws::packet_message(&request)).await {
        tallies
            .borrow_mut()
            .failures
            .add(&ws::describe_error(&error), 1);
        return false;
    }
    let got = answer(ws, limit, |msg| {
        matches!(msg, Msg::OkResponse(_) | Msg::DenyResponse(_))
    })
    .await;
    let mut tallies = tallies.borrow_mut();
    match got {
        Ok(Msg::DenyResponse(deny)) => {
            tallies.answer_latency.record_micros(micros(sent.elapsed()));
            tallies.refused.add(&deny.reason, 1);
            true
        }
        Ok(_) => {
            tallies.answer_latency.record_micros(micros(sent.elapsed()));
            tallies.accepted += 1;
            true
        }
        Err(Failed(reason)) => {
            tallies.failures.add(&reason, 1);
            false
        }
    }
}

/// Account `index`'s username.
fn username(prefix: &str, index: u64) -> String {
    format!("{prefix}-{index}")
}

/// Registers the accounts `0..accounts`, `concurrency` connections each working through its
/// share on one connection.
async fn register_all(
    url: &ServerUrl,
    prefix: &str,
    accounts: u64,
    concurrency: u64,
    limit: Duration,
) -> Tallies {
    let tallies = Rc::new(RefCell::new(Tallies::default()));
    let mut lanes = tokio::task::JoinSet::new();
    for lane in 0..concurrency.min(accounts) {
        let (url, prefix, tallies) = (url.clone(), prefix.to_owned(), Rc::clone(&tallies));
        lanes.spawn_local(async move {
            let started = Instant::now();
            let mut ws = match open(&url, limit).await {
                Ok(ws) => ws,
                Err(Failed(reason)) => {
                    // Every account of this lane goes unregistered.
                    let count = (lane..accounts)
                        .step_by(concurrency_step(concurrency))
                        .count();
                    tallies.borrow_mut().failures.add(&reason, count as u64);
                    return;
                }
            };
            tallies
                .borrow_mut()
                .connect_latency
                .record_micros(micros(started.elapsed()));
            for index in (lane..accounts).step_by(concurrency_step(concurrency)) {
                let request = Packet {
                    sender_id: 0,
                    msg: Some(Msg::RegisterRequest(RegisterRequestMessage {
                        username: username(&prefix, index),
                        password: BENCH_PASSWORD.to_owned(),
                        color: 0,
                    })),
                };
                if !ask(&mut ws, request, limit, &tallies).await {
                    return;
                }
            }
            let _ = ws.close(None).await;
        });
    }
    while lanes.join_next().await.is_some() {}
    Rc::try_unwrap(tallies).map_or_else(|_| Tallies::default(), RefCell::into_inner)
}

fn concurrency_step(concurrency: u64) -> usize {
    usize::try_from(concurrency.max(1)).unwrap_or(usize::MAX)
}

/// Logs into every account, one new connection a login, `concurrency` at once.
async fn log_in_all(
    url: &ServerUrl,
    prefix: &str,
    accounts: u64,
    concurrency: u64,
    limit: Duration,
) -> Tallies {
    let tallies = Rc::new(RefCell::new(Tallies::default()));
    let next = Rc::new(std::cell::Cell::new(0_u64));
    let mut lanes = tokio::task::JoinSet::new();
    for _ in 0..concurrency.min(accounts) {
        let (url, prefix) = (url.clone(), prefix.to_owned());
        let (tallies, next) = (Rc::clone(&tallies), Rc::clone(&next));
        lanes.spawn_local(async move {
            loop {
                let index = next.get();
                if index >= accounts {
                    return;
                }
                next.set(index + 1);
                let started = Instant::now();
                let mut ws = match open(&url, limit).await {
                    Ok(ws) => ws,
                    Err(Failed(reason)) => {
                        tallies.borrow_mut().failures.add(&reason, 1);
                        continue;
                    }
                };
                tallies
                    .borrow_mut()
                    .connect_latency
                    .record_micros(micros(started.elapsed()));
                let request = Packet {
                    sender_id: 0,
                    msg: Some(Msg::LoginRequest(LoginRequestMessage {
                        username: username(&prefix, index),
                        password: BENCH_PASSWORD.to_owned(),
                    })),
                };
                ask(&mut ws, request, limit, &tallies).await;
                let _ = ws.close(None).await;
            }
        });
    }
    while lanes.join_next().await.is_some() {}
    Rc::try_unwrap(tallies).map_or_else(|_| Tallies::default(), RefCell::into_inner)
}

/// Runs `mmo bench logins`.
pub async fn logins(common: &CommonArgs, args: &LoginsArgs) -> Result<(), BenchError> {
    let limit = duration_arg("timeout", args.timeout)?;
    if args.accounts == 0 || args.concurrency == 0 {
        return Err(BenchError::Usage(
            "--accounts and --concurrency must be at least 1".to_owned(),
        ));
    }
    if args.accounts > 9_999_999 {
        return Err(BenchError::Usage(
            "--accounts is at most 9,999,999 (usernames have at most 20 characters)".to_owned(),
        ));
    }
    let prefix = account_prefix(args.prefix.as_deref(), MAX_PREFIX_CHARS, 'b')?;
    let url = ServerUrl::parse(&common.url, common.ca_file.as_deref())?;
    let concurrency = u64::from(args.concurrency);
    let local = tokio::task::LocalSet::new();

    let registered = if args.skip_register {
        None
    } else {
        eprintln!(
            "mmo bench: registering {} accounts {prefix}-N",
            args.accounts
        );
        let started = Instant::now();
        let tallies = local
            .run_until(register_all(
                &url,
                &prefix,
                args.accounts,
                concurrency,
                limit,
            ))
            .await;
        Some((tallies, started.elapsed()))
    };

    eprintln!("mmo bench: logging into {} accounts", args.accounts);
    let mut probe = ServerProbe::new(common.server_pid);
    probe.reset_peak();
    let before = probe.sample();
    let started = Instant::now();
    let logged_in = local
        .run_until(log_in_all(&url, &prefix, args.accounts, concurrency, limit))
        .await;
    let elapsed = started.elapsed();
    let span = ServerSpan {
        before,
        after: probe.sample(),
        peak_rss_bytes: probe.peak_rss_bytes,
    };

    println!(
        "logins: {} accounts {prefix}-0 … {prefix}-{}, {} at a time, a connection a login",
        args.accounts,
        args.accounts - 1,
        args.concurrency
    );
    if let Some((registered, took)) = &registered {
        println!("{}", registered.human("registered", *took));
    }
    println!("{}", logged_in.human("logged in", elapsed));
    println!(
        "connect (to the ID) before each login: {}",
        logged_in.connect_latency.summary().human()
    );
    if let Some(per_login) = span.cpu_micros_per(logged_in.accepted) {
        println!("server: {per_login} µs cpu per login");
    }
    emit_json(json!({
        "scenario": "logins",
        "url": url.as_str(),
        "accounts": args.accounts,
        "concurrency": args.concurrency,
        "prefix": prefix,
        "register": registered.as_ref().map(|(tallies, took)| tallies.json(*took)),
        "login": logged_in.json(elapsed),
        "logins_per_s": per_second(logged_in.accepted, elapsed),
        "server": span.json(common.server_pid, Some(logged_in.accepted)),
    }));
    Ok(())
}
