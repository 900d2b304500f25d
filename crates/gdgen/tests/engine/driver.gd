# Runs generated GDScript in Godot 3 for crates/gdgen/tests/engine.rs (Godot 3.2 syntax: the
# generator's Godot 3 target is what loads here). Usage, after Godot's own arguments:
#   godot3-server --no-window -s driver.gd -- MODE generated=FILE [input=FILE] [output=FILE]
#     [url=ws://...]
# MODE is one of:
#   vectors  each input line is "CLASS_PATH HEX" (HEX "-" for no bytes); each output line is
#            "OK REENCODED_HEX DUMP" or "ERR": from_bytes, then to_bytes and every script
#            variable, so the test can compare both with prost.
#   classes  writes every class of the engine's ClassDB, one a line, to output.
#   live     two clients against the server at url; see live().
#   client   the Godot client's engine-free scripts (room_state=FILE chat_command=FILE, both
#            translated to Godot 3 like the generated code); see client().
# Prints "DRIVER DONE" and exits 0 when the mode ran to the end (what it found is for the test
# to judge; live mode judges itself), or prints "FAIL: ..." and exits 1.
extends SceneTree

## How long the live mode waits for any one event.
const LIVE_WAIT_MSEC := 10000
## Printed when a mode ran to the end.
const DONE := "DRIVER DONE"
## The largest field number of the tutorial's part-3 schema (sender_id, chat, id).
const PART3_LAST_FIELD := 3

var _args := {}
var _failure := ""


func _init() -> void:
	for argument in OS.get_cmdline_args():
		var parts: PoolStringArray = argument.split("=", true, 1)
		_args[parts[0]] = parts[1] if parts.size() > 1 else ""
	var generated = load(_args["generated"]) if _args.has("generated") else null
	if _args.has("generated") and generated == null:
		_fail("cannot load generated=%s" % _args["generated"])
	elif _args.has("vectors"):
		vectors(generated)
	elif _args.has("classes"):
		classes()
	elif _args.has("live"):
		live(generated)
	elif _args.has("client"):
		client()
	else:
		_fail("no mode given")
	generated = null
	if _failure.empty():
		# The test looks for this line: Godot exits 0 even when this script fails to parse.
		print(DONE)
		quit(0)
	else:
		print("FAIL: " + _failure)
		quit(1)


func _fail(message: String) -> void:
	if _failure.empty():
		_failure = message


func vectors(generated) -> void:
	var input := File.new()
	if input.open(_args.get("input", ""), File.READ) != OK:
		_fail("cannot read input=%s" % _args.get("input", ""))
		return
	var output := File.new()
	if output.open(_args.get("output", ""), File.WRITE) != OK:
		_fail("cannot write output=%s" % _args.get("output", ""))
		return
	while not input.eof_reached():
		var line := input.get_line()
		if line.empty():
			continue
		var fields: PoolStringArray = line.split(" ")
		var message = _class_at(generated, fields[0]).new()
		var data := PoolByteArray() if fields[1] == "-" else _hex_decode(fields[1])
		if message.from_bytes(data) != OK:
			output.store_line("ERR")
			continue
		var again: PoolByteArray = message.to_bytes()
		var hex := "-" if again.empty() else again.hex_encode()
		output.store_line("OK %s %s" % [hex, _dump(message)])
	input.close()
	output.close()


func classes() -> void:
	var output := File.new()
	if output.open(_args.get("output", ""), File.WRITE) != OK:
		_fail("cannot write output=%s" % _args.get("output", ""))
		return
	for name in ClassDB.get_class_list():
		output.store_line(name)
	output.close()


