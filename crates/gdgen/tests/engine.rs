//! The generated GDScript executed in a real engine: Godot 3.2 (`godot3-server`, Debian's
//! package; Godot 4 is packaged nowhere), running the generator's Godot 3 target, which is the
//! Godot 4 file translated line for line. Vectors made by prost are decoded and re-encoded
//! there and compared with prost both ways, and two engine clients chat through a live server.
//! The Godot client's engine-free scripts (commands, names, URL, status, the connecting →
//! logging in → chatting flow, the world's state, steering, the game's flow), translated the
//! same way, run through scripted steps; the flow also against a live server, the world's
//! state also on the updates the world engine (`mmo-world`) makes for a player in a busy world.
//!
//! These tests need `godot3-server` on the PATH (or its path in `GODOT3`), so they are ignored
//! by a plain `cargo test`; `scripts/check-godot` installs the engine and runs them with
//! `cargo test -p mmo-gdgen --test engine -- --ignored`.

#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use common::{Rng, from_dynamic, random_message, to_dynamic};
use mmo_gdgen::mirror::{MessageValue, Value};
use mmo_gdgen::plan::{Cardinality, Codec, Schema, decoded_pool};
use mmo_gdgen::{Target, names};
use mmo_protocol::packets::packet::Msg;
use mmo_protocol::packets::{
    ChatLine, JoinRoomMessage, LoginRequestMessage, Member, OkResponseMessage, PresenceMessage,
    RegisterRequestMessage, RoomInfo, RoomListMessage, RoomListRequestMessage, RoomMessage,
    WorldEat, WorldEnteredMessage, WorldLeaderboard, WorldLeaderboardEntry, WorldOwnState,
    WorldPlayer, WorldSpore, WorldUpdateMessage,
};
use mmo_protocol::{
    ChatMessage, DenyResponseMessage, DisconnectMessage, IdMessage, Message as _, Packet,
};
use prost_reflect::{DescriptorPool, DynamicMessage};

/// How long one engine run may take before the test fails; a run takes well under a second.
const WAIT: Duration = Duration::from_secs(60);

/// A directory for one test's files, removed afterwards.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("mmo-gdgen-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn godot3() -> PathBuf {
    if let Some(path) = std::env::var_os("GODOT3") {
        return PathBuf::from(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("godot3-server"))
        .find(|candidate| candidate.is_file())
        .expect("godot3-server is not installed: `apt-get install godot3-server`, or run scripts/check-godot")
}

