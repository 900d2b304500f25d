# generated from proto/packets.proto by mmo-gdgen — do not edit
# Regenerate with `cargo run -p mmo-gdgen`. See godot/README.md.
# gdlint: disable=max-public-methods,max-file-lines


## Protobuf wire-format constants shared by the message classes below.
class PBWire:
	const VARINT := 0
	const I64 := 1
	const LEN := 2
	const START_GROUP := 3
	const END_GROUP := 4
	const I32 := 5
	## Deeper nesting is refused rather than risking the call stack (the same limit as prost).
	const MAX_DEPTH := 100

	## The low 32 bits of [param value] as a signed number, like a C cast to int32_t.
	static func to_int32(value: int) -> int:
		var low := value & 0xFFFFFFFF
		return low - 0x100000000 if low >= 0x80000000 else low


## Appends encoded values to [member bytes].
class PBWriter:
	var bytes := PackedByteArray()

	func write_varint(value: int) -> void:
		var rest := value
		while true:
			var low := rest & 0x7F
			# `>>` copies the sign bit in GDScript; clearing the top 7 bits makes it a logical
			# shift, so negative numbers (and uint64 above 2^63) stop after 10 bytes.
			rest = (rest >> 7) & 0x01FFFFFFFFFFFFFF
			if rest == 0:
				bytes.append(low)
				return
			bytes.append(low | 0x80)

	func write_tag(field_number: int, wire_type: int) -> void:
		write_varint((field_number << 3) | wire_type)

	func write_int32(value: int) -> void:
		# Sign-extended to 64 bits, so a negative int32 takes 10 bytes as protobuf requires.
		write_varint(PBWire.to_int32(value))

	func write_int64(value: int) -> void:
		write_varint(value)

	func write_uint32(value: int) -> void:
		write_varint(value & 0xFFFFFFFF)

	func write_uint64(value: int) -> void:
		write_varint(value)

	func write_sint32(value: int) -> void:
		var narrow := PBWire.to_int32(value)
		write_varint(((narrow << 1) ^ (narrow >> 31)) & 0xFFFFFFFF)

	func write_sint64(value: int) -> void:
		write_varint((value << 1) ^ (value >> 63))

	func write_bool(value: bool) -> void:
		write_varint(1 if value else 0)

	func write_enum(value: int) -> void:
		write_int32(value)

	## The low [param count] bytes of [param value], least significant first.
	func write_little_endian(value: int, count: int) -> void:
		for index in count:
			bytes.append((value >> (8 * index)) & 0xFF)

	func write_fixed32(value: int) -> void:
		write_little_endian(value, 4)

	func write_sfixed32(value: int) -> void:
		write_fixed32(value)

	func write_fixed64(value: int) -> void:
		write_little_endian(value, 8)

	func write_sfixed64(value: int) -> void:
		write_fixed64(value)

	# StreamPeerBuffer (little-endian unless told otherwise) is the one float-to-bytes
	# conversion that Godot 3 and 4 share, so both run these lines.
	func write_float(value: float) -> void:
		var buffer := StreamPeerBuffer.new()
		buffer.put_float(value)
		bytes.append_array(buffer.data_array)

	func write_double(value: float) -> void:
		var buffer := StreamPeerBuffer.new()
		buffer.put_double(value)
		bytes.append_array(buffer.data_array)

	func write_string(value: String) -> void:
		write_bytes(value.to_utf8_buffer())

	func write_bytes(value: PackedByteArray) -> void:
		write_varint(value.size())
		bytes.append_array(value)


## Reads encoded values from [member data]. Malformed input sets [member failed]; reads after
## that return defaults, and the decoding loops stop.
class PBReader:
	var data: PackedByteArray
	var pos := 0
	var failed := false

	func _init(source: PackedByteArray) -> void:
		data = source

	func read_varint(end: int) -> int:
		var result := 0
		var shift := 0
		while not failed:
			if pos >= end:
				failed = true
				break
			var octet: int = data[pos]
			pos += 1
			# The tenth byte may only carry bit 63; more would overflow 64 bits.
			if shift == 63 and octet > 1:
				failed = true
				break
			result |= (octet & 0x7F) << shift
			if octet < 0x80:
				return result
			shift += 7
		return 0

	## A field key (field number << 3 | wire type), or -1 with [member failed] set.
	func read_tag(end: int) -> int:
		var key := read_varint(end)
		if failed or key < 8 or key > 0xFFFFFFFF or (key & 7) > PBWire.I32:
			failed = true
			return -1
		return key

	## Whether a field arrived with the wire type its declaration needs; fails the read if not.
	func expect(wire_type: int, wanted: int) -> bool:
		if wire_type != wanted:
			failed = true
		return not failed

	## Reads a length prefix; returns where the delimited bytes end, or -1 with [member failed].
	func read_end(end: int) -> int:
		var length := read_varint(end)
		if failed or length < 0 or length > end - pos:
			failed = true
			return -1
		return pos + length

	func read_int32(end: int) -> int:
		return PBWire.to_int32(read_varint(end))

	func read_int64(end: int) -> int:
		return read_varint(end)

	func read_uint32(end: int) -> int:
		return read_varint(end) & 0xFFFFFFFF

	func read_uint64(end: int) -> int:
		return read_varint(end)

	func read_sint32(end: int) -> int:
		var raw := read_varint(end) & 0xFFFFFFFF
		return PBWire.to_int32((raw >> 1) ^ -(raw & 1))

	func read_sint64(end: int) -> int:
		var raw := read_varint(end)
		return ((raw >> 1) & 0x7FFFFFFFFFFFFFFF) ^ -(raw & 1)

	func read_bool(end: int) -> bool:
		return read_varint(end) != 0

	func read_enum(end: int) -> int:
		return read_int32(end)

	## [param count] bytes as an unsigned little-endian number (bit 63 of eight lands in the
	## sign), or 0 with [member failed] set.
	func read_little_endian(count: int, end: int) -> int:
		var at := take(count, end)
		if at < 0:
			return 0
		var value := 0
		for index in count:
			value |= data[at + index] << (8 * index)
		return value

	func read_fixed32(end: int) -> int:
		return read_little_endian(4, end)

	func read_sfixed32(end: int) -> int:
		return PBWire.to_int32(read_little_endian(4, end))

	func read_fixed64(end: int) -> int:
		return read_little_endian(8, end)

	func read_sfixed64(end: int) -> int:
		return read_fixed64(end)

	func read_float(end: int) -> float:
		var raw := take_bytes(4, end)
		if raw.is_empty():
			return 0.0
		var buffer := StreamPeerBuffer.new()
		buffer.data_array = raw
		return buffer.get_float()

	func read_double(end: int) -> float:
		var raw := take_bytes(8, end)
		if raw.is_empty():
			return 0.0
		var buffer := StreamPeerBuffer.new()
		buffer.data_array = raw
		return buffer.get_double()

	func read_bytes(end: int) -> PackedByteArray:
		var stop := read_end(end)
		if stop < 0:
			return PackedByteArray()
		return take_bytes(stop - pos, end)

	func read_string(end: int) -> String:
		var raw := read_bytes(end)
		var text := raw.get_string_from_utf8()
		# Godot's decoder drops a leading EF BB BF as a byte order mark; in protobuf it is the
		# character U+FEFF, part of the text, so it is put back.
		if raw.size() >= 3 and raw[0] == 0xEF and raw[1] == 0xBB and raw[2] == 0xBF:
			text = char(0xFEFF) + text
		# Godot substitutes for invalid UTF-8 instead of refusing it; a round trip tells.
		if text.to_utf8_buffer() != raw:
			failed = true
		# Except for encoded UTF-16 surrogates (ED A0 80 to ED BF BF) and code points past
		# U+10FFFF: not UTF-8 either, but Godot 3 decodes and re-encodes them unchanged (Godot 4
		# substitutes them). Only a string with multi-byte characters can hold one.
		if raw.size() != text.length():
			for index in text.length():
				var code := text.unicode_at(index)
				if (code & 0xFFFFF800) == 0xD800 or code > 0x10FFFF:
					failed = true
		return text

	## Consumes [param count] bytes; returns where they start, or -1 with [member failed].
	func take(count: int, end: int) -> int:
		if failed or count > end - pos:
			failed = true
			return -1
		pos += count
		return pos - count

	## Consumes [param count] bytes and returns them; empty with [member failed] if they are
	## not there.
	func take_bytes(count: int, end: int) -> PackedByteArray:
		var at := take(count, end)
		# Godot 3's subarray() cannot return an empty array, so zero bytes are not sliced.
		if at < 0 or count == 0:
			return PackedByteArray()
		return data.slice(at, at + count)

	## Skips a field this schema does not declare (a newer sender's), as protobuf requires.
	func skip_field(key: int, end: int, depth: int) -> void:
		var wire_type := key & 7
		if wire_type == PBWire.VARINT:
			read_varint(end)
		elif wire_type == PBWire.I64:
			take(8, end)
		elif wire_type == PBWire.LEN:
			var stop := read_end(end)
			if stop >= 0:
				pos = stop
		elif wire_type == PBWire.I32:
			take(4, end)
		elif wire_type == PBWire.START_GROUP and depth < PBWire.MAX_DEPTH:
			skip_group(key >> 3, end, depth + 1)
		else:
			# An end-group key with no group open, or groups nested too deep.
			failed = true

	## Skips the fields of a proto2 group up to its matching end-group key.
	func skip_group(field_number: int, end: int, depth: int) -> void:
		while not failed:
			var key := read_tag(end)
			if failed:
				return
			if (key & 7) == PBWire.END_GROUP:
				if (key >> 3) != field_number:
					failed = true
				return
			skip_field(key, end, depth)


