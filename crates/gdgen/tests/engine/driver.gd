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
#   client   the Godot client's engine-free scripts (room_state=FILE chat_command=FILE
#            client_flow=FILE server_url=FILE server_status=FILE world_state=FILE
#            steering=FILE game_flow=FILE score_text=FILE, each translated to Godot 3 like the
#            generated code, each optional; generated=FILE for the world's packets); see
#            client().
#   flow     the client's flow, names, status and URL scripts against a live server, as the
#            Godot client drives them (url=ws://... without a path); see flow().
# Prints "DRIVER DONE" and exits 0 when the mode ran to the end (what it found is for the test
# to judge; live mode judges itself), or prints "FAIL: ..." and exits 1.
extends SceneTree

## How long the live mode waits for any one event.
const LIVE_WAIT_MSEC := 10000
## How long the flow mode waits for any one event: on a server with accounts an event may
## wait for password hashing, slow in a debug build.
const FLOW_WAIT_MSEC := 30000
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
		client(generated)
	elif _args.has("flow"):
		flow(generated)
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


## Each input line is a step for one of the client's scripts; the lines that ask for an
## answer get one output line:
##   parse TEXT              -> KIND ARGUMENT (the ChatCommand.Kind key)
##   enter ROOM [ID:NAME]... -> (nothing)   add ID [NAME], remove ID, clear, own ID -> (nothing)
##   members                 -> ROOM|MEMBER|MEMBER...   name_of ID -> NAME
##   presence ID joined|left [NAME] -> the log line, "-" for none
##   speaker ID [NAME]       -> NAME
##   url URL                 -> WEBSOCKET_URL|COMPLETED|STATUS_URL|COULD_NOT_CONNECT
##   status JSON             -> the ServerStatus after read(parsed JSON), see _status_line
##   flow EVENT [ARGS]       -> ACTION STATE|username|notice|waiting|guest_allowed, ACTION "-"
##                              for events that return nothing. EVENT: connecting, id,
##                              status ENABLED REQUIRE (0/1), log_in USER PASS,
##                              register USER PASS, guest, ok, deny REASON, closed CODE
func client(generated) -> void:
	var scripts := {}
	for name in [
		"chat_command", "room_state", "client_flow", "server_url", "server_status",
		"world_state", "steering", "game_flow", "score_text",
	]:
		if _args.has(name):
			scripts[name] = load(_args[name])
			if scripts[name] == null:
				_fail("cannot load %s=%s" % [name, _args[name]])
				return
	var input := File.new()
	var output := File.new()
	if input.open(_args.get("input", ""), File.READ) != OK:
		_fail("cannot read input=%s" % _args.get("input", ""))
		return
	if output.open(_args.get("output", ""), File.WRITE) != OK:
		_fail("cannot write output=%s" % _args.get("output", ""))
		return
	var command = scripts["chat_command"].new() if scripts.has("chat_command") else null
	var room = scripts["room_state"].new() if scripts.has("room_state") else null
	var client_flow = scripts["client_flow"].new() if scripts.has("client_flow") else null
	var status = scripts["server_status"].new() if scripts.has("server_status") else null
	var world = scripts["world_state"].new() if scripts.has("world_state") else null
	var steering = scripts["steering"].new() if scripts.has("steering") else null
	var game_flow = scripts["game_flow"].new() if scripts.has("game_flow") else null
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
				output.store_line("%s %s" % [
					scripts["chat_command"].Kind.keys()[command.kind], command.argument
				])
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
			"own":
				room.own_id = int(words[0])
			"members":
				output.store_line(room.room_name + "|" + room.member_names().join("|"))
			"name_of":
				output.store_line(room.name_of(int(words[0])))
			"presence":
				var said: String = room.apply_presence(
					int(words[0]), words[1] == "joined", words[2] if words.size() > 2 else ""
				)
				output.store_line(said if not said.empty() else "-")
			"speaker":
				output.store_line(room.speaker(int(words[0]), words[1] if words.size() > 1 else ""))
			"url":
				var url_script = scripts["server_url"]
				output.store_line("%s|%s|%s|%s" % [
					url_script.websocket_url(rest),
					url_script.was_completed(rest),
					url_script.status_url(rest),
					url_script.could_not_connect(rest),
				])
			"status":
				status.read(JSON.parse(rest).result if rest != "-" else null)
				output.store_line(_status_line(status))
			"flow":
				output.store_line(_flow_step(scripts["client_flow"], client_flow, words))
			"world":
				# "world HEX DRAWN": a Packet (world_entered or world_update) made by prost.
				var packet = generated.Packet.new()
				if packet.from_bytes(_hex_decode(words[0])) != OK:
					_fail("world packet does not decode: " + words[0])
				elif packet.has_world_entered():
					world.enter(packet.get_world_entered())
				else:
					world.apply(packet.get_world_update(), float(words[1]))
			"world_dump":
				output.store_line(_world_dump(world))
			"world_at":
				var player = world.players.get(int(words[0]))
				var at := float(words[1])
				output.store_line("-" if player == null else "%.3f,%.3f/%.3f" % [
					player.position_at(at).x, player.position_at(at).y, player.radius_at(at)
				])
			"world_held":
				# "world_held ID": exactly where the state holds the player, and its velocity,
				# in wire units: "X,Y~VX,VY".
				var held = world.players.get(int(words[0]))
				output.store_line("-" if held == null else "%d,%d~%d,%d" % [
					held.x, held.y, held.vx, held.vy
				])
			"world_eats":
				var eats := PoolStringArray()
				for eat in world.take_eats():
					eats.append("%d>%d/%d@%.3f,%.3f/%.3f" % [
						eat.eater_id, eat.player_id, eat.spore_id, eat.position.x, eat.position.y,
						eat.radius
					])
				output.store_line(eats.join(" "))
			"ticks_since":
				output.store_line("%.3f" % world.ticks_since(float(words[0])))
			"steer_reset":
				steering.reset(int(words[0]))
			"steer":
				var direction: float = steering.direction_to_send(
					Vector2(float(words[0]), float(words[1])), int(words[2])
				)
				output.store_line("-" if is_nan(direction) else "%.4f" % direction)
			"game":
				output.store_line(_game_step(scripts["game_flow"], game_flow, words, rest))
			"score":
				output.store_line(scripts["score_text"].grouped(int(words[0])))
			"score_row":
				output.store_line(
					scripts["score_text"].row(int(words[0]), words[1], int(words[2]))
				)
			_:
				_fail("unknown step: " + line)
	input.close()
	output.close()


