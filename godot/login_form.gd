extends VBoxContainer
## The login screen: a username, a password, Login, Register and, when the server lets guests
## play, Play as guest; below them the server's last refusal. It only emits what the player
## asks for; the scene's flow (client_flow.gd) decides what is sent, and [code]WS[/code] sends
## it.

## The player pressed Login (or Enter in a field).
signal log_in_requested(username: String, password: String)
## The player pressed Register.
signal register_requested(username: String, password: String)
## The player pressed Play as guest.
signal guest_requested()

@onready var _username: LineEdit = %Username
@onready var _password: LineEdit = %Password
@onready var _log_in: Button = %LogIn
@onready var _register: Button = %Register
@onready var _guest: Button = %Guest
@onready var _notice: Label = %Notice


func _ready() -> void:
	_log_in.pressed.connect(_on_log_in_pressed)
	_register.pressed.connect(_on_register_pressed)
	_guest.pressed.connect(guest_requested.emit)
	_username.text_submitted.connect(_on_text_submitted)
	_password.text_submitted.connect(_on_text_submitted)


## Shows the form with [param notice] (a refusal, or "" for none); [param guest_allowed]
## shows Play as guest, [param accounts_available] false says logins will be refused for now.
func open(notice: String, guest_allowed: bool, accounts_available: bool) -> void:
	visible = true
	_guest.visible = guest_allowed
	if notice.is_empty() and not accounts_available:
		notice = "Accounts are unavailable right now; try again shortly"
	_notice.text = notice
	_notice.visible = not notice.is_empty()
	set_waiting(false)
	if _username.text.is_empty():
		_username.grab_focus()
	else:
		_password.grab_focus()


## Disables the buttons while a login or registration awaits the server's answer.
func set_waiting(waiting: bool) -> void:
	for button in [_log_in, _register, _guest]:
		button.disabled = waiting


## Empties the password field, once it is no longer needed.
func forget_password() -> void:
	_password.clear()


func _on_log_in_pressed() -> void:
	log_in_requested.emit(_username.text.strip_edges(), _password.text)


func _on_register_pressed() -> void:
	register_requested.emit(_username.text.strip_edges(), _password.text)


func _on_text_submitted(_text: String) -> void:
	if _username.text.strip_edges().is_empty():
		_username.grab_focus()
	elif _password.text.is_empty():
		_password.grab_focus()
	else:
		_on_log_in_pressed()
