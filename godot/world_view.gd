extends Node2D
## Draws the world as [member world] holds it, each player where it is now when the server
## extrapolates, else one tick behind (see world_state.gd): a grid (so the player sees itself
## move while the camera follows it), the spores, the players (smaller ones first, so an eater
## covers what it eats) with their names, and what was just eaten shrinking into its eater.
## One [method _draw] for everything in view: a view holds a few hundred circles at most, so no
## node per actor.

const WorldState := preload("res://world_state.gd")
const RoomState := preload("res://room_state.gd")
## How long an eaten thing takes to vanish into its eater, in seconds.
const EAT_SECONDS := 0.25
const GRID_STEP := 100.0
const GRID_COLOR := Color(1, 1, 1, 0.06)
const BACKGROUND_COLOR := Color(0.07, 0.08, 0.1)
const NAME_COLOR := Color(1, 1, 1, 0.9)
const OUTLINE_COLOR := Color(0, 0, 0, 0.5)

## The state to draw; set by the game scene.
var world: WorldState

var _since_update := 0.0
## Eats being animated and how long each has been.
var _eats: Array[WorldState.Eat] = []
var _eat_ages: Array[float] = []


## A player's colour: its account's RGBA32, or a hue of its own when it has none (guests).
static func player_color(id: int, rgba: int) -> Color:
	if (rgba & 0xFF) == 0:
		return Color.from_hsv(fmod(id * 0.618034, 1.0), 0.55, 0.95)
	return Color.hex(rgba)


## How many ticks ago the latest update arrived, as the players are drawn now (see
## world_state.gd).
func drawn() -> float:
	return world.ticks_since(_since_update) if world != null else 0.0


## An update was just applied: the drawing starts over from where it was towards it.
func updated() -> void:
	_since_update = 0.0
	for eat in world.take_eats():
		_eats.append(eat)
		_eat_ages.append(0.0)


## Forgets the animations, e.g. when a new world is entered.
func clear() -> void:
	_since_update = 0.0
	_eats.clear()
	_eat_ages.clear()


func _process(delta: float) -> void:
	if not visible or world == null:
		return
	_since_update += delta
	for at in range(_eats.size() - 1, -1, -1):
		_eat_ages[at] += delta
		if _eat_ages[at] >= EAT_SECONDS:
			_eats.remove_at(at)
			_eat_ages.remove_at(at)
	queue_redraw()


func _draw() -> void:
	if world == null:
		return
	var shown := get_viewport().get_canvas_transform().affine_inverse() * get_viewport_rect()
	draw_rect(shown, BACKGROUND_COLOR)
	_draw_grid(shown)
	for spore: WorldState.Spore in world.spores.values():
		draw_circle(spore.position, spore.radius, player_color(spore.id, 0).darkened(0.2))
	var at := drawn()
	for at_eat in _eats.size():
		_draw_eat(_eats[at_eat], _eat_ages[at_eat] / EAT_SECONDS, at)
	var players: Array = world.players.values()
	players.sort_custom(_smaller_first)
	for player: WorldState.Player in players:
		_draw_player(player, at)


func _smaller_first(a: WorldState.Player, b: WorldState.Player) -> bool:
	return a.to_radius < b.to_radius


func _draw_grid(shown: Rect2) -> void:
	var x := floorf(shown.position.x / GRID_STEP) * GRID_STEP
	while x <= shown.end.x:
		draw_line(Vector2(x, shown.position.y), Vector2(x, shown.end.y), GRID_COLOR)
		x += GRID_STEP
	var y := floorf(shown.position.y / GRID_STEP) * GRID_STEP
	while y <= shown.end.y:
		draw_line(Vector2(shown.position.x, y), Vector2(shown.end.x, y), GRID_COLOR)
		y += GRID_STEP


func _draw_player(player: WorldState.Player, at: float) -> void:
	var centre := player.position_at(at)
	var radius := player.radius_at(at)
	var color := player_color(player.id, player.color)
	draw_circle(centre, radius, color)
	draw_arc(centre, radius, 0.0, TAU, 48, color.darkened(0.35), maxf(radius * 0.06, 1.5))
	var label := RoomState.display_name(player.id, player.name)
	var font := ThemeDB.fallback_font
	var size := clampi(int(radius * 0.45), 10, 96)
	var width := radius * 2.0
	var baseline := centre + Vector2(-radius, size * 0.35)
	draw_string_outline(
		font, baseline, label, HORIZONTAL_ALIGNMENT_CENTER, width, size, 3, OUTLINE_COLOR
	)
	draw_string(font, baseline, label, HORIZONTAL_ALIGNMENT_CENTER, width, size, NAME_COLOR)


## An eaten thing [param progress] (0 to 1) of the way into its eater, drawn at [param at].
func _draw_eat(eat: WorldState.Eat, progress: float, at: float) -> void:
	var target := eat.position
	var eater: WorldState.Player = world.players.get(eat.eater_id)
	if eater != null:
		target = eater.position_at(at)
	var centre := eat.position.lerp(target, progress)
	var id := eat.player_id if eat.player_id != 0 else eat.spore_id
	var color := player_color(id, eat.color if eat.player_id != 0 else 0)
	color.a *= 1.0 - progress
	draw_circle(centre, eat.radius * (1.0 - progress), color)
