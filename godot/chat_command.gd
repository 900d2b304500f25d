extends RefCounted
## What a line typed in the chat box asks for: a chat line, or one of the commands
## [code]/join NAME[/code], [code]/rooms[/code] and [code]/who[/code]. A line that starts with
## [code]/[/code] but is none of them is [constant Kind.INVALID]: the scene answers it with
## [constant USAGE] instead of sending it as chat. Pure logic, no engine calls, so the tests run
## it in Godot 3 as well (translated like [code]packets.gd[/code]).

enum Kind { CHAT, JOIN, ROOMS, WHO, INVALID }

const USAGE := "Commands: /join NAME (no NAME: the lobby), /rooms, /who"

## What the line asks for, a [enum Kind] (an [int], as Godot 3 cannot type by enum).
var kind: int = Kind.CHAT
## The room of a [constant Kind.JOIN] ("" for the lobby); empty for the other kinds.
var argument := ""


## Reads [param text], as typed, into [member kind] and [member argument].
func parse(text: String) -> void:
	kind = Kind.CHAT
	argument = ""
	var line := text.strip_edges()
	if not line.begins_with("/"):
		return
	var words := line.split(" ", false)
	var command := words[0]
	kind = Kind.INVALID
	if command == "/join" and words.size() <= 2:
		kind = Kind.JOIN
		if words.size() == 2:
			argument = words[1]
	elif command == "/rooms" and words.size() == 1:
		kind = Kind.ROOMS
	elif command == "/who" and words.size() == 1:
		kind = Kind.WHO
