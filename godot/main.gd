extends Node
## The chat room: reports the connection in the log, shows what others say and sends what the
## player types. The server URL comes from the user argument [code]--server=URL[/code]
## ([code]godot -- --server=ws://host:8080/ws[/code]), else from [member server_url].
##
## Rooms: [code]WS[/code] joins the lobby once connected; the scene shows the room's recent
## lines on arrival, who joins and leaves, and its members beside the log. The player types
## [code]/join NAME[/code], [code]/rooms[/code] or [code]/who[/code] (chat_command.gd).

# Preloaded rather than named with class_name: global class names resolve through the editor's
# cache in .godot/, which a fresh checkout run from a shell (godot --path godot) does not have.
const Packets := preload("res://packets.gd")
const RoomState := preload("res://room_state.gd")
const ChatCommand := preload("res://chat_command.gd")
const Log := preload("res://log.gd")
const SERVER_ARGUMENT := "--server="
## The server's default limits on one chat line (its [code]/api/status[/code] reports them
## under [code]limits[/code]); a longer line would only be refused. Characters are Unicode
## code points, as both Godot's [String] and the server count them.
const MAX_CHAT_CHARS := 500
const MAX_CHAT_BYTES := 2000

## The server to use when no [code]--server=[/code] user argument is given.
@export var server_url := "ws://localhost:8080/ws"

var _room := RoomState.new()
var _command := ChatCommand.new()

@onready var _log: Log = %Log
@onready var _line_edit: LineEdit = %LineEdit
@onready var _members: ItemList = %Members


func _ready() -> void:
	WS.connected_to_server.connect(_on_ws_connected_to_server)
	WS.connection_closed_with.connect(_on_ws_connection_closed_with)
	WS.reconnecting.connect(_on_ws_reconnecting)
	WS.packet_received.connect(_on_ws_packet_received)
	_line_edit.text_submitted.connect(_on_line_edit_text_submitted)
	_line_edit.max_length = MAX_CHAT_CHARS
	var url := _chosen_server_url()
	_log.info("Connecting to server...")
	var err := WS.connect_to_url(url)
	if err != OK:
		_log.error("Cannot connect to %s: %s" % [url, error_string(err)])
	_line_edit.grab_focus()


func _chosen_server_url() -> String:
	for argument in OS.get_cmdline_user_args():
		if argument.begins_with(SERVER_ARGUMENT):
			return argument.trim_prefix(SERVER_ARGUMENT)
	return server_url


func _on_ws_connected_to_server() -> void:
	_log.success("Connected successfully")


func _on_ws_connection_closed_with(code: int, reason: String) -> void:
	# The member list is stale from here on; the next RoomMessage fills it again.
	_room.clear()
	_show_members()
	if code == -1:
		_log.warning("Connection closed")
	elif reason.is_empty():
		_log.warning("Connection closed (code %d)" % code)
	else:
		_log.warning("Connection closed (code %d: %s)" % [code, reason])


func _on_ws_reconnecting(in_seconds: float) -> void:
	_log.info("Reconnecting in %.1f s..." % in_seconds)


func _on_ws_packet_received(packet: Packets.Packet) -> void:
	var sender_id := packet.get_sender_id()
	if packet.has_id():
		_log.info("Received client ID: %d" % packet.get_id().get_id())
	elif packet.has_chat():
		_log.chat(_room.name_of(sender_id), packet.get_chat().get_msg())
	elif packet.has_room():
		_show_room(packet.get_room())
	elif packet.has_presence():
		_show_presence(sender_id, packet.get_presence())
	elif packet.has_room_list():
		_show_room_list(packet.get_room_list())
	elif packet.has_deny_response():
		_log.error("Refused by the server: %s" % packet.get_deny_response().get_reason())
	elif packet.has_disconnect():
		var reason := packet.get_disconnect().get_reason()
		if reason.is_empty():
			_log.info("Client %d left" % sender_id)
		else:
			_log.info("Client %d left (%s)" % [sender_id, reason])


## A [code]RoomMessage[/code]: the room the player is now in, its members and recent lines.
func _show_room(room: Packets.RoomMessage) -> void:
	var ids: Array[int] = []
	var names: Array[String] = []
	for member in room.get_members():
		ids.append(member.get_id())
		names.append(member.get_name())
	_room.enter(room.get_room(), ids, names)
	_show_members()
	_log.success("In room %s (%d here)" % [room.get_room(), _room.member_count()])
	for line in room.get_history():
		var sender := RoomState.display_name(line.get_sender_id(), line.get_sender_name())
		if line.get_sender_id() == WS.client_id:
			sender = "You"
		_log.chat(sender, line.get_msg())


## A [code]PresenceMessage[/code]: [param who] entered or left the player's room.
func _show_presence(who: int, presence: Packets.PresenceMessage) -> void:
	var shown := RoomState.display_name(who, presence.get_name())
	if presence.get_joined():
		_room.add(who, presence.get_name())
		_log.info("%s joined" % shown)
	else:
		_room.remove(who)
		_log.info("%s left" % shown)
	_show_members()


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
			_log.info("In %s: %s" % [room_name, ", ".join(_room.member_names())])
		_:
			_log.warning(ChatCommand.USAGE)
	return true


func _report_send_error(err: int) -> void:
	if err != OK:
		_log.error("Not sent: %s" % error_string(err))


func _on_line_edit_text_submitted(text: String) -> void:
	if text.strip_edges().is_empty():
		_line_edit.clear()
		return
	if _run_command(text):
		_line_edit.clear()
		return
	if not WS.is_open():
		_log.error("Not connected: message not sent")
		return
	# UTF-8 takes at most 4 bytes a character, so at the default limits max_length alone keeps
	# a line under the byte limit; this check keeps it there if MAX_CHAT_CHARS is ever raised.
	# The text stays in the box to be shortened.
	var byte_count := text.to_utf8_buffer().size()
	if byte_count > MAX_CHAT_BYTES:
		_log.warning(
			"Message is %d bytes; the limit is %d: not sent" % [byte_count, MAX_CHAT_BYTES]
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
