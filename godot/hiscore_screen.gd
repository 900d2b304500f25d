extends PanelContainer
## The hiscore board: ten rows with their true ranks ([code]HiscoreBoardMessage[/code]), a
## search by name (the board around that player, whose row is selected), the last refusal,
## and Back. It only shows and emits; the game scene's flow (game_flow.gd) decides what is
## sent, and [code]WS[/code] sends it.

## The player searched for [param player_name] (Search, or Enter in the field).
signal search_requested(player_name: String)
## The player pressed Back.
signal closed()

const ScoreText := preload("res://score_text.gd")

@onready var _rows: ItemList = %Rows
@onready var _search: LineEdit = %Search
@onready var _search_button: Button = %SearchButton
@onready var _notice: Label = %Notice
@onready var _back: Button = %Back


func _ready() -> void:
	_search_button.pressed.connect(_on_search_pressed)
	_search.text_submitted.connect(_on_search_text_submitted)
	_back.pressed.connect(closed.emit)


## Shows the screen, empty until the board arrives.
func open() -> void:
	visible = true
	_rows.clear()
	_rows.add_item("Loading...")
	show_notice("")
	_search.grab_focus()


## Shows the rows of a board (each with [code]get_rank()[/code], [code]get_name()[/code],
## [code]get_score()[/code]), as the server ranks them; the row named [param searched]
## (compared ignoring case) is selected.
func show_board(rows: Array, searched: String) -> void:
	_rows.clear()
	if rows.is_empty():
		_rows.add_item("Nobody has a score yet")
		return
	for row in rows:
		var at := _rows.add_item(ScoreText.row(row.get_rank(), row.get_name(), row.get_score()))
		if not searched.is_empty() and row.get_name().to_lower() == searched.to_lower():
			_rows.select(at)
			_rows.ensure_current_is_visible()


## Shows [param text] under the board ("" hides it), e.g. "No player found with that name".
func show_notice(text: String) -> void:
	_notice.text = text
	_notice.visible = not text.is_empty()


func _on_search_pressed() -> void:
	search_requested.emit(_search.text.strip_edges())


func _on_search_text_submitted(_text: String) -> void:
	_on_search_pressed()
