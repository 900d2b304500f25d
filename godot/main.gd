extends Node
## The client's main scene: the log, the login screen, the chat room and, once in a room, the
## game (game.tscn) under the chat, shown as the flow (client_flow.gd) moves from connecting to
## logging in to chatting and playing. The server URL comes from
## the user argument [code]--server=URL[/code] ([code]godot -- --server=ws://host:8080/ws[/code]),
## else from [member server_url]. The scene never touches the socket: [code]WS[/code] sends and
## receives, this script only calls it and listens to its signals.
##
## Rooms: once chatting, the scene joins the lobby (after a reconnect, the room it was in),
## shows the room's recent lines on arrival, who joins, leaves and logs in, and its members
## beside the log. The player types [code]/join NAME[/code], [code]/rooms[/code] or
## [code]/who[/code] (chat_command.gd). Each joined room's world is entered (game.gd); the
## chat then sits in the lower left corner, over the game. Log out closes the connection and
## opens a fresh one, at the login screen.

# Preloaded rather than named with class_name: global class names resolve through the editor's
# cache in .godot/, which a fresh checkout run from a shell (godot --path godot) does not have.
const Packets := preload("res://packets.gd")
const RoomState := preload("res://room_state.gd")
const ChatCommand := preload("res://chat_command.gd")
const ClientFlow := preload("res://client_flow.gd")
const ServerStatus := preload("res://server_status.gd")
const ServerUrl := preload("res://server_url.gd")
const Log := preload("res://log.gd")
const LoginForm := preload("res://login_form.gd")
const Game := preload("res://game.gd")
const SERVER_ARGUMENT := "--server="
## Where the chat's box starts over the game, as fractions of the window.
const CHAT_OVER_GAME_TOP := 0.6
const CHAT_OVER_GAME_RIGHT := 0.45
## Names a presence batch's log lines spell out; past it, the log gives counts (a big lobby's
## batch can name hundreds).
const BATCH_NAMES_SHOWN := 5

## The server to use when no [code]--server=[/code] user argument is given.
@export var server_url := "ws://localhost:8080/ws"

var _room := RoomState.new()
var _command := ChatCommand.new()
var _flow := ClientFlow.new()
## The server's limits and accounts, from its /api/status; its defaults until that answers.
var _status := ServerStatus.new()
## The WebSocket URL in use, to connect again after a logout.
var _url := ""
## How many members the room has, as the server last said (a big room's list is paged).
var _room_total := 0
## The ID the next member page starts after, while a big room's list is paged; -1 otherwise.
var _paging_after := -1

@onready var _log: Log = %Log
@onready var _line_edit: LineEdit = %LineEdit
@onready var _members: ItemList = %Members
@onready var _login_form: LoginForm = %LoginForm
@onready var _chat: MarginContainer = %MarginContainer
@onready var _game: Game = %Game


func _ready() -> void:
	WS.connected_to_server.connect(_on_ws_connected_to_server)
	WS.connection_closed_with.connect(_on_ws_connection_closed_with)
	WS.connection_failed.connect(_on_ws_connection_failed)
	WS.reconnecting.connect(_on_ws_reconnecting)
	WS.packet_received.connect(_on_ws_packet_received)
	WS.status_received.connect(_on_ws_status_received)
	_line_edit.text_submitted.connect(_on_line_edit_text_submitted)
	_login_form.log_in_requested.connect(_on_login_form_log_in_requested)
	_login_form.register_requested.connect(_on_login_form_register_requested)
	_login_form.guest_requested.connect(_on_login_form_guest_requested)
	_game.log_out_requested.connect(_on_game_log_out_requested)
	_game.shown_changed.connect(_on_game_shown_changed)
	_game.said.connect(_log.info)
	_apply_limits()
	_show_state()
	var chosen := _chosen_server_url()
	_url = ServerUrl.websocket_url(chosen)
	if ServerUrl.was_completed(chosen):
		_log.warning("No path in %s (%s): connecting to %s" % [chosen, ServerUrl.HINT, _url])
	_connect()
	_line_edit.grab_focus()


func _connect() -> void:
	_log.info("Connecting to server...")
	var err := WS.connect_to_url(_url)
	if err != OK:
		_log.error("Cannot connect to %s: %s" % [_url, error_string(err)])


func _chosen_server_url() -> String:
	for argument in OS.get_cmdline_user_args():
		if argument.begins_with(SERVER_ARGUMENT):
			return argument.trim_prefix(SERVER_ARGUMENT)
	return server_url


func _on_ws_connected_to_server() -> void:
	_log.success("Connected successfully")
	# A message of ours (field 100 or above) before any login: a client that logs in first is
	# taken for the tutorial's client, whose game starts at its login (docs/protocol.md, "The
	# world"). Its answer, the room list, is shown in the log.
	_report_send_error(WS.request_room_list())
	_flow.connecting()


func _on_ws_connection_closed_with(code: int, reason: String) -> void:
	if code == -1:
		_log.warning("Connection closed")
	elif reason.is_empty():
		_log.warning("Connection closed (code %d)" % code)
	else:
		_log.warning("Connection closed (code %d: %s)" % [code, reason])
	_lost_connection(code)