## A ServerStatus as "CHARS BYTES accounts=B require=B available=B known=B".
func _status_line(status) -> String:
	return "%d %d accounts=%s require=%s available=%s known=%s" % [
		status.max_chat_chars, status.max_chat_bytes, status.accounts_enabled,
		status.require_login, status.accounts_available, status.known
	]


## A WorldState as one line: "tick=T own=ID score=S best=B view=W,H in_world=N eaten_by=ID
## leaders=ID:NAME:SCORE,... players=ID:NAME:COLOR@X,Y/R;... spores=ID@X,Y/R;..." with IDs in
## ascending order and positions and radii in wire units (exact).
func _world_dump(world) -> String:
	var leaders := PoolStringArray()
	for leader in world.leaders:
		leaders.append("%d:%s:%d" % [leader.player_id, leader.name, leader.score])
	var players := PoolStringArray()
	var ids: Array = world.players.keys()
	ids.sort()
	for id in ids:
		var player = world.players[id]
		players.append("%d:%s:%d@%d,%d/%d" % [
			id, player.name, player.color, player.x, player.y, player.units_radius
		])
	var spores := PoolStringArray()
	ids = world.spores.keys()
	ids.sort()
	for id in ids:
		var spore = world.spores[id]
		spores.append("%d@%d,%d/%d" % [
			id, int(round(spore.position.x * world.position_scale)),
			int(round(spore.position.y * world.position_scale)),
			int(round(spore.radius * world.position_scale))
		])
	return (
		"tick=%d own=%d score=%d best=%d view=%d,%d in_world=%d eaten_by=%d leaders=%s players=%s"
		+ " spores=%s"
	) % [
		world.tick, world.player_id, world.score, world.best_score, int(world.view_half_size.x),
		int(world.view_half_size.y), world.players_in_world, world.eaten_by, leaders.join(","),
		players.join(";"),
		spores.join(";")
	]


