extends Node
## The connection to the server, registered as the autoload [code]WS[/code]. It owns the
## [WebSocketPeer], turns binary frames into [code]Packets.Packet[/code]s, reconnects after a
## drop with capped exponential backoff, asks the server's [code]/api/status[/code] (limits,
## accounts) each time the socket opens, and reports everything through signals, so scenes
## never touch the socket. Same signals and methods as the tutorial's client, plus
## [signal connection_closed_with], [signal connection_failed], [signal reconnecting] and
## [signal status_received].
##
## It always processes, also while the game pauses the scene tree: the server pings, and a
## client that stops answering is dropped after the server's idle timeout.
##
## It no longer joins a room by itself: the scene's flow (client_flow.gd) decides when, after
## a login or as a guest, and calls [method join_room]. Joining also tells the server this
## client knows the rooms messages, so it sends them (docs/protocol.md, "opt-in").

## The socket opened (first connection or a reconnect).
signal connected_to_server()
## The socket closed or a connection attempt failed. Kept for tutorial code.
signal connection_closed()
## An open connection closed, with the WebSocket close code and reason; [param code] is -1
## when it ended without a close frame (dropped, timed out).
signal connection_closed_with(code: int, reason: String)
## A connection attempt to [param url] ended before the socket ever opened: nothing listens
## there, or the server refused the upgrade (on this server: any path but [code]/ws[/code]).
signal connection_failed(url: String)
## A reconnect is scheduled [param in_seconds] from now.
signal reconnecting(in_seconds: float)
## A packet arrived from the server.
signal packet_received(packet: Packets.Packet)
## The server's [code]/api/status[/code] answered with [param status] (the parsed JSON), or
## could not be had: then [param status] is null. Read it with server_status.gd.
signal status_received(status: Variant)

const Packets := preload("res://packets.gd")
const ServerUrl := preload("res://server_url.gd")
## How long the status request may take before the client goes on without it.
const STATUS_TIMEOUT_SECONDS := 5.0

## Reconnect after an unexpected close. An explicit [method close] never reconnects.
@export var auto_reconnect := true
## The first reconnect delay; each failed attempt doubles it up to [member max_backoff_seconds].
@export var initial_backoff_seconds := 1.0
@export var max_backoff_seconds := 30.0

var socket := WebSocketPeer.new()
var last_state := WebSocketPeer.STATE_CLOSED
## The ID the server gave this connection; 0 until it has.
var client_id := 0
## The room the server last confirmed (a [code]RoomMessage[/code]); joined again after a
## reconnect. Empty means the lobby.
var room := ""

var _url := ""
var _tls_options: TLSOptions = null
var _wants_connection := false
var _failed_attempts := 0
var _reconnect_in := -1.0
## Whether the current attempt's socket opened, to tell a failed attempt from a closed one.
var _opened := false
var _status_request := HTTPRequest.new()


func _init() -> void:
	process_mode = Node.PROCESS_MODE_ALWAYS


func _ready() -> void:
	_status_request.timeout = STATUS_TIMEOUT_SECONDS
	_status_request.request_completed.connect(_on_status_request_completed)
	add_child(_status_request)


func _process(delta: float) -> void:
	if _reconnect_in >= 0.0:
		_reconnect_in -= delta
		if _reconnect_in < 0.0:
			_open()
	poll()


## Connects to [param url] ([code]ws://[/code] or [code]wss://[/code]) and keeps reconnecting
## until [method close]. Returns the error of the first attempt ([constant OK] if it started).
func connect_to_url(url: String, tls_options: TLSOptions = null) -> int:
	_url = url
	_tls_options = tls_options
	if _tls_options == null and url.begins_with("wss://"):
		_tls_options = TLSOptions.client()
	_wants_connection = true
	_failed_attempts = 0
	_reconnect_in = -1.0
	return _open()


## Sends [param packet] as one binary frame. The server decides who sent it, so
## [code]sender_id[/code] goes out as 0.
func send(packet: Packets.Packet) -> int:
	if not is_open():
		return ERR_UNCONFIGURED
	packet.set_sender_id(0)
	return socket.send(packet.to_bytes())


## Asks to move to [param room_name] ("" for the lobby). The server answers with a
## [code]RoomMessage[/code], or a [code]DenyResponseMessage[/code] when it refuses.
func join_room(room_name: String) -> int:
	var packet := Packets.Packet.new()
	packet.new_join_room().set_room(room_name)
	return send(packet)


## Asks to log this connection into the account [param username]; the server answers with
## [code]OkResponseMessage[/code] or [code]DenyResponseMessage[/code].
func log_in(username: String, password: String) -> int:
	var packet := Packets.Packet.new()
	var login := packet.new_login_request()
	login.set_username(username)
	login.set_password(password)
	return send(packet)


## Asks to create the account [param username]; answered like [method log_in]. Registering
## does not log in.
func register(username: String, password: String) -> int:
	var packet := Packets.Packet.new()
	var request := packet.new_register_request()
	request.set_username(username)
	request.set_password(password)
	return send(packet)


## Asks which rooms exist; the server answers with a [code]RoomListMessage[/code].
func request_room_list() -> int:
	var packet := Packets.Packet.new()
	packet.new_room_list_request()
	return send(packet)


## Asks to play in the world of this client's room, with extrapolated updates (velocities
## when they change instead of every move: less to receive, players drawn where they are);
## answered with [code]WorldEnteredMessage[/code] (whose [code]extrapolating[/code] says
## whether the server does it) or [code]DenyResponseMessage[/code].
func enter_world() -> int:
	var packet := Packets.Packet.new()
	packet.new_enter_world().set_extrapolate(true)
	return send(packet)


