extends RichTextLabel
## The live leaderboard over the game: the world's top players (from
## [code]WorldLeaderboard[/code], whatever this client's view) and how many play; this
## client's own row in gold.

const WorldState := preload("res://world_state.gd")
const RoomState := preload("res://room_state.gd")
const ScoreText := preload("res://score_text.gd")
const Log := preload("res://log.gd")
const OWN_COLOR := Color.GOLD


func _ready() -> void:
	bbcode_enabled = true
	fit_content = true
	scroll_active = false


## Shows [param leaders] (best first) of [param players] in the world; [param own_id] is this
## client's player.
func show_leaders(leaders: Array[WorldState.Leader], players: int, own_id: int) -> void:
	var lines := PackedStringArray()
	lines.append("[b]Leaderboard[/b] (%s playing)" % ScoreText.grouped(players))
	for at in leaders.size():
		var leader := leaders[at]
		var shown := RoomState.display_name(leader.player_id, leader.name)
		var line := Log.escape_bbcode(ScoreText.row(at + 1, shown, leader.score))
		if leader.player_id == own_id:
			line = "[color=#%s]%s[/color]" % [OWN_COLOR.to_html(false), line]
		lines.append(line)
	text = "\n".join(lines)
