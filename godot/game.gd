extends Node2D
## The game: the world of the player's room ("Radius Rumble", docs/protocol.md "The world"),
## drawn smoothly between updates, the camera on the player and zoomed to its view, mouse
## steering, the live leaderboard, the player's score, the hiscore board, and Play, Hiscores
## and Log out. The main scene calls [method room_joined] when a room is joined and
## [method stop] when the connection is lost; the chat stays the main scene's, over the game.
##
## Like the main scene it never touches the socket: it reads the world's packets from
## [code]WS[/code]'s signal and asks [code]WS[/code] to send. What to do at each event is
## game_flow.gd's; what the world holds is world_state.gd's; when to steer is steering.gd's.

## The player pressed Log out; the main scene's flow closes the connection.
signal log_out_requested()
## The game took the window (playing, the hiscore board, or the Play panel with a reason) or
## gave it back (not in a room, or waiting for the world: a server without worlds never
## answers, and the chat then keeps the whole window).
signal shown_changed(shown: bool)
## A line for the log: what happened in the game ("Eaten by zoë").
signal said(text: String)

const Packets := preload("res://packets.gd")
const RoomState := preload("res://room_state.gd")
const GameFlow := preload("res://game_flow.gd")
const WorldState := preload("res://world_state.gd")
const Steering := preload("res://steering.gd")
const ScoreText := preload("res://score_text.gd")
const WorldView := preload("res://world_view.gd")
const WorldCamera := preload("res://world_camera.gd")
const LeaderboardPanel := preload("res://leaderboard_panel.gd")
const HiscoreScreen := preload("res://hiscore_screen.gd")

var _flow := GameFlow.new()
var _world := WorldState.new()
var _steering := Steering.new()
## Whether the server has shown this client's own player yet in the current world.
var _centred := false

@onready var _view: WorldView = %WorldView
@onready var _camera: WorldCamera = %Camera
@onready var _hud: CanvasLayer = %Hud
@onready var _standing: Label = %Standing
@onready var _leaderboard: LeaderboardPanel = %Leaderboard
@onready var _outside: Control = %Outside
@onready var _outside_notice: Label = %OutsideNotice
@onready var _hiscores: HiscoreScreen = %HiscoreScreen


func _ready() -> void:
	_view.world = _world
	WS.packet_received.connect(_on_ws_packet_received)
	%Play.pressed.connect(_on_play_pressed)
	%Hiscores.pressed.connect(_on_hiscores_pressed)
	%OutsideHiscores.pressed.connect(_on_hiscores_pressed)
	%LogOut.pressed.connect(log_out_requested.emit)
	_hiscores.search_requested.connect(_on_hiscore_screen_search_requested)
	_hiscores.closed.connect(_on_hiscore_screen_closed)
	_show()


func _process(delta: float) -> void:
	if _flow.state != GameFlow.State.PLAYING:
		return
	var own := _world.own_player()
	if own == null:
		return
	var centre := own.position_at(_view.drawn())
	if _centred:
		_camera.follow(centre, _world.view_half_size, delta)
	else:
		_camera.snap(centre, _world.view_half_size)
		_centred = true
	var direction := _steering.direction_to_send(
		get_global_mouse_position() - centre, Time.get_ticks_msec()
	)
	if not is_nan(direction):
		WS.steer(direction)


## Whether the game has the window (see [signal shown_changed]).
func is_shown() -> bool:
	return _hud.visible


## A room was joined (a [code]RoomMessage[/code]): its world is entered.
func room_joined() -> void:
	_act(_flow.room_joined())


## The connection is gone: the game is hidden until a room is joined again.
func stop() -> void:
	_flow.reset()
	_show()


func _on_ws_packet_received(packet: Packets.Packet) -> void:
	if packet.has_world_update():
		if _flow.state == GameFlow.State.PLAYING:
			var update := packet.get_world_update()
			_world.apply(update, _view.drawn())
			_view.updated()
			if _world.eaten_by != 0:
				said.emit("Eaten by %s: starting again" % _name_of(_world.eaten_by))
			if update.has_own():
				_show_standing()
			if update.has_leaderboard():
				_show_leaderboard()
	elif packet.has_world_entered():
		var entered := packet.get_world_entered()
		_act(_flow.world_entered())
		if _flow.state == GameFlow.State.PLAYING:
			_world.enter(entered)
			_steering.reset(_world.tick_rate)
			_view.clear()
			_centred = false
			_show_standing()
			_show_leaderboard()
			said.emit("Playing in the world of %s" % _world.room)
	elif packet.has_world_left():
		_act(_flow.world_left(packet.get_world_left().get_reason()))
		if _flow.state == GameFlow.State.OUTSIDE:
			said.emit(_flow.notice)
	elif packet.has_hiscore_board():
		_act(_flow.board_received())
		if _flow.state == GameFlow.State.HISCORES:
			_hiscores.show_board(packet.get_hiscore_board().get_hiscores(), _flow.search)
	elif packet.has_deny_response():
		_act(_flow.denied(packet.get_deny_response().get_reason()))


## Carries out what the flow asks for.
func _act(action: int) -> void:
	match action:
		GameFlow.Action.ENTER_WORLD:
			WS.enter_world()
		GameFlow.Action.OPEN_HISCORES:
			if _flow.left_world:
				WS.leave_world()
			WS.request_hiscores()
			_hiscores.open()
		GameFlow.Action.SEARCH_HISCORES:
			WS.search_hiscores(_flow.search)
		GameFlow.Action.CLOSE_HISCORES:
			WS.finish_hiscores()
			WS.enter_world()
	if action != GameFlow.Action.NONE:
		_show()


## Shows what belongs to the flow's state.
func _show() -> void:
	var state := _flow.state
	var playing := state == GameFlow.State.PLAYING
	_view.visible = playing
	_camera.enabled = playing
	var shown := (
		playing
		or state == GameFlow.State.HISCORES
		or (state == GameFlow.State.OUTSIDE and not _flow.notice.is_empty())
	)
	_standing.visible = playing
	_leaderboard.visible = playing
	_outside.visible = state == GameFlow.State.OUTSIDE
	_outside_notice.text = _flow.notice
	_hiscores.visible = state == GameFlow.State.HISCORES
	if _hiscores.visible:
		_hiscores.show_notice(_flow.notice)
	if shown != _hud.visible:
		_hud.visible = shown
		shown_changed.emit(shown)


func _show_standing() -> void:
	_standing.text = "Score %s · best %s" % [
		ScoreText.grouped(_world.score), ScoreText.grouped(_world.best_score)
	]


func _show_leaderboard() -> void:
	_leaderboard.show_leaders(_world.leaders, _world.players_in_world, _world.player_id)


## How a player in this world is shown: by its name in view or on the leaderboard.
func _name_of(id: int) -> String:
	var player: WorldState.Player = _world.players.get(id)
	if player != null:
		return RoomState.display_name(id, player.name)
	for leader in _world.leaders:
		if leader.player_id == id:
			return RoomState.display_name(id, leader.name)
	return RoomState.display_name(id, "")


func _on_play_pressed() -> void:
	_act(_flow.play())


func _on_hiscores_pressed() -> void:
	_act(_flow.hiscores_requested())


func _on_hiscore_screen_search_requested(player_name: String) -> void:
	_act(_flow.search_requested(player_name))


func _on_hiscore_screen_closed() -> void:
	_act(_flow.hiscores_closed())
