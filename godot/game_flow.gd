extends RefCounted
## Where the player is once in a room: [constant State.OUTSIDE] the world (before entering, or
## refused, or the world closed), [constant State.ENTERING] it (asked, no answer yet),
## [constant State.PLAYING], or [constant State.HISCORES] (browsing the hiscore board, out of
## the world). Each event returns an [enum Action] for the game scene and [code]WS[/code] to
## carry out; like client_flow.gd it never touches the socket or a node, so the tests run it
## in Godot 3.
##
## A room's world is entered as soon as the room is joined (after a login, a reconnect or a
## [code]/join[/code]: changing rooms leaves the old world first, docs/protocol.md). The
## hiscore board is browsed out of the world (the player would go on moving, and be eaten,
## behind it); closing it enters the world again.

enum State { OUTSIDE, ENTERING, PLAYING, HISCORES }
## [constant Action.NONE]: nothing to do. [constant Action.ENTER_WORLD]: send
## [code]EnterWorldMessage[/code]. [constant Action.SHOW_GAME]: the world was entered; show it.
## [constant Action.SHOW_OUTSIDE]: out of the world, show [member notice] and a Play button.
## [constant Action.OPEN_HISCORES]: show the board and send
## [code]HiscoreBoardRequestMessage[/code], after [code]LeaveWorldMessage[/code] when
## [member left_world] is true. [constant Action.SEARCH_HISCORES]: send
## [code]SearchHiscoreMessage[/code] for [member search]. [constant Action.SHOW_NOTICE]: show
## [member notice] on the hiscore board. [constant Action.CLOSE_HISCORES]: send
## [code]FinishedBrowsingHiscoresMessage[/code] and [code]EnterWorldMessage[/code].
enum Action {
	NONE,
	ENTER_WORLD,
	SHOW_GAME,
	SHOW_OUTSIDE,
	OPEN_HISCORES,
	SEARCH_HISCORES,
	SHOW_NOTICE,
	CLOSE_HISCORES,
}

## A [enum State] (an [int], as Godot 3 cannot type by enum).
var state: int = State.OUTSIDE
## Why the player is out of the world, or what the hiscore board's last search found wrong.
var notice := ""
## The name last searched for on the hiscore board ("" for none).
var search := ""
## With [constant Action.OPEN_HISCORES]: whether the player was in the world and must leave it.
var left_world := false


## The connection was lost (or closed): nothing of the world is left.
func reset() -> void:
	state = State.OUTSIDE
	notice = ""
	search = ""
	left_world = false


## The server confirmed a room (a [code]RoomMessage[/code]): its world is entered.
func room_joined() -> int:
	if state != State.OUTSIDE:
		return Action.NONE
	return _enter()


## The player pressed Play, out of the world.
func play() -> int:
	if state != State.OUTSIDE:
		return Action.NONE
	return _enter()


## [code]WorldEnteredMessage[/code] arrived.
func world_entered() -> int:
	if state == State.HISCORES:
		# Asked before the board was opened; the leave sent with it follows.
		return Action.NONE
	state = State.PLAYING
	notice = ""
	return Action.SHOW_GAME


## [code]WorldLeftMessage{reason}[/code] arrived.
func world_left(reason: String) -> int:
	if state == State.HISCORES:
		return Action.NONE
	state = State.OUTSIDE
	notice = "You left the world" if reason.is_empty() else "Out of the world: %s" % reason
	return Action.SHOW_OUTSIDE


## A [code]DenyResponseMessage{reason}[/code] arrived: the answer to entering, or on the
## hiscore board to a search (or to the board's request).
func denied(reason: String) -> int:
	if state == State.ENTERING:
		state = State.OUTSIDE
		notice = "Could not enter the world: %s" % reason
		return Action.SHOW_OUTSIDE
	if state == State.HISCORES:
		notice = reason
		return Action.SHOW_NOTICE
	return Action.NONE


## The player asked for the hiscore board.
func hiscores_requested() -> int:
	if state == State.HISCORES:
		return Action.NONE
	left_world = state != State.OUTSIDE
	state = State.HISCORES
	notice = ""
	search = ""
	return Action.OPEN_HISCORES


## The player searched the board for [param player_name].
func search_requested(player_name: String) -> int:
	var wanted := player_name.strip_edges()
	if state != State.HISCORES or wanted.is_empty():
		return Action.NONE
	search = wanted
	notice = ""
	return Action.SEARCH_HISCORES


## A board arrived (the answer to opening or searching it): any earlier refusal is old news.
func board_received() -> int:
	if state != State.HISCORES:
		return Action.NONE
	notice = ""
	return Action.SHOW_NOTICE


## The player closed the hiscore board: back into the world.
func hiscores_closed() -> int:
	if state != State.HISCORES:
		return Action.NONE
	state = State.ENTERING
	notice = ""
	search = ""
	return Action.CLOSE_HISCORES


func _enter() -> int:
	state = State.ENTERING
	notice = ""
	return Action.ENTER_WORLD
