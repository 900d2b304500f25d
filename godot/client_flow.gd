extends RefCounted
## The client's flow, a small state machine as in the tutorial's client from its lesson 4:
## [constant State.CONNECTING] (waiting for the socket, the ID and the server's status), then
## [constant State.LOGGING_IN] (the login screen, when the server has accounts), then
## [constant State.CHATTING]. Each event returns an [enum Action] for the scene and the
## [code]WS[/code] autoload to carry out; the flow itself never touches the socket or a node.
## Pure logic, no engine calls, so the tests run it in Godot 3 as well, against a live server.
##
## Registering does not log in (the wire contract), so an accepted registration is followed by
## a login with the same name and password. After a reconnect the flow logs in again with the
## account it was logged into (kept in memory only), or goes back to chatting as a guest,
## without asking; a close with code 1008 (the server's refusal, e.g. "logged in elsewhere")
## forgets the account, so two clients of one account do not take turns logging each other out.
##
## Logging out closes the connection and opens a fresh one (this protocol has no logout on a
## connection: a login holds for the connection's life), which starts at the login screen.

enum State { CONNECTING, LOGGING_IN, CHATTING }
## [constant Action.NONE]: nothing to do. [constant Action.SHOW_LOGIN]: show the login screen
## with [member notice] (a refusal, or "" for none). [constant Action.SEND_LOGIN] and
## [constant Action.SEND_REGISTER]: send [member username] and [method pending_password].
## [constant Action.ENTER_CHAT]: show the chat and join the room. [constant Action.CLOSE]:
## close the connection on purpose (a logout). [constant Action.RECONNECT]: open a fresh
## connection (after a logout's close).
enum Action { NONE, SHOW_LOGIN, SEND_LOGIN, SEND_REGISTER, ENTER_CHAT, CLOSE, RECONNECT }
enum Pending { NONE, LOGIN, REGISTER }

## The close code the server uses when it refuses a connection on purpose.
const CLOSE_POLICY := 1008

## A [enum State] (an [int], as Godot 3 cannot type by enum).
var state: int = State.CONNECTING
## The account this connection is logged into, or is logging into; "" otherwise (a guest, or
## a refused login).
var username := ""
## Why the last login or registration was refused; shown on the login screen.
var notice := ""
## Whether the login screen may offer "Play as guest".
var guest_allowed := true

var _password := ""
var _pending: int = Pending.NONE
var _has_id := false
var _status_known := false
var _accounts_enabled := false
var _logged_in := false
var _guest := false
var _logging_out := false


## The socket opened; the ID and the status are awaited again.
func connecting() -> void:
	state = State.CONNECTING
	_has_id = false
	_status_known = false


## The server sent this connection its ID.
func id_received() -> int:
	_has_id = true
	return _advance()


## The server's status arrived ([param accounts_enabled], [param require_login]) or could not
## be had (call with both false).
func status_received(accounts_enabled: bool, require_login: bool) -> int:
	_status_known = true
	_accounts_enabled = accounts_enabled
	guest_allowed = not require_login
	return _advance()


## The player asks to log in.
func log_in(account_name: String, password_text: String) -> int:
	return _request(Pending.LOGIN, account_name, password_text)


## The player asks to register an account (then logged into when accepted).
func register(account_name: String, password_text: String) -> int:
	return _request(Pending.REGISTER, account_name, password_text)


## The player chooses to play without an account.
func play_as_guest() -> int:
	if state != State.LOGGING_IN or is_waiting():
		return Action.NONE
	if not guest_allowed:
		notice = "This server asks every player to log in"
		return Action.SHOW_LOGIN
	_guest = true
	username = ""
	return _enter_chat()


## An [code]OkResponseMessage[/code] arrived.
func ok_received() -> int:
	var was := _pending
	_pending = Pending.NONE
	if was == Pending.REGISTER:
		_pending = Pending.LOGIN
		return Action.SEND_LOGIN
	if was == Pending.LOGIN:
		_logged_in = true
		return _enter_chat()
	return Action.NONE


## A [code]DenyResponseMessage[/code] arrived. Returns [constant Action.NONE] when it refused
## something else (a chat line, a join): the scene shows it as any refusal.
func deny_received(reason: String) -> int:
	if _pending == Pending.NONE:
		return Action.NONE
	_pending = Pending.NONE
	_logged_in = false
	username = ""
	_password = ""
	notice = reason
	state = State.LOGGING_IN
	return Action.SHOW_LOGIN


## The player logs out (or, a guest, leaves): the account is forgotten and the connection
## closed; its close then asks for a fresh one.
func log_out() -> int:
	if state != State.CHATTING:
		return Action.NONE
	_logged_in = false
	_guest = false
	username = ""
	_password = ""
	_logging_out = true
	return Action.CLOSE


## The connection closed with [param code]; a reconnect starts over at
## [constant State.CONNECTING]. Returns [constant Action.RECONNECT] when it was a logout's (the
## socket does not reconnect by itself after a close on purpose).
func closed(code: int) -> int:
	var reconnect := _logging_out
	_logging_out = false
	if _pending != Pending.NONE and not _logged_in:
		# The answer to this login will never come: the player is asked again.
		_password = ""
	_pending = Pending.NONE
	if code == CLOSE_POLICY:
		_logged_in = false
		username = ""
		_password = ""
	connecting()
	return Action.RECONNECT if reconnect else Action.NONE


## Whether a login or registration awaits the server's answer (the buttons wait too).
func is_waiting() -> bool:
	return _pending != Pending.NONE


## The password to send with [constant Action.SEND_LOGIN] or [constant Action.SEND_REGISTER].
func pending_password() -> String:
	return _password


func _request(kind: int, account_name: String, password_text: String) -> int:
	if state != State.LOGGING_IN or is_waiting():
		return Action.NONE
	if account_name.strip_edges().is_empty() or password_text.is_empty():
		notice = "Enter a username and a password"
		return Action.SHOW_LOGIN
	username = account_name
	_password = password_text
	_pending = kind
	notice = ""
	return Action.SEND_REGISTER if kind == Pending.REGISTER else Action.SEND_LOGIN


## Once both the ID and the status are known: log in again, show the login screen, or chat.
func _advance() -> int:
	if state != State.CONNECTING or not (_has_id and _status_known):
		return Action.NONE
	if _logged_in and not _password.is_empty():
		state = State.LOGGING_IN
		_pending = Pending.LOGIN
		return Action.SEND_LOGIN
	if not _accounts_enabled or (_guest and guest_allowed):
		username = ""
		return _enter_chat()
	state = State.LOGGING_IN
	return Action.SHOW_LOGIN


func _enter_chat() -> int:
	state = State.CHATTING
	notice = ""
	return Action.ENTER_CHAT