## Asks to stop playing (the client stays in its room); answered with
## [code]WorldLeftMessage[/code].
func leave_world() -> int:
	var packet := Packets.Packet.new()
	packet.new_leave_world()
	return send(packet)


## Steers this client's player towards [param direction] (radians, 0 = +x, π/2 = +y).
func steer(direction: float) -> int:
	var packet := Packets.Packet.new()
	packet.new_player_direction().set_direction(direction)
	return send(packet)


## Asks for the hiscore board's top rows; answered with [code]HiscoreBoardMessage[/code].
func request_hiscores() -> int:
	var packet := Packets.Packet.new()
	packet.new_hiscore_board_request()
	return send(packet)


## Asks for the hiscore board around the player named [param player_name]; answered with
## [code]HiscoreBoardMessage[/code], or [code]DenyResponseMessage[/code] when nobody has it.
func search_hiscores(player_name: String) -> int:
	var packet := Packets.Packet.new()
	packet.new_search_hiscore().set_name(player_name)
	return send(packet)


## Says the player is done with the hiscore board.
func finish_hiscores() -> int:
	var packet := Packets.Packet.new()
	packet.new_finished_browsing_hiscores()
	return send(packet)


## Asks for one page of the members of [param room_name] (this client's room) with IDs above
## [param after_id]; the server answers with a [code]MemberListMessage[/code]. A big room's
## [code]RoomMessage[/code] lists only this client: its other members come in such pages.
func request_member_page(room_name: String, after_id: int) -> int:
	var packet := Packets.Packet.new()
	var request := packet.new_member_list_request()
	request.set_room(room_name)
	request.set_after_id(after_id)
	return send(packet)


## Whether the socket is open, so [method send] can succeed.
func is_open() -> bool:
	return socket.get_ready_state() == WebSocketPeer.STATE_OPEN


## The next received packet, or null when none is waiting or the frame could not be decoded
## (such frames are reported and dropped; the connection stays open).
func get_packet() -> Packets.Packet:
	if socket.get_available_packet_count() < 1:
		return null
	var data := socket.get_packet()
	var packet := Packets.Packet.new()
	var result := packet.from_bytes(data)
	if result != OK:
		printerr("Error forming packet from %d bytes: %s" % [data.size(), data.hex_encode()])
		return null
	return packet


## Closes the connection on purpose: no reconnect follows. [method poll] reports the close
## with [signal connection_closed] as for any other, also when the socket was still connecting
## (the engine then closes it at once; that is then a [signal connection_failed]).
func close(code: int = 1000, reason: String = "") -> void:
	_wants_connection = false
	_reconnect_in = -1.0
	socket.close(code, reason)


## Drops the socket without a close handshake and stops reconnecting.
func clear() -> void:
	_wants_connection = false
	_reconnect_in = -1.0
	socket = WebSocketPeer.new()
	last_state = socket.get_ready_state()


func get_socket() -> WebSocketPeer:
	return socket


## Reads the socket and emits signals; called every frame from [method _process].
func poll() -> void:
	if socket.get_ready_state() != WebSocketPeer.STATE_CLOSED:
		socket.poll()
	var state := socket.get_ready_state()
	if last_state != state:
		last_state = state
		if state == WebSocketPeer.STATE_OPEN:
			_failed_attempts = 0
			_opened = true
			connected_to_server.emit()
			_request_status()
		elif state == WebSocketPeer.STATE_CLOSED:
			# A status still on its way would describe a connection that is gone.
			_status_request.cancel_request()
			connection_closed.emit()
			if _opened:
				connection_closed_with.emit(socket.get_close_code(), socket.get_close_reason())
			else:
				connection_failed.emit(_url)
			_opened = false
			_schedule_reconnect()
	while is_open() and socket.get_available_packet_count() > 0:
		var packet := get_packet()
		if packet != null:
			_follow_room(packet)
			packet_received.emit(packet)


## Keeps [member client_id] and [member room] current.
func _follow_room(packet: Packets.Packet) -> void:
	if packet.has_id():
		client_id = packet.get_id().get_id()
	elif packet.has_room():
		room = packet.get_room().get_room()


func _open() -> int:
	_opened = false
	socket = WebSocketPeer.new()
	var err := socket.connect_to_url(_url, _tls_options)
	last_state = socket.get_ready_state()
	if err != OK:
		# A malformed URL will not get better by retrying.
		_wants_connection = false
	return err


func _schedule_reconnect() -> void:
	if not (_wants_connection and auto_reconnect):
		return
	var backoff := minf(max_backoff_seconds, initial_backoff_seconds * pow(2.0, _failed_attempts))
	# Jitter spreads out clients that all lost the same server at the same moment.
	_reconnect_in = backoff * randf_range(0.5, 1.0)
	_failed_attempts = mini(_failed_attempts + 1, 30)
	reconnecting.emit(_reconnect_in)


## Asks the server beside the WebSocket for its status; answered by [signal status_received].
func _request_status() -> void:
	_status_request.cancel_request()
	var url := ServerUrl.status_url(_url)
	if url.is_empty():
		status_received.emit(null)
		return
	_status_request.set_tls_options(_tls_options if _tls_options != null else TLSOptions.client())
	if _status_request.request(url) != OK:
		status_received.emit(null)


func _on_status_request_completed(
	result: int, response_code: int, _headers: PackedStringArray, body: PackedByteArray
) -> void:
	if result != HTTPRequest.RESULT_SUCCESS or response_code != 200:
		status_received.emit(null)
		return
	status_received.emit(JSON.parse_string(body.get_string_from_utf8()))
