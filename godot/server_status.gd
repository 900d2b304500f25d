extends RefCounted
## What the server says about itself at [code]/api/status[/code], as far as the client needs
## it: its limits on a chat line, and whether it has accounts and lets guests play. Until the
## answer arrives, or when it never does (an older server, a proxy that serves only the
## WebSocket), the server's defaults and "no accounts" hold. Pure logic on an already parsed
## JSON value, no engine calls, so the tests run it in Godot 3 as well.

## The server's default limits on one chat line. Characters are Unicode code points, as both
## Godot's [String] and the server count them.
const DEFAULT_MAX_CHAT_CHARS := 500
const DEFAULT_MAX_CHAT_BYTES := 2000
## Larger limits are taken for a damaged answer rather than believed.
const MAX_LIMIT := 1000000000

var max_chat_chars := DEFAULT_MAX_CHAT_CHARS
var max_chat_bytes := DEFAULT_MAX_CHAT_BYTES
## The server keeps accounts: the client offers its login screen.
var accounts_enabled := false
## Guests may not chat: the login screen has no "Play as guest".
var require_login := false
## The account store answers; false while its database is down (logins are then refused).
var accounts_available := true
## Whether [method read] was given a status at all.
var known := false


## Takes what a parsed [code]/api/status[/code] body says; anything missing or malformed
## keeps its default, so a server from before a field existed still works.
func read(status) -> void:
	reset()
	if not status is Dictionary:
		return
	known = true
	var limits = status.get("limits")
	if limits is Dictionary:
		max_chat_chars = _positive(limits.get("max_chat_chars"), DEFAULT_MAX_CHAT_CHARS)
		max_chat_bytes = _positive(limits.get("max_chat_bytes"), DEFAULT_MAX_CHAT_BYTES)
	var accounts = status.get("accounts")
	if accounts is Dictionary:
		accounts_enabled = _flag(accounts.get("enabled"), false)
		require_login = accounts_enabled and _flag(accounts.get("require_login"), false)
		accounts_available = _flag(accounts.get("available"), true)


## Back to the defaults, as when no status has arrived.
func reset() -> void:
	max_chat_chars = DEFAULT_MAX_CHAT_CHARS
	max_chat_bytes = DEFAULT_MAX_CHAT_BYTES
	accounts_enabled = false
	require_login = false
	accounts_available = true
	known = false


## [param value] as a whole number when it is a positive number (JSON numbers arrive as
## floats), else [param fallback].
static func _positive(value, fallback: int) -> int:
	if (value is int or value is float) and value >= 1 and value <= MAX_LIMIT:
		return int(value)
	return fallback


## [param value] when it is a JSON boolean, else [param fallback].
static func _flag(value, fallback: bool) -> bool:
	if value is bool:
		return value
	return fallback
