extends Camera2D
## Follows this client's player and zooms so the window shows what the server counts as its
## view ([code]WorldOwnState[/code]'s half width and height, which grow with the player): the
## window is filled by that rectangle, so nothing is shown that the server would not send. The
## zoom eases towards its target, so growing zooms out smoothly.

## How quickly the zoom reaches its target (per second; about 95 % in 1 s).
const ZOOM_RATE := 3.0


## Centres on [param centre] and eases the zoom towards [param view_half_size] filling the
## window, [param delta] seconds after the previous call.
func follow(centre: Vector2, view_half_size: Vector2, delta: float) -> void:
	position = centre
	var window := get_viewport_rect().size
	var target := maxf(
		window.x / maxf(view_half_size.x * 2.0, 1.0), window.y / maxf(view_half_size.y * 2.0, 1.0)
	)
	var eased := lerpf(zoom.x, target, 1.0 - exp(-ZOOM_RATE * delta))
	zoom = Vector2(eased, eased)


## Jumps to the target at once, e.g. on entering a world.
func snap(centre: Vector2, view_half_size: Vector2) -> void:
	zoom = Vector2.ONE
	follow(centre, view_half_size, INF)