## A GameFlow event, then "ACTION STATE|notice|search|left_world".
func _game_step(flow_script, game_flow, words: PoolStringArray, rest: String) -> String:
	var action = null
	var argument := rest.substr(words[0].length() + 1) if words.size() > 1 else ""
	match words[0]:
		"reset":
			game_flow.reset()
		"room":
			action = game_flow.room_joined()
		"play":
			action = game_flow.play()
		"entered":
			action = game_flow.world_entered()
		"left":
			action = game_flow.world_left(argument)
		"deny":
			action = game_flow.denied(argument)
		"hiscores":
			action = game_flow.hiscores_requested()
		"search":
			action = game_flow.search_requested(argument)
		"board":
			action = game_flow.board_received()
		"close":
			action = game_flow.hiscores_closed()
		_:
			_fail("unknown game event: " + words.join(" "))
	return "%s %s|%s|%s|%s" % [
		"-" if action == null else flow_script.Action.keys()[action],
		flow_script.State.keys()[game_flow.state],
		game_flow.notice,
		game_flow.search,
		game_flow.left_world,
	]


func _flow_step(flow_script, client_flow, words: PoolStringArray) -> String:
	var action = null
	match words[0]:
		"connecting":
			client_flow.connecting()
		"id":
			action = client_flow.id_received()
		"status":
			action = client_flow.status_received(words[1] == "1", words[2] == "1")
		"log_in":
			action = client_flow.log_in(words[1], words[2] if words.size() > 2 else "")
		"register":
			action = client_flow.register(words[1], words[2] if words.size() > 2 else "")
		"guest":
			action = client_flow.play_as_guest()
		"ok":
			action = client_flow.ok_received()
		"deny":
			var reason := ""
			for at in range(1, words.size()):
				reason += (" " if at > 1 else "") + words[at]
			action = client_flow.deny_received(reason)
		"closed":
			action = client_flow.closed(int(words[1]))
		"log_out":
			action = client_flow.log_out()
		_:
			_fail("unknown flow event: " + words.join(" "))
	return "%s %s|%s|%s|%s|%s" % [
		"-" if action == null else flow_script.Action.keys()[action],
		flow_script.State.keys()[client_flow.state],
		client_flow.username,
		client_flow.notice,
		client_flow.is_waiting(),
		client_flow.guest_allowed,
	]


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


## The Godot client's flow against a live server, driven as main.gd drives it (client_flow=,
## server_status=, server_url= and room_state= scripts, translated to Godot 3): the URL given
## without a path is completed with /ws; the same server at another path never opens and is
## reported with the /ws hint; the status comes from the /api/status the URL script derives;
## then A and B go through the flow, join the lobby and chat, and each names the other as the
## Godot client would. On a server with accounts A registers and logs in, and B tries A's
## name with a wrong password, is refused, then plays as a guest (or, when guests are not
## allowed, registers its own); B is in the lobby first, so it sees A's login as a rename.
## Judges itself; prints "FLOW ..." lines for the test.
func flow(generated) -> void:
	var scripts := {}
	for name in ["client_flow", "room_state", "server_url", "server_status"]:
		scripts[name] = load(_args.get(name, ""))
		if scripts[name] == null:
			_fail("cannot load %s=" % name)
			return
	var urls = scripts["server_url"]
	var given: String = _args.get("url", "")
	var ws_url: String = urls.websocket_url(given)
	print("FLOW url %s -> %s (completed=%s)" % [given, ws_url, urls.was_completed(given)])
	if not ws_url.ends_with("/ws"):
		_fail("%s was not completed with /ws" % given)
		return
	var wrong := LiveClient.new(generated, "wrong")
	var wrong_url: String = urls.websocket_url(given + "/chat")
	wrong.open(wrong_url)
	if not _wait_until(funcref(wrong, "has_failed"), "the failure at " + wrong_url, []):
		return
	print("FLOW failed " + urls.could_not_connect(wrong_url))
	var status = scripts["server_status"].new()
	status.read(_http_get_json(urls.status_url(ws_url)))
	print("FLOW status " + _status_line(status))
	if not status.known:
		_fail("no status from " + urls.status_url(ws_url))
		return
	var suffix := str(OS.get_unix_time() % 100000000)
	var a := FlowClient.new(generated, scripts, "A", "gda" + suffix, "")
	var b := FlowClient.new(generated, scripts, "B", "gdb" + suffix, "gda" + suffix)
	b.start(ws_url, status)
	if not _wait_until(funcref(b, "is_in_room"), "B in the lobby", [b]):
		return
	a.start(ws_url, status)
	if not _wait_until(funcref(a, "is_in_room"), "A in the lobby", [a, b]):
		return
	var b_name: String = b.flow.username if not b.flow.username.empty() else "Client %d" % b.id
	var a_name: String = a.flow.username if not a.flow.username.empty() else "Client %d" % a.id
	# B sees A arrive: as a guest (Client N) and then, on a server with accounts that lets
	# guests in, A's login in the room as a rename; where login is required, A arrives named.
	if status.accounts_enabled and not status.require_login:
		b.expect("Client %d is now %s" % [a.id, a_name])
	else:
		b.expect(a_name + " joined")
	if not _wait_until(funcref(b, "saw_expected"), "A's arrival at B", [a, b]):
		return
	b.send_chat("hello from B")
	a.expect("%s: hello from B" % b_name)
	if not _wait_until(funcref(a, "saw_expected"), "B's line at A", [a, b]):
		return
	a.send_chat("hello from A")
	b.expect("%s: hello from A" % a_name)
	if not _wait_until(funcref(b, "saw_expected"), "A's line at B", [a, b]):
		return
	var own_listed: bool = Array(a.room.member_names()).has(a_name + " (you)")
	for client in [a, b]:
		print("FLOW %s state=%s user=%s members=%s log=%s" % [
			client.label,
			scripts["client_flow"].State.keys()[client.flow.state],
			client.flow.username,
			client.room.member_names().join(","),
			PoolStringArray(client.lines).join(" / "),
		])
	if not own_listed:
		_fail("A's members %s do not list %s (you)" % [a.room.member_names(), a_name])
	if status.accounts_enabled and (a.flow.username.empty() or b.refusals == 0):
		_fail("A did not log in, or B was not refused a wrong password")
	if not status.accounts_enabled and a.refusals > 0:
		_fail("A was refused on a server without accounts")
	a.close()
	b.close()