## Each input line is a step for ChatCommand or RoomState; the lines that ask for an answer
## get one output line:
##   parse TEXT              -> KIND ARGUMENT (the ChatCommand.Kind key)
##   enter ROOM [ID:NAME]... -> (nothing)   add ID [NAME], remove ID, clear -> (nothing)
##   members                 -> ROOM|MEMBER|MEMBER...   name_of ID -> NAME
func client() -> void:
	var chat_command = load(_args.get("chat_command", ""))
	var room_state = load(_args.get("room_state", ""))
	var input := File.new()
	var output := File.new()
	if chat_command == null or room_state == null:
		_fail("cannot load chat_command= or room_state=")
		return
	if input.open(_args.get("input", ""), File.READ) != OK:
		_fail("cannot read input=%s" % _args.get("input", ""))
		return
	if output.open(_args.get("output", ""), File.WRITE) != OK:
		_fail("cannot write output=%s" % _args.get("output", ""))
		return
	var command = chat_command.new()
	var room = room_state.new()
	while not input.eof_reached():
		var line := input.get_line()
		if line.empty():
			continue
		var step: String = line.split(" ", true, 1)[0]
		var rest := line.substr(step.length() + 1)
		var words: PoolStringArray = rest.split(" ", false)
		match step:
			"parse":
				command.parse(rest)
				output.store_line("%s %s" % [chat_command.Kind.keys()[command.kind], command.argument])
			"enter":
				var ids := []
				var names := []
				for at in range(1, words.size()):
					ids.append(int(words[at].split(":")[0]))
					names.append(words[at].split(":")[1])
				room.enter(words[0], ids, names)
			"add":
				room.add(int(words[0]), words[1] if words.size() > 1 else "")
			"remove":
				room.remove(int(words[0]))
			"clear":
				room.clear()
			"members":
				output.store_line(room.room_name + "|" + room.member_names().join("|"))
			"name_of":
				output.store_line(room.name_of(int(words[0])))
			_:
				_fail("unknown step: " + line)
	input.close()
	output.close()


func _class_at(generated, class_path: String):
	var found = generated
	for name in class_path.split("."):
		found = found.get(name)
	return found


func _hex_decode(hex: String) -> PoolByteArray:
	var data := PoolByteArray()
	for at in range(0, hex.length(), 2):
		data.append(("0x" + hex.substr(at, 2)).hex_to_int())
	return data


## Every script variable of a message object, sorted by name, in a form the Rust side writes
## too: i:INT f:DOUBLE_BITS_HEX (or f:nan) b:0|1 s:UTF8_HEX y:BYTES_HEX n a[ITEMS] m{NAME=VALUE}.
func _dump(value) -> String:
	match typeof(value):
		TYPE_NIL:
			return "n"
		TYPE_INT:
			# Not "%d": Godot 3 formats the lowest int as "--9223372036854775808".
			return "i:" + str(value)
		TYPE_REAL:
			if is_nan(value):
				return "f:nan"
			var buffer := StreamPeerBuffer.new()
			buffer.put_double(value)
			return "f:" + buffer.data_array.hex_encode()
		TYPE_BOOL:
			return "b:1" if value else "b:0"
		TYPE_STRING:
			return "s:" + value.to_utf8().hex_encode()
		TYPE_RAW_ARRAY:
			return "y:" + value.hex_encode()
		TYPE_ARRAY:
			var items := PoolStringArray()
			for item in value:
				items.append(_dump(item))
			return "a[" + items.join(",") + "]"
		TYPE_OBJECT:
			var names := []
			for property in value.get_property_list():
				if property.usage & PROPERTY_USAGE_SCRIPT_VARIABLE:
					names.append(property.name)
			names.sort()
			var parts := PoolStringArray()
			for name in names:
				parts.append("%s=%s" % [name, _dump(value.get(name))])
			return "m{" + parts.join(",") + "}"
	return "?%d" % typeof(value)


