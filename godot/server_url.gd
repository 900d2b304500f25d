extends RefCounted
## What the client makes of the server URL it was given: the WebSocket URL to open (a URL with
## no path gets the server's [code]/ws[/code]), the HTTP URL of the server's
## [code]/api/status[/code] beside it, and what to tell the player when no connection opens.
## Pure string logic, no engine calls, so the tests run it in Godot 3 as well (translated like
## [code]packets.gd[/code]).

## Where the server accepts WebSocket upgrades; any other path is refused (or, on an older
## server, answered with its web page), so a connection there never opens.
const WEBSOCKET_PATH := "/ws"
## Where the server describes itself (limits, accounts), relative to the WebSocket's path.
const STATUS_PATH := "/api/status"
const HINT := "the server's WebSocket is at " + WEBSOCKET_PATH


## [param url] with [constant WEBSOCKET_PATH] added when it names no path at all
## ([code]ws://host:8080[/code] or [code]ws://host:8080/[/code]); other URLs are kept as they
## are, since a reverse proxy may serve the WebSocket under a longer path.
static func websocket_url(url: String) -> String:
	var trimmed := url.strip_edges()
	var path := path_of(trimmed)
	if not (path.is_empty() or path == "/"):
		return trimmed
	var after := _after_authority(trimmed)
	var head := trimmed.substr(0, trimmed.length() - after.length())
	return head + WEBSOCKET_PATH + after.substr(path.length())


## Whether [param url] was changed by [method websocket_url], so the player can be told.
static func was_completed(url: String) -> bool:
	return websocket_url(url) != url.strip_edges()


## The [code]/api/status[/code] URL of the server that serves [param url]: [code]ws[/code]
## becomes [code]http[/code], [code]wss[/code] becomes [code]https[/code], and the status path
## replaces the WebSocket's last path segment (so [code]wss://example.com/game/ws[/code] gives
## [code]https://example.com/game/api/status[/code]). Empty for a URL that is not ws:// or
## wss://.
static func status_url(url: String) -> String:
	var ws := websocket_url(url)
	var scheme := ""
	if ws.begins_with("ws://"):
		scheme = "http://"
	elif ws.begins_with("wss://"):
		scheme = "https://"
	else:
		return ""
	var path := path_of(ws)
	var authority := ws.substr(ws.find("://") + 3)
	authority = authority.substr(0, authority.length() - _after_authority(ws).length())
	var prefix := path.substr(0, path.rfind("/"))
	return scheme + authority + prefix + STATUS_PATH


## The path of [param url] ("" when it has none), without its query or fragment.
static func path_of(url: String) -> String:
	var rest := _after_authority(url)
	for mark in ["?", "#"]:
		var at := rest.find(mark)
		if at >= 0:
			rest = rest.substr(0, at)
	return rest


## What the log says when a connection to [param url] closed before it ever opened: the
## server is not there, or it refused the upgrade, most often because the path is not
## [constant WEBSOCKET_PATH].
static func could_not_connect(url: String) -> String:
	var message := "Could not connect to %s" % url
	if not path_of(url).ends_with(WEBSOCKET_PATH):
		message += " (%s)" % HINT
	return message


## Everything after the host and port: the path, query and fragment.
static func _after_authority(url: String) -> String:
	var scheme_end := url.find("://")
	var authority_start := 0 if scheme_end < 0 else scheme_end + 3
	var rest := url.substr(authority_start)
	var end := rest.length()
	for mark in ["/", "?", "#"]:
		var at := rest.find(mark)
		if at >= 0 and at < end:
			end = at
	return rest.substr(end)