func _on_ws_connection_failed(url: String) -> void:
	_lost_connection(-1)
	_log.warning(ServerUrl.could_not_connect(url))


func _on_ws_reconnecting(in_seconds: float) -> void:
	_log.info("Reconnecting in %.1f s..." % in_seconds)


func _on_ws_status_received(status: Variant) -> void:
	_status.read(status)
	_apply_limits()
	_act(_flow.status_received(_status.accounts_enabled, _status.require_login))


func _on_ws_packet_received(packet: Packets.Packet) -> void:
	var sender_id := packet.get_sender_id()
	if packet.has_id():
		# The tutorial's server sends the ID again after the hiscore board; said once.
		if packet.get_id().get_id() != _room.own_id:
			_room.own_id = packet.get_id().get_id()
			_log.info("Received client ID: %d" % _room.own_id)
		_act(_flow.id_received())
	elif packet.has_ok_response():
		_act(_flow.ok_received())
	elif packet.has_deny_response():
		var reason := packet.get_deny_response().get_reason()
		_log.error("Refused by the server: %s" % reason)
		_act(_flow.deny_received(reason))
	elif packet.has_chat():
		_log.chat(_room.speaker(sender_id, ""), packet.get_chat().get_msg())
	elif packet.has_room():
		_show_room(packet.get_room())
	elif packet.has_presence():
		var presence := packet.get_presence()
		var line := _room.apply_presence(sender_id, presence.get_joined(), presence.get_name())
		if not line.is_empty():
			_log.info(line)
		_show_members()
	elif packet.has_presence_batch():
		_apply_presence_batch(packet.get_presence_batch())
	elif packet.has_member_list():
		_apply_member_page(packet.get_member_list())
	elif packet.has_room_list():
		_show_room_list(packet.get_room_list())
	elif packet.has_disconnect():
		_show_disconnect(sender_id, packet.get_disconnect().get_reason())


## Carries out what the flow asks for (the login form shows [member ClientFlow.notice] itself).
func _act(action: int) -> void:
	match action:
		ClientFlow.Action.SEND_LOGIN:
			_log.info("Logging in as %s..." % _flow.username)
			_report_send_error(WS.log_in(_flow.username, _flow.pending_password()))
		ClientFlow.Action.SEND_REGISTER:
			_log.info("Registering %s..." % _flow.username)
			_report_send_error(WS.register(_flow.username, _flow.pending_password()))
		ClientFlow.Action.ENTER_CHAT:
			_login_form.forget_password()
			if _flow.username.is_empty():
				_log.success("Playing as a guest")
			else:
				_log.success("Logged in as %s" % _flow.username)
			_report_send_error(WS.join_room(WS.room))
		ClientFlow.Action.CLOSE:
			_log.info("Logging out...")
			_game.stop()
			WS.close(1000, "logged out")
		ClientFlow.Action.RECONNECT:
			_connect()
	_show_state()


## Shows what belongs to the flow's state: the login form, or the chat's input and members.
func _show_state() -> void:
	var logging_in := _flow.state == ClientFlow.State.LOGGING_IN
	var chatting := _flow.state == ClientFlow.State.CHATTING
	if logging_in:
		_login_form.open(_flow.notice, _flow.guest_allowed, _status.accounts_available)
		_login_form.set_waiting(_flow.is_waiting())
	_login_form.visible = logging_in
	_line_edit.visible = not logging_in
	_members.visible = chatting
	# While the game has the window the chat keeps its lower left corner.
	var over_game := chatting and _game.is_shown()
	_chat.anchor_top = CHAT_OVER_GAME_TOP if over_game else 0.0
	_chat.anchor_right = CHAT_OVER_GAME_RIGHT if over_game else 1.0
	if chatting:
		_line_edit.grab_focus()


func _lost_connection(code: int) -> void:
	# The member list is stale from here on; the next RoomMessage fills it again.
	_game.stop()
	_room.clear()
	_room.own_id = 0
	_status.reset()
	_show_members()
	_act(_flow.closed(code))


func _apply_limits() -> void:
	_line_edit.max_length = _status.max_chat_chars


## A [code]RoomMessage[/code]: the room the player is now in, its members and recent lines.
func _show_room(room: Packets.RoomMessage) -> void:
	var ids: Array[int] = []
	var names: Array[String] = []
	for member in room.get_members():
		ids.append(member.get_id())
		names.append(member.get_name())
	_room.enter(room.get_room(), ids, names)
	_room_total = room.get_member_count() if room.get_member_count() > 0 else _room.member_count()
	_paging_after = -1
	_show_members()
	_log.success("In room %s (%d here)" % [room.get_room(), _room_total])
	# A big room lists only this client: the member list comes in pages.
	if room.get_members_partial():
		_paging_after = 0
		_report_send_error(WS.request_member_page(_room.room_name, 0))
	for line in room.get_history():
		_log.chat(_room.speaker(line.get_sender_id(), line.get_sender_name()), line.get_msg())
	_game.room_joined()