/// The generator's Godot 3 file for `proto_dir`, written into `scratch`.
fn generate3(scratch: &Scratch, proto_dir: &Path, name: &str) -> PathBuf {
    let text = mmo_gdgen::generate_for(proto_dir, "proto", Target::Godot3).unwrap();
    let path = scratch.path(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `driver.gd` with `args` in `scratch` (where Godot writes its logs); returns its
/// stdout, after checking that it ran to the end (a script that does not parse exits 0 too).
async fn run_driver(scratch: &Scratch, args: &[String]) -> String {
    let driver = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/engine/driver.gd");
    let child = tokio::process::Command::new(godot3())
        .current_dir(&scratch.0)
        .arg("--no-window")
        .arg("-s")
        .arg(driver)
        .arg("--")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let output = tokio::time::timeout(WAIT, child.wait_with_output())
        .await
        .expect("the engine finishes in time")
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Godot reports a script that does not parse, or a call that fails at run time, on stderr
    // and carries on (exiting 0); either is a failure here.
    assert!(
        output.status.success()
            && stdout.lines().any(|line| line == "DRIVER DONE")
            && !stderr.contains("SCRIPT ERROR"),
        "godot3-server {args:?} exited with {}:\n{stdout}\n{stderr}",
        output.status,
    );
    stdout
}

fn hex(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "-".to_owned();
    }
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn scalar_dump(value: &Value) -> String {
    match value {
        Value::Int(v) => format!("i:{v}"),
        Value::Float(v) if v.is_nan() => "f:nan".to_owned(),
        Value::Float(v) => format!("f:{}", hex(&v.to_le_bytes())),
        Value::Bool(v) => format!("b:{}", u8::from(*v)),
        Value::Str(v) => format!("s:{}", hex(v.as_bytes()).trim_start_matches('-')),
        Value::Bytes(v) => format!("y:{}", hex(v).trim_start_matches('-')),
        Value::Message(_) | Value::List(_) => unreachable!("not a scalar"),
    }
}

/// What `driver.gd`'s `_dump` prints for the GDScript object holding `message`: every script
/// variable of the generated class (see `render_vars`), sorted by name.
fn dump(schema: &Schema, message: &MessageValue) -> String {
    let plan = schema.message(&message.class_path).unwrap();
    let mut vars: Vec<(String, String)> = Vec::new();
    for oneof in &plan.oneofs {
        let case = oneof
            .members
            .iter()
            .find(|number| message.fields.contains_key(number))
            .copied()
            .unwrap_or(0);
        vars.push((format!("_{}_case", oneof.name), format!("i:{case}")));
    }
    for field in &plan.fields {
        let shown = match message.fields.get(&field.number) {
            Some(value) => value_dump(schema, value),
            None => match (&field.cardinality, &field.codec) {
                (Cardinality::Repeated { .. }, _) => "a[]".to_owned(),
                (_, Codec::Message(_)) => "n".to_owned(),
                (_, codec) => scalar_dump(&Value::default_for(codec)),
            },
        };
        vars.push((format!("_{}", field.name), shown));
        if field.cardinality == Cardinality::Explicit && !matches!(field.codec, Codec::Message(_)) {
            let present = u8::from(message.fields.contains_key(&field.number));
            vars.push((format!("_has_{}", field.name), format!("b:{present}")));
        }
    }
    vars.sort();
    let parts: Vec<String> = vars
        .into_iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    format!("m{{{}}}", parts.join(","))
}

fn value_dump(schema: &Schema, value: &Value) -> String {
    match value {
        Value::Message(inner) => dump(schema, inner),
        Value::List(items) => {
            let items: Vec<String> = items.iter().map(|item| value_dump(schema, item)).collect();
            format!("a[{}]", items.join(","))
        }
        scalar => scalar_dump(scalar),
    }
}

/// A schema as plan and as prost-reflect descriptors (read with the same options fix).
fn load(proto_dir: &Path, file: &str) -> (Schema, DescriptorPool) {
    let schema = Schema::load(proto_dir, "proto").unwrap();
    let mut compiler = protox::Compiler::new([proto_dir]).unwrap();
    compiler.open_files([file]).unwrap();
    (schema, decoded_pool(&compiler).unwrap())
}

/// One input for the engine and what prost makes of it.
struct Vector {
    class_path: String,
    bytes: Vec<u8>,
}

/// Sends every vector through the engine and compares each answer with prost's: the same
/// verdict (decoded or refused), the same values in every script variable, and a re-encoding
/// that is byte for byte prost's canonical encoding of those values. Returns how many the
/// engine decoded.
async fn check_in_engine(
    scratch: &Scratch,
    generated: &Path,
    schema: &Schema,
    pool: &DescriptorPool,
    vectors: &[Vector],
) -> usize {
    let input = scratch.path("vectors.txt");
    let output = scratch.path("answers.txt");
    let lines: Vec<String> = vectors
        .iter()
        .map(|vector| format!("{} {}\n", vector.class_path, hex(&vector.bytes)))
        .collect();
    std::fs::write(&input, lines.concat()).unwrap();
    run_driver(
        scratch,
        &[
            "vectors".to_owned(),
            format!("generated={}", generated.display()),
            format!("input={}", input.display()),
            format!("output={}", output.display()),
        ],
    )
    .await;
    let answers = std::fs::read_to_string(&output).unwrap();
    let answers: Vec<&str> = answers.lines().collect();
    assert_eq!(answers.len(), vectors.len(), "one answer per vector");
    let mut decoded = 0;
    let mut differences = Vec::new();
    for (vector, answer) in vectors.iter().zip(answers) {
        let plan = schema.message(&vector.class_path).unwrap();
        let descriptor = pool.get_message_by_name(&plan.proto_name).unwrap();
        let context = format!("{} {}", vector.class_path, hex(&vector.bytes));
        let Ok(theirs) = DynamicMessage::decode(descriptor.clone(), vector.bytes.as_slice()) else {
            if answer != "ERR" {
                differences.push(format!("prost refuses {context}\n  engine: {answer}"));
            }
            continue;
        };
        let value = from_dynamic(schema, &theirs, &vector.class_path);
        if holds_nul(&value) {
            // A Godot String cannot hold U+0000, so the generated code refuses such a packet.
            if answer != "ERR" {
                differences.push(format!("{context} holds U+0000\n  engine: {answer}"));
            }
            continue;
        }
        let canonical = to_dynamic(schema, &value, &descriptor).encode_to_vec();
        let expected = format!("OK {} {}", hex(&canonical), dump(schema, &value));
        if answer != expected {
            differences.push(format!(
                "prost decodes {context}\n  prost:  {expected}\n  engine: {answer}"
            ));
            continue;
        }
        // The engine's own bytes, read back by prost, hold the same values.
        let again = DynamicMessage::decode(descriptor, canonical.as_slice()).unwrap();
        assert_eq!(from_dynamic(schema, &again, &vector.class_path), value);
        decoded += 1;
    }
    assert!(
        differences.is_empty(),
        "{} of {} vectors differ:\n{}",
        differences.len(),
        vectors.len(),
        differences.join("\n")
    );
    decoded
}

/// Whether a string anywhere in `message` holds U+0000.
fn holds_nul(message: &MessageValue) -> bool {
    fn value_holds_nul(value: &Value) -> bool {
        match value {
            Value::Str(text) => text.contains('\0'),
            Value::Message(inner) => holds_nul(inner),
            Value::List(items) => items.iter().any(value_holds_nul),
            _ => false,
        }
    }
    message.fields.values().any(value_holds_nul)
}

/// Damages `bytes` the way a broken or hostile sender might: a changed, dropped or added byte.
fn damaged(rng: &mut Rng, mut bytes: Vec<u8>) -> Vec<u8> {
    for _ in 0..=rng.below(2) {
        let at = if bytes.is_empty() {
            0
        } else {
            rng.below(bytes.len())
        };
        match rng.below(4) {
            0 if !bytes.is_empty() => bytes[at] = rng.byte(),
            1 => bytes.truncate(at),
            2 => bytes.insert(at, rng.byte()),
            _ => bytes.push(rng.byte()),
        }
    }
    bytes
}

/// Unknown fields of every wire type (field 200, which no schema uses), as a newer sender's.
const UNKNOWN_FIELDS: [&[u8]; 5] = [
    &[0xC0, 0x0C, 0x96, 0x01],
    &[0xC1, 0x0C, 1, 2, 3, 4, 5, 6, 7, 8],
    &[0xC2, 0x0C, 0x03, b'a', b'b', b'c'],
    &[0xC5, 0x0C, 1, 2, 3, 4],
    &[0xC3, 0x0C, 0x08, 0x01, 0xC4, 0x0C],
];

fn chat(sender_id: u64, text: &str) -> Packet {
    Packet {
        sender_id,
        msg: Some(Msg::Chat(ChatMessage { msg: text.into() })),
    }
}

/// Hand-picked packets, built with the server's own prost types: every member of the oneof,
/// 64-bit IDs, and the strings that have tripped decoders.
fn edge_packets() -> Vec<Packet> {
    let texts = [
        String::new(),
        "\u{FEFF}hello".to_owned(),
        "\u{FEFF}".to_owned(),
        "\u{FEFF}\u{FEFF}two marks".to_owned(),
        "inner \u{FEFF} mark".to_owned(),
        "héllo wörld 日本語 🎮 𝄞 ж".to_owned(),
        "[b]not bold[/b] tab\tand\nnewline".to_owned(),
        "a".repeat(100_000),
        "語🎮".repeat(10_000),
    ];
    let ids = [0, 1, 127, 128, (1 << 53) - 1, 1 << 53, 1 << 63, u64::MAX];
    let mut packets: Vec<Packet> = Vec::new();
    for (index, text) in texts.iter().enumerate() {
        packets.push(chat(ids[index % ids.len()], text));
        packets.push(Packet {
            sender_id: 0,
            msg: Some(Msg::DenyResponse(DenyResponseMessage {
                reason: text.clone(),
            })),
        });
    }
    for id in ids {
        packets.push(Packet {
            sender_id: id,
            msg: Some(Msg::Id(IdMessage { id })),
        });
    }
    let members = vec![
        Member {
            id: u64::MAX,
            name: "\u{FEFF}zoë".into(),
        },
        Member {
            id: 1,
            name: String::new(),
        },
        Member::default(),
    ];
    let history = vec![
        ChatLine {
            sender_id: 1 << 53,
            msg: "\u{FEFF}first".into(),
            sent_at_ms: 1_767_225_600_000,
            sender_name: "名前".into(),
        },
        ChatLine {
            sender_id: 2,
            msg: String::new(),
            sent_at_ms: -1,
            sender_name: String::new(),
        },
        ChatLine {
            sent_at_ms: i64::MIN,
            ..ChatLine::default()
        },
    ];
    let members_msg = [
        Msg::LoginRequest(LoginRequestMessage {
            username: "zoë".into(),
            password: "pässwörd 🔑".into(),
        }),
        Msg::RegisterRequest(RegisterRequestMessage {
            username: "u".into(),
            password: String::new(),
            color: -1,
        }),
        Msg::RegisterRequest(RegisterRequestMessage {
            username: String::new(),
            password: "p".into(),
            color: i32::MIN,
        }),
        Msg::OkResponse(OkResponseMessage {}),
        Msg::Disconnect(DisconnectMessage {
            reason: "connection lost".into(),
        }),
        Msg::Disconnect(DisconnectMessage::default()),
        Msg::JoinRoom(JoinRoomMessage::default()),
        Msg::JoinRoom(JoinRoomMessage {
            room: "Zimmer-1_ж.語".into(),
        }),
        Msg::Room(RoomMessage {
            room: "lobby".into(),
            members,
            history,
            member_count: 3,
            members_partial: true,
        }),
        Msg::Room(RoomMessage::default()),
        Msg::Presence(PresenceMessage {
            joined: true,
            room: "lobby".into(),
            name: String::new(),
        }),
        Msg::Presence(PresenceMessage {
            joined: false,
            room: "r".into(),
            name: "\u{FEFF}n".into(),
        }),
        Msg::RoomListRequest(RoomListRequestMessage {}),
        Msg::RoomList(RoomListMessage {
            rooms: vec![
                RoomInfo {
                    name: "lobby".into(),
                    members: u32::MAX,
                },
                RoomInfo::default(),
            ],
        }),
        Msg::RoomList(RoomListMessage::default()),
    ];
    for (index, msg) in members_msg.into_iter().enumerate() {
        packets.push(Packet {
            sender_id: ids[index % ids.len()],
            msg: Some(msg),
        });
    }
    packets.push(Packet::default());
    packets
}

#[tokio::test]
#[ignore = "needs godot3-server; scripts/check-godot installs it and runs these"]
async fn packets_from_prost_decode_and_reencode_alike_in_godot() {
    let scratch = Scratch::new("engine-packets");
    let root = mmo_gdgen::workspace_root();
    let generated = generate3(&scratch, &root.join("proto"), "packets3.gd");
    let (schema, pool) = load(&root.join("proto"), "packets.proto");
    let mut vectors = Vec::new();
    let mut push = |bytes: Vec<u8>| {
        vectors.push(Vector {
            class_path: "Packet".to_owned(),
            bytes,
        });
    };
    let edges = edge_packets();
    for packet in &edges {
        let bytes = packet.encode_to_vec();
        for unknown in UNKNOWN_FIELDS {
            push([unknown, &bytes[..], unknown].concat());
        }
        push(bytes);
    }
    // The issue's vector: chat "\u{FEFF}hello" as a client sends it.
    push(vec![
        0x12, 0x0a, 0x0a, 0x08, 0xef, 0xbb, 0xbf, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
    ]);
    // An unknown field inside a known message: ChatMessage{msg:"hi", 9: 1}.
    push(vec![0x12, 0x06, 0x0a, 0x02, b'h', b'i', 0x48, 0x01]);
    // Malformed: invalid UTF-8 (a lone continuation byte, an overlong '/', a surrogate, past
    // U+10FFFF, a five-byte sequence, a cut sequence; U+0000, valid but not for Godot), a
    // stray 0x0A (the tutorial server's), a key of field 0, wire
    // types 6 and 7, sender_id as LEN, an 11-byte varint, a length past the end.
    for bad in [
        &[0x12, 0x03, 0x0a, 0x01, 0x80][..],
        &[0x12, 0x04, 0x0a, 0x02, 0xC0, 0xAF],
        &[0x12, 0x05, 0x0a, 0x03, 0xED, 0xA0, 0x80],
        &[0x12, 0x06, 0x0a, 0x04, 0xF4, 0x90, 0x80, 0x80],
        &[0x12, 0x07, 0x0a, 0x05, 0xF8, 0x88, 0x80, 0x80, 0x80],
        &[0x12, 0x05, 0x0a, 0x03, b'a', 0x00, b'b'],
        &[0x12, 0x04, 0x0a, 0x02, 0xE6, 0x97],
        &[0x08, 0x01, 0x0a],
        &[0x00, 0x01],
        &[0x0E, 0x01],
        &[0x0F, 0x01],
        &[0x0A, 0x00],
        &[
            0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01,
        ],
        &[0x12, 0x05, 0x0a, 0x01],
    ] {
        push(bad.to_vec());
    }
    let mut rng = Rng::new(10);
    for _ in 0..400 {
        let message = random_message(&mut rng, &schema, "Packet", 3);
        let descriptor = pool.get_message_by_name("packets.Packet").unwrap();
        let bytes = to_dynamic(&schema, &message, &descriptor).encode_to_vec();
        // prost-reflect and the server's prost-derive types encode alike.
        assert_eq!(
            Packet::decode(bytes.as_slice()).unwrap().encode_to_vec(),
            bytes
        );
        push(damaged(&mut rng, bytes.clone()));
        push(bytes);
    }
    let total = vectors.len();
    let decoded = check_in_engine(&scratch, &generated, &schema, &pool, &vectors).await;
    assert!(
        decoded > total / 2 && decoded < total,
        "{decoded} of {total} decoded"
    );
    println!("{total} packets through the engine, {decoded} decoded, the rest refused like prost");
}

#[tokio::test]
#[ignore = "needs godot3-server; scripts/check-godot installs it and runs these"]
async fn all_types_from_prost_decode_and_reencode_alike_in_godot() {
    let scratch = Scratch::new("engine-all-types");
    let proto = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/proto");
    let generated = generate3(&scratch, &proto, "all_types3.gd");
    let (schema, pool) = load(&proto, "all_types.proto");
    let mut vectors = Vec::new();
    let mut rng = Rng::new(20);
    for _ in 0..600 {
        let class_path = rng.pick(&["Everything", "Scalars", "Repeated", "TreeMessage"]);
        let message = random_message(&mut rng, &schema, class_path, 3);
        let descriptor = pool
            .get_message_by_name(&schema.message(class_path).unwrap().proto_name)
            .unwrap();
        let bytes = to_dynamic(&schema, &message, &descriptor).encode_to_vec();
        for bytes in [damaged(&mut rng, bytes.clone()), bytes] {
            vectors.push(Vector {
                class_path: class_path.to_owned(),
                bytes,
            });
        }
    }
    // `[packed = false]` fields: one key per value on the way in, and so on the way out.
    vectors.push(Vector {
        class_path: "Repeated".to_owned(),
        bytes: vec![0x90, 0x01, 0x01, 0x90, 0x01, 0xAC, 0x02],
    });
    let total = vectors.len();
    let decoded = check_in_engine(&scratch, &generated, &schema, &pool, &vectors).await;
    assert!(
        decoded > total / 2 && decoded < total,
        "{decoded} of {total} decoded"
    );
    println!("{total} all-types messages through the engine, {decoded} decoded");
}

#[tokio::test]
#[ignore = "needs godot3-server; scripts/check-godot installs it and runs these"]
async fn every_class_of_the_engine_is_a_name_the_generator_avoids() {
    let scratch = Scratch::new("engine-classes");
    // Any generated file loads; the driver only needs one to start.
    let generated = generate3(
        &scratch,
        &mmo_gdgen::workspace_root().join("proto"),
        "p3.gd",
    );
    let output = scratch.path("classes.txt");
    run_driver(
        &scratch,
        &[
            "classes".to_owned(),
            format!("generated={}", generated.display()),
            format!("output={}", output.display()),
        ],
    )
    .await;
    let classes = std::fs::read_to_string(&output).unwrap();
    let classes: Vec<&str> = classes.lines().collect();
    assert!(classes.len() > 500, "{} classes", classes.len());
    // Godot 3 registers some singletons as `_File`, `_OS`, ... and scripts see them as `File`.
    let missing: Vec<&str> = classes
        .iter()
        .map(|class| class.trim_start_matches('_'))
        .filter(|class| !names::is_taken_type_name(class))
        .collect();
    assert!(
        missing.is_empty(),
        "add to [engine-classes] in src/godot_names.txt: {missing:?}"
    );
}

#[tokio::test]
#[ignore = "needs godot3-server; scripts/check-godot installs it and runs these"]
async fn godot_clients_chat_through_the_live_server() {
    let scratch = Scratch::new("engine-live");
    let generated = generate3(
        &scratch,
        &mmo_gdgen::workspace_root().join("proto"),
        "p3.gd",
    );
    let listener = mmo_server::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(mmo_server::run(
        listener,
        mmo_server::Config::default(),
        async {
            let _ = stopped.await;
        },
    ));
    let stdout = run_driver(
        &scratch,
        &[
            "live".to_owned(),
            format!("generated={}", generated.display()),
            format!("url=ws://{address}/ws"),
        ],
    )
    .await;
    let _ = stop.send(());
    tokio::time::timeout(WAIT, server)
        .await
        .expect("the server stops in time")
        .unwrap()
        .unwrap();
    let reports: Vec<&str> = stdout
        .lines()
        .filter(|line| line.starts_with("LIVE "))
        .collect();
    assert_eq!(reports.len(), 2, "{stdout}");
    println!("{}", reports.join("\n"));
}

/// The Godot client's engine-free script `godot/NAME.gd`, translated to Godot 3 into `scratch`.
fn client_script3(scratch: &Scratch, name: &str) -> PathBuf {
    let source = mmo_gdgen::workspace_root().join(format!("godot/{name}.gd"));
    let text = std::fs::read_to_string(&source).unwrap();
    let path = scratch.path(&format!("{name}3.gd"));
    std::fs::write(&path, mmo_gdgen::godot3::translate(&text).unwrap()).unwrap();
    path
}

#[tokio::test]
#[ignore = "needs godot3-server; scripts/check-godot installs it and runs these"]
async fn the_clients_commands_and_member_list_work_in_godot() {
    let scratch = Scratch::new("engine-client");
    // (step, the answer it must give, if any)
    let steps: [(&str, Option<&str>); 26] = [
        ("parse hello", Some("CHAT ")),
        ("parse   /not a command but spaced", Some("INVALID ")),
        ("parse /join games", Some("JOIN games")),
        ("parse /join", Some("JOIN ")),
        ("parse  /join   Zimmer-1  ", Some("JOIN Zimmer-1")),
        ("parse /join two words", Some("INVALID ")),
        ("parse /rooms", Some("ROOMS ")),
        ("parse /rooms now", Some("INVALID ")),
        ("parse /who", Some("WHO ")),
        ("parse /whois", Some("INVALID ")),
        ("parse /", Some("INVALID ")),
        ("parse a /join b", Some("CHAT ")),
        ("members", Some("|")),
        ("enter lobby 3: 5:zoë 9:", None),
        ("members", Some("lobby|Client 3|zoë|Client 9")),
        ("add 12", None),
        ("add 5 zoë", None),
        ("add 3 renamed", None),
        ("remove 9", None),
        ("remove 77", None),
        ("members", Some("lobby|renamed|zoë|Client 12")),
        ("name_of 5", Some("zoë")),
        ("name_of 40", Some("Client 40")),
        ("enter games 7:", None),
        ("members", Some("games|Client 7")),
        ("name_of 5", Some("Client 5")),
    ];
    run_client_steps(&scratch, &["room_state", "chat_command"], &steps).await;
}

/// Runs `steps` through the driver's client mode with the client's `scripts` loaded, and
/// checks every answer.
async fn run_client_steps(scratch: &Scratch, scripts: &[&str], steps: &[(&str, Option<&str>)]) {
    run_client_steps_with(scratch, scripts, None, steps).await;
}

/// [`run_client_steps`] with the generated Godot 3 `packets` loaded too (for world packets).
async fn run_client_steps_with(
    scratch: &Scratch,
    scripts: &[&str],
    packets: Option<&Path>,
    steps: &[(&str, Option<&str>)],
) {
    let input = scratch.path("steps.txt");
    let output = scratch.path("answers.txt");
    let lines: Vec<String> = steps.iter().map(|(step, _)| format!("{step}\n")).collect();
    std::fs::write(&input, lines.concat()).unwrap();
    let mut args = vec!["client".to_owned()];
    if let Some(packets) = packets {
        args.push(format!("generated={}", packets.display()));
    }
    for name in scripts {
        let path = client_script3(scratch, name);
        args.push(format!("{name}={}", path.display()));
    }
    args.push(format!("input={}", input.display()));
    args.push(format!("output={}", output.display()));
    run_driver(scratch, &args).await;
    let answers = std::fs::read_to_string(&output).unwrap();
    let asked: Vec<&str> = steps
        .iter()
        .filter(|(_, answer)| answer.is_some())
        .map(|(step, _)| *step)
        .collect();
    let expected: Vec<&str> = steps.iter().filter_map(|(_, answer)| *answer).collect();
    let answers: Vec<&str> = answers.lines().collect();
    assert_eq!(answers.len(), expected.len(), "{answers:#?}");
    for ((step, answer), expected) in asked.iter().zip(&answers).zip(&expected) {
        assert_eq!(answer, expected, "step `{step}`");
    }
}

#[tokio::test]
#[ignore = "needs godot3-server; scripts/check-godot installs it and runs these"]
async fn the_clients_names_and_presence_lines_work_in_godot() {
    let scratch = Scratch::new("engine-names");
    let steps: [(&str, Option<&str>); 16] = [
        ("own 4", None),
        ("enter lobby 3: 4: 9:bo", None),
        ("members", Some("lobby|Client 3|Client 4 (you)|bo")),
        ("speaker 4", Some("You")),
        ("speaker 3", Some("Client 3")),
        ("speaker 9", Some("bo")),
        // A history line keeps the name it was said under.
        ("speaker 9 robert", Some("robert")),
        ("presence 12 joined", Some("Client 12 joined")),
        // A join for an ID already listed is a rename (behaviour 8), not a second member.
        ("presence 3 joined zoë", Some("Client 3 is now zoë")),
        ("presence 3 joined zoë", Some("-")),
        ("speaker 3", Some("zoë")),
        ("presence 9 left bo", Some("bo left")),
        ("presence 9 left bo", Some("-")),
        ("presence 77 left", Some("-")),
        ("members", Some("lobby|zoë|Client 4 (you)|Client 12")),
        ("name_of 12", Some("Client 12")),
    ];
    run_client_steps(&scratch, &["room_state"], &steps).await;
}

#[tokio::test]
#[ignore = "needs godot3-server; scripts/check-godot installs it and runs these"]
async fn the_clients_server_url_and_status_work_in_godot() {
    let scratch = Scratch::new("engine-status");
    let hint = "(the server's WebSocket is at /ws)";
    let no_path = format!(
        "ws://h:8080/ws|True|http://h:8080/api/status|Could not connect to ws://h:8080 {hint}"
    );
    let slash = format!(
        "ws://h:8080/ws|True|http://h:8080/api/status|Could not connect to ws://h:8080/ {hint}"
    );
    let other =
        format!("ws://h/chat|False|http://h/api/status|Could not connect to ws://h/chat {hint}");
    let query = format!(
        "ws://h:1/ws?x=1|True|http://h:1/api/status|Could not connect to ws://h:1?x=1 {hint}"
    );
    let steps: Vec<(&str, Option<&str>)> = vec![
        ("url ws://h:8080", Some(&no_path)),
        ("url ws://h:8080/", Some(&slash)),
        (
            "url ws://localhost:8080/ws",
            Some(
                "ws://localhost:8080/ws|False|http://localhost:8080/api/status|Could not connect to ws://localhost:8080/ws",
            ),
        ),
        (
            "url wss://example.com/game/ws",
            Some(
                "wss://example.com/game/ws|False|https://example.com/game/api/status|Could not connect to wss://example.com/game/ws",
            ),
        ),
        (
            "url ws://[::1]:8080/ws",
            Some(
                "ws://[::1]:8080/ws|False|http://[::1]:8080/api/status|Could not connect to ws://[::1]:8080/ws",
            ),
        ),
        ("url ws://h/chat", Some(&other)),
        ("url ws://h:1?x=1", Some(&query)),
        (
            "url http://h/ws",
            Some("http://h/ws|False||Could not connect to http://h/ws"),
        ),
        // No answer at all, or one from before a field existed: the defaults, no accounts.
        (
            "status -",
            Some("500 2000 accounts=False require=False available=True known=False"),
        ),
        (
            "status {\"clients\":1}",
            Some("500 2000 accounts=False require=False available=True known=True"),
        ),
        (
            "status {\"limits\":{\"max_chat_chars\":120,\"max_chat_bytes\":480}}",
            Some("120 480 accounts=False require=False available=True known=True"),
        ),
        (
            "status {\"limits\":{\"max_chat_chars\":0,\"max_chat_bytes\":\"9\"},\"accounts\":{\"enabled\":true,\"require_login\":true,\"available\":false}}",
            Some("500 2000 accounts=True require=True available=False known=True"),
        ),
        (
            "status {\"accounts\":{\"enabled\":false,\"require_login\":true}}",
            Some("500 2000 accounts=False require=False available=True known=True"),
        ),
        (
            "status [1,2]",
            Some("500 2000 accounts=False require=False available=True known=False"),
        ),
    ];
    run_client_steps(&scratch, &["server_url", "server_status"], &steps).await;
}

#[tokio::test]
#[ignore = "needs godot3-server; scripts/check-godot installs it and runs these"]
async fn the_clients_flow_goes_from_connecting_to_chatting_in_godot() {
    let scratch = Scratch::new("engine-flow");
    // Answers: ACTION STATE|username|notice|waiting|guest_allowed.
    let steps: &[(&str, Option<&str>)] = &[
        // No accounts: straight to chat once both the ID and the status are in, in any order.
        ("flow connecting", Some("- CONNECTING|||False|True")),
        ("flow status 0 0", Some("NONE CONNECTING|||False|True")),
        ("flow id", Some("ENTER_CHAT CHATTING|||False|True")),
        ("flow closed 1006", Some("NONE CONNECTING|||False|True")),
        ("flow id", Some("NONE CONNECTING|||False|True")),
        // Accounts: the login screen; an empty field is asked for, not sent.
        (
            "flow status 1 0",
            Some("SHOW_LOGIN LOGGING_IN|||False|True"),
        ),
        (
            "flow log_in zoë",
            Some("SHOW_LOGIN LOGGING_IN||Enter a username and a password|False|True"),
        ),
        (
            "flow log_in zoë pw",
            Some("SEND_LOGIN LOGGING_IN|zoë||True|True"),
        ),
        // One request at a time.
        (
            "flow register zoë pw",
            Some("NONE LOGGING_IN|zoë||True|True"),
        ),
        (
            "flow deny wrong username or password",
            Some("SHOW_LOGIN LOGGING_IN||wrong username or password|False|True"),
        ),
        // Registering, then the login that follows it, then the chat.
        (
            "flow register zoë pw",
            Some("SEND_REGISTER LOGGING_IN|zoë||True|True"),
        ),
        ("flow ok", Some("SEND_LOGIN LOGGING_IN|zoë||True|True")),
        ("flow ok", Some("ENTER_CHAT CHATTING|zoë||False|True")),
        // A refused chat line is not the flow's.
        ("flow deny too fast", Some("NONE CHATTING|zoë||False|True")),
        ("flow ok", Some("NONE CHATTING|zoë||False|True")),
        // After a reconnect it logs in again by itself.
        ("flow closed 1006", Some("NONE CONNECTING|zoë||False|True")),
        ("flow connecting", Some("- CONNECTING|zoë||False|True")),
        ("flow id", Some("NONE CONNECTING|zoë||False|True")),
        (
            "flow status 1 1",
            Some("SEND_LOGIN LOGGING_IN|zoë||True|False"),
        ),
        ("flow ok", Some("ENTER_CHAT CHATTING|zoë||False|False")),
        // Logged in elsewhere (1008): the account is forgotten, the player asked again.
        ("flow closed 1008", Some("NONE CONNECTING|||False|False")),
        ("flow id", Some("NONE CONNECTING|||False|False")),
        (
            "flow status 1 1",
            Some("SHOW_LOGIN LOGGING_IN|||False|False"),
        ),
        (
            "flow guest",
            Some("SHOW_LOGIN LOGGING_IN||This server asks every player to log in|False|False"),
        ),
        // Guests allowed: the guest stays a guest across reconnects.
        (
            "flow closed 1006",
            Some("NONE CONNECTING||This server asks every player to log in|False|False"),
        ),
        (
            "flow status 1 0",
            Some("NONE CONNECTING||This server asks every player to log in|False|True"),
        ),
        (
            "flow id",
            Some("SHOW_LOGIN LOGGING_IN||This server asks every player to log in|False|True"),
        ),
        ("flow guest", Some("ENTER_CHAT CHATTING|||False|True")),
        ("flow closed 1006", Some("NONE CONNECTING|||False|True")),
        ("flow id", Some("NONE CONNECTING|||False|True")),
        ("flow status 1 0", Some("ENTER_CHAT CHATTING|||False|True")),
        // Logging out closes the connection and, once closed, opens a fresh one, which asks
        // for a login: a guest is not one any more.
        ("flow log_out", Some("CLOSE CHATTING|||False|True")),
        (
            "flow closed 1000",
            Some("RECONNECT CONNECTING|||False|True"),
        ),
        ("flow id", Some("NONE CONNECTING|||False|True")),
        (
            "flow status 1 0",
            Some("SHOW_LOGIN LOGGING_IN|||False|True"),
        ),
        ("flow log_out", Some("NONE LOGGING_IN|||False|True")),
        // Nor is an account: its password is forgotten, and a later drop does not reconnect
        // at once (the socket's own backoff does).
        (
            "flow log_in zoë pw",
            Some("SEND_LOGIN LOGGING_IN|zoë||True|True"),
        ),
        ("flow ok", Some("ENTER_CHAT CHATTING|zoë||False|True")),
        ("flow log_out", Some("CLOSE CHATTING|||False|True")),
        (
            "flow closed 1000",
            Some("RECONNECT CONNECTING|||False|True"),
        ),
        ("flow closed 1006", Some("NONE CONNECTING|||False|True")),
        ("flow id", Some("NONE CONNECTING|||False|True")),
        (
            "flow status 1 0",
            Some("SHOW_LOGIN LOGGING_IN|||False|True"),
        ),
    ];
    run_client_steps(&scratch, &["client_flow"], steps).await;
}

#[tokio::test]
#[ignore = "needs godot3-server; scripts/check-godot installs it and runs these"]
async fn the_clients_flow_reaches_the_chat_through_the_live_server() {
    let scratch = Scratch::new("engine-flow-live");
    let generated = generate3(
        &scratch,
        &mmo_gdgen::workspace_root().join("proto"),
        "p3.gd",
    );
    let listener = mmo_server::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    // Limits other than the defaults, which the client must learn from /api/status.
    let config = mmo_server::Config {
        max_chat_chars: 123,
        max_chat_bytes: 456,
        ..mmo_server::Config::default()
    };
    let server = tokio::spawn(mmo_server::run(listener, config, async {
        let _ = stopped.await;
    }));
    let mut args = vec![
        "flow".to_owned(),
        format!("generated={}", generated.display()),
    ];
    for name in ["client_flow", "room_state", "server_url", "server_status"] {
        let path = client_script3(&scratch, name);
        args.push(format!("{name}={}", path.display()));
    }
    // No path: the client adds the server's /ws.
    args.push(format!("url=ws://{address}"));
    let stdout = run_driver(&scratch, &args).await;
    let _ = stop.send(());
    tokio::time::timeout(WAIT, server)
        .await
        .expect("the server stops in time")
        .unwrap()
        .unwrap();
    let reports: Vec<&str> = stdout
        .lines()
        .filter(|line| line.starts_with("FLOW "))
        .collect();
    println!("{}", reports.join("\n"));
    assert!(
        reports
            .iter()
            .any(|line| line.starts_with("FLOW status 123 456 ")),
        "{stdout}"
    );
    let failed = format!(
        "FLOW failed Could not connect to ws://{address}/chat (the server's WebSocket is at /ws)"
    );
    assert!(reports.contains(&failed.as_str()), "{stdout}");
    assert!(
        reports
            .iter()
            .any(|line| line.starts_with("FLOW A state=CHATTING")),
        "{stdout}"
    );
    assert!(
        reports
            .iter()
            .any(|line| line.starts_with("FLOW B state=CHATTING")),
        "{stdout}"
    );
}

/// A `Packet` holding `msg`, as the hex a `world` step of the driver reads.
fn world_step(msg: Msg, drawn: &str) -> String {
    let packet = Packet {
        sender_id: 0,
        msg: Some(msg),
    };
    format!("world {} {drawn}", hex(&packet.encode_to_vec()))
}

fn world_player(id: u64, name: &str, x: i32, y: i32, radius: u32, color: i32) -> WorldPlayer {
    WorldPlayer {
        id,
        name: name.into(),
        x,
        y,
        radius,
        color,
        vx: 0,
        vy: 0,
    }
}

#[tokio::test]
#[ignore = "needs godot3-server; scripts/check-godot installs it and runs these"]
async fn the_clients_world_state_applies_updates_in_order_in_godot() {
    let scratch = Scratch::new("engine-world");
    let generated = generate3(
        &scratch,
        &mmo_gdgen::workspace_root().join("proto"),
        "p3.gd",
    );
    let entered = world_step(
        Msg::WorldEntered(WorldEnteredMessage {
            room: "lobby".into(),
            player_id: 7,
            tick_rate: 20,
            position_scale: 8,
            extrapolating: false,
        }),
        "0",
    );
    let update = |message: WorldUpdateMessage, drawn: &str| {
        world_step(Msg::WorldUpdate(Box::new(message)), drawn)
    };
    // Three players and two spores come into view, with the own state and the leaderboard.
    let first = update(
        WorldUpdateMessage {
            tick: 1,
            players_entered: vec![
                world_player(7, "zoë", 80, -16, 160, 0x3366_99ff),
                world_player(9, "", 800, 800, 240, 0),
                world_player(12, "bo", 1600, 0, 160, -1),
            ],
            spores_entered: vec![
                WorldSpore {
                    id: 3,
                    x: 40,
                    y: 40,
                    radius: 80,
                },
                WorldSpore {
                    id: 4,
                    x: -400,
                    y: 8,
                    radius: 60,
                },
            ],
            own: Some(WorldOwnState {
                score: 1257,
                best_score: 3000,
                view_half_width: 800,
                view_half_height: 450,
            }),
            leaderboard: Some(WorldLeaderboard {
                entries: vec![
                    WorldLeaderboardEntry {
                        player_id: 9,
                        name: String::new(),
                        score: 5000,
                    },
                    WorldLeaderboardEntry {
                        player_id: 7,
                        name: "zoë".into(),
                        score: 1257,
                    },
                ],
                players: 3,
            }),
            ..WorldUpdateMessage::default()
        },
        "0",
    );
    // 7 and 9 move (IDs delta-coded: 7, then 9 as 7 + 2), 12 grows.
    let second = update(
        WorldUpdateMessage {
            tick: 2,
            moved_ids: vec![7, 2],
            moved_xy: vec![8, -8, -16, 0],
            resized_ids: vec![12],
            resized_radii: vec![200],
            ..WorldUpdateMessage::default()
        },
        "1",
    );
    // An update that comes half a tick early: everything starts from where it was drawn.
    let early = update(
        WorldUpdateMessage {
            tick: 3,
            moved_ids: vec![7],
            moved_xy: vec![8, 0],
            ..WorldUpdateMessage::default()
        },
        "0.5",
    );
    // Leaves, then eats (the own player by 9, spore 3 by 12, which also left this tick: the
    // eat comes after the leave, and 12's spore is still known), then the own player's respawn
    // far away, a resize, and the new own state.
    let eaten = update(
        WorldUpdateMessage {
            tick: 4,
            players_left: vec![12],
            spores_left: vec![4],
            eaten: vec![
                WorldEat {
                    eater_id: 9,
                    player_id: 7,
                    spore_id: 0,
                },
                WorldEat {
                    eater_id: 12,
                    player_id: 0,
                    spore_id: 3,
                },
            ],
            players_entered: vec![world_player(7, "zoë", -8000, 8000, 160, 0x3366_99ff)],
            resized_ids: vec![9],
            resized_radii: vec![260],
            own: Some(WorldOwnState {
                score: 1257,
                best_score: 3000,
                view_half_width: 900,
                view_half_height: 506,
            }),
            ..WorldUpdateMessage::default()
        },
        "1",
    );
    // A move of an ID not in view (a bug elsewhere) is skipped, and the pairs stay aligned.
    let stray = update(
        WorldUpdateMessage {
            tick: 5,
            moved_ids: vec![5, 4],
            moved_xy: vec![100, 100, 8, 8],
            ..WorldUpdateMessage::default()
        },
        "1",
    );
    let steps: Vec<(String, Option<&str>)> = vec![
        (entered.clone(), None),
        ("ticks_since 0.025".into(), Some("0.500")),
        ("ticks_since 0.5".into(), Some("10.000")),
        ("ticks_since -1".into(), Some("0.000")),
        (first, None),
        (
            "world_dump".into(),
            Some(
                "tick=1 own=7 score=1257 best=3000 view=800,450 in_world=3 eaten_by=0 \
                 leaders=9::5000,7:zoë:1257 \
                 players=7:zoë:862362111@80,-16/160;9::0@800,800/240;12:bo:-1@1600,0/160 \
                 spores=3@40,40/80;4@-400,8/60",
            ),
        ),
        ("world_at 7 0".into(), Some("10.000,-2.000/20.000")),
        (second, None),
        ("world_at 7 0".into(), Some("10.000,-2.000/20.000")),
        ("world_at 7 0.5".into(), Some("10.500,-2.500/20.000")),
        ("world_at 7 1".into(), Some("11.000,-3.000/20.000")),
        ("world_at 9 1".into(), Some("98.000,100.000/30.000")),
        ("world_at 12 0.5".into(), Some("200.000,0.000/22.500")),
        (early, None),
        ("world_at 7 0".into(), Some("10.500,-2.500/20.000")),
        ("world_at 7 1".into(), Some("12.000,-3.000/20.000")),
        // 9 did not move this time: it glides on from where it was drawn to where it is.
        ("world_at 9 0".into(), Some("99.000,100.000/30.000")),
        ("world_at 9 1".into(), Some("98.000,100.000/30.000")),
        ("world_at 12 0".into(), Some("200.000,0.000/22.500")),
        ("world_at 12 1".into(), Some("200.000,0.000/25.000")),
        ("world_eats".into(), Some("")),
        (eaten, None),
        (
            "world_eats".into(),
            Some("9>7/0@12.000,-3.000/20.000 12>0/3@5.000,5.000/10.000"),
        ),
        ("world_eats".into(), Some("")),
        // The respawned player enters afresh where it is: no glide across the map.
        ("world_at 7 0".into(), Some("-1000.000,1000.000/20.000")),
        ("world_at 12 1".into(), Some("-")),
        (
            "world_dump".into(),
            Some(
                "tick=4 own=7 score=1257 best=3000 view=900,506 in_world=3 eaten_by=9 \
                 leaders=9::5000,7:zoë:1257 \
                 players=7:zoë:862362111@-8000,8000/160;9::0@784,800/260 spores=",
            ),
        ),
        (stray, None),
        ("world_at 9 1".into(), Some("99.000,101.000/32.500")),
        // Entering a world again starts from nothing.
        (entered, None),
        (
            "world_dump".into(),
            Some(
                "tick=0 own=7 score=0 best=0 view=800,450 in_world=0 eaten_by=0 leaders= players= spores=",
            ),
        ),
    ];
    let steps: Vec<(&str, Option<&str>)> = steps
        .iter()
        .map(|(step, answer)| (step.as_str(), *answer))
        .collect();
    run_client_steps_with(&scratch, &["world_state"], Some(&generated), &steps).await;
}

/// A player entering an extrapolating client's view at (`x`, `y`) with velocity (`vx`, `vy`),
/// all in position units, radius 20 world units.
fn mover(id: u64, x: i32, y: i32, vx: i32, vy: i32) -> WorldPlayer {
    WorldPlayer {
        vx,
        vy,
        ..world_player(id, "", x, y, 160, 0)
    }
}

/// A `WorldEnteredMessage` for player 5, as a driver step.
fn entered_step(extrapolating: bool) -> String {
    world_step(
        Msg::WorldEntered(WorldEnteredMessage {
            room: "lobby".into(),
            player_id: 5,
            tick_rate: 20,
            position_scale: 8,
            extrapolating,
        }),
        "0",
    )
}

#[tokio::test]
#[ignore = "needs godot3-server; scripts/check-godot installs it and runs these"]
async fn the_clients_world_state_follows_extrapolated_updates_in_godot() {
    let scratch = Scratch::new("engine-world-extrapolated");
    let generated = generate3(
        &scratch,
        &mmo_gdgen::workspace_root().join("proto"),
        "p3.gd",
    );
    // `drawn`: how many ticks ago the previous update arrived.
    let update = |message: WorldUpdateMessage, drawn: &str| {
        world_step(Msg::WorldUpdate(Box::new(message)), drawn)
    };
    let velocities = |tick: u32, ids: Vec<u64>, xy: Vec<i32>| {
        update(
            WorldUpdateMessage {
                tick,
                velocity_ids: ids,
                velocity_xy: xy,
                ..WorldUpdateMessage::default()
            },
            "1",
        )
    };
    // Three players enter moving right, moving up, and standing still.
    let first = update(
        WorldUpdateMessage {
            tick: 100,
            players_entered: vec![
                mover(5, 0, 0, 8, 0),
                mover(9, 800, 0, 0, -4),
                mover(11, 0, 800, 0, 0),
            ],
            ..WorldUpdateMessage::default()
        },
        "0",
    );
    // Tick 103, three ticks after the last update: 9 stops and 11 starts (IDs 9, then 11 as
    // 9 + 2); ticks 101 and 102 sent nothing.
    let turned = world_step(
        Msg::WorldUpdate(Box::new(WorldUpdateMessage {
            tick: 103,
            velocity_ids: vec![9, 2],
            velocity_xy: vec![0, 0, -3, 5],
            ..WorldUpdateMessage::default()
        })),
        "3",
    );
    // Six ticks on, an update with no velocities in it (a spore came into view).
    let quiet = world_step(
        Msg::WorldUpdate(Box::new(WorldUpdateMessage {
            tick: 110,
            spores_entered: vec![WorldSpore {
                id: 1,
                x: 0,
                y: 0,
                radius: 80,
            }],
            ..WorldUpdateMessage::default()
        })),
        "6",
    );
    // 9 eats the own player, which respawns far away, standing; 7 comes into view; 9 turns.
    let eaten = update(
        WorldUpdateMessage {
            tick: 111,
            eaten: vec![WorldEat {
                eater_id: 9,
                player_id: 5,
                spore_id: 0,
            }],
            players_entered: vec![mover(5, 8000, 8000, 0, 0), mover(7, 50, 50, 4, 4)],
            velocity_ids: vec![9],
            velocity_xy: vec![-8, 0],
            ..WorldUpdateMessage::default()
        },
        "1",
    );
    // 9 leaves; a velocity for it in the same update names what is no longer held.
    let left = update(
        WorldUpdateMessage {
            tick: 112,
            players_left: vec![9],
            velocity_ids: vec![9],
            velocity_xy: vec![1, 1],
            ..WorldUpdateMessage::default()
        },
        "1",
    );
    let steps: Vec<(String, Option<&str>)> = vec![
        (entered_step(true), None),
        (first, None),
        ("world_held 5".into(), Some("0,0~8,0")),
        // Drawn where it is now: moved on by its velocity for the time since, in ticks.
        ("world_at 5 0".into(), Some("0.000,0.000/20.000")),
        ("world_at 5 0.5".into(), Some("0.500,0.000/20.000")),
        ("world_at 5 2".into(), Some("2.000,0.000/20.000")),
        ("world_at 11 2".into(), Some("0.000,100.000/20.000")),
        (turned, None),
        // Everyone made the moves of ticks 101 and 102, then this tick's: 9 and 11 by their new
        // velocities, 5 by its old one.
        ("world_held 5".into(), Some("24,0~8,0")),
        ("world_held 9".into(), Some("800,-8~0,0")),
        ("world_held 11".into(), Some("-3,805~-3,5")),
        // 5 was drawn right and goes on; 9 was drawn going on, to -12, and comes back to where
        // it stopped over one tick, never jumping.
        ("world_at 5 0".into(), Some("3.000,0.000/20.000")),
        ("world_at 5 0.5".into(), Some("3.500,0.000/20.000")),
        ("world_at 9 0".into(), Some("100.000,-1.500/20.000")),
        ("world_at 9 0.5".into(), Some("100.000,-1.250/20.000")),
        ("world_at 9 1".into(), Some("100.000,-1.000/20.000")),
        ("world_at 9 10".into(), Some("100.000,-1.000/20.000")),
        ("world_at 11 1".into(), Some("-0.750,101.250/20.000")),
        // The own player stops: (0, 0), and this tick it did not move.
        (velocities(104, vec![5], vec![0, 0]), None),
        ("world_held 5".into(), Some("24,0~0,0")),
        ("world_held 11".into(), Some("-6,810~-3,5")),
        ("world_at 5 10".into(), Some("3.000,0.000/20.000")),
        (quiet, None),
        ("world_held 5".into(), Some("24,0~0,0")),
        ("world_held 9".into(), Some("800,-8~0,0")),
        ("world_held 11".into(), Some("-24,840~-3,5")),
        ("world_eats".into(), Some("")),
        (eaten, None),
        // Entrants are where they are at this tick, and this tick moves only the others.
        ("world_held 5".into(), Some("8000,8000~0,0")),
        ("world_at 5 0".into(), Some("1000.000,1000.000/20.000")),
        ("world_held 7".into(), Some("50,50~4,4")),
        ("world_held 9".into(), Some("792,-8~-8,0")),
        ("world_eats".into(), Some("9>5/0@3.000,0.000/20.000")),
        (left, None),
        ("world_held 9".into(), Some("-")),
        ("world_held 7".into(), Some("54,54~4,4")),
        ("world_held 5".into(), Some("8000,8000~0,0")),
        // The tick number wraps at 2^32: from 4,294,967,294 to 1 is three ticks.
        (entered_step(true), None),
        (
            update(
                WorldUpdateMessage {
                    tick: u32::MAX - 1,
                    players_entered: vec![mover(5, 0, 0, 7, -3)],
                    ..WorldUpdateMessage::default()
                },
                "0",
            ),
            None,
        ),
        (velocities(1, vec![5], vec![1, 1]), None),
        ("world_held 5".into(), Some("15,-5~1,1")),
        // A server that does not extrapolate: entrants' velocities mean nothing, only moves move.
        (entered_step(false), None),
        (
            update(
                WorldUpdateMessage {
                    tick: 1,
                    players_entered: vec![mover(5, 0, 0, 8, 0)],
                    ..WorldUpdateMessage::default()
                },
                "0",
            ),
            None,
        ),
        (
            update(
                WorldUpdateMessage {
                    tick: 5,
                    moved_ids: vec![5],
                    moved_xy: vec![8, 0],
                    ..WorldUpdateMessage::default()
                },
                "1",
            ),
            None,
        ),
        ("world_held 5".into(), Some("8,0~0,0")),
        ("world_at 5 10".into(), Some("1.000,0.000/20.000")),
    ];
    let steps: Vec<(&str, Option<&str>)> = steps
        .iter()
        .map(|(step, answer)| (step.as_str(), *answer))
        .collect();
    run_client_steps_with(&scratch, &["world_state"], Some(&generated), &steps).await;
}

#[tokio::test]
#[ignore = "needs godot3-server; scripts/check-godot installs it and runs these"]
async fn the_clients_steering_game_flow_and_scores_work_in_godot() {
    let scratch = Scratch::new("engine-game");
    let steps: &[(&str, Option<&str>)] = &[
        // A direction goes out when it turns by more than about 1°, at most once a tick, and
        // not while the pointer sits on the player's centre.
        ("steer_reset 20", None),
        ("steer 100 0 0", Some("0.0000")),
        ("steer 100 1 10", Some("-")),
        ("steer 0 100 20", Some("-")),
        ("steer 0 100 50", Some("1.5708")),
        ("steer 1 1 60", Some("-")),
        ("steer -100 -0.0001 200", Some("-3.1416")),
        // Just across ±π is no turn at all.
        ("steer -100 0.0001 300", Some("-")),
        ("steer_reset 10", None),
        ("steer 0 100 0", Some("1.5708")),
        ("steer 100 0 90", Some("-")),
        ("steer 100 0 100", Some("0.0000")),
        // Answers: ACTION STATE|notice|search|left_world.
        ("game room", Some("ENTER_WORLD ENTERING|||False")),
        ("game room", Some("NONE ENTERING|||False")),
        ("game entered", Some("SHOW_GAME PLAYING|||False")),
        ("game hiscores", Some("OPEN_HISCORES HISCORES|||True")),
        ("game search", Some("NONE HISCORES|||True")),
        (
            "game search zoë",
            Some("SEARCH_HISCORES HISCORES||zoë|True"),
        ),
        (
            "game deny No player found with that name",
            Some("SHOW_NOTICE HISCORES|No player found with that name|zoë|True"),
        ),
        ("game board", Some("SHOW_NOTICE HISCORES||zoë|True")),
        // The answer to the leave sent with the board's request.
        ("game left", Some("NONE HISCORES||zoë|True")),
        ("game close", Some("CLOSE_HISCORES ENTERING|||True")),
        (
            "game deny this world is full",
            Some("SHOW_OUTSIDE OUTSIDE|Could not enter the world: this world is full||True"),
        ),
        ("game hiscores", Some("OPEN_HISCORES HISCORES|||False")),
        ("game hiscores", Some("NONE HISCORES|||False")),
        ("game close", Some("CLOSE_HISCORES ENTERING|||False")),
        ("game entered", Some("SHOW_GAME PLAYING|||False")),
        // A refused chat line is not the game's.
        ("game deny too fast", Some("NONE PLAYING|||False")),
        // Changing rooms leaves the world; the new room's is entered.
        (
            "game left changed rooms",
            Some("SHOW_OUTSIDE OUTSIDE|Out of the world: changed rooms||False"),
        ),
        ("game room", Some("ENTER_WORLD ENTERING|||False")),
        ("game entered", Some("SHOW_GAME PLAYING|||False")),
        (
            "game left",
            Some("SHOW_OUTSIDE OUTSIDE|You left the world||False"),
        ),
        ("game play", Some("ENTER_WORLD ENTERING|||False")),
        ("game play", Some("NONE ENTERING|||False")),
        ("game reset", Some("- OUTSIDE|||False")),
        ("score 0", Some("0")),
        ("score 999", Some("999")),
        ("score 1000", Some("1,000")),
        ("score 1257", Some("1,257")),
        ("score 1234567", Some("1,234,567")),
        ("score -4500", Some("-4,500")),
        ("score_row 3 zoë 12345", Some("3. zoë  12,345")),
    ];
    run_client_steps(&scratch, &["steering", "game_flow", "score_text"], steps).await;
}

/// One entity as the driver's `world_dump` writes it and the engine has it: wire units.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Seen {
    id: u64,
    x: i32,
    y: i32,
    radius: u32,
}

/// The `players=` and `spores=` lists of a `world_dump` line, and its `view=` half size.
fn parse_world_dump(line: &str) -> (Vec<Seen>, Vec<Seen>, (f64, f64)) {
    let field = |name: &str| {
        line.split(' ')
            .find_map(|part| part.strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} in {line}"))
    };
    let seen = |item: &str| {
        let (head, at) = item.rsplit_once('@').unwrap();
        let (xy, radius) = at.split_once('/').unwrap();
        let (x, y) = xy.split_once(',').unwrap();
        Seen {
            id: head.split(':').next().unwrap().parse().unwrap(),
            x: x.parse().unwrap(),
            y: y.parse().unwrap(),
            radius: radius.parse().unwrap(),
        }
    };
    let list = |text: &str| -> Vec<Seen> {
        text.split(';')
            .filter(|item| !item.is_empty())
            .map(&seen)
            .collect()
    };
    let (width, height) = field("view=").split_once(',').unwrap();
    (
        list(field("players=")),
        list(field("spores=")),
        (width.parse().unwrap(), height.parse().unwrap()),
    )
}

#[tokio::test]
#[ignore = "needs godot3-server; scripts/check-godot installs it and runs these"]
async fn the_clients_world_state_matches_the_engine_it_follows_in_godot() {
    follow_the_engine(false).await;
}

#[tokio::test]
#[ignore = "needs godot3-server; scripts/check-godot installs it and runs these"]
async fn the_clients_extrapolated_world_state_matches_the_engine_it_follows_in_godot() {
    follow_the_engine(true).await;
}

/// A client's world state fed the updates the server's world engine makes for one player
/// among 80 that steer towards each other (its moves, or with `extrapolating` its velocity
/// changes), checked against the engine at four moments: everything it holds is in the engine
/// at exactly the same wire position and radius, and everything that can be seen is held.
async fn follow_the_engine(extrapolating: bool) {
    use mmo_world::{
        Appearance, Decider, EntityKey, Entry, POSITION_SCALE, PlayerId, RadiusRumble, World,
        WorldConfig, encode,
    };
    use std::sync::Arc;
    use std::time::Instant;

    const PLAYERS: u64 = 80;
    const TICKS: u64 = 300;
    const DUMP_EVERY: u64 = 75;
    // Extrapolating, players hold their heading for ten ticks at a time (all turning on the
    // same tick), so velocities stay put and some ticks send nothing at all.
    let steer_every = if extrapolating { 10 } else { 1 };
    let scratch = Scratch::new(if extrapolating {
        "engine-world-live-extrapolated"
    } else {
        "engine-world-live"
    });
    let generated = generate3(
        &scratch,
        &mmo_gdgen::workspace_root().join("proto"),
        "p3.gd",
    );
    let mut world = World::new(RadiusRumble::new(1_000), WorldConfig::default(), 21);
    let me = PlayerId(1);
    for id in 1..=PLAYERS {
        let entry = Entry {
            appearance: Arc::new(Appearance {
                name: format!("p{id}").into(),
                color: 0,
            }),
            best_score: 0,
            decider: Decider::Server,
        };
        world.enter(PlayerId(id), entry, true).unwrap();
    }
    assert!(world.set_extrapolating(me, extrapolating));
    let hex_of = |packet: &Packet| hex(&packet.encode_to_vec());
    let mut steps = vec![format!(
        "world {} 0",
        hex_of(&encode::entered_packet("lobby", me, 20, extrapolating))
    )];
    // What the engine says the client's view holds, at each dump: (players, spores) touching
    // the rectangle around its player, and every entity there is, in wire units, at the tick
    // of the client's latest update (the client knows of no tick after it: extrapolating, the
    // ticks without an update are caught up when the next one comes).
    let mut truths = Vec::new();
    let mut truth_at_update = None;
    let quantized = |x: f64| (x * f64::from(POSITION_SCALE)).round();
    let start = Instant::now();
    let mut updates = 0;
    let mut last_update_tick = 0;
    // Extrapolating: updates that followed ticks with none, and velocity changes received.
    let mut gaps = 0;
    let mut velocities = 0;
    for tick in 1..=TICKS {
        // Everyone heads for the middle, turning a little each time: they meet, eat and grow.
        for id in (1..=PLAYERS).filter(|_| tick % steer_every == 1 % steer_every) {
            let Some(player) = world.engine().get(EntityKey::Player(PlayerId(id))) else {
                continue;
            };
            let wobble = ((tick + id * 7) % 40) as f64 / 40.0 - 0.5;
            let home = (-player.pos.y).atan2(-player.pos.x) + wobble;
            let _ = world.steer(PlayerId(id), home);
        }
        world.tick(start + std::time::Duration::from_millis(50 * tick));
        if let Some(delta) = world.update_for(me).filter(|delta| !delta.is_empty()) {
            let packet = encode::update_packet(delta);
            if let Some(Msg::WorldUpdate(update)) = &packet.msg {
                // Moves or velocities, never both.
                let other = if extrapolating {
                    &update.moved_ids
                } else {
                    &update.velocity_ids
                };
                assert!(other.is_empty(), "{update:?}");
                velocities += update.velocity_ids.len();
            }
            // Drawn: the ticks since the previous update, as a client's clock would say.
            let since = tick - last_update_tick;
            steps.push(format!("world {} {since}", hex_of(&packet)));
            gaps += usize::from(updates > 0 && since > 1);
            last_update_tick = tick;
            updates += 1;
            truth_at_update = None;
        }
        if truth_at_update.is_none() {
            let mut players = Vec::new();
            let mut spores = Vec::new();
            for entity in world.engine().entities().filter(|entity| entity.is_alive()) {
                let seen = Seen {
                    id: match entity.key {
                        EntityKey::Player(id) => id.0,
                        EntityKey::Spore(id) => id.0,
                    },
                    x: quantized(entity.pos.x) as i32,
                    y: quantized(entity.pos.y) as i32,
                    radius: quantized(entity.radius) as u32,
                };
                match entity.key {
                    EntityKey::Player(_) => players.push((seen, entity.pos, entity.radius)),
                    EntityKey::Spore(_) => spores.push((seen, entity.pos, entity.radius)),
                }
            }
            let own = world.engine().get(EntityKey::Player(me)).unwrap().pos;
            truth_at_update = Some((players, spores, own));
        }
        if tick % DUMP_EVERY == 0 {
            steps.push("world_dump".to_owned());
            truths.push(truth_at_update.clone().unwrap());
        }
    }
    println!("{updates} updates, {gaps} after ticks with none, {velocities} velocity changes");
    if extrapolating {
        assert!(updates > TICKS / 4, "the observer got {updates} updates");
        assert!(
            gaps > 0,
            "no tick went without an update: nothing was caught up"
        );
        assert!(velocities > 0, "no velocity changed");
    } else {
        assert!(updates > TICKS / 2, "the observer got {updates} updates");
    }
    let steps: Vec<(&str, Option<&str>)> = steps
        .iter()
        .map(|step| {
            let asks = step == "world_dump";
            (step.as_str(), asks.then_some(""))
        })
        .collect();
    // The answers are checked below, not by run_client_steps_with: collect them instead.
    let input = scratch.path("steps.txt");
    let output = scratch.path("answers.txt");
    let lines: Vec<String> = steps.iter().map(|(step, _)| format!("{step}\n")).collect();
    std::fs::write(&input, lines.concat()).unwrap();
    let args = vec![
        "client".to_owned(),
        format!("generated={}", generated.display()),
        format!(
            "world_state={}",
            client_script3(&scratch, "world_state").display()
        ),
        format!("input={}", input.display()),
        format!("output={}", output.display()),
    ];
    run_driver(&scratch, &args).await;
    let answers = std::fs::read_to_string(&output).unwrap();
    let dumps: Vec<&str> = answers.lines().collect();
    assert_eq!(dumps.len(), truths.len());
    let mut checked_players = 0;
    let mut checked_spores = 0;
    for (dump, (players, spores, own)) in dumps.iter().zip(&truths) {
        let (held_players, held_spores, (half_width, half_height)) = parse_world_dump(dump);
        for (held, truth, kind) in [
            (&held_players, players, "player"),
            (&held_spores, spores, "spore"),
        ] {
            // Everything the client holds is in the world, exactly where the engine has it.
            for seen in held {
                assert!(
                    truth.iter().any(|(known, _, _)| known == seen),
                    "the client holds {kind} {seen:?}, which the engine does not have there"
                );
            }
            // Everything that can be seen (its circle touches the view) is held.
            for (known, pos, radius) in truth {
                let visible = (pos.x - own.x).abs() < half_width + radius
                    && (pos.y - own.y).abs() < half_height + radius;
                if visible {
                    assert!(
                        held.contains(known),
                        "{kind} {known:?} is in view but not held by the client: {dump}"
                    );
                }
            }
        }
        assert!(held_players.iter().any(|seen| seen.id == me.0), "{dump}");
        checked_players += held_players.len();
        checked_spores += held_spores.len();
    }
    println!(
        "{updates} updates; {checked_players} players and {checked_spores} spores held at {} dumps",
        truths.len()
    );
    assert!(
        checked_players > truths.len() * 2,
        "the test saw too few players to tell anything"
    );
}
