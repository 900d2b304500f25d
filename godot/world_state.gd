extends RefCounted
## The world as this client sees it: the players and spores in its view, its own standing and
## the live leaderboard, kept from [code]WorldEnteredMessage[/code] (106) and each
## [code]WorldUpdateMessage[/code] (109) applied in the documented order (docs/protocol.md,
## "The world"): leaves, eats, entries, moves, resizes, own state, leaderboard.
##
## Smoothing: the view draws one tick behind. Each player holds where it was drawn when the
## latest update arrived ([member Player.from]) and where that update puts it
## ([member Player.to]); the view draws between them as [method fraction] grows from 0 to 1 over
## one tick, so an update that comes early or late never makes anything jump.
##
## Pure logic, no nodes and no engine calls: the tests run it in Godot 3 on updates made by the
## server's own world engine. The messages are passed as [Object]s (duck-typed by their getters)
## so the script needs no [code]preload[/code] of packets.gd, which Godot 3 could not resolve.


## A player in view. Positions and radii are in world units; [code]x[/code], [code]y[/code],
## [code]units_radius[/code] are the exact wire values the next move adds to.
class Player:
	var id := 0
	## The account's name, "" for a guest.
	var name := ""
	## RGBA32, as the account stores it (0 for none).
	var color := 0
	var x := 0
	var y := 0
	var units_radius := 0
	var from := Vector2.ZERO
	var to := Vector2.ZERO
	var from_radius := 0.0
	var to_radius := 0.0

	## Where to draw it [param at] a fraction of the way from the previous update to the latest.
	func position_at(at: float) -> Vector2:
		return from + (to - from) * at

	func radius_at(at: float) -> float:
		return from_radius + (to_radius - from_radius) * at


## A spore in view; spores never move.
class Spore:
	var id := 0
	var position := Vector2.ZERO
	var radius := 0.0


## Something eaten in view, where it was drawn when it went: the view animates it towards
## its eater for a moment.
class Eat:
	var eater_id := 0
	## The eaten player's ID, or 0 for a spore.
	var player_id := 0
	var spore_id := 0
	var position := Vector2.ZERO
	var radius := 0.0
	var color := 0


## One row of the live leaderboard.
class Leader:
	var player_id := 0
	var name := ""
	var score := 0


## The server's view at the start (r = 20), until the first [code]WorldOwnState[/code].
const DEFAULT_VIEW_HALF_SIZE := Vector2(800, 450)

## The room whose world this is; "" before [method enter].
var room := ""
## This client's player (its client ID); 0 before [method enter].
var player_id := 0
var tick_rate := 20
## Wire units per world unit.
var position_scale := 8
## The latest update's tick number.
var tick := 0
## Player ID → [Player], everything in view, this client's own player included.
var players := {}
## Spore ID → [Spore].
var spores := {}
var score := 0
var best_score := 0
## Half the size of what the server counts as this client's view, in world units: the camera
## shows exactly that.
var view_half_size := DEFAULT_VIEW_HALF_SIZE
## The world's top players, best first, whatever the view.
var leaders: Array[Leader] = []
## How many play in this world.
var players_in_world := 0
## Who ate this client's player in the latest update (it has respawned since), or 0.
var eaten_by := 0

var _eats: Array[Eat] = []


## Starts over in the world a [code]WorldEnteredMessage[/code] names.
func enter(entered: Object) -> void:
	room = entered.get_room()
	player_id = entered.get_player_id()
	tick_rate = maxi(entered.get_tick_rate(), 1)
	position_scale = maxi(entered.get_position_scale(), 1)
	tick = 0
	players.clear()
	spores.clear()
	score = 0
	best_score = 0
	view_half_size = DEFAULT_VIEW_HALF_SIZE
	leaders.clear()
	players_in_world = 0
	eaten_by = 0
	_eats.clear()


## How far to draw from [member Player.from] to [member Player.to], [param seconds] after the
## latest update arrived: one tick takes it all the way.
func fraction(seconds: float) -> float:
	return clampf(seconds * tick_rate, 0.0, 1.0)


