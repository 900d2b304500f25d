extends RefCounted
## The room the player is in, as the server last described it: its name and its members in the
## order they joined. [method enter] applies a [code]RoomMessage[/code], [method add] and
## [method remove] a [code]PresenceMessage[/code]. Pure data, no engine calls, so the tests run
## it in Godot 3 as well (translated like [code]packets.gd[/code]).

## The room's name; empty until the server has confirmed a join.
var room_name := ""

var _ids: Array[int] = []
var _names: Array[String] = []


## How a client is shown: its account name, or [code]Client N[/code] for a guest.
static func display_name(id: int, account_name: String) -> String:
	if account_name.is_empty():
		return "Client %d" % id
	return account_name


## Replaces everything with what a [code]RoomMessage[/code] says: the room and its members
## ([param ids] and their [param names], in the order they joined).
func enter(new_room_name: String, ids: Array[int], names: Array[String]) -> void:
	room_name = new_room_name
	_ids.clear()
	_names.clear()
	for at in ids.size():
		add(ids[at], names[at])


## A member arrived (or, already listed, changed its name).
func add(id: int, account_name: String) -> void:
	var at := _ids.find(id)
	if at >= 0:
		_names[at] = account_name
		return
	_ids.append(id)
	_names.append(account_name)


## A member left; unknown IDs are ignored.
func remove(id: int) -> void:
	var at := _ids.find(id)
	if at >= 0:
		_ids.remove_at(at)
		_names.remove_at(at)


## Forgets the room, e.g. when the connection is lost.
func clear() -> void:
	room_name = ""
	_ids.clear()
	_names.clear()


func has_member(id: int) -> bool:
	return _ids.has(id)


func member_count() -> int:
	return _ids.size()


## The name shown for [param id]: a member's account name, else [code]Client N[/code].
func name_of(id: int) -> String:
	var at := _ids.find(id)
	return display_name(id, _names[at] if at >= 0 else "")


## Every member as shown, in the order they joined.
func member_names() -> PackedStringArray:
	var shown := PackedStringArray()
	for at in _ids.size():
		shown.append(display_name(_ids[at], _names[at]))
	return shown
