extends RefCounted
## The world as this client sees it: the players and spores in its view, its own standing and
## the live leaderboard, kept from [code]WorldEnteredMessage[/code] (106) and each
## [code]WorldUpdateMessage[/code] (109) applied in the documented order (docs/protocol.md,
## "The world"): leaves, eats, entries, moves (or velocities), resizes, own state, leaderboard.
##
## Extrapolated updates ("Extrapolated updates"; [member extrapolating]): each player keeps its
## velocity, its move on every tick until the server names a new one, so an update for tick T
## after one for tick P first moves everyone over the T - P - 1 ticks that sent nothing, and
## then, after leaves, eats and entries, moves every player held before it once more, by its new
## velocity if the update names one. Positions stay the server's exactly (integers).
##
## Smoothing: each player holds where it was drawn when the latest update arrived
## ([member Player.from]) and where that update puts it ([member Player.to]). The view draws it
## at [code]to[/code] moved on by its velocity for the ticks since ([method ticks_since]), plus
## the difference from [code]from[/code] faded out over one tick: extrapolating, where it is
## now; otherwise (no velocity) one tick behind, gliding to the latest place. An update that
## comes early or late, or a change of course learnt a tick late, never makes anything jump.
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
	## Its move on every tick from the latest update's on, in wire units (extrapolating only).
	var vx := 0
	var vy := 0
	## [member vx], [member vy] in world units per tick.
	var velocity := Vector2.ZERO
	var from := Vector2.ZERO
	var to := Vector2.ZERO
	var from_radius := 0.0
	var to_radius := 0.0

	## Where to draw it [param ticks] after the latest update arrived.
	func position_at(ticks: float) -> Vector2:
		var fade := 1.0 - clampf(ticks, 0.0, 1.0)
		return to + velocity * maxf(ticks, 0.0) + (from - to) * fade

	func radius_at(ticks: float) -> float:
		return from_radius + (to_radius - from_radius) * clampf(ticks, 0.0, 1.0)


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
## Whether updates carry velocities (and entrants theirs) instead of moves.
var extrapolating := false
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
## Whether an update came since [method enter] (the first has no previous tick).
var _updated := false


## Starts over in the world a [code]WorldEnteredMessage[/code] names.
func enter(entered: Object) -> void:
	room = entered.get_room()
	player_id = entered.get_player_id()
	tick_rate = maxi(entered.get_tick_rate(), 1)
	position_scale = maxi(entered.get_position_scale(), 1)
	extrapolating = entered.get_extrapolating()
	tick = 0
	_updated = false
	players.clear()
	spores.clear()
	score = 0
	best_score = 0
	view_half_size = DEFAULT_VIEW_HALF_SIZE
	leaders.clear()
	players_in_world = 0
	eaten_by = 0
	_eats.clear()


## How many ticks [param seconds] are (what [method Player.position_at] takes).
func ticks_since(seconds: float) -> float:
	return maxf(seconds * tick_rate, 0.0)


## Applies a [code]WorldUpdateMessage[/code], in the order the protocol gives. [param drawn] is
## [method ticks_since] the previous one at the moment it arrived: every player starts from
## where it was drawn.
func apply(update: Object, drawn: float) -> void:
	# The tick number wraps at 2^32; GDScript's ints are 64 bits.
	var gap: int = (update.get_tick() - tick) & 0xFFFFFFFF if _updated else 1
	tick = update.get_tick()
	_updated = true
	eaten_by = 0
	for player in players.values():
		player.from = player.position_at(drawn)
		player.from_radius = player.radius_at(drawn)
		if extrapolating:
			_step(player, maxi(gap - 1, 0))
	for id in update.get_players_left():
		players.erase(id)
	for id in update.get_spores_left():
		spores.erase(id)
	for eat in update.get_eaten():
		_eat(eat)
	var entrants := {}
	for entered in update.get_players_entered():
		entrants[_add_player(entered)] = true
	for entered in update.get_spores_entered():
		_add_spore(entered)
	if extrapolating:
		_steer(update.get_velocity_ids(), update.get_velocity_xy(), entrants)
		for player in players.values():
			if not entrants.has(player.id):
				_step(player, 1)
	else:
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


## Adds the player [param entered] describes; returns its ID.
func _add_player(entered: Object) -> int:
	var player := Player.new()
	player.id = entered.get_id()
	player.name = entered.get_name()
	player.color = entered.get_color()
	player.x = entered.get_x()
	player.y = entered.get_y()
	player.units_radius = entered.get_radius()
	if extrapolating:
		player.vx = entered.get_vx()
		player.vy = entered.get_vy()
		player.velocity = _position(player.vx, player.vy)
	player.to = _position(player.x, player.y)
	player.from = player.to
	player.to_radius = float(player.units_radius) / position_scale
	player.from_radius = player.to_radius
	players[player.id] = player
	return player.id


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


## Takes the velocities of [param coded_ids]; an entrant of this update came with its own.
func _steer(coded_ids: Array[int], xy: Array[int], entrants: Dictionary) -> void:
	var ids := decode_ids(coded_ids)
	for at in ids.size():
		var player: Player = players.get(ids[at])
		if player == null or entrants.has(player.id) or 2 * at + 1 >= xy.size():
			continue
		player.vx = xy[2 * at]
		player.vy = xy[2 * at + 1]
		player.velocity = _position(player.vx, player.vy)


## Moves [param player] by its velocity for [param ticks] ticks.
func _step(player: Player, ticks: int) -> void:
	player.x += player.vx * ticks
	player.y += player.vy * ticks
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
