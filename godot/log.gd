extends RichTextLabel
## The chat log: one colored line per event. Every piece of text is escaped, so a chat line
## that contains BBCode tags shows as typed instead of restyling the log. It keeps the newest
## [constant MAX_LINES] lines (as the web client does), so a long session does not grow it
## without end.

const CHAT_NAME_COLOR := Color.CORNFLOWER_BLUE
## How many lines (paragraphs: a chat line holding a newline counts twice) the log keeps.
const MAX_LINES := 1000


## [param text] with every opening bracket replaced by the [code]lb[/code] tag, so
## RichTextLabel shows it literally instead of parsing it as BBCode.
static func escape_bbcode(text: String) -> String:
	return text.replace("[", "[lb]")


func _ready() -> void:
	bbcode_enabled = true
	scroll_following = true


func info(message: String) -> void:
	_add_line(message, Color.WHITE)


func warning(message: String) -> void:
	_add_line(message, Color.YELLOW)


func error(message: String) -> void:
	_add_line(message, Color.ORANGE_RED)


func success(message: String) -> void:
	_add_line(message, Color.LAWN_GREEN)


## A chat line: [param sender_name] in cornflower blue, [param message] in italics.
func chat(sender_name: String, message: String) -> void:
	_append(
		"[color=#%s]%s:[/color] [i]%s[/i]\n"
		% [CHAT_NAME_COLOR.to_html(false), escape_bbcode(sender_name), escape_bbcode(message)]
	)


func _add_line(message: String, color: Color) -> void:
	_append("[color=#%s]%s[/color]\n" % [color.to_html(false), escape_bbcode(message)])


func _append(bbcode: String) -> void:
	append_text(bbcode)
	# The text ends with a newline, so the last paragraph is the empty one after it.
	while get_paragraph_count() > MAX_LINES + 1:
		if not remove_paragraph(0):
			break