## Applies a [code]WorldUpdateMessage[/code], in the order the protocol gives. [param drawn] is
## [method fraction] at the moment it arrived: every player starts from where it was drawn.
func apply(update: Object, drawn: float) -> void:
	tick = update.get_tick()
	eaten_by = 0
	for player in players.values():
		player.from = player.position_at(drawn)
		player.from_radius = player.radius_at(drawn)
	for id in update.get_players_left():
		players.erase(id)
	for id in update.get_spores_left():
		spores.erase(id)
	for eat in update.get_eaten():
		_eat(eat)
	for entered in update.get_players_entered():
		_add_player(entered)
	for entered in update.get_spores_entered():
		_add_spore(entered)
	_move(update.get_moved_ids(), update.get_moved_xy())
	_resize(update.get_resized_ids(), update.get_resized_radii())
	if update.has_own():
		var own: Object = update.get_own()
		score = own.get_score()
		best_score = own.get_best_score()
		view_half_size = Vector2(own.get_view_half_width(), own.get_view_half_height())
	if update.has_leaderboard():
		_read_leaderboard(update.get_leaderboard())


## This client's own player, or null while it is not in view (between being eaten and
## re-entering, in the same update, it always is).
func own_player() -> Player:
	return players.get(player_id)


## The eats since the last call, oldest first, for the view to animate.
func take_eats() -> Array[Eat]:
	var taken := _eats
	_eats = []
	return taken


## The IDs that [param coded] holds (the first as it is, each next one as the difference).
static func decode_ids(coded: Array[int]) -> Array[int]:
	var ids: Array[int] = []
	var id := 0
	for gap in coded:
		id += gap
		ids.append(id)
	return ids


func _eat(eat: Object) -> void:
	var gone := Eat.new()
	gone.eater_id = eat.get_eater_id()
	gone.player_id = eat.get_player_id()
	gone.spore_id = eat.get_spore_id()
	if gone.player_id != 0:
		var player: Player = players.get(gone.player_id)
		if player == null:
			return
		if gone.player_id == player_id:
			eaten_by = gone.eater_id
		gone.position = player.from
		gone.radius = player.from_radius
		gone.color = player.color
		players.erase(gone.player_id)
	else:
		var spore: Spore = spores.get(gone.spore_id)
		if spore == null:
			return
		gone.position = spore.position
		gone.radius = spore.radius
		spores.erase(gone.spore_id)
	_eats.append(gone)


func _add_player(entered: Object) -> void:
	var player := Player.new()
	player.id = entered.get_id()
	player.name = entered.get_name()
	player.color = entered.get_color()
	player.x = entered.get_x()
	player.y = entered.get_y()
	player.units_radius = entered.get_radius()
	player.to = _position(player.x, player.y)
	player.from = player.to
	player.to_radius = float(player.units_radius) / position_scale
	player.from_radius = player.to_radius
	players[player.id] = player


func _add_spore(entered: Object) -> void:
	var spore := Spore.new()
	spore.id = entered.get_id()
	spore.position = _position(entered.get_x(), entered.get_y())
	spore.radius = float(entered.get_radius()) / position_scale
	spores[spore.id] = spore


func _move(coded_ids: Array[int], xy: Array[int]) -> void:
	var ids := decode_ids(coded_ids)
	for at in ids.size():
		var player: Player = players.get(ids[at])
		if player == null or 2 * at + 1 >= xy.size():
			continue
		player.x += xy[2 * at]
		player.y += xy[2 * at + 1]
		player.to = _position(player.x, player.y)


func _resize(coded_ids: Array[int], radii: Array[int]) -> void:
	var ids := decode_ids(coded_ids)
	for at in mini(ids.size(), radii.size()):
		var player: Player = players.get(ids[at])
		if player == null:
			continue
		player.units_radius = radii[at]
		player.to_radius = float(radii[at]) / position_scale


func _read_leaderboard(board: Object) -> void:
	leaders.clear()
	for entry in board.get_entries():
		var leader := Leader.new()
		leader.player_id = entry.get_player_id()
		leader.name = entry.get_name()
		leader.score = entry.get_score()
		leaders.append(leader)
	players_in_world = board.get_players()


func _position(units_x: int, units_y: int) -> Vector2:
	return Vector2(units_x, units_y) / float(position_scale)