## A line of chat. From a client: the text to send. From the server: a line someone else sent, with
## `Packet.sender_id` naming who.
class ChatMessage:
	var _msg: String = ""

	func get_msg() -> String:
		return _msg

	func set_msg(value: String) -> void:
		_msg = value

	func clear_msg() -> void:
		_msg = ""

	## Resets every field to its default.
	func clear() -> void:
		clear_msg()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if not _msg.is_empty():
			writer.write_tag(1, PBWire.LEN)
			writer.write_string(_msg)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.LEN):
						set_msg(reader.read_string(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if not _msg.is_empty():
			parts.append("msg: " + var_to_str(_msg))
		return "{" + ", ".join(parts) + "}"


## The server's first message on every connection: the ID it assigned to this client.
class IdMessage:
	var _id: int = 0

	func get_id() -> int:
		return _id

	func set_id(value: int) -> void:
		_id = value

	func clear_id() -> void:
		_id = 0

	## Resets every field to its default.
	func clear() -> void:
		clear_id()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if _id != 0:
			writer.write_tag(1, PBWire.VARINT)
			writer.write_uint64(_id)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.VARINT):
						set_id(reader.read_uint64(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if _id != 0:
			parts.append("id: " + var_to_str(_id))
		return "{" + ", ".join(parts) + "}"


## Logs this connection into an existing account (tutorial part 5). Answered with
## `OkResponseMessage` or `DenyResponseMessage`.
class LoginRequestMessage:
	var _username: String = ""
	var _password: String = ""

	func get_username() -> String:
		return _username

	func set_username(value: String) -> void:
		_username = value

	func clear_username() -> void:
		_username = ""

	func get_password() -> String:
		return _password

	func set_password(value: String) -> void:
		_password = value

	func clear_password() -> void:
		_password = ""

	## Resets every field to its default.
	func clear() -> void:
		clear_username()
		clear_password()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if not _username.is_empty():
			writer.write_tag(1, PBWire.LEN)
			writer.write_string(_username)
		if not _password.is_empty():
			writer.write_tag(2, PBWire.LEN)
			writer.write_string(_password)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.LEN):
						set_username(reader.read_string(end))
				2:
					if reader.expect(wire_type, PBWire.LEN):
						set_password(reader.read_string(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if not _username.is_empty():
			parts.append("username: " + var_to_str(_username))
		if not _password.is_empty():
			parts.append("password: " + var_to_str(_password))
		return "{" + ", ".join(parts) + "}"


## Creates an account (tutorial part 5). Answered with `OkResponseMessage` or
## `DenyResponseMessage`.
class RegisterRequestMessage:
	var _username: String = ""
	var _password: String = ""
	var _color: int = 0

	func get_username() -> String:
		return _username

	func set_username(value: String) -> void:
		_username = value

	func clear_username() -> void:
		_username = ""

	func get_password() -> String:
		return _password

	func set_password(value: String) -> void:
		_password = value

	func clear_password() -> void:
		_password = ""

	func get_color() -> int:
		return _color

	func set_color(value: int) -> void:
		_color = PBWire.to_int32(value)

	func clear_color() -> void:
		_color = 0

	## Resets every field to its default.
	func clear() -> void:
		clear_username()
		clear_password()
		clear_color()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if not _username.is_empty():
			writer.write_tag(1, PBWire.LEN)
			writer.write_string(_username)
		if not _password.is_empty():
			writer.write_tag(2, PBWire.LEN)
			writer.write_string(_password)
		if _color != 0:
			writer.write_tag(3, PBWire.VARINT)
			writer.write_int32(_color)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.LEN):
						set_username(reader.read_string(end))
				2:
					if reader.expect(wire_type, PBWire.LEN):
						set_password(reader.read_string(end))
				3:
					if reader.expect(wire_type, PBWire.VARINT):
						set_color(reader.read_int32(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if not _username.is_empty():
			parts.append("username: " + var_to_str(_username))
		if not _password.is_empty():
			parts.append("password: " + var_to_str(_password))
		if _color != 0:
			parts.append("color: " + var_to_str(_color))
		return "{" + ", ".join(parts) + "}"


## The server accepted a request of this client.
class OkResponseMessage:
	pass

	## Resets every field to its default.
	func clear() -> void:
		pass

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if not reader.failed:
				reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		return "{" + ", ".join(parts) + "}"


## The server refused a request of this client (for example a chat line that was too long or sent
## too fast); `reason` is meant to be shown to the player.
class DenyResponseMessage:
	var _reason: String = ""

	func get_reason() -> String:
		return _reason

	func set_reason(value: String) -> void:
		_reason = value

	func clear_reason() -> void:
		_reason = ""

	## Resets every field to its default.
	func clear() -> void:
		clear_reason()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if not _reason.is_empty():
			writer.write_tag(1, PBWire.LEN)
			writer.write_string(_reason)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.LEN):
						set_reason(reader.read_string(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if not _reason.is_empty():
			parts.append("reason: " + var_to_str(_reason))
		return "{" + ", ".join(parts) + "}"


## Sent to every other client when a client leaves; `Packet.sender_id` names who left.
class DisconnectMessage:
	var _reason: String = ""

	func get_reason() -> String:
		return _reason

	func set_reason(value: String) -> void:
		_reason = value

	func clear_reason() -> void:
		_reason = ""

	## Resets every field to its default.
	func clear() -> void:
		clear_reason()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if not _reason.is_empty():
			writer.write_tag(1, PBWire.LEN)
			writer.write_string(_reason)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.LEN):
						set_reason(reader.read_string(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if not _reason.is_empty():
			parts.append("reason: " + var_to_str(_reason))
		return "{" + ", ".join(parts) + "}"


## Client to server: move to `room` (created on first use; "" means "lobby"), leaving the current
## one. Answered with `RoomMessage`, or `DenyResponseMessage` when refused.
class JoinRoomMessage:
	var _room: String = ""

	func get_room() -> String:
		return _room

	func set_room(value: String) -> void:
		_room = value

	func clear_room() -> void:
		_room = ""

	## Resets every field to its default.
	func clear() -> void:
		clear_room()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if not _room.is_empty():
			writer.write_tag(1, PBWire.LEN)
			writer.write_string(_room)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.LEN):
						set_room(reader.read_string(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if not _room.is_empty():
			parts.append("room: " + var_to_str(_room))
		return "{" + ", ".join(parts) + "}"


## Server to client: the room the client is now in, everyone in it (the client included), and its
## most recent lines, oldest first. In a big room (more members than the server's
## `presence_batch_above`) `members` lists only the client itself and `members_partial` is set: the
## client asks for the rest in pages (`MemberListRequestMessage`). `member_count` is how many
## members the room has (every room).
class RoomMessage:
	var _room: String = ""
	var _members: Array[Member] = []
	var _history: Array[ChatLine] = []
	var _member_count: int = 0
	var _members_partial: bool = false

	func get_room() -> String:
		return _room

	func set_room(value: String) -> void:
		_room = value

	func clear_room() -> void:
		_room = ""

	func get_members() -> Array[Member]:
		return _members

	func set_members(values: Array[Member]) -> void:
		_members = values

	func add_members() -> Member:
		var item := Member.new()
		_members.append(item)
		return item

	func clear_members() -> void:
		_members = []

	func get_history() -> Array[ChatLine]:
		return _history

	func set_history(values: Array[ChatLine]) -> void:
		_history = values

	func add_history() -> ChatLine:
		var item := ChatLine.new()
		_history.append(item)
		return item

	func clear_history() -> void:
		_history = []

	func get_member_count() -> int:
		return _member_count

	func set_member_count(value: int) -> void:
		_member_count = value & 0xFFFFFFFF

	func clear_member_count() -> void:
		_member_count = 0

	func get_members_partial() -> bool:
		return _members_partial

	func set_members_partial(value: bool) -> void:
		_members_partial = value

	func clear_members_partial() -> void:
		_members_partial = false

	## Resets every field to its default.
	func clear() -> void:
		clear_room()
		clear_members()
		clear_history()
		clear_member_count()
		clear_members_partial()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if not _room.is_empty():
			writer.write_tag(1, PBWire.LEN)
			writer.write_string(_room)
		for item in _members:
			writer.write_tag(2, PBWire.LEN)
			writer.write_bytes(item.to_bytes())
		for item in _history:
			writer.write_tag(3, PBWire.LEN)
			writer.write_bytes(item.to_bytes())
		if _member_count != 0:
			writer.write_tag(4, PBWire.VARINT)
			writer.write_uint32(_member_count)
		if _members_partial:
			writer.write_tag(5, PBWire.VARINT)
			writer.write_bool(_members_partial)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.LEN):
						set_room(reader.read_string(end))
				2:
					if reader.expect(wire_type, PBWire.LEN):
						var item_end := reader.read_end(end)
						add_members().merge_from_reader(reader, item_end, depth + 1)
				3:
					if reader.expect(wire_type, PBWire.LEN):
						var item_end := reader.read_end(end)
						add_history().merge_from_reader(reader, item_end, depth + 1)
				4:
					if reader.expect(wire_type, PBWire.VARINT):
						set_member_count(reader.read_uint32(end))
				5:
					if reader.expect(wire_type, PBWire.VARINT):
						set_members_partial(reader.read_bool(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if not _room.is_empty():
			parts.append("room: " + var_to_str(_room))
		if not _members.is_empty():
			parts.append("members: " + str(_members))
		if not _history.is_empty():
			parts.append("history: " + str(_history))
		if _member_count != 0:
			parts.append("member_count: " + var_to_str(_member_count))
		if _members_partial:
			parts.append("members_partial: " + var_to_str(_members_partial))
		return "{" + ", ".join(parts) + "}"


## Server to client: `Packet.sender_id` entered (`joined`) or left the client's room `room`. `name`
## is the account's username, or "" for a guest.
class PresenceMessage:
	var _joined: bool = false
	var _room: String = ""
	var _name: String = ""

	func get_joined() -> bool:
		return _joined

	func set_joined(value: bool) -> void:
		_joined = value

	func clear_joined() -> void:
		_joined = false

	func get_room() -> String:
		return _room

	func set_room(value: String) -> void:
		_room = value

	func clear_room() -> void:
		_room = ""

	func get_name() -> String:
		return _name

	func set_name(value: String) -> void:
		_name = value

	func clear_name() -> void:
		_name = ""

	## Resets every field to its default.
	func clear() -> void:
		clear_joined()
		clear_room()
		clear_name()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if _joined:
			writer.write_tag(1, PBWire.VARINT)
			writer.write_bool(_joined)
		if not _room.is_empty():
			writer.write_tag(2, PBWire.LEN)
			writer.write_string(_room)
		if not _name.is_empty():
			writer.write_tag(3, PBWire.LEN)
			writer.write_string(_name)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.VARINT):
						set_joined(reader.read_bool(end))
				2:
					if reader.expect(wire_type, PBWire.LEN):
						set_room(reader.read_string(end))
				3:
					if reader.expect(wire_type, PBWire.LEN):
						set_name(reader.read_string(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if _joined:
			parts.append("joined: " + var_to_str(_joined))
		if not _room.is_empty():
			parts.append("room: " + var_to_str(_room))
		if not _name.is_empty():
			parts.append("name: " + var_to_str(_name))
		return "{" + ", ".join(parts) + "}"


## Client to server: which rooms exist? Answered with `RoomListMessage`.
class RoomListRequestMessage:
	pass

	## Resets every field to its default.
	func clear() -> void:
		pass

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if not reader.failed:
				reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		return "{" + ", ".join(parts) + "}"


## Server to client: every room with members, and how many.
class RoomListMessage:
	var _rooms: Array[RoomInfo] = []

	func get_rooms() -> Array[RoomInfo]:
		return _rooms

	func set_rooms(values: Array[RoomInfo]) -> void:
		_rooms = values

	func add_rooms() -> RoomInfo:
		var item := RoomInfo.new()
		_rooms.append(item)
		return item

	func clear_rooms() -> void:
		_rooms = []

	## Resets every field to its default.
	func clear() -> void:
		clear_rooms()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		for item in _rooms:
			writer.write_tag(1, PBWire.LEN)
			writer.write_bytes(item.to_bytes())
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.LEN):
						var item_end := reader.read_end(end)
						add_rooms().merge_from_reader(reader, item_end, depth + 1)
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if not _rooms.is_empty():
			parts.append("rooms: " + str(_rooms))
		return "{" + ", ".join(parts) + "}"


## Someone in a room: its connection ID and its username ("" for a guest).
class Member:
	var _id: int = 0
	var _name: String = ""

	func get_id() -> int:
		return _id

	func set_id(value: int) -> void:
		_id = value

	func clear_id() -> void:
		_id = 0

	func get_name() -> String:
		return _name

	func set_name(value: String) -> void:
		_name = value

	func clear_name() -> void:
		_name = ""

	## Resets every field to its default.
	func clear() -> void:
		clear_id()
		clear_name()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if _id != 0:
			writer.write_tag(1, PBWire.VARINT)
			writer.write_uint64(_id)
		if not _name.is_empty():
			writer.write_tag(2, PBWire.LEN)
			writer.write_string(_name)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.VARINT):
						set_id(reader.read_uint64(end))
				2:
					if reader.expect(wire_type, PBWire.LEN):
						set_name(reader.read_string(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if _id != 0:
			parts.append("id: " + var_to_str(_id))
		if not _name.is_empty():
			parts.append("name: " + var_to_str(_name))
		return "{" + ", ".join(parts) + "}"


## A line of a room's history. `sent_at_ms` is Unix time in milliseconds.
class ChatLine:
	var _sender_id: int = 0
	var _msg: String = ""
	var _sent_at_ms: int = 0
	var _sender_name: String = ""

	func get_sender_id() -> int:
		return _sender_id

	func set_sender_id(value: int) -> void:
		_sender_id = value

	func clear_sender_id() -> void:
		_sender_id = 0

	func get_msg() -> String:
		return _msg

	func set_msg(value: String) -> void:
		_msg = value

	func clear_msg() -> void:
		_msg = ""

	func get_sent_at_ms() -> int:
		return _sent_at_ms

	func set_sent_at_ms(value: int) -> void:
		_sent_at_ms = value

	func clear_sent_at_ms() -> void:
		_sent_at_ms = 0

	func get_sender_name() -> String:
		return _sender_name

	func set_sender_name(value: String) -> void:
		_sender_name = value

	func clear_sender_name() -> void:
		_sender_name = ""

	## Resets every field to its default.
	func clear() -> void:
		clear_sender_id()
		clear_msg()
		clear_sent_at_ms()
		clear_sender_name()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if _sender_id != 0:
			writer.write_tag(1, PBWire.VARINT)
			writer.write_uint64(_sender_id)
		if not _msg.is_empty():
			writer.write_tag(2, PBWire.LEN)
			writer.write_string(_msg)
		if _sent_at_ms != 0:
			writer.write_tag(3, PBWire.VARINT)
			writer.write_int64(_sent_at_ms)
		if not _sender_name.is_empty():
			writer.write_tag(4, PBWire.LEN)
			writer.write_string(_sender_name)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.VARINT):
						set_sender_id(reader.read_uint64(end))
				2:
					if reader.expect(wire_type, PBWire.LEN):
						set_msg(reader.read_string(end))
				3:
					if reader.expect(wire_type, PBWire.VARINT):
						set_sent_at_ms(reader.read_int64(end))
				4:
					if reader.expect(wire_type, PBWire.LEN):
						set_sender_name(reader.read_string(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if _sender_id != 0:
			parts.append("sender_id: " + var_to_str(_sender_id))
		if not _msg.is_empty():
			parts.append("msg: " + var_to_str(_msg))
		if _sent_at_ms != 0:
			parts.append("sent_at_ms: " + var_to_str(_sent_at_ms))
		if not _sender_name.is_empty():
			parts.append("sender_name: " + var_to_str(_sender_name))
		return "{" + ", ".join(parts) + "}"


## A room and how many members it has.
class RoomInfo:
	var _name: String = ""
	var _members: int = 0

	func get_name() -> String:
		return _name

	func set_name(value: String) -> void:
		_name = value

	func clear_name() -> void:
		_name = ""

	func get_members() -> int:
		return _members

	func set_members(value: int) -> void:
		_members = value & 0xFFFFFFFF

	func clear_members() -> void:
		_members = 0

	## Resets every field to its default.
	func clear() -> void:
		clear_name()
		clear_members()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if not _name.is_empty():
			writer.write_tag(1, PBWire.LEN)
			writer.write_string(_name)
		if _members != 0:
			writer.write_tag(2, PBWire.VARINT)
			writer.write_uint32(_members)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.LEN):
						set_name(reader.read_string(end))
				2:
					if reader.expect(wire_type, PBWire.VARINT):
						set_members(reader.read_uint32(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if not _name.is_empty():
			parts.append("name: " + var_to_str(_name))
		if _members != 0:
			parts.append("members: " + var_to_str(_members))
		return "{" + ", ".join(parts) + "}"


## Server to client, in a big room instead of one `PresenceMessage` per event: the members whose
## membership changed during one batch window, as they are at its end. `joined`: in the room now,
## having entered it (or been renamed) during the window; `left`: not in the room now, having left
## it during the window. Applying it to any member list the client built from this room's messages
## before it (a `RoomMessage`, pages, earlier batches) gives the room's members as of this message.
## `members` is how many members the room has now.
class PresenceBatchMessage:
	var _room: String = ""
	var _joined: Array[Member] = []
	var _left: Array[int] = []
	var _members: int = 0

	func get_room() -> String:
		return _room

	func set_room(value: String) -> void:
		_room = value

	func clear_room() -> void:
		_room = ""

	func get_joined() -> Array[Member]:
		return _joined

	func set_joined(values: Array[Member]) -> void:
		_joined = values

	func add_joined() -> Member:
		var item := Member.new()
		_joined.append(item)
		return item

	func clear_joined() -> void:
		_joined = []

	func get_left() -> Array[int]:
		return _left

	func set_left(values: Array[int]) -> void:
		_left = values

	func add_left(value: int) -> void:
		_left.append(value)

	func clear_left() -> void:
		_left = []

	func get_members() -> int:
		return _members

	func set_members(value: int) -> void:
		_members = value & 0xFFFFFFFF

	func clear_members() -> void:
		_members = 0

	## Resets every field to its default.
	func clear() -> void:
		clear_room()
		clear_joined()
		clear_left()
		clear_members()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if not _room.is_empty():
			writer.write_tag(1, PBWire.LEN)
			writer.write_string(_room)
		for item in _joined:
			writer.write_tag(2, PBWire.LEN)
			writer.write_bytes(item.to_bytes())
		if not _left.is_empty():
			writer.write_tag(3, PBWire.LEN)
			var packed := PBWriter.new()
			for item in _left:
				packed.write_uint64(item)
			writer.write_bytes(packed.bytes)
		if _members != 0:
			writer.write_tag(4, PBWire.VARINT)
			writer.write_uint32(_members)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.LEN):
						set_room(reader.read_string(end))
				2:
					if reader.expect(wire_type, PBWire.LEN):
						var item_end := reader.read_end(end)
						add_joined().merge_from_reader(reader, item_end, depth + 1)
				3:
					if wire_type == PBWire.LEN:
						var values_end := reader.read_end(end)
						while reader.pos < values_end and not reader.failed:
							_left.append(reader.read_uint64(values_end))
					elif reader.expect(wire_type, PBWire.VARINT):
						_left.append(reader.read_uint64(end))
				4:
					if reader.expect(wire_type, PBWire.VARINT):
						set_members(reader.read_uint32(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if not _room.is_empty():
			parts.append("room: " + var_to_str(_room))
		if not _joined.is_empty():
			parts.append("joined: " + str(_joined))
		if not _left.is_empty():
			parts.append("left: " + str(_left))
		if _members != 0:
			parts.append("members: " + var_to_str(_members))
		return "{" + ", ".join(parts) + "}"


## Client to server: the members of my room `room` with IDs above `after_id`, at most `limit` (0:
## the server's most). Answered with `MemberListMessage`.
class MemberListRequestMessage:
	var _room: String = ""
	var _after_id: int = 0
	var _limit: int = 0

	func get_room() -> String:
		return _room

	func set_room(value: String) -> void:
		_room = value

	func clear_room() -> void:
		_room = ""

	func get_after_id() -> int:
		return _after_id

	func set_after_id(value: int) -> void:
		_after_id = value

	func clear_after_id() -> void:
		_after_id = 0

	func get_limit() -> int:
		return _limit

	func set_limit(value: int) -> void:
		_limit = value & 0xFFFFFFFF

	func clear_limit() -> void:
		_limit = 0

	## Resets every field to its default.
	func clear() -> void:
		clear_room()
		clear_after_id()
		clear_limit()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if not _room.is_empty():
			writer.write_tag(1, PBWire.LEN)
			writer.write_string(_room)
		if _after_id != 0:
			writer.write_tag(2, PBWire.VARINT)
			writer.write_uint64(_after_id)
		if _limit != 0:
			writer.write_tag(3, PBWire.VARINT)
			writer.write_uint32(_limit)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.LEN):
						set_room(reader.read_string(end))
				2:
					if reader.expect(wire_type, PBWire.VARINT):
						set_after_id(reader.read_uint64(end))
				3:
					if reader.expect(wire_type, PBWire.VARINT):
						set_limit(reader.read_uint32(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if not _room.is_empty():
			parts.append("room: " + var_to_str(_room))
		if _after_id != 0:
			parts.append("after_id: " + var_to_str(_after_id))
		if _limit != 0:
			parts.append("limit: " + var_to_str(_limit))
		return "{" + ", ".join(parts) + "}"


## Server to client: one page of the members of `room`, by ID, as of this message in the room's
## order. `complete`: no member has a higher ID; otherwise ask again with `after_id =
## next_after_id`. `total`: how many members the room has now.
class MemberListMessage:
	var _room: String = ""
	var _members: Array[Member] = []
	var _next_after_id: int = 0
	var _complete: bool = false
	var _total: int = 0

	func get_room() -> String:
		return _room

	func set_room(value: String) -> void:
		_room = value

	func clear_room() -> void:
		_room = ""

	func get_members() -> Array[Member]:
		return _members

	func set_members(values: Array[Member]) -> void:
		_members = values

	func add_members() -> Member:
		var item := Member.new()
		_members.append(item)
		return item

	func clear_members() -> void:
		_members = []

	func get_next_after_id() -> int:
		return _next_after_id

	func set_next_after_id(value: int) -> void:
		_next_after_id = value

	func clear_next_after_id() -> void:
		_next_after_id = 0

	func get_complete() -> bool:
		return _complete

	func set_complete(value: bool) -> void:
		_complete = value

	func clear_complete() -> void:
		_complete = false

	func get_total() -> int:
		return _total

	func set_total(value: int) -> void:
		_total = value & 0xFFFFFFFF

	func clear_total() -> void:
		_total = 0

	## Resets every field to its default.
	func clear() -> void:
		clear_room()
		clear_members()
		clear_next_after_id()
		clear_complete()
		clear_total()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if not _room.is_empty():
			writer.write_tag(1, PBWire.LEN)
			writer.write_string(_room)
		for item in _members:
			writer.write_tag(2, PBWire.LEN)
			writer.write_bytes(item.to_bytes())
		if _next_after_id != 0:
			writer.write_tag(3, PBWire.VARINT)
			writer.write_uint64(_next_after_id)
		if _complete:
			writer.write_tag(4, PBWire.VARINT)
			writer.write_bool(_complete)
		if _total != 0:
			writer.write_tag(5, PBWire.VARINT)
			writer.write_uint32(_total)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.LEN):
						set_room(reader.read_string(end))
				2:
					if reader.expect(wire_type, PBWire.LEN):
						var item_end := reader.read_end(end)
						add_members().merge_from_reader(reader, item_end, depth + 1)
				3:
					if reader.expect(wire_type, PBWire.VARINT):
						set_next_after_id(reader.read_uint64(end))
				4:
					if reader.expect(wire_type, PBWire.VARINT):
						set_complete(reader.read_bool(end))
				5:
					if reader.expect(wire_type, PBWire.VARINT):
						set_total(reader.read_uint32(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if not _room.is_empty():
			parts.append("room: " + var_to_str(_room))
		if not _members.is_empty():
			parts.append("members: " + str(_members))
		if _next_after_id != 0:
			parts.append("next_after_id: " + var_to_str(_next_after_id))
		if _complete:
			parts.append("complete: " + var_to_str(_complete))
		if _total != 0:
			parts.append("total: " + var_to_str(_total))
		return "{" + ", ".join(parts) + "}"


## A player's state: `id` is its owner's client ID.
class PlayerMessage:
	var _id: int = 0
	var _name: String = ""
	var _x: float = 0.0
	var _y: float = 0.0
	var _radius: float = 0.0
	var _direction: float = 0.0
	var _speed: float = 0.0
	var _color: int = 0

	func get_id() -> int:
		return _id

	func set_id(value: int) -> void:
		_id = value

	func clear_id() -> void:
		_id = 0

	func get_name() -> String:
		return _name

	func set_name(value: String) -> void:
		_name = value

	func clear_name() -> void:
		_name = ""

	func get_x() -> float:
		return _x

	func set_x(value: float) -> void:
		_x = value

	func clear_x() -> void:
		_x = 0.0

	func get_y() -> float:
		return _y

	func set_y(value: float) -> void:
		_y = value

	func clear_y() -> void:
		_y = 0.0

	func get_radius() -> float:
		return _radius

	func set_radius(value: float) -> void:
		_radius = value

	func clear_radius() -> void:
		_radius = 0.0

	func get_direction() -> float:
		return _direction

	func set_direction(value: float) -> void:
		_direction = value

	func clear_direction() -> void:
		_direction = 0.0

	func get_speed() -> float:
		return _speed

	func set_speed(value: float) -> void:
		_speed = value

	func clear_speed() -> void:
		_speed = 0.0

	func get_color() -> int:
		return _color

	func set_color(value: int) -> void:
		_color = PBWire.to_int32(value)

	func clear_color() -> void:
		_color = 0

	## Resets every field to its default.
	func clear() -> void:
		clear_id()
		clear_name()
		clear_x()
		clear_y()
		clear_radius()
		clear_direction()
		clear_speed()
		clear_color()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if _id != 0:
			writer.write_tag(1, PBWire.VARINT)
			writer.write_uint64(_id)
		if not _name.is_empty():
			writer.write_tag(2, PBWire.LEN)
			writer.write_string(_name)
		if _x != 0.0:
			writer.write_tag(3, PBWire.I64)
			writer.write_double(_x)
		if _y != 0.0:
			writer.write_tag(4, PBWire.I64)
			writer.write_double(_y)
		if _radius != 0.0:
			writer.write_tag(5, PBWire.I64)
			writer.write_double(_radius)
		if _direction != 0.0:
			writer.write_tag(6, PBWire.I64)
			writer.write_double(_direction)
		if _speed != 0.0:
			writer.write_tag(7, PBWire.I64)
			writer.write_double(_speed)
		if _color != 0:
			writer.write_tag(8, PBWire.VARINT)
			writer.write_int32(_color)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.VARINT):
						set_id(reader.read_uint64(end))
				2:
					if reader.expect(wire_type, PBWire.LEN):
						set_name(reader.read_string(end))
				3:
					if reader.expect(wire_type, PBWire.I64):
						set_x(reader.read_double(end))
				4:
					if reader.expect(wire_type, PBWire.I64):
						set_y(reader.read_double(end))
				5:
					if reader.expect(wire_type, PBWire.I64):
						set_radius(reader.read_double(end))
				6:
					if reader.expect(wire_type, PBWire.I64):
						set_direction(reader.read_double(end))
				7:
					if reader.expect(wire_type, PBWire.I64):
						set_speed(reader.read_double(end))
				8:
					if reader.expect(wire_type, PBWire.VARINT):
						set_color(reader.read_int32(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if _id != 0:
			parts.append("id: " + var_to_str(_id))
		if not _name.is_empty():
			parts.append("name: " + var_to_str(_name))
		if _x != 0.0:
			parts.append("x: " + var_to_str(_x))
		if _y != 0.0:
			parts.append("y: " + var_to_str(_y))
		if _radius != 0.0:
			parts.append("radius: " + var_to_str(_radius))
		if _direction != 0.0:
			parts.append("direction: " + var_to_str(_direction))
		if _speed != 0.0:
			parts.append("speed: " + var_to_str(_speed))
		if _color != 0:
			parts.append("color: " + var_to_str(_color))
		return "{" + ", ".join(parts) + "}"


## Client to server: steer the own player towards `direction` (radians). The only input of a
## player; a value that is not finite is ignored.
class PlayerDirectionMessage:
	var _direction: float = 0.0

	func get_direction() -> float:
		return _direction

	func set_direction(value: float) -> void:
		_direction = value

	func clear_direction() -> void:
		_direction = 0.0

	## Resets every field to its default.
	func clear() -> void:
		clear_direction()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if _direction != 0.0:
			writer.write_tag(1, PBWire.I64)
			writer.write_double(_direction)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.I64):
						set_direction(reader.read_double(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if _direction != 0.0:
			parts.append("direction: " + var_to_str(_direction))
		return "{" + ", ".join(parts) + "}"


## A spore (food) in the world.
class SporeMessage:
	var _id: int = 0
	var _x: float = 0.0
	var _y: float = 0.0
	var _radius: float = 0.0

	func get_id() -> int:
		return _id

	func set_id(value: int) -> void:
		_id = value

	func clear_id() -> void:
		_id = 0

	func get_x() -> float:
		return _x

	func set_x(value: float) -> void:
		_x = value

	func clear_x() -> void:
		_x = 0.0

	func get_y() -> float:
		return _y

	func set_y(value: float) -> void:
		_y = value

	func clear_y() -> void:
		_y = 0.0

	func get_radius() -> float:
		return _radius

	func set_radius(value: float) -> void:
		_radius = value

	func clear_radius() -> void:
		_radius = 0.0

	## Resets every field to its default.
	func clear() -> void:
		clear_id()
		clear_x()
		clear_y()
		clear_radius()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if _id != 0:
			writer.write_tag(1, PBWire.VARINT)
			writer.write_uint64(_id)
		if _x != 0.0:
			writer.write_tag(2, PBWire.I64)
			writer.write_double(_x)
		if _y != 0.0:
			writer.write_tag(3, PBWire.I64)
			writer.write_double(_y)
		if _radius != 0.0:
			writer.write_tag(4, PBWire.I64)
			writer.write_double(_radius)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.VARINT):
						set_id(reader.read_uint64(end))
				2:
					if reader.expect(wire_type, PBWire.I64):
						set_x(reader.read_double(end))
				3:
					if reader.expect(wire_type, PBWire.I64):
						set_y(reader.read_double(end))
				4:
					if reader.expect(wire_type, PBWire.I64):
						set_radius(reader.read_double(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if _id != 0:
			parts.append("id: " + var_to_str(_id))
		if _x != 0.0:
			parts.append("x: " + var_to_str(_x))
		if _y != 0.0:
			parts.append("y: " + var_to_str(_y))
		if _radius != 0.0:
			parts.append("radius: " + var_to_str(_radius))
		return "{" + ", ".join(parts) + "}"


## Tutorial-level clients claim to have eaten a spore (checked by the server); the server relays
## accepted ones with `Packet.sender_id` = the eater.
class SporeConsumedMessage:
	var _spore_id: int = 0

	func get_spore_id() -> int:
		return _spore_id

	func set_spore_id(value: int) -> void:
		_spore_id = value

	func clear_spore_id() -> void:
		_spore_id = 0

	## Resets every field to its default.
	func clear() -> void:
		clear_spore_id()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if _spore_id != 0:
			writer.write_tag(1, PBWire.VARINT)
			writer.write_uint64(_spore_id)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.VARINT):
						set_spore_id(reader.read_uint64(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if _spore_id != 0:
			parts.append("spore_id: " + var_to_str(_spore_id))
		return "{" + ", ".join(parts) + "}"


## Spores a client has not seen yet, at most 20 per message.
class SporesBatchMessage:
	var _spores: Array[SporeMessage] = []

	func get_spores() -> Array[SporeMessage]:
		return _spores

	func set_spores(values: Array[SporeMessage]) -> void:
		_spores = values

	func add_spores() -> SporeMessage:
		var item := SporeMessage.new()
		_spores.append(item)
		return item

	func clear_spores() -> void:
		_spores = []

	## Resets every field to its default.
	func clear() -> void:
		clear_spores()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		for item in _spores:
			writer.write_tag(1, PBWire.LEN)
			writer.write_bytes(item.to_bytes())
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.LEN):
						var item_end := reader.read_end(end)
						add_spores().merge_from_reader(reader, item_end, depth + 1)
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if not _spores.is_empty():
			parts.append("spores: " + str(_spores))
		return "{" + ", ".join(parts) + "}"


## A player was eaten: claimed by a tutorial-level eater, relayed with `Packet.sender_id` = the
## eater.
class PlayerConsumedMessage:
	var _player_id: int = 0

	func get_player_id() -> int:
		return _player_id

	func set_player_id(value: int) -> void:
		_player_id = value

	func clear_player_id() -> void:
		_player_id = 0

	## Resets every field to its default.
	func clear() -> void:
		clear_player_id()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if _player_id != 0:
			writer.write_tag(1, PBWire.VARINT)
			writer.write_uint64(_player_id)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.VARINT):
						set_player_id(reader.read_uint64(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if _player_id != 0:
			parts.append("player_id: " + var_to_str(_player_id))
		return "{" + ", ".join(parts) + "}"


## Client to server: show the hiscore board.
class HiscoreBoardRequestMessage:
	pass

	## Resets every field to its default.
	func clear() -> void:
		pass

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if not reader.failed:
				reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		return "{" + ", ".join(parts) + "}"


## One row of a hiscore board: `rank` 1 is the best.
class HiscoreMessage:
	var _rank: int = 0
	var _name: String = ""
	var _score: int = 0

	func get_rank() -> int:
		return _rank

	func set_rank(value: int) -> void:
		_rank = value

	func clear_rank() -> void:
		_rank = 0

	func get_name() -> String:
		return _name

	func set_name(value: String) -> void:
		_name = value

	func clear_name() -> void:
		_name = ""

	func get_score() -> int:
		return _score

	func set_score(value: int) -> void:
		_score = value

	func clear_score() -> void:
		_score = 0

	## Resets every field to its default.
	func clear() -> void:
		clear_rank()
		clear_name()
		clear_score()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if _rank != 0:
			writer.write_tag(1, PBWire.VARINT)
			writer.write_uint64(_rank)
		if not _name.is_empty():
			writer.write_tag(2, PBWire.LEN)
			writer.write_string(_name)
		if _score != 0:
			writer.write_tag(3, PBWire.VARINT)
			writer.write_uint64(_score)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.VARINT):
						set_rank(reader.read_uint64(end))
				2:
					if reader.expect(wire_type, PBWire.LEN):
						set_name(reader.read_string(end))
				3:
					if reader.expect(wire_type, PBWire.VARINT):
						set_score(reader.read_uint64(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if _rank != 0:
			parts.append("rank: " + var_to_str(_rank))
		if not _name.is_empty():
			parts.append("name: " + var_to_str(_name))
		if _score != 0:
			parts.append("score: " + var_to_str(_score))
		return "{" + ", ".join(parts) + "}"


## Ten rows of the hiscore board.
class HiscoreBoardMessage:
	var _hiscores: Array[HiscoreMessage] = []

	func get_hiscores() -> Array[HiscoreMessage]:
		return _hiscores

	func set_hiscores(values: Array[HiscoreMessage]) -> void:
		_hiscores = values

	func add_hiscores() -> HiscoreMessage:
		var item := HiscoreMessage.new()
		_hiscores.append(item)
		return item

	func clear_hiscores() -> void:
		_hiscores = []

	## Resets every field to its default.
	func clear() -> void:
		clear_hiscores()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		for item in _hiscores:
			writer.write_tag(1, PBWire.LEN)
			writer.write_bytes(item.to_bytes())
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.LEN):
						var item_end := reader.read_end(end)
						add_hiscores().merge_from_reader(reader, item_end, depth + 1)
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if not _hiscores.is_empty():
			parts.append("hiscores: " + str(_hiscores))
		return "{" + ", ".join(parts) + "}"


## Client to server: done with the hiscore board.
class FinishedBrowsingHiscoresMessage:
	pass

	## Resets every field to its default.
	func clear() -> void:
		pass

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if not reader.failed:
				reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		return "{" + ", ".join(parts) + "}"


## Client to server: show the board around the player named `name` (case-insensitive).
class SearchHiscoreMessage:
	var _name: String = ""

	func get_name() -> String:
		return _name

	func set_name(value: String) -> void:
		_name = value

	func clear_name() -> void:
		_name = ""

	## Resets every field to its default.
	func clear() -> void:
		clear_name()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if not _name.is_empty():
			writer.write_tag(1, PBWire.LEN)
			writer.write_string(_name)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.LEN):
						set_name(reader.read_string(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if not _name.is_empty():
			parts.append("name: " + var_to_str(_name))
		return "{" + ", ".join(parts) + "}"


## Client to server: enter the world of the room this client is in, as a player. Answered with
## `WorldEnteredMessage`, or `DenyResponseMessage` when refused.
class EnterWorldMessage:
	## Ask for extrapolated updates: players' velocities when they change (fields 13 and 14 of
	## `WorldUpdateMessage`) instead of every move (7 and 8). See docs/protocol.md.
	var _extrapolate: bool = false

	func get_extrapolate() -> bool:
		return _extrapolate

	func set_extrapolate(value: bool) -> void:
		_extrapolate = value

	func clear_extrapolate() -> void:
		_extrapolate = false

	## Resets every field to its default.
	func clear() -> void:
		clear_extrapolate()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if _extrapolate:
			writer.write_tag(1, PBWire.VARINT)
			writer.write_bool(_extrapolate)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.VARINT):
						set_extrapolate(reader.read_bool(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if _extrapolate:
			parts.append("extrapolate: " + var_to_str(_extrapolate))
		return "{" + ", ".join(parts) + "}"


## Server to client: this client now plays in `room`'s world as player `player_id` (its client ID).
## `WorldUpdateMessage`s follow, at most one per tick.
class WorldEnteredMessage:
	var _room: String = ""
	var _player_id: int = 0
	## Ticks per second.
	var _tick_rate: int = 0
	## Position and radius units per world unit.
	var _position_scale: int = 0
	## Whether this client's updates are extrapolated (it asked, and the server does it).
	var _extrapolating: bool = false

	func get_room() -> String:
		return _room

	func set_room(value: String) -> void:
		_room = value

	func clear_room() -> void:
		_room = ""

	func get_player_id() -> int:
		return _player_id

	func set_player_id(value: int) -> void:
		_player_id = value

	func clear_player_id() -> void:
		_player_id = 0

	func get_tick_rate() -> int:
		return _tick_rate

	func set_tick_rate(value: int) -> void:
		_tick_rate = value & 0xFFFFFFFF

	func clear_tick_rate() -> void:
		_tick_rate = 0

	func get_position_scale() -> int:
		return _position_scale

	func set_position_scale(value: int) -> void:
		_position_scale = value & 0xFFFFFFFF

	func clear_position_scale() -> void:
		_position_scale = 0

	func get_extrapolating() -> bool:
		return _extrapolating

	func set_extrapolating(value: bool) -> void:
		_extrapolating = value

	func clear_extrapolating() -> void:
		_extrapolating = false

	## Resets every field to its default.
	func clear() -> void:
		clear_room()
		clear_player_id()
		clear_tick_rate()
		clear_position_scale()
		clear_extrapolating()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if not _room.is_empty():
			writer.write_tag(1, PBWire.LEN)
			writer.write_string(_room)
		if _player_id != 0:
			writer.write_tag(2, PBWire.VARINT)
			writer.write_uint64(_player_id)
		if _tick_rate != 0:
			writer.write_tag(3, PBWire.VARINT)
			writer.write_uint32(_tick_rate)
		if _position_scale != 0:
			writer.write_tag(4, PBWire.VARINT)
			writer.write_uint32(_position_scale)
		if _extrapolating:
			writer.write_tag(5, PBWire.VARINT)
			writer.write_bool(_extrapolating)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.LEN):
						set_room(reader.read_string(end))
				2:
					if reader.expect(wire_type, PBWire.VARINT):
						set_player_id(reader.read_uint64(end))
				3:
					if reader.expect(wire_type, PBWire.VARINT):
						set_tick_rate(reader.read_uint32(end))
				4:
					if reader.expect(wire_type, PBWire.VARINT):
						set_position_scale(reader.read_uint32(end))
				5:
					if reader.expect(wire_type, PBWire.VARINT):
						set_extrapolating(reader.read_bool(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if not _room.is_empty():
			parts.append("room: " + var_to_str(_room))
		if _player_id != 0:
			parts.append("player_id: " + var_to_str(_player_id))
		if _tick_rate != 0:
			parts.append("tick_rate: " + var_to_str(_tick_rate))
		if _position_scale != 0:
			parts.append("position_scale: " + var_to_str(_position_scale))
		if _extrapolating:
			parts.append("extrapolating: " + var_to_str(_extrapolating))
		return "{" + ", ".join(parts) + "}"


## Client to server: leave the world (the client stays in its room). Answered with
## `WorldLeftMessage`.
class LeaveWorldMessage:
	pass

	## Resets every field to its default.
	func clear() -> void:
		pass

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if not reader.failed:
				reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		return "{" + ", ".join(parts) + "}"


## Server to client: this client no longer plays (it asked, changed rooms, or the world closed). No
## `WorldUpdateMessage` follows.
class WorldLeftMessage:
	var _reason: String = ""

	func get_reason() -> String:
		return _reason

	func set_reason(value: String) -> void:
		_reason = value

	func clear_reason() -> void:
		_reason = ""

	## Resets every field to its default.
	func clear() -> void:
		clear_reason()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if not _reason.is_empty():
			writer.write_tag(1, PBWire.LEN)
			writer.write_string(_reason)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.LEN):
						set_reason(reader.read_string(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if not _reason.is_empty():
			parts.append("reason: " + var_to_str(_reason))
		return "{" + ", ".join(parts) + "}"


## Server to client, at most one per tick and none when nothing in the client's view changed: every
## change in its view since the previous one. Apply in field order: leaves and eats, then entries,
## then moves and resizes.
class WorldUpdateMessage:
	## The world's tick number (it wraps).
	var _tick: int = 0
	## Players that left the view (still alive, out of sight or out of the world).
	var _players_left: Array[int] = []
	## Spores that left the view.
	var _spores_left: Array[int] = []
	## Eats the client could see: the eaten thing leaves its view (a respawned player re-enters
	## through `players_entered`).
	var _eaten: Array[WorldEat] = []
	## Players that came into view, with their full state.
	var _players_entered: Array[WorldPlayer] = []
	## Spores that came into view.
	var _spores_entered: Array[WorldSpore] = []
	## Players in view whose position changed: IDs in ascending order, the first as it is and each
	## next one as the difference from the one before.
	var _moved_ids: Array[int] = []
	## For each of `moved_ids`: dx, dy since the previous update, in position units.
	var _moved_xy: Array[int] = []
	## Players in view whose radius changed, coded like `moved_ids`.
	var _resized_ids: Array[int] = []
	## For each of `resized_ids`: the new radius in position units.
	var _resized_radii: Array[int] = []
	## The client's own score and view, when one of them changed.
	var _own: WorldOwnState = null
	## The world's top players, when changed (at most about once a second).
	var _leaderboard: WorldLeaderboard = null
	## Extrapolating clients only (never moved_ids and moved_xy): players in view whose velocity
	## changed this tick, coded like `moved_ids`.
	var _velocity_ids: Array[int] = []
	## For each of `velocity_ids`: its move this tick and on every later tick until the next change
	## (dx, dy in position units).
	var _velocity_xy: Array[int] = []

	func get_tick() -> int:
		return _tick

	func set_tick(value: int) -> void:
		_tick = value & 0xFFFFFFFF

	func clear_tick() -> void:
		_tick = 0

	func get_players_left() -> Array[int]:
		return _players_left

	func set_players_left(values: Array[int]) -> void:
		_players_left = values

	func add_players_left(value: int) -> void:
		_players_left.append(value)

	func clear_players_left() -> void:
		_players_left = []

	func get_spores_left() -> Array[int]:
		return _spores_left

	func set_spores_left(values: Array[int]) -> void:
		_spores_left = values

	func add_spores_left(value: int) -> void:
		_spores_left.append(value)

	func clear_spores_left() -> void:
		_spores_left = []

	func get_eaten() -> Array[WorldEat]:
		return _eaten

	func set_eaten(values: Array[WorldEat]) -> void:
		_eaten = values

	func add_eaten() -> WorldEat:
		var item := WorldEat.new()
		_eaten.append(item)
		return item

	func clear_eaten() -> void:
		_eaten = []

	func get_players_entered() -> Array[WorldPlayer]:
		return _players_entered

	func set_players_entered(values: Array[WorldPlayer]) -> void:
		_players_entered = values

	func add_players_entered() -> WorldPlayer:
		var item := WorldPlayer.new()
		_players_entered.append(item)
		return item

	func clear_players_entered() -> void:
		_players_entered = []

	func get_spores_entered() -> Array[WorldSpore]:
		return _spores_entered

	func set_spores_entered(values: Array[WorldSpore]) -> void:
		_spores_entered = values

	func add_spores_entered() -> WorldSpore:
		var item := WorldSpore.new()
		_spores_entered.append(item)
		return item

	func clear_spores_entered() -> void:
		_spores_entered = []

	func get_moved_ids() -> Array[int]:
		return _moved_ids

	func set_moved_ids(values: Array[int]) -> void:
		_moved_ids = values

	func add_moved_ids(value: int) -> void:
		_moved_ids.append(value)

	func clear_moved_ids() -> void:
		_moved_ids = []

	func get_moved_xy() -> Array[int]:
		return _moved_xy

	func set_moved_xy(values: Array[int]) -> void:
		_moved_xy = values

	func add_moved_xy(value: int) -> void:
		_moved_xy.append(value)

	func clear_moved_xy() -> void:
		_moved_xy = []

	func get_resized_ids() -> Array[int]:
		return _resized_ids

	func set_resized_ids(values: Array[int]) -> void:
		_resized_ids = values

	func add_resized_ids(value: int) -> void:
		_resized_ids.append(value)

	func clear_resized_ids() -> void:
		_resized_ids = []

	func get_resized_radii() -> Array[int]:
		return _resized_radii

	func set_resized_radii(values: Array[int]) -> void:
		_resized_radii = values

	func add_resized_radii(value: int) -> void:
		_resized_radii.append(value)

	func clear_resized_radii() -> void:
		_resized_radii = []

	func has_own() -> bool:
		return _own != null

	func get_own() -> WorldOwnState:
		return _own

	func set_own(value: WorldOwnState) -> void:
		_own = value

	func new_own() -> WorldOwnState:
		_own = WorldOwnState.new()
		return _own

	func clear_own() -> void:
		_own = null

	func has_leaderboard() -> bool:
		return _leaderboard != null

	func get_leaderboard() -> WorldLeaderboard:
		return _leaderboard

	func set_leaderboard(value: WorldLeaderboard) -> void:
		_leaderboard = value

	func new_leaderboard() -> WorldLeaderboard:
		_leaderboard = WorldLeaderboard.new()
		return _leaderboard

	func clear_leaderboard() -> void:
		_leaderboard = null

	func get_velocity_ids() -> Array[int]:
		return _velocity_ids

	func set_velocity_ids(values: Array[int]) -> void:
		_velocity_ids = values

	func add_velocity_ids(value: int) -> void:
		_velocity_ids.append(value)

	func clear_velocity_ids() -> void:
		_velocity_ids = []

	func get_velocity_xy() -> Array[int]:
		return _velocity_xy

	func set_velocity_xy(values: Array[int]) -> void:
		_velocity_xy = values

	func add_velocity_xy(value: int) -> void:
		_velocity_xy.append(value)

	func clear_velocity_xy() -> void:
		_velocity_xy = []

	## Resets every field to its default.
	func clear() -> void:
		clear_tick()
		clear_players_left()
		clear_spores_left()
		clear_eaten()
		clear_players_entered()
		clear_spores_entered()
		clear_moved_ids()
		clear_moved_xy()
		clear_resized_ids()
		clear_resized_radii()
		clear_own()
		clear_leaderboard()
		clear_velocity_ids()
		clear_velocity_xy()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if _tick != 0:
			writer.write_tag(1, PBWire.VARINT)
			writer.write_uint32(_tick)
		if not _players_left.is_empty():
			writer.write_tag(2, PBWire.LEN)
			var packed := PBWriter.new()
			for item in _players_left:
				packed.write_uint64(item)
			writer.write_bytes(packed.bytes)
		if not _spores_left.is_empty():
			writer.write_tag(3, PBWire.LEN)
			var packed := PBWriter.new()
			for item in _spores_left:
				packed.write_uint64(item)
			writer.write_bytes(packed.bytes)
		for item in _eaten:
			writer.write_tag(4, PBWire.LEN)
			writer.write_bytes(item.to_bytes())
		for item in _players_entered:
			writer.write_tag(5, PBWire.LEN)
			writer.write_bytes(item.to_bytes())
		for item in _spores_entered:
			writer.write_tag(6, PBWire.LEN)
			writer.write_bytes(item.to_bytes())
		if not _moved_ids.is_empty():
			writer.write_tag(7, PBWire.LEN)
			var packed := PBWriter.new()
			for item in _moved_ids:
				packed.write_uint64(item)
			writer.write_bytes(packed.bytes)
		if not _moved_xy.is_empty():
			writer.write_tag(8, PBWire.LEN)
			var packed := PBWriter.new()
			for item in _moved_xy:
				packed.write_sint32(item)
			writer.write_bytes(packed.bytes)
		if not _resized_ids.is_empty():
			writer.write_tag(9, PBWire.LEN)
			var packed := PBWriter.new()
			for item in _resized_ids:
				packed.write_uint64(item)
			writer.write_bytes(packed.bytes)
		if not _resized_radii.is_empty():
			writer.write_tag(10, PBWire.LEN)
			var packed := PBWriter.new()
			for item in _resized_radii:
				packed.write_uint32(item)
			writer.write_bytes(packed.bytes)
		if _own != null:
			writer.write_tag(11, PBWire.LEN)
			writer.write_bytes(_own.to_bytes())
		if _leaderboard != null:
			writer.write_tag(12, PBWire.LEN)
			writer.write_bytes(_leaderboard.to_bytes())
		if not _velocity_ids.is_empty():
			writer.write_tag(13, PBWire.LEN)
			var packed := PBWriter.new()
			for item in _velocity_ids:
				packed.write_uint64(item)
			writer.write_bytes(packed.bytes)
		if not _velocity_xy.is_empty():
			writer.write_tag(14, PBWire.LEN)
			var packed := PBWriter.new()
			for item in _velocity_xy:
				packed.write_sint32(item)
			writer.write_bytes(packed.bytes)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.VARINT):
						set_tick(reader.read_uint32(end))
				2:
					if wire_type == PBWire.LEN:
						var values_end := reader.read_end(end)
						while reader.pos < values_end and not reader.failed:
							_players_left.append(reader.read_uint64(values_end))
					elif reader.expect(wire_type, PBWire.VARINT):
						_players_left.append(reader.read_uint64(end))
				3:
					if wire_type == PBWire.LEN:
						var values_end := reader.read_end(end)
						while reader.pos < values_end and not reader.failed:
							_spores_left.append(reader.read_uint64(values_end))
					elif reader.expect(wire_type, PBWire.VARINT):
						_spores_left.append(reader.read_uint64(end))
				4:
					if reader.expect(wire_type, PBWire.LEN):
						var item_end := reader.read_end(end)
						add_eaten().merge_from_reader(reader, item_end, depth + 1)
				5:
					if reader.expect(wire_type, PBWire.LEN):
						var item_end := reader.read_end(end)
						add_players_entered().merge_from_reader(reader, item_end, depth + 1)
				6:
					if reader.expect(wire_type, PBWire.LEN):
						var item_end := reader.read_end(end)
						add_spores_entered().merge_from_reader(reader, item_end, depth + 1)
				7:
					if wire_type == PBWire.LEN:
						var values_end := reader.read_end(end)
						while reader.pos < values_end and not reader.failed:
							_moved_ids.append(reader.read_uint64(values_end))
					elif reader.expect(wire_type, PBWire.VARINT):
						_moved_ids.append(reader.read_uint64(end))
				8:
					if wire_type == PBWire.LEN:
						var values_end := reader.read_end(end)
						while reader.pos < values_end and not reader.failed:
							_moved_xy.append(reader.read_sint32(values_end))
					elif reader.expect(wire_type, PBWire.VARINT):
						_moved_xy.append(reader.read_sint32(end))
				9:
					if wire_type == PBWire.LEN:
						var values_end := reader.read_end(end)
						while reader.pos < values_end and not reader.failed:
							_resized_ids.append(reader.read_uint64(values_end))
					elif reader.expect(wire_type, PBWire.VARINT):
						_resized_ids.append(reader.read_uint64(end))
				10:
					if wire_type == PBWire.LEN:
						var values_end := reader.read_end(end)
						while reader.pos < values_end and not reader.failed:
							_resized_radii.append(reader.read_uint32(values_end))
					elif reader.expect(wire_type, PBWire.VARINT):
						_resized_radii.append(reader.read_uint32(end))
				11:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _own == null:
							_own = WorldOwnState.new()
						_own.merge_from_reader(reader, field_end, depth + 1)
				12:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _leaderboard == null:
							_leaderboard = WorldLeaderboard.new()
						_leaderboard.merge_from_reader(reader, field_end, depth + 1)
				13:
					if wire_type == PBWire.LEN:
						var values_end := reader.read_end(end)
						while reader.pos < values_end and not reader.failed:
							_velocity_ids.append(reader.read_uint64(values_end))
					elif reader.expect(wire_type, PBWire.VARINT):
						_velocity_ids.append(reader.read_uint64(end))
				14:
					if wire_type == PBWire.LEN:
						var values_end := reader.read_end(end)
						while reader.pos < values_end and not reader.failed:
							_velocity_xy.append(reader.read_sint32(values_end))
					elif reader.expect(wire_type, PBWire.VARINT):
						_velocity_xy.append(reader.read_sint32(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if _tick != 0:
			parts.append("tick: " + var_to_str(_tick))
		if not _players_left.is_empty():
			parts.append("players_left: " + str(_players_left))
		if not _spores_left.is_empty():
			parts.append("spores_left: " + str(_spores_left))
		if not _eaten.is_empty():
			parts.append("eaten: " + str(_eaten))
		if not _players_entered.is_empty():
			parts.append("players_entered: " + str(_players_entered))
		if not _spores_entered.is_empty():
			parts.append("spores_entered: " + str(_spores_entered))
		if not _moved_ids.is_empty():
			parts.append("moved_ids: " + str(_moved_ids))
		if not _moved_xy.is_empty():
			parts.append("moved_xy: " + str(_moved_xy))
		if not _resized_ids.is_empty():
			parts.append("resized_ids: " + str(_resized_ids))
		if not _resized_radii.is_empty():
			parts.append("resized_radii: " + str(_resized_radii))
		if _own != null:
			parts.append("own: " + str(_own))
		if _leaderboard != null:
			parts.append("leaderboard: " + str(_leaderboard))
		if not _velocity_ids.is_empty():
			parts.append("velocity_ids: " + str(_velocity_ids))
		if not _velocity_xy.is_empty():
			parts.append("velocity_xy: " + str(_velocity_xy))
		return "{" + ", ".join(parts) + "}"


## A player as it enters a view.
class WorldPlayer:
	var _id: int = 0
	## The account's username, or "" for a guest.
	var _name: String = ""
	var _x: int = 0
	var _y: int = 0
	var _radius: int = 0
	var _color: int = 0
	## Extrapolating clients only: its move on every tick after this one until a change.
	var _vx: int = 0
	var _vy: int = 0

	func get_id() -> int:
		return _id

	func set_id(value: int) -> void:
		_id = value

	func clear_id() -> void:
		_id = 0

	func get_name() -> String:
		return _name

	func set_name(value: String) -> void:
		_name = value

	func clear_name() -> void:
		_name = ""

	func get_x() -> int:
		return _x

	func set_x(value: int) -> void:
		_x = PBWire.to_int32(value)

	func clear_x() -> void:
		_x = 0

	func get_y() -> int:
		return _y

	func set_y(value: int) -> void:
		_y = PBWire.to_int32(value)

	func clear_y() -> void:
		_y = 0

	func get_radius() -> int:
		return _radius

	func set_radius(value: int) -> void:
		_radius = value & 0xFFFFFFFF

	func clear_radius() -> void:
		_radius = 0

	func get_color() -> int:
		return _color

	func set_color(value: int) -> void:
		_color = PBWire.to_int32(value)

	func clear_color() -> void:
		_color = 0

	func get_vx() -> int:
		return _vx

	func set_vx(value: int) -> void:
		_vx = PBWire.to_int32(value)

	func clear_vx() -> void:
		_vx = 0

	func get_vy() -> int:
		return _vy

	func set_vy(value: int) -> void:
		_vy = PBWire.to_int32(value)

	func clear_vy() -> void:
		_vy = 0

	## Resets every field to its default.
	func clear() -> void:
		clear_id()
		clear_name()
		clear_x()
		clear_y()
		clear_radius()
		clear_color()
		clear_vx()
		clear_vy()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if _id != 0:
			writer.write_tag(1, PBWire.VARINT)
			writer.write_uint64(_id)
		if not _name.is_empty():
			writer.write_tag(2, PBWire.LEN)
			writer.write_string(_name)
		if _x != 0:
			writer.write_tag(3, PBWire.VARINT)
			writer.write_sint32(_x)
		if _y != 0:
			writer.write_tag(4, PBWire.VARINT)
			writer.write_sint32(_y)
		if _radius != 0:
			writer.write_tag(5, PBWire.VARINT)
			writer.write_uint32(_radius)
		if _color != 0:
			writer.write_tag(6, PBWire.VARINT)
			writer.write_int32(_color)
		if _vx != 0:
			writer.write_tag(7, PBWire.VARINT)
			writer.write_sint32(_vx)
		if _vy != 0:
			writer.write_tag(8, PBWire.VARINT)
			writer.write_sint32(_vy)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.VARINT):
						set_id(reader.read_uint64(end))
				2:
					if reader.expect(wire_type, PBWire.LEN):
						set_name(reader.read_string(end))
				3:
					if reader.expect(wire_type, PBWire.VARINT):
						set_x(reader.read_sint32(end))
				4:
					if reader.expect(wire_type, PBWire.VARINT):
						set_y(reader.read_sint32(end))
				5:
					if reader.expect(wire_type, PBWire.VARINT):
						set_radius(reader.read_uint32(end))
				6:
					if reader.expect(wire_type, PBWire.VARINT):
						set_color(reader.read_int32(end))
				7:
					if reader.expect(wire_type, PBWire.VARINT):
						set_vx(reader.read_sint32(end))
				8:
					if reader.expect(wire_type, PBWire.VARINT):
						set_vy(reader.read_sint32(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if _id != 0:
			parts.append("id: " + var_to_str(_id))
		if not _name.is_empty():
			parts.append("name: " + var_to_str(_name))
		if _x != 0:
			parts.append("x: " + var_to_str(_x))
		if _y != 0:
			parts.append("y: " + var_to_str(_y))
		if _radius != 0:
			parts.append("radius: " + var_to_str(_radius))
		if _color != 0:
			parts.append("color: " + var_to_str(_color))
		if _vx != 0:
			parts.append("vx: " + var_to_str(_vx))
		if _vy != 0:
			parts.append("vy: " + var_to_str(_vy))
		return "{" + ", ".join(parts) + "}"


## A spore as it enters a view.
class WorldSpore:
	var _id: int = 0
	var _x: int = 0
	var _y: int = 0
	var _radius: int = 0

	func get_id() -> int:
		return _id

	func set_id(value: int) -> void:
		_id = value

	func clear_id() -> void:
		_id = 0

	func get_x() -> int:
		return _x

	func set_x(value: int) -> void:
		_x = PBWire.to_int32(value)

	func clear_x() -> void:
		_x = 0

	func get_y() -> int:
		return _y

	func set_y(value: int) -> void:
		_y = PBWire.to_int32(value)

	func clear_y() -> void:
		_y = 0

	func get_radius() -> int:
		return _radius

	func set_radius(value: int) -> void:
		_radius = value & 0xFFFFFFFF

	func clear_radius() -> void:
		_radius = 0

	## Resets every field to its default.
	func clear() -> void:
		clear_id()
		clear_x()
		clear_y()
		clear_radius()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if _id != 0:
			writer.write_tag(1, PBWire.VARINT)
			writer.write_uint64(_id)
		if _x != 0:
			writer.write_tag(2, PBWire.VARINT)
			writer.write_sint32(_x)
		if _y != 0:
			writer.write_tag(3, PBWire.VARINT)
			writer.write_sint32(_y)
		if _radius != 0:
			writer.write_tag(4, PBWire.VARINT)
			writer.write_uint32(_radius)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.VARINT):
						set_id(reader.read_uint64(end))
				2:
					if reader.expect(wire_type, PBWire.VARINT):
						set_x(reader.read_sint32(end))
				3:
					if reader.expect(wire_type, PBWire.VARINT):
						set_y(reader.read_sint32(end))
				4:
					if reader.expect(wire_type, PBWire.VARINT):
						set_radius(reader.read_uint32(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if _id != 0:
			parts.append("id: " + var_to_str(_id))
		if _x != 0:
			parts.append("x: " + var_to_str(_x))
		if _y != 0:
			parts.append("y: " + var_to_str(_y))
		if _radius != 0:
			parts.append("radius: " + var_to_str(_radius))
		return "{" + ", ".join(parts) + "}"


## `eater_id` ate the player `player_id` or the spore `spore_id` (one of them is set).
class WorldEat:
	var _eater_id: int = 0
	var _player_id: int = 0
	var _spore_id: int = 0

	func get_eater_id() -> int:
		return _eater_id

	func set_eater_id(value: int) -> void:
		_eater_id = value

	func clear_eater_id() -> void:
		_eater_id = 0

	func get_player_id() -> int:
		return _player_id

	func set_player_id(value: int) -> void:
		_player_id = value

	func clear_player_id() -> void:
		_player_id = 0

	func get_spore_id() -> int:
		return _spore_id

	func set_spore_id(value: int) -> void:
		_spore_id = value

	func clear_spore_id() -> void:
		_spore_id = 0

	## Resets every field to its default.
	func clear() -> void:
		clear_eater_id()
		clear_player_id()
		clear_spore_id()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if _eater_id != 0:
			writer.write_tag(1, PBWire.VARINT)
			writer.write_uint64(_eater_id)
		if _player_id != 0:
			writer.write_tag(2, PBWire.VARINT)
			writer.write_uint64(_player_id)
		if _spore_id != 0:
			writer.write_tag(3, PBWire.VARINT)
			writer.write_uint64(_spore_id)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.VARINT):
						set_eater_id(reader.read_uint64(end))
				2:
					if reader.expect(wire_type, PBWire.VARINT):
						set_player_id(reader.read_uint64(end))
				3:
					if reader.expect(wire_type, PBWire.VARINT):
						set_spore_id(reader.read_uint64(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if _eater_id != 0:
			parts.append("eater_id: " + var_to_str(_eater_id))
		if _player_id != 0:
			parts.append("player_id: " + var_to_str(_player_id))
		if _spore_id != 0:
			parts.append("spore_id: " + var_to_str(_spore_id))
		return "{" + ", ".join(parts) + "}"


## The receiving client's own standing and what the server counts as its view: the rectangle of
## +-`view_half_width` x +-`view_half_height` world units around its player.
class WorldOwnState:
	var _score: int = 0
	var _best_score: int = 0
	var _view_half_width: int = 0
	var _view_half_height: int = 0

	func get_score() -> int:
		return _score

	func set_score(value: int) -> void:
		_score = value

	func clear_score() -> void:
		_score = 0

	func get_best_score() -> int:
		return _best_score

	func set_best_score(value: int) -> void:
		_best_score = value

	func clear_best_score() -> void:
		_best_score = 0

	func get_view_half_width() -> int:
		return _view_half_width

	func set_view_half_width(value: int) -> void:
		_view_half_width = value & 0xFFFFFFFF

	func clear_view_half_width() -> void:
		_view_half_width = 0

	func get_view_half_height() -> int:
		return _view_half_height

	func set_view_half_height(value: int) -> void:
		_view_half_height = value & 0xFFFFFFFF

	func clear_view_half_height() -> void:
		_view_half_height = 0

	## Resets every field to its default.
	func clear() -> void:
		clear_score()
		clear_best_score()
		clear_view_half_width()
		clear_view_half_height()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if _score != 0:
			writer.write_tag(1, PBWire.VARINT)
			writer.write_uint64(_score)
		if _best_score != 0:
			writer.write_tag(2, PBWire.VARINT)
			writer.write_uint64(_best_score)
		if _view_half_width != 0:
			writer.write_tag(3, PBWire.VARINT)
			writer.write_uint32(_view_half_width)
		if _view_half_height != 0:
			writer.write_tag(4, PBWire.VARINT)
			writer.write_uint32(_view_half_height)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.VARINT):
						set_score(reader.read_uint64(end))
				2:
					if reader.expect(wire_type, PBWire.VARINT):
						set_best_score(reader.read_uint64(end))
				3:
					if reader.expect(wire_type, PBWire.VARINT):
						set_view_half_width(reader.read_uint32(end))
				4:
					if reader.expect(wire_type, PBWire.VARINT):
						set_view_half_height(reader.read_uint32(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if _score != 0:
			parts.append("score: " + var_to_str(_score))
		if _best_score != 0:
			parts.append("best_score: " + var_to_str(_best_score))
		if _view_half_width != 0:
			parts.append("view_half_width: " + var_to_str(_view_half_width))
		if _view_half_height != 0:
			parts.append("view_half_height: " + var_to_str(_view_half_height))
		return "{" + ", ".join(parts) + "}"


## The world's best players now, best first, whatever the view.
class WorldLeaderboard:
	var _entries: Array[WorldLeaderboardEntry] = []
	## Players in the world.
	var _players: int = 0

	func get_entries() -> Array[WorldLeaderboardEntry]:
		return _entries

	func set_entries(values: Array[WorldLeaderboardEntry]) -> void:
		_entries = values

	func add_entries() -> WorldLeaderboardEntry:
		var item := WorldLeaderboardEntry.new()
		_entries.append(item)
		return item

	func clear_entries() -> void:
		_entries = []

	func get_players() -> int:
		return _players

	func set_players(value: int) -> void:
		_players = value & 0xFFFFFFFF

	func clear_players() -> void:
		_players = 0

	## Resets every field to its default.
	func clear() -> void:
		clear_entries()
		clear_players()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		for item in _entries:
			writer.write_tag(1, PBWire.LEN)
			writer.write_bytes(item.to_bytes())
		if _players != 0:
			writer.write_tag(2, PBWire.VARINT)
			writer.write_uint32(_players)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.LEN):
						var item_end := reader.read_end(end)
						add_entries().merge_from_reader(reader, item_end, depth + 1)
				2:
					if reader.expect(wire_type, PBWire.VARINT):
						set_players(reader.read_uint32(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if not _entries.is_empty():
			parts.append("entries: " + str(_entries))
		if _players != 0:
			parts.append("players: " + var_to_str(_players))
		return "{" + ", ".join(parts) + "}"


## One row of the live leaderboard.
class WorldLeaderboardEntry:
	var _player_id: int = 0
	var _name: String = ""
	var _score: int = 0

	func get_player_id() -> int:
		return _player_id

	func set_player_id(value: int) -> void:
		_player_id = value

	func clear_player_id() -> void:
		_player_id = 0

	func get_name() -> String:
		return _name

	func set_name(value: String) -> void:
		_name = value

	func clear_name() -> void:
		_name = ""

	func get_score() -> int:
		return _score

	func set_score(value: int) -> void:
		_score = value

	func clear_score() -> void:
		_score = 0

	## Resets every field to its default.
	func clear() -> void:
		clear_player_id()
		clear_name()
		clear_score()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if _player_id != 0:
			writer.write_tag(1, PBWire.VARINT)
			writer.write_uint64(_player_id)
		if not _name.is_empty():
			writer.write_tag(2, PBWire.LEN)
			writer.write_string(_name)
		if _score != 0:
			writer.write_tag(3, PBWire.VARINT)
			writer.write_uint64(_score)
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.VARINT):
						set_player_id(reader.read_uint64(end))
				2:
					if reader.expect(wire_type, PBWire.LEN):
						set_name(reader.read_string(end))
				3:
					if reader.expect(wire_type, PBWire.VARINT):
						set_score(reader.read_uint64(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if _player_id != 0:
			parts.append("player_id: " + var_to_str(_player_id))
		if not _name.is_empty():
			parts.append("name: " + var_to_str(_name))
		if _score != 0:
			parts.append("score: " + var_to_str(_score))
		return "{" + ", ".join(parts) + "}"


class Packet:
	var _msg_case: int = 0
	## Who sent this packet. The server sets it on everything it sends; clients send 0 and any
	## other value they send is ignored.
	var _sender_id: int = 0
	var _chat: ChatMessage = null
	var _id: IdMessage = null
	var _login_request: LoginRequestMessage = null
	var _register_request: RegisterRequestMessage = null
	var _ok_response: OkResponseMessage = null
	var _deny_response: DenyResponseMessage = null
	var _player: PlayerMessage = null
	var _player_direction: PlayerDirectionMessage = null
	var _spore: SporeMessage = null
	var _spore_consumed: SporeConsumedMessage = null
	var _spores_batch: SporesBatchMessage = null
	var _player_consumed: PlayerConsumedMessage = null
	var _hiscore_board_request: HiscoreBoardRequestMessage = null
	var _hiscore: HiscoreMessage = null
	var _hiscore_board: HiscoreBoardMessage = null
	var _finished_browsing_hiscores: FinishedBrowsingHiscoresMessage = null
	var _search_hiscore: SearchHiscoreMessage = null
	var _disconnect: DisconnectMessage = null
	var _join_room: JoinRoomMessage = null
	var _room: RoomMessage = null
	var _presence: PresenceMessage = null
	var _room_list_request: RoomListRequestMessage = null
	var _room_list: RoomListMessage = null
	var _enter_world: EnterWorldMessage = null
	var _world_entered: WorldEnteredMessage = null
	var _leave_world: LeaveWorldMessage = null
	var _world_left: WorldLeftMessage = null
	var _world_update: WorldUpdateMessage = null
	var _presence_batch: PresenceBatchMessage = null
	var _member_list_request: MemberListRequestMessage = null
	var _member_list: MemberListMessage = null

	## The field number of the member of oneof [code]msg[/code] that is set, or 0.
	func get_msg_case() -> int:
		return _msg_case

	func clear_msg() -> void:
		_msg_case = 0
		_chat = null
		_id = null
		_login_request = null
		_register_request = null
		_ok_response = null
		_deny_response = null
		_player = null
		_player_direction = null
		_spore = null
		_spore_consumed = null
		_spores_batch = null
		_player_consumed = null
		_hiscore_board_request = null
		_hiscore = null
		_hiscore_board = null
		_finished_browsing_hiscores = null
		_search_hiscore = null
		_disconnect = null
		_join_room = null
		_room = null
		_presence = null
		_room_list_request = null
		_room_list = null
		_enter_world = null
		_world_entered = null
		_leave_world = null
		_world_left = null
		_world_update = null
		_presence_batch = null
		_member_list_request = null
		_member_list = null

	func get_sender_id() -> int:
		return _sender_id

	func set_sender_id(value: int) -> void:
		_sender_id = value

	func clear_sender_id() -> void:
		_sender_id = 0

	func has_chat() -> bool:
		return _msg_case == 2

	func get_chat() -> ChatMessage:
		return _chat

	func set_chat(value: ChatMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 2
			_chat = value

	func new_chat() -> ChatMessage:
		set_chat(ChatMessage.new())
		return _chat

	func clear_chat() -> void:
		if _msg_case == 2:
			clear_msg()

	func has_id() -> bool:
		return _msg_case == 3

	func get_id() -> IdMessage:
		return _id

	func set_id(value: IdMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 3
			_id = value

	func new_id() -> IdMessage:
		set_id(IdMessage.new())
		return _id

	func clear_id() -> void:
		if _msg_case == 3:
			clear_msg()

	func has_login_request() -> bool:
		return _msg_case == 4

	func get_login_request() -> LoginRequestMessage:
		return _login_request

	func set_login_request(value: LoginRequestMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 4
			_login_request = value

	func new_login_request() -> LoginRequestMessage:
		set_login_request(LoginRequestMessage.new())
		return _login_request

	func clear_login_request() -> void:
		if _msg_case == 4:
			clear_msg()

	func has_register_request() -> bool:
		return _msg_case == 5

	func get_register_request() -> RegisterRequestMessage:
		return _register_request

	func set_register_request(value: RegisterRequestMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 5
			_register_request = value

	func new_register_request() -> RegisterRequestMessage:
		set_register_request(RegisterRequestMessage.new())
		return _register_request

	func clear_register_request() -> void:
		if _msg_case == 5:
			clear_msg()

	func has_ok_response() -> bool:
		return _msg_case == 6

	func get_ok_response() -> OkResponseMessage:
		return _ok_response

	func set_ok_response(value: OkResponseMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 6
			_ok_response = value

	func new_ok_response() -> OkResponseMessage:
		set_ok_response(OkResponseMessage.new())
		return _ok_response

	func clear_ok_response() -> void:
		if _msg_case == 6:
			clear_msg()

	func has_deny_response() -> bool:
		return _msg_case == 7

	func get_deny_response() -> DenyResponseMessage:
		return _deny_response

	func set_deny_response(value: DenyResponseMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 7
			_deny_response = value

	func new_deny_response() -> DenyResponseMessage:
		set_deny_response(DenyResponseMessage.new())
		return _deny_response

	func clear_deny_response() -> void:
		if _msg_case == 7:
			clear_msg()

	func has_player() -> bool:
		return _msg_case == 8

	func get_player() -> PlayerMessage:
		return _player

	func set_player(value: PlayerMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 8
			_player = value

	func new_player() -> PlayerMessage:
		set_player(PlayerMessage.new())
		return _player

	func clear_player() -> void:
		if _msg_case == 8:
			clear_msg()

	func has_player_direction() -> bool:
		return _msg_case == 9

	func get_player_direction() -> PlayerDirectionMessage:
		return _player_direction

	func set_player_direction(value: PlayerDirectionMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 9
			_player_direction = value

	func new_player_direction() -> PlayerDirectionMessage:
		set_player_direction(PlayerDirectionMessage.new())
		return _player_direction

	func clear_player_direction() -> void:
		if _msg_case == 9:
			clear_msg()

	func has_spore() -> bool:
		return _msg_case == 10

	func get_spore() -> SporeMessage:
		return _spore

	func set_spore(value: SporeMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 10
			_spore = value

	func new_spore() -> SporeMessage:
		set_spore(SporeMessage.new())
		return _spore

	func clear_spore() -> void:
		if _msg_case == 10:
			clear_msg()

	func has_spore_consumed() -> bool:
		return _msg_case == 11

	func get_spore_consumed() -> SporeConsumedMessage:
		return _spore_consumed

	func set_spore_consumed(value: SporeConsumedMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 11
			_spore_consumed = value

	func new_spore_consumed() -> SporeConsumedMessage:
		set_spore_consumed(SporeConsumedMessage.new())
		return _spore_consumed

	func clear_spore_consumed() -> void:
		if _msg_case == 11:
			clear_msg()

	func has_spores_batch() -> bool:
		return _msg_case == 12

	func get_spores_batch() -> SporesBatchMessage:
		return _spores_batch

	func set_spores_batch(value: SporesBatchMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 12
			_spores_batch = value

	func new_spores_batch() -> SporesBatchMessage:
		set_spores_batch(SporesBatchMessage.new())
		return _spores_batch

	func clear_spores_batch() -> void:
		if _msg_case == 12:
			clear_msg()

	func has_player_consumed() -> bool:
		return _msg_case == 13

	func get_player_consumed() -> PlayerConsumedMessage:
		return _player_consumed

	func set_player_consumed(value: PlayerConsumedMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 13
			_player_consumed = value

	func new_player_consumed() -> PlayerConsumedMessage:
		set_player_consumed(PlayerConsumedMessage.new())
		return _player_consumed

	func clear_player_consumed() -> void:
		if _msg_case == 13:
			clear_msg()

	func has_hiscore_board_request() -> bool:
		return _msg_case == 14

	func get_hiscore_board_request() -> HiscoreBoardRequestMessage:
		return _hiscore_board_request

	func set_hiscore_board_request(value: HiscoreBoardRequestMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 14
			_hiscore_board_request = value

	func new_hiscore_board_request() -> HiscoreBoardRequestMessage:
		set_hiscore_board_request(HiscoreBoardRequestMessage.new())
		return _hiscore_board_request

	func clear_hiscore_board_request() -> void:
		if _msg_case == 14:
			clear_msg()

	func has_hiscore() -> bool:
		return _msg_case == 15

	func get_hiscore() -> HiscoreMessage:
		return _hiscore

	func set_hiscore(value: HiscoreMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 15
			_hiscore = value

	func new_hiscore() -> HiscoreMessage:
		set_hiscore(HiscoreMessage.new())
		return _hiscore

	func clear_hiscore() -> void:
		if _msg_case == 15:
			clear_msg()

	func has_hiscore_board() -> bool:
		return _msg_case == 16

	func get_hiscore_board() -> HiscoreBoardMessage:
		return _hiscore_board

	func set_hiscore_board(value: HiscoreBoardMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 16
			_hiscore_board = value

	func new_hiscore_board() -> HiscoreBoardMessage:
		set_hiscore_board(HiscoreBoardMessage.new())
		return _hiscore_board

	func clear_hiscore_board() -> void:
		if _msg_case == 16:
			clear_msg()

	func has_finished_browsing_hiscores() -> bool:
		return _msg_case == 17

	func get_finished_browsing_hiscores() -> FinishedBrowsingHiscoresMessage:
		return _finished_browsing_hiscores

	func set_finished_browsing_hiscores(value: FinishedBrowsingHiscoresMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 17
			_finished_browsing_hiscores = value

	func new_finished_browsing_hiscores() -> FinishedBrowsingHiscoresMessage:
		set_finished_browsing_hiscores(FinishedBrowsingHiscoresMessage.new())
		return _finished_browsing_hiscores

	func clear_finished_browsing_hiscores() -> void:
		if _msg_case == 17:
			clear_msg()

	func has_search_hiscore() -> bool:
		return _msg_case == 18

	func get_search_hiscore() -> SearchHiscoreMessage:
		return _search_hiscore

	func set_search_hiscore(value: SearchHiscoreMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 18
			_search_hiscore = value

	func new_search_hiscore() -> SearchHiscoreMessage:
		set_search_hiscore(SearchHiscoreMessage.new())
		return _search_hiscore

	func clear_search_hiscore() -> void:
		if _msg_case == 18:
			clear_msg()

	func has_disconnect() -> bool:
		return _msg_case == 19

	func get_disconnect() -> DisconnectMessage:
		return _disconnect

	func set_disconnect(value: DisconnectMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 19
			_disconnect = value

	func new_disconnect() -> DisconnectMessage:
		set_disconnect(DisconnectMessage.new())
		return _disconnect

	func clear_disconnect() -> void:
		if _msg_case == 19:
			clear_msg()

	func has_join_room() -> bool:
		return _msg_case == 100

	func get_join_room() -> JoinRoomMessage:
		return _join_room

	func set_join_room(value: JoinRoomMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 100
			_join_room = value

	func new_join_room() -> JoinRoomMessage:
		set_join_room(JoinRoomMessage.new())
		return _join_room

	func clear_join_room() -> void:
		if _msg_case == 100:
			clear_msg()

	func has_room() -> bool:
		return _msg_case == 101

	func get_room() -> RoomMessage:
		return _room

	func set_room(value: RoomMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 101
			_room = value

	func new_room() -> RoomMessage:
		set_room(RoomMessage.new())
		return _room

	func clear_room() -> void:
		if _msg_case == 101:
			clear_msg()

	func has_presence() -> bool:
		return _msg_case == 102

	func get_presence() -> PresenceMessage:
		return _presence

	func set_presence(value: PresenceMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 102
			_presence = value

	func new_presence() -> PresenceMessage:
		set_presence(PresenceMessage.new())
		return _presence

	func clear_presence() -> void:
		if _msg_case == 102:
			clear_msg()

	func has_room_list_request() -> bool:
		return _msg_case == 103

	func get_room_list_request() -> RoomListRequestMessage:
		return _room_list_request

	func set_room_list_request(value: RoomListRequestMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 103
			_room_list_request = value

	func new_room_list_request() -> RoomListRequestMessage:
		set_room_list_request(RoomListRequestMessage.new())
		return _room_list_request

	func clear_room_list_request() -> void:
		if _msg_case == 103:
			clear_msg()

	func has_room_list() -> bool:
		return _msg_case == 104

	func get_room_list() -> RoomListMessage:
		return _room_list

	func set_room_list(value: RoomListMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 104
			_room_list = value

	func new_room_list() -> RoomListMessage:
		set_room_list(RoomListMessage.new())
		return _room_list

	func clear_room_list() -> void:
		if _msg_case == 104:
			clear_msg()

	func has_enter_world() -> bool:
		return _msg_case == 105

	func get_enter_world() -> EnterWorldMessage:
		return _enter_world

	func set_enter_world(value: EnterWorldMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 105
			_enter_world = value

	func new_enter_world() -> EnterWorldMessage:
		set_enter_world(EnterWorldMessage.new())
		return _enter_world

	func clear_enter_world() -> void:
		if _msg_case == 105:
			clear_msg()

	func has_world_entered() -> bool:
		return _msg_case == 106

	func get_world_entered() -> WorldEnteredMessage:
		return _world_entered

	func set_world_entered(value: WorldEnteredMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 106
			_world_entered = value

	func new_world_entered() -> WorldEnteredMessage:
		set_world_entered(WorldEnteredMessage.new())
		return _world_entered

	func clear_world_entered() -> void:
		if _msg_case == 106:
			clear_msg()

	func has_leave_world() -> bool:
		return _msg_case == 107

	func get_leave_world() -> LeaveWorldMessage:
		return _leave_world

	func set_leave_world(value: LeaveWorldMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 107
			_leave_world = value

	func new_leave_world() -> LeaveWorldMessage:
		set_leave_world(LeaveWorldMessage.new())
		return _leave_world

	func clear_leave_world() -> void:
		if _msg_case == 107:
			clear_msg()

	func has_world_left() -> bool:
		return _msg_case == 108

	func get_world_left() -> WorldLeftMessage:
		return _world_left

	func set_world_left(value: WorldLeftMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 108
			_world_left = value

	func new_world_left() -> WorldLeftMessage:
		set_world_left(WorldLeftMessage.new())
		return _world_left

	func clear_world_left() -> void:
		if _msg_case == 108:
			clear_msg()

	func has_world_update() -> bool:
		return _msg_case == 109

	func get_world_update() -> WorldUpdateMessage:
		return _world_update

	func set_world_update(value: WorldUpdateMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 109
			_world_update = value

	func new_world_update() -> WorldUpdateMessage:
		set_world_update(WorldUpdateMessage.new())
		return _world_update

	func clear_world_update() -> void:
		if _msg_case == 109:
			clear_msg()

	func has_presence_batch() -> bool:
		return _msg_case == 120

	func get_presence_batch() -> PresenceBatchMessage:
		return _presence_batch

	func set_presence_batch(value: PresenceBatchMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 120
			_presence_batch = value

	func new_presence_batch() -> PresenceBatchMessage:
		set_presence_batch(PresenceBatchMessage.new())
		return _presence_batch

	func clear_presence_batch() -> void:
		if _msg_case == 120:
			clear_msg()

	func has_member_list_request() -> bool:
		return _msg_case == 121

	func get_member_list_request() -> MemberListRequestMessage:
		return _member_list_request

	func set_member_list_request(value: MemberListRequestMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 121
			_member_list_request = value

	func new_member_list_request() -> MemberListRequestMessage:
		set_member_list_request(MemberListRequestMessage.new())
		return _member_list_request

	func clear_member_list_request() -> void:
		if _msg_case == 121:
			clear_msg()

	func has_member_list() -> bool:
		return _msg_case == 122

	func get_member_list() -> MemberListMessage:
		return _member_list

	func set_member_list(value: MemberListMessage) -> void:
		clear_msg()
		if value != null:
			_msg_case = 122
			_member_list = value

	func new_member_list() -> MemberListMessage:
		set_member_list(MemberListMessage.new())
		return _member_list

	func clear_member_list() -> void:
		if _msg_case == 122:
			clear_msg()

	## Resets every field to its default.
	func clear() -> void:
		clear_msg()
		clear_sender_id()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if _sender_id != 0:
			writer.write_tag(1, PBWire.VARINT)
			writer.write_uint64(_sender_id)
		if _msg_case == 2:
			writer.write_tag(2, PBWire.LEN)
			writer.write_bytes(_chat.to_bytes())
		if _msg_case == 3:
			writer.write_tag(3, PBWire.LEN)
			writer.write_bytes(_id.to_bytes())
		if _msg_case == 4:
			writer.write_tag(4, PBWire.LEN)
			writer.write_bytes(_login_request.to_bytes())
		if _msg_case == 5:
			writer.write_tag(5, PBWire.LEN)
			writer.write_bytes(_register_request.to_bytes())
		if _msg_case == 6:
			writer.write_tag(6, PBWire.LEN)
			writer.write_bytes(_ok_response.to_bytes())
		if _msg_case == 7:
			writer.write_tag(7, PBWire.LEN)
			writer.write_bytes(_deny_response.to_bytes())
		if _msg_case == 8:
			writer.write_tag(8, PBWire.LEN)
			writer.write_bytes(_player.to_bytes())
		if _msg_case == 9:
			writer.write_tag(9, PBWire.LEN)
			writer.write_bytes(_player_direction.to_bytes())
		if _msg_case == 10:
			writer.write_tag(10, PBWire.LEN)
			writer.write_bytes(_spore.to_bytes())
		if _msg_case == 11:
			writer.write_tag(11, PBWire.LEN)
			writer.write_bytes(_spore_consumed.to_bytes())
		if _msg_case == 12:
			writer.write_tag(12, PBWire.LEN)
			writer.write_bytes(_spores_batch.to_bytes())
		if _msg_case == 13:
			writer.write_tag(13, PBWire.LEN)
			writer.write_bytes(_player_consumed.to_bytes())
		if _msg_case == 14:
			writer.write_tag(14, PBWire.LEN)
			writer.write_bytes(_hiscore_board_request.to_bytes())
		if _msg_case == 15:
			writer.write_tag(15, PBWire.LEN)
			writer.write_bytes(_hiscore.to_bytes())
		if _msg_case == 16:
			writer.write_tag(16, PBWire.LEN)
			writer.write_bytes(_hiscore_board.to_bytes())
		if _msg_case == 17:
			writer.write_tag(17, PBWire.LEN)
			writer.write_bytes(_finished_browsing_hiscores.to_bytes())
		if _msg_case == 18:
			writer.write_tag(18, PBWire.LEN)
			writer.write_bytes(_search_hiscore.to_bytes())
		if _msg_case == 19:
			writer.write_tag(19, PBWire.LEN)
			writer.write_bytes(_disconnect.to_bytes())
		if _msg_case == 100:
			writer.write_tag(100, PBWire.LEN)
			writer.write_bytes(_join_room.to_bytes())
		if _msg_case == 101:
			writer.write_tag(101, PBWire.LEN)
			writer.write_bytes(_room.to_bytes())
		if _msg_case == 102:
			writer.write_tag(102, PBWire.LEN)
			writer.write_bytes(_presence.to_bytes())
		if _msg_case == 103:
			writer.write_tag(103, PBWire.LEN)
			writer.write_bytes(_room_list_request.to_bytes())
		if _msg_case == 104:
			writer.write_tag(104, PBWire.LEN)
			writer.write_bytes(_room_list.to_bytes())
		if _msg_case == 105:
			writer.write_tag(105, PBWire.LEN)
			writer.write_bytes(_enter_world.to_bytes())
		if _msg_case == 106:
			writer.write_tag(106, PBWire.LEN)
			writer.write_bytes(_world_entered.to_bytes())
		if _msg_case == 107:
			writer.write_tag(107, PBWire.LEN)
			writer.write_bytes(_leave_world.to_bytes())
		if _msg_case == 108:
			writer.write_tag(108, PBWire.LEN)
			writer.write_bytes(_world_left.to_bytes())
		if _msg_case == 109:
			writer.write_tag(109, PBWire.LEN)
			writer.write_bytes(_world_update.to_bytes())
		if _msg_case == 120:
			writer.write_tag(120, PBWire.LEN)
			writer.write_bytes(_presence_batch.to_bytes())
		if _msg_case == 121:
			writer.write_tag(121, PBWire.LEN)
			writer.write_bytes(_member_list_request.to_bytes())
		if _msg_case == 122:
			writer.write_tag(122, PBWire.LEN)
			writer.write_bytes(_member_list.to_bytes())
		return writer.bytes

	## Replaces this message with the one encoded in [param data]. Returns [constant OK],
	## or [constant ERR_PARSE_ERROR] for malformed input (fields then hold partial data).
	func from_bytes(data: PackedByteArray) -> int:
		clear()
		var reader := PBReader.new(data)
		merge_from_reader(reader, data.size(), 0)
		return ERR_PARSE_ERROR if reader.failed else OK

	## Decodes fields up to byte [param end] of [param reader] into this message.
	func merge_from_reader(reader: PBReader, end: int, depth: int) -> void:
		if depth > PBWire.MAX_DEPTH:
			reader.failed = true
		while reader.pos < end and not reader.failed:
			var key := reader.read_tag(end)
			if reader.failed:
				break
			var wire_type := key & 7
			match key >> 3:
				1:
					if reader.expect(wire_type, PBWire.VARINT):
						set_sender_id(reader.read_uint64(end))
				2:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 2:
							set_chat(ChatMessage.new())
						_chat.merge_from_reader(reader, field_end, depth + 1)
				3:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 3:
							set_id(IdMessage.new())
						_id.merge_from_reader(reader, field_end, depth + 1)
				4:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 4:
							set_login_request(LoginRequestMessage.new())
						_login_request.merge_from_reader(reader, field_end, depth + 1)
				5:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 5:
							set_register_request(RegisterRequestMessage.new())
						_register_request.merge_from_reader(reader, field_end, depth + 1)
				6:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 6:
							set_ok_response(OkResponseMessage.new())
						_ok_response.merge_from_reader(reader, field_end, depth + 1)
				7:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 7:
							set_deny_response(DenyResponseMessage.new())
						_deny_response.merge_from_reader(reader, field_end, depth + 1)
				8:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 8:
							set_player(PlayerMessage.new())
						_player.merge_from_reader(reader, field_end, depth + 1)
				9:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 9:
							set_player_direction(PlayerDirectionMessage.new())
						_player_direction.merge_from_reader(reader, field_end, depth + 1)
				10:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 10:
							set_spore(SporeMessage.new())
						_spore.merge_from_reader(reader, field_end, depth + 1)
				11:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 11:
							set_spore_consumed(SporeConsumedMessage.new())
						_spore_consumed.merge_from_reader(reader, field_end, depth + 1)
				12:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 12:
							set_spores_batch(SporesBatchMessage.new())
						_spores_batch.merge_from_reader(reader, field_end, depth + 1)
				13:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 13:
							set_player_consumed(PlayerConsumedMessage.new())
						_player_consumed.merge_from_reader(reader, field_end, depth + 1)
				14:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 14:
							set_hiscore_board_request(HiscoreBoardRequestMessage.new())
						_hiscore_board_request.merge_from_reader(reader, field_end, depth + 1)
				15:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 15:
							set_hiscore(HiscoreMessage.new())
						_hiscore.merge_from_reader(reader, field_end, depth + 1)
				16:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 16:
							set_hiscore_board(HiscoreBoardMessage.new())
						_hiscore_board.merge_from_reader(reader, field_end, depth + 1)
				17:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 17:
							set_finished_browsing_hiscores(FinishedBrowsingHiscoresMessage.new())
						_finished_browsing_hiscores.merge_from_reader(reader, field_end, depth + 1)
				18:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 18:
							set_search_hiscore(SearchHiscoreMessage.new())
						_search_hiscore.merge_from_reader(reader, field_end, depth + 1)
				19:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 19:
							set_disconnect(DisconnectMessage.new())
						_disconnect.merge_from_reader(reader, field_end, depth + 1)
				100:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 100:
							set_join_room(JoinRoomMessage.new())
						_join_room.merge_from_reader(reader, field_end, depth + 1)
				101:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 101:
							set_room(RoomMessage.new())
						_room.merge_from_reader(reader, field_end, depth + 1)
				102:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 102:
							set_presence(PresenceMessage.new())
						_presence.merge_from_reader(reader, field_end, depth + 1)
				103:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 103:
							set_room_list_request(RoomListRequestMessage.new())
						_room_list_request.merge_from_reader(reader, field_end, depth + 1)
				104:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 104:
							set_room_list(RoomListMessage.new())
						_room_list.merge_from_reader(reader, field_end, depth + 1)
				105:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 105:
							set_enter_world(EnterWorldMessage.new())
						_enter_world.merge_from_reader(reader, field_end, depth + 1)
				106:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 106:
							set_world_entered(WorldEnteredMessage.new())
						_world_entered.merge_from_reader(reader, field_end, depth + 1)
				107:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 107:
							set_leave_world(LeaveWorldMessage.new())
						_leave_world.merge_from_reader(reader, field_end, depth + 1)
				108:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 108:
							set_world_left(WorldLeftMessage.new())
						_world_left.merge_from_reader(reader, field_end, depth + 1)
				109:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 109:
							set_world_update(WorldUpdateMessage.new())
						_world_update.merge_from_reader(reader, field_end, depth + 1)
				120:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 120:
							set_presence_batch(PresenceBatchMessage.new())
						_presence_batch.merge_from_reader(reader, field_end, depth + 1)
				121:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 121:
							set_member_list_request(MemberListRequestMessage.new())
						_member_list_request.merge_from_reader(reader, field_end, depth + 1)
				122:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _msg_case != 122:
							set_member_list(MemberListMessage.new())
						_member_list.merge_from_reader(reader, field_end, depth + 1)
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if _sender_id != 0:
			parts.append("sender_id: " + var_to_str(_sender_id))
		if _msg_case == 2:
			parts.append("chat: " + str(_chat))
		if _msg_case == 3:
			parts.append("id: " + str(_id))
		if _msg_case == 4:
			parts.append("login_request: " + str(_login_request))
		if _msg_case == 5:
			parts.append("register_request: " + str(_register_request))
		if _msg_case == 6:
			parts.append("ok_response: " + str(_ok_response))
		if _msg_case == 7:
			parts.append("deny_response: " + str(_deny_response))
		if _msg_case == 8:
			parts.append("player: " + str(_player))
		if _msg_case == 9:
			parts.append("player_direction: " + str(_player_direction))
		if _msg_case == 10:
			parts.append("spore: " + str(_spore))
		if _msg_case == 11:
			parts.append("spore_consumed: " + str(_spore_consumed))
		if _msg_case == 12:
			parts.append("spores_batch: " + str(_spores_batch))
		if _msg_case == 13:
			parts.append("player_consumed: " + str(_player_consumed))
		if _msg_case == 14:
			parts.append("hiscore_board_request: " + str(_hiscore_board_request))
		if _msg_case == 15:
			parts.append("hiscore: " + str(_hiscore))
		if _msg_case == 16:
			parts.append("hiscore_board: " + str(_hiscore_board))
		if _msg_case == 17:
			parts.append("finished_browsing_hiscores: " + str(_finished_browsing_hiscores))
		if _msg_case == 18:
			parts.append("search_hiscore: " + str(_search_hiscore))
		if _msg_case == 19:
			parts.append("disconnect: " + str(_disconnect))
		if _msg_case == 100:
			parts.append("join_room: " + str(_join_room))
		if _msg_case == 101:
			parts.append("room: " + str(_room))
		if _msg_case == 102:
			parts.append("presence: " + str(_presence))
		if _msg_case == 103:
			parts.append("room_list_request: " + str(_room_list_request))
		if _msg_case == 104:
			parts.append("room_list: " + str(_room_list))
		if _msg_case == 105:
			parts.append("enter_world: " + str(_enter_world))
		if _msg_case == 106:
			parts.append("world_entered: " + str(_world_entered))
		if _msg_case == 107:
			parts.append("leave_world: " + str(_leave_world))
		if _msg_case == 108:
			parts.append("world_left: " + str(_world_left))
		if _msg_case == 109:
			parts.append("world_update: " + str(_world_update))
		if _msg_case == 120:
			parts.append("presence_batch: " + str(_presence_batch))
		if _msg_case == 121:
			parts.append("member_list_request: " + str(_member_list_request))
		if _msg_case == 122:
			parts.append("member_list: " + str(_member_list))
		return "{" + ", ".join(parts) + "}"