## A big room's [code]PresenceBatchMessage[/code]: every member it names as it is at the
## batch's end, so it is right on top of a list built from earlier messages.
func _apply_presence_batch(batch: Packets.PresenceBatchMessage) -> void:
	if batch.get_room() != _room.room_name:
		return
	for member in batch.get_joined():
		_room.add(member.get_id(), member.get_name())
	for id in batch.get_left():
		_room.remove(id)
	_room_total = batch.get_members()
	var changes: int = batch.get_joined().size() + batch.get_left().size()
	if changes <= BATCH_NAMES_SHOWN:
		for member in batch.get_joined():
			_log.info("%s joined" % RoomState.display_name(member.get_id(), member.get_name()))
		for id in batch.get_left():
			_log.info("%s left" % RoomState.display_name(id, ""))
	else:
		_log.info(
			(
				"%d joined, %d left (%d here)"
				% [batch.get_joined().size(), batch.get_left().size(), _room_total]
			)
		)
	_show_members()


## One page of a big room's member list: it replaces what the list held for the IDs it covers;
## the next page is asked for until the list is whole.
func _apply_member_page(page: Packets.MemberListMessage) -> void:
	if _paging_after < 0 or page.get_room() != _room.room_name:
		return
	var last: int = page.get_next_after_id()
	for id in _room.member_ids():
		if id > _paging_after and (page.get_complete() or id <= last):
			_room.remove(id)
	for member in page.get_members():
		_room.add(member.get_id(), member.get_name())
	_room_total = page.get_total()
	if page.get_complete():
		_paging_after = -1
	else:
		_paging_after = last
		_report_send_error(WS.request_member_page(_room.room_name, last))
	_show_members()


## A [code]DisconnectMessage[/code]: from a server without rooms another client left; sent
## to this client itself (its own ID or none as [param sender_id]), why the server is about to
## close it.
func _show_disconnect(sender_id: int, reason: String) -> void:
	if sender_id == 0 or sender_id == _room.own_id:
		_log.error("Disconnected by the server: %s" % reason)
		return
	var shown := _room.name_of(sender_id)
	if reason.is_empty():
		_log.info("%s left" % shown)
	else:
		_log.info("%s left (%s)" % [shown, reason])


func _show_room_list(list: Packets.RoomListMessage) -> void:
	var rooms := PackedStringArray()
	for room in list.get_rooms():
		rooms.append("%s (%d)" % [room.get_name(), room.get_members()])
	if rooms.is_empty():
		_log.info("No rooms")
	else:
		_log.info("Rooms: " + ", ".join(rooms))


func _show_members() -> void:
	_members.clear()
	for member in _room.member_names():
		_members.add_item(member)


## Runs a [code]/[/code] command; returns false when [param text] is a chat line instead.
func _run_command(text: String) -> bool:
	_command.parse(text)
	match _command.kind:
		ChatCommand.Kind.CHAT:
			return false
		ChatCommand.Kind.JOIN:
			_report_send_error(WS.join_room(_command.argument))
		ChatCommand.Kind.ROOMS:
			_report_send_error(WS.request_room_list())
		ChatCommand.Kind.WHO:
			var room_name := _room.room_name if not _room.room_name.is_empty() else "no room yet"
			_log.info(
				(
					"In %s (%d): %s"
					% [room_name, maxi(_room_total, _room.member_count()), ", ".join(_room.member_names())]
				)
			)
		_:
			_log.warning(ChatCommand.USAGE)
	return true


func _report_send_error(err: int) -> void:
	if err != OK:
		_log.error("Not sent: %s" % error_string(err))


func _on_login_form_log_in_requested(username: String, password: String) -> void:
	_act(_flow.log_in(username, password))


func _on_login_form_register_requested(username: String, password: String) -> void:
	_act(_flow.register(username, password))


func _on_login_form_guest_requested() -> void:
	_act(_flow.play_as_guest())


func _on_game_log_out_requested() -> void:
	_act(_flow.log_out())


func _on_game_shown_changed(_shown: bool) -> void:
	_show_state()


func _on_line_edit_text_submitted(text: String) -> void:
	if text.strip_edges().is_empty():
		_line_edit.clear()
		return
	if _run_command(text):
		_line_edit.clear()
		return
	if not WS.is_open() or _flow.state != ClientFlow.State.CHATTING:
		_log.error("Not connected: message not sent")
		return
	# The box takes at most the server's character limit; a line within it can still be over
	# the byte limit (UTF-8 takes up to 4 bytes a character). The text stays in the box to be
	# shortened.
	var byte_count := text.to_utf8_buffer().size()
	if byte_count > _status.max_chat_bytes:
		_log.warning(
			"Message is %d bytes; the limit is %d: not sent" % [byte_count, _status.max_chat_bytes]
		)
		return
	var packet := Packets.Packet.new()
	var chat_msg := packet.new_chat()
	chat_msg.set_msg(text)
	var err := WS.send(packet)
	if err != OK:
		_log.error("Error sending chat message: %s" % error_string(err))
	else:
		_log.chat("You", text)
		_line_edit.clear()
