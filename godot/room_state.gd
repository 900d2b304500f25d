extends RefCounted
## The room the player is in, as the server last described it: its name and its members in the
## order they joined. [method enter] applies a [code]RoomMessage[/code], [method add] and
## [method remove] a [code]PresenceMessage[/code] ([method apply_presence] both, with the line
## the log shows). Names: a member's account name, [code]Client N[/code] for a guest, and
## [code]You[/code] for this connection's own lines. Pure data, no engine calls, so the tests
## run it in Godot 3 as well (translated like [code]packets.gd[/code]).

## The room's name; empty until the server has confirmed a join.
var room_name := ""
## This connection's ID (0 until the server has sent it): its lines show as [code]You[/code].
var own_id := 0

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


## A [code]PresenceMessage[/code] from [param id]: it [param joined] or left the room, under
## [param account_name]. A join of an ID already listed is a rename (the member logged in).
## Returns the line for the log, or "" when nothing changed.
func apply_presence(id: int, joined: bool, account_name: String) -> String:
	var before := name_of(id)
	var shown := display_name(id, account_name)
	if not joined:
		if not has_member(id):
			return ""
		remove(id)
		return "%s left" % shown
	if not has_member(id):
		add(id, account_name)
		return "%s joined" % shown
	add(id, account_name)
	if before == shown:
		return ""
	return "%s is now %s" % [before, shown]


## Who said a line: [code]You[/code] for this connection, else the name it was said under
## ([param sender_name], from a history line), else the member's name as listed now.
func speaker(id: int, sender_name: String) -> String:
	if id == own_id and own_id != 0:
		return "You"
	if not sender_name.is_empty():
		return sender_name
	return name_of(id)


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


## The members' IDs, in the order they are listed.
func member_ids() -> Array[int]:
	return _ids.duplicate()


## The name shown for [param id]: a member's account name, else [code]Client N[/code].
func name_of(id: int) -> String:
	var at := _ids.find(id)
	return display_name(id, _names[at] if at >= 0 else "")


## Every member as shown, in the order they joined; this connection is marked
## [code](you)[/code].
func member_names() -> PackedStringArray:
	var shown := PackedStringArray()
	for at in _ids.size():
		var member := display_name(_ids[at], _names[at])
		if _ids[at] == own_id and own_id != 0:
			member += " (you)"
		shown.append(member)
	return shown