## Two clients against a live server. A shows it knows the rooms messages (it sends
## JoinRoomMessage{room:""} once it has its ID, as the project's clients do); B is a part-3
## client that only ever sends chat. Both get their IDs, each receives the other's chat, every
## frame decodes, and B never receives a field above 3 (docs/protocol.md: the server sends a
## client only what it has shown it knows). A server with rooms answers A's join with a
## RoomMessage for the lobby that lists A; one without ignores it.
func live(generated) -> void:
	var url: String = _args.get("url", "")
	var a := LiveClient.new(generated, "A")
	var b := LiveClient.new(generated, "B")
	a.open(url)
	if not _wait_for(a, b, "A's ID", funcref(a, "has_id")):
		return
	var join = generated.Packet.new()
	join.new_join_room().set_room("")
	a.send(join)
	b.open(url)
	if not _wait_for(a, b, "B's ID", funcref(b, "has_id")):
		return
	var from_a := char(0xFEFF) + "hello from A: héllo wörld 日本語 🎮 [b]x[/b]"
	var from_b := "hello from B, " + "long ".repeat(80)
	a.send_chat(from_a)
	b.expect_chat(a, from_a)
	if not _wait_for(a, b, "A's chat at B", funcref(b, "got_expected_chat")):
		return
	b.send_chat(from_b)
	a.expect_chat(b, from_b)
	if not _wait_for(a, b, "B's chat at A", funcref(a, "got_expected_chat")):
		return
	for client in [a, b]:
		print("LIVE %s id=%d kinds=%s undecodable=%d" % [
			client.label, client.id, client.kinds, client.undecodable
		])
		if client.undecodable > 0:
			_fail("%s received %d frames it could not decode" % [client.label, client.undecodable])
	for kind in b.kinds:
		if kind > PART3_LAST_FIELD:
			_fail("B, a part-3 client, received field %d" % kind)
	if a.room != null:
		var listed := false
		for member in a.room.get_members():
			listed = listed or member.get_id() == a.id
		if a.room.get_room() != "lobby" or not listed:
			_fail("A's join was answered with %s" % str(a.room))
	a.close()
	b.close()


func _wait_for(a, b, what: String, condition: FuncRef) -> bool:
	var deadline := OS.get_ticks_msec() + LIVE_WAIT_MSEC
	while not condition.call_func():
		if OS.get_ticks_msec() > deadline:
			_fail("timed out waiting for " + what)
			return false
		a.poll()
		b.poll()
		OS.delay_msec(2)
	return true


## One WebSocket connection using the generated Packet class.
class LiveClient:
	var label: String
	var id := 0
	var kinds := []
	var undecodable := 0
	var room = null
	var _generated
	var _socket := WebSocketClient.new()
	var _expected_sender := -1
	var _expected_text := ""
	var _got_expected := false

	func _init(generated, client_label: String) -> void:
		_generated = generated
		label = client_label

	func open(url: String) -> void:
		_socket.connect_to_url(url)

	func poll() -> void:
		_socket.poll()
		if _socket.get_connection_status() != NetworkedMultiplayerPeer.CONNECTION_CONNECTED:
			return
		var peer: WebSocketPeer = _socket.get_peer(1)
		peer.set_write_mode(WebSocketPeer.WRITE_MODE_BINARY)
		while peer.get_available_packet_count() > 0:
			var packet = _generated.Packet.new()
			if packet.from_bytes(peer.get_packet()) != OK:
				undecodable += 1
				continue
			kinds.append(packet.get_msg_case())
			if packet.has_id():
				id = packet.get_id().get_id()
			elif packet.has_room():
				room = packet.get_room()
			elif packet.has_chat():
				var matches: bool = packet.get_sender_id() == _expected_sender
				if matches and packet.get_chat().get_msg() == _expected_text:
					_got_expected = true

	func has_id() -> bool:
		return id > 0

	func send(packet) -> void:
		_socket.get_peer(1).put_packet(packet.to_bytes())

	func send_chat(text: String) -> void:
		var packet = _generated.Packet.new()
		packet.new_chat().set_msg(text)
		send(packet)

	func expect_chat(sender, text: String) -> void:
		_expected_sender = sender.id
		_expected_text = text
		_got_expected = false

	func got_expected_chat() -> bool:
		return _got_expected

	func close() -> void:
		_socket.disconnect_from_host(1000, "done")
