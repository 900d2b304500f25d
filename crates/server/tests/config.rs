//! The settings of the real `mmo-server` binary: flags over environment variables over the
//! `--config` file over defaults, `--print-config`, and start-up refused (exit 2) for an unknown
//! key, a bad value from any source, or settings that cannot work together.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;

use common::next_packet;
use common::process::{ServerProcess, path_text, refusal, run_to_exit};
use futures_util::SinkExt as _;
use mmo_protocol::{Message as _, Msg, Packet};
use tokio_tungstenite::tungstenite::Message;

/// The effective configuration `--print-config` prints for these arguments and environment.
fn printed(args: &[&str], env: &[(&str, &str)]) -> toml::Table {
    let output = run_to_exit(&[args, &["--print-config"]].concat(), env);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{:?}: {stdout}{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
        .parse()
        .unwrap_or_else(|error| panic!("not TOML: {error}\n{stdout}"))
}

/// A config file with this text in this test binary's scratch folder.
fn config_file(name: &str, text: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("config-{name}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn flags_beat_the_environment_which_beats_the_file_which_beats_defaults() {
    let file = config_file(
        "precedence",
        "max_chat_chars = 100\nchat_burst = 7\nping_interval = 15.0\n\
         allowed_origins = [\"https://file.example\"]\n",
    );
    let config = printed(
        &["--config", path_text(&file), "--ping-interval", "12.5"],
        &[
            ("MMO_CHAT_BURST", "8"),
            ("MMO_PING_INTERVAL", "14"),
            ("MMO_ALLOWED_ORIGINS", "https://a.example,https://b.example"),
        ],
    );
    // Only in the file.
    assert_eq!(config["max_chat_chars"].as_integer(), Some(100));
    // In the file and the environment.
    assert_eq!(config["chat_burst"].as_integer(), Some(8));
    assert_eq!(
        config["allowed_origins"],
        toml::Value::Array(vec!["https://a.example".into(), "https://b.example".into()])
    );
    // In the file, the environment and a flag.
    assert_eq!(config["ping_interval"].as_float(), Some(12.5));
    // Nowhere.
    assert_eq!(config["chat_rate"].as_float(), Some(5.0));
    assert_eq!(config["write_coalesce_ms"].as_float(), Some(16.0));
    assert_eq!(config["port"].as_integer(), Some(8080));
}

#[test]
fn mmo_config_names_the_file_when_the_flag_does_not() {
    let file = config_file("by-env", "chat_burst = 3\n");
    let other = config_file("by-flag", "chat_burst = 4\n");
    let env = [("MMO_CONFIG", path_text(&file))];
    assert_eq!(printed(&[], &env)["chat_burst"].as_integer(), Some(3));
    assert_eq!(
        printed(&["--config", path_text(&other)], &env)["chat_burst"].as_integer(),
        Some(4)
    );
}

#[test]
fn print_config_prints_every_setting_and_reads_back_to_the_same_configuration() {
    let first = run_to_exit(
        &[
            "--print-config",
            "--host",
            "::",
            "--max-connections",
            "500",
            "--write-coalesce-ms",
            "2.5",
            "--worker-threads",
            "2",
            "--announce-leaves",
        ],
        &[("MMO_ALLOWED_ORIGINS", "https://a.example")],
    );
    assert!(first.status.success());
    let text = String::from_utf8(first.stdout).unwrap();
    assert!(
        text.contains("\nmax_connections = 500 # from --max-connections\n"),
        "{text}"
    );
    assert!(
        text.contains("# Most WebSocket sessions at once; past it a client gets HTTP 503"),
        "each setting's doc is a comment: {text}"
    );
    let table: toml::Table = text.parse().unwrap();
    let help = String::from_utf8(run_to_exit(&["--help"], &[]).stdout).unwrap();
    let mut flags: Vec<String> = help
        .split_whitespace()
        .filter_map(|word| word.strip_prefix("--"))
        .filter(|flag| !["config", "print-config", "help", "version"].contains(flag))
        .map(|flag| flag.replace('-', "_"))
        .collect();
    flags.sort();
    // Optional settings left unset are listed as comments: "# metrics_addr is not set: …",
    // and so are values computed on this host: "# max_pending_handshakes = 1024 # computed …".
    let unset = text.lines().filter_map(|line| {
        let comment = line.strip_prefix("# ")?;
        let (name, _) = comment.split_once(" is not set").or_else(|| {
            comment
                .contains(COMPUTED)
                .then(|| comment.split_once(" = "))?
        })?;
        Some(name.to_owned())
    });
    let mut keys: Vec<String> = table.keys().cloned().chain(unset).collect();
    keys.sort();
    assert_eq!(flags, keys, "every setting");

    let file = config_file("printed", &text);
    assert_eq!(printed(&["--config", path_text(&file)], &[]), table);
}

/// How `--print-config` marks a value the server worked out on this machine.
const COMPUTED: &str = "# computed on this host: ";

/// A printed file copied to another host must not carry this host's open-file limit.
#[test]
fn print_config_comments_out_values_computed_on_this_host() {
    let output = run_to_exit(&["--print-config"], &[]);
    let text = String::from_utf8(output.stdout).unwrap();
    for (name, how) in [
        ("max_connections", "open-file limit less 100"),
        ("max_pending_handshakes", "open-file limit / 8, 16 to 1024"),
    ] {
        let line = text
            .lines()
            .find(|line| line.starts_with(&format!("# {name} = ")))
            .unwrap_or_else(|| panic!("no commented {name}: {text}"));
        assert!(line.ends_with(&format!("{COMPUTED}{how}")), "{line}");
        assert!(
            !text
                .lines()
                .any(|line| line.starts_with(&format!("{name} ="))),
            "{name} written as a setting: {text}"
        );
    }
    // Set by the operator, it is a setting like any other.
    let set = printed(&["--max-connections", "500"], &[]);
    assert_eq!(set["max_connections"].as_integer(), Some(500));
    assert!(!set.contains_key("max_pending_handshakes"));
}

/// A typo in a variable's name is as wrong as a typo in a key: it would otherwise be ignored
/// without a word, and the operator would run with the default.
#[test]
fn an_unknown_mmo_variable_stops_start_up_with_the_setting_it_may_be() {
    let message = refusal(&[], &[("MMO_MAX_CONECTIONS", "500")]);
    assert!(
        message.contains(
            "invalid configuration: unknown setting MMO_MAX_CONECTIONS in the environment \
             (did you mean MMO_MAX_CONNECTIONS?)"
        ),
        "{message}"
    );
    let message = refusal(&[], &[("MMO_SPEED", "2")]);
    assert!(
        message.contains("unknown setting MMO_SPEED in the environment"),
        "{message}"
    );
    // Variables the project uses for other things are not settings, and not typos.
    let file = config_file("env-others", "chat_burst = 3\n");
    let others = [
        ("MMO_CONFIG", path_text(&file)),
        ("MMO_TEST_SERVER_BINARY", "/bin/true"),
        ("MMO_PASSWORD", "the CLI's"),
        ("MMO_CLI_BIN", "mmo"),
        ("MMO_SERVER_BIN", "mmo-server"),
        ("MMO_AUTOBAHN_TIMEOUT", "60"),
    ];
    assert_eq!(printed(&[], &others)["chat_burst"].as_integer(), Some(3));
}

/// Keys are flat; a `[server]` table is a natural guess and gets told so.
#[test]
fn a_table_in_the_config_file_is_told_that_keys_are_flat() {
    let file = config_file("table", "[server]\nport = 9000\n");
    let message = refusal(&["--config", path_text(&file)], &[]);
    assert!(
        message.contains(&format!(
            "invalid configuration: unknown key \"server\" in {}: keys are flat: write \
             port = 9000 at the top level, not under [server]",
            file.display()
        )),
        "{message}"
    );
}

#[test]
fn help_lists_every_setting_with_why_its_default_and_its_variable() {
    let output = run_to_exit(&["--help"], &[]);
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for expected in [
        "--config <FILE>",
        "--print-config",
        "--max-connections <N>",
        "[default: open-file limit less 100] [env: MMO_MAX_CONNECTIONS]",
        "--ping-interval <SECONDS>",
        "Seconds of silence after which a client is pinged. [default: 20.0] [env: MMO_PING_INTERVAL]",
        "--write-coalesce-ms <MS>",
        "--worker-threads <N>",
        "[default: one per CPU] [env: MMO_WORKER_THREADS]",
        "--announce-leaves [<BOOL>]",
        "--allowed-origins <A,B,…>",
    ] {
        assert!(help.contains(expected), "{expected:?} missing:\n{help}");
    }
}

#[test]
fn an_unknown_key_stops_start_up_naming_the_file_and_the_key_it_may_be() {
    let file = config_file("typo", "max_conections = 500\n");
    let message = refusal(&["--config", path_text(&file)], &[]);
    assert!(
        message.contains(&format!(
            "invalid configuration: unknown key \"max_conections\" in {} (did you mean \
             max_connections?)",
            file.display()
        )),
        "{message}"
    );
}

#[test]
fn a_bad_value_stops_start_up_naming_the_setting_and_its_source() {
    let file = config_file("negative", "ping_interval = -1\n");
    let from_file = refusal(&["--config", path_text(&file)], &[]);
    assert!(
        from_file.contains(&format!(
            "invalid configuration: ping_interval = -1 (from {}): must be a non-negative \
             number of seconds",
            file.display()
        )),
        "{from_file}"
    );
    let from_env = refusal(&[], &[("MMO_PING_INTERVAL", "-1")]);
    assert!(
        from_env.contains(
            "invalid configuration: ping_interval = -1 (from MMO_PING_INTERVAL): must be a \
             non-negative number of seconds"
        ),
        "{from_env}"
    );
    let from_flag = refusal(&["--ping-interval", "-1"], &[]);
    assert!(
        from_flag.contains(
            "invalid configuration: ping_interval = -1 (from --ping-interval): must be a \
             non-negative number of seconds"
        ),
        "{from_flag}"
    );
    let too_far = refusal(&[], &[("MMO_WRITE_COALESCE_MS", "500")]);
    assert!(
        too_far.contains(
            "write_coalesce_ms = 500 (from MMO_WRITE_COALESCE_MS): must be at most 100ms"
        ),
        "{too_far}"
    );
    let wrong_type = config_file("wrong-type", "port = \"8080\"\n");
    let message = refusal(&["--config", path_text(&wrong_type)], &[]);
    assert!(
        message.contains("port = \"8080\" (from ") && message.contains("must be a whole number"),
        "{message}"
    );
}

#[test]
fn settings_that_cannot_work_together_stop_start_up_naming_their_sources() {
    let file = config_file("conflict", "idle_timeout = 10\n");
    let message = refusal(&["--config", path_text(&file)], &[]);
    assert!(
        message.contains(&format!(
            "invalid configuration: idle_timeout (10 s) is too short for ping_interval (20 s): \
             a quiet client is pinged up to 25 s after it was last heard and needs time to \
             answer; use at least 30 s (idle_timeout from {}, ping_interval from the default)",
            file.display()
        )),
        "{message}"
    );
}

#[test]
fn a_missing_config_file_stops_start_up() {
    let message = refusal(&["--config", "/nonexistent/mmo.toml"], &[]);
    assert!(
        message.contains("cannot read /nonexistent/mmo.toml"),
        "{message}"
    );
}

#[test]
fn the_example_config_file_is_valid_and_means_what_it_says() {
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/mmo.example.toml");
    let written: toml::Table = std::fs::read_to_string(&example).unwrap().parse().unwrap();
    let effective = printed(&["--config", path_text(&example)], &[]);
    assert!(!written.is_empty());
    for (key, value) in &written {
        assert_eq!(effective.get(key), Some(value), "{key}");
    }
}

#[tokio::test]
async fn the_server_runs_with_settings_from_the_file() {
    let file = config_file(
        "running",
        "host = \"127.0.0.1\"\nport = 0\nmax_chat_chars = 5\nchat_rate = 0\n",
    );
    let mut server = ServerProcess::start(&["--config", path_text(&file)]);
    let address = server.address_after("Starting server on ");
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{address}/ws"))
        .await
        .unwrap();
    let first = next_packet(&mut ws).await;
    assert!(matches!(first.msg, Some(Msg::Id(_))), "{first:?}");
    // A room-aware client (refusals are only sent to clients that know them).
    ws.send(Message::Binary(
        Packet::join_room("").encode_to_vec().into(),
    ))
    .await
    .unwrap();
    let room = next_packet(&mut ws).await;
    assert!(matches!(room.msg, Some(Msg::Room(_))), "{room:?}");
    ws.send(Message::Binary(
        Packet::chat("six ch").encode_to_vec().into(),
    ))
    .await
    .unwrap();
    let answer = next_packet(&mut ws).await;
    let Some(Msg::DenyResponse(deny)) = answer.msg else {
        panic!("expected a DenyResponseMessage, got {answer:?}");
    };
    assert_eq!(
        deny.reason,
        "chat message is 6 characters; the limit is 5 characters"
    );
}

/// A newcomer reads the start-up lines to learn what to open: the web client's URL and the
/// WebSocket URL with the port really bound, and whether other machines can reach it.
#[test]
fn start_up_says_what_to_open() {
    let server = ServerProcess::start(&["--host", "127.0.0.1", "--port", "0"]);
    let port = server.addr.port();
    let line = server.wait_for_log(|line| line.contains("web client"));
    assert!(
        line.contains(&format!("http://127.0.0.1:{port}/")),
        "{line}"
    );
    assert!(
        line.contains(&format!("ws://127.0.0.1:{port}/ws")),
        "{line}"
    );
    assert!(
        !server
            .log()
            .iter()
            .any(|line| line.contains("every interface")),
        "{:#?}",
        server.log()
    );
    drop(server);

    let server = ServerProcess::start(&["--host", "::", "--port", "0"]);
    let port = server.addr.port();
    let line = server.wait_for_log(|line| line.contains("web client"));
    assert!(
        line.contains(&format!("http://localhost:{port}/")),
        "{line}"
    );
    assert!(
        line.contains(&format!("ws://localhost:{port}/ws")),
        "{line}"
    );
    let line = server.wait_for_log(|line| line.contains("every interface"));
    // IPv4 alone on a host without IPv6.
    assert!(
        line.contains("(IPv6 and IPv4, [::]:") || line.contains("(IPv4, 0.0.0.0:"),
        "{line}"
    );
}