func _wait_until(condition: FuncRef, what: String, clients: Array) -> bool:
	var deadline := OS.get_ticks_msec() + FLOW_WAIT_MSEC
	while not condition.call_func():
		if OS.get_ticks_msec() > deadline or not _failure.empty():
			_fail("timed out waiting for " + what)
			return false
		for client in clients:
			client.poll()
			if not client.problem.empty():
				_fail("%s: %s" % [client.label, client.problem])
				return false
		OS.delay_msec(2)
	return true


## The parsed JSON at [param url] (http://HOST:PORT/PATH), or null.
func _http_get_json(url: String):
	var rest := url.trim_prefix("http://")
	var slash := rest.find("/")
	var host_port := rest.substr(0, slash)
	var colon := host_port.rfind(":")
	var http := HTTPClient.new()
	var port := int(host_port.substr(colon + 1))
	if http.connect_to_host(host_port.substr(0, colon), port) != OK:
		_fail("cannot connect to " + url)
		return null
	var deadline := OS.get_ticks_msec() + LIVE_WAIT_MSEC
	var body := PoolByteArray()
	var requested := false
	while OS.get_ticks_msec() < deadline:
		http.poll()
		var state := http.get_status()
		if state == HTTPClient.STATUS_CONNECTED and not requested:
			requested = true
			if http.request(HTTPClient.METHOD_GET, rest.substr(slash), []) != OK:
				break
		elif state == HTTPClient.STATUS_BODY:
			body.append_array(http.read_response_body_chunk())
		elif state == HTTPClient.STATUS_CONNECTED and http.has_response():
			break
		elif state != HTTPClient.STATUS_RESOLVING and state != HTTPClient.STATUS_CONNECTING:
			if state != HTTPClient.STATUS_REQUESTING and state != HTTPClient.STATUS_CONNECTED:
				break
		OS.delay_msec(2)
	if http.get_response_code() != 200:
		_fail("GET %s answered %d" % [url, http.get_response_code()])
		return null
	return JSON.parse(body.get_string_from_utf8()).result


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
	var _ever_connected := false

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

	## Whether the connection ended without ever opening.
	func has_failed() -> bool:
		_socket.poll()
		var status := _socket.get_connection_status()
		_ever_connected = _ever_connected or status == NetworkedMultiplayerPeer.CONNECTION_CONNECTED
		return status == NetworkedMultiplayerPeer.CONNECTION_DISCONNECTED and not _ever_connected

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


