extends RefCounted
## When to tell the server the player's direction ([code]PlayerDirectionMessage[/code], 9):
## when it differs from the last one sent by more than [constant MIN_TURN], and at most once
## per tick (the server reads one direction a tick; more would only cost the rate limit). A
## turn held back by the tick limit goes out at the next chance, so the last direction the
## player points at always reaches the server.
##
## Pure logic, no engine calls: the tests run it in Godot 3.

## The smallest turn worth sending, in radians (about 1°: finer than a pixel at the edge of
## a 1,600-unit view, so steering looks exact).
const MIN_TURN := 0.02
## The pointer must be this far (world units) from the player's centre to steer: closer, its
## angle jumps with every pixel.
const DEAD_ZONE := 4.0

## The server's tick rate (from [code]WorldEnteredMessage[/code]).
var tick_rate := 20
## The direction last sent, radians; NAN before the first.
var sent := NAN

var _sent_at_msec := -1000000


## Starts over for a new world at [param rate] ticks a second: the next direction is sent.
func reset(rate: int) -> void:
	tick_rate = maxi(rate, 1)
	sent = NAN
	_sent_at_msec = -1000000


## The direction to send now for a pointer at [param offset] from the player's centre, at
## [param now_msec]; NAN when nothing is to be sent.
func direction_to_send(offset: Vector2, now_msec: int) -> float:
	if offset.length() < DEAD_ZONE:
		return NAN
	var direction := offset.angle()
	if not is_nan(sent) and absf(turn_between(sent, direction)) <= MIN_TURN:
		return NAN
	if now_msec - _sent_at_msec < 1000.0 / tick_rate:
		return NAN
	sent = direction
	_sent_at_msec = now_msec
	return direction


## The shortest signed turn from [param from] to [param to], in (-π, π].
static func turn_between(from: float, to: float) -> float:
	var turn := fposmod(to - from, TAU)
	return turn - TAU if turn > PI else turn