## One client driven through the Godot client's flow, doing what main.gd does for each packet
## and action. Its "player" answers the login screen by trying [member _wrong_user]'s account
## with a wrong password first (when given), then playing as a guest (when it tried that and
## the server allows guests), else registering [member _user], which logs in.
class FlowClient:
	var label: String
	var flow
	var room
	var id := 0
	## What main.gd would have logged, in order.
	var lines := []
	var refusals := 0
	## Why this client cannot go on, if it cannot.
	var problem := ""
	var _generated
	var _status
	var _socket := WebSocketClient.new()
	var _opened := false
	var _in_room := false
	var _user: String
	var _wrong_user: String
	var _logins := 0
	var _expected := ""
	var _actions: Dictionary

	func _init(generated, scripts: Dictionary, client_label: String, user: String, wrong: String):
		_generated = generated
		flow = scripts["client_flow"].new()
		_actions = scripts["client_flow"].Action
		room = scripts["room_state"].new()
		label = client_label
		_user = user
		_wrong_user = wrong

	func start(url: String, status) -> void:
		_status = status
		_socket.connect_to_url(url)

	func poll() -> void:
		_socket.poll()
		if _socket.get_connection_status() != NetworkedMultiplayerPeer.CONNECTION_CONNECTED:
			return
		var peer: WebSocketPeer = _socket.get_peer(1)
		if not _opened:
			_opened = true
			peer.set_write_mode(WebSocketPeer.WRITE_MODE_BINARY)
			flow.connecting()
			_act(flow.status_received(_status.accounts_enabled, _status.require_login))
		while peer.get_available_packet_count() > 0:
			var packet = _generated.Packet.new()
			if packet.from_bytes(peer.get_packet()) != OK:
				problem = "a frame did not decode"
				continue
			_handle(packet)

	func is_in_room() -> bool:
		return _in_room

	func expect(line: String) -> void:
		_expected = line

	func saw_expected() -> bool:
		return lines.has(_expected)

	func send_chat(text: String) -> void:
		var packet = _generated.Packet.new()
		packet.new_chat().set_msg(text)
		_send(packet)

	func close() -> void:
		_socket.disconnect_from_host(1000, "done")

	func _handle(packet) -> void:
		var sender: int = packet.get_sender_id()
		if packet.has_id():
			id = packet.get_id().get_id()
			room.own_id = id
			_act(flow.id_received())
		elif packet.has_ok_response():
			_act(flow.ok_received())
		elif packet.has_deny_response():
			var reason: String = packet.get_deny_response().get_reason()
			lines.append("Refused by the server: " + reason)
			refusals += 1
			_act(flow.deny_received(reason))
		elif packet.has_chat():
			lines.append("%s: %s" % [room.speaker(sender, ""), packet.get_chat().get_msg()])
		elif packet.has_room():
			var ids := []
			var names := []
			for member in packet.get_room().get_members():
				ids.append(member.get_id())
				names.append(member.get_name())
			room.enter(packet.get_room().get_room(), ids, names)
			lines.append("In room " + room.room_name)
			_in_room = true
		elif packet.has_presence():
			var presence = packet.get_presence()
			var said: String = room.apply_presence(
				sender, presence.get_joined(), presence.get_name()
			)
			if not said.empty():
				lines.append(said)

	## What main.gd's _act does, with this client's player at the login screen.
	func _act(action: int) -> void:
		if action == _actions.SHOW_LOGIN:
			_logins += 1
			var tried_wrong: bool = not _wrong_user.empty()
			if tried_wrong and _logins == 1:
				_act(flow.log_in(_wrong_user, "not the password"))
			elif tried_wrong and _logins == 2 and flow.guest_allowed:
				_act(flow.play_as_guest())
			elif _logins <= 2:
				_act(flow.register(_user, "a password for " + _user))
			else:
				problem = "asked to log in again: " + flow.notice
		elif action == _actions.SEND_LOGIN:
			_send_account(_generated.Packet.new(), "login_request")
		elif action == _actions.SEND_REGISTER:
			_send_account(_generated.Packet.new(), "register_request")
		elif action == _actions.ENTER_CHAT:
			var packet = _generated.Packet.new()
			packet.new_join_room().set_room("")
			_send(packet)

	func _send_account(packet, kind: String) -> void:
		var request = packet.call("new_" + kind)
		request.set_username(flow.username)
		request.set_password(flow.pending_password())
		_send(packet)

	func _send(packet) -> void:
		_socket.get_peer(1).put_packet(packet.to_bytes())
