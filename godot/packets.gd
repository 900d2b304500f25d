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
## most recent lines, oldest first.
class RoomMessage:
	var _room: String = ""
	var _members: Array[Member] = []
	var _history: Array[ChatLine] = []

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

	## Resets every field to its default.
	func clear() -> void:
		clear_room()
		clear_members()
		clear_history()

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
	var _disconnect: DisconnectMessage = null
	var _join_room: JoinRoomMessage = null
	var _room: RoomMessage = null
	var _presence: PresenceMessage = null
	var _room_list_request: RoomListRequestMessage = null
	var _room_list: RoomListMessage = null

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
		_disconnect = null
		_join_room = null
		_room = null
		_presence = null
		_room_list_request = null
		_room_list = null

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
						var chat_end := reader.read_end(end)
						if _msg_case != 2:
							set_chat(ChatMessage.new())
						_chat.merge_from_reader(reader, chat_end, depth + 1)
				3:
					if reader.expect(wire_type, PBWire.LEN):
						var id_end := reader.read_end(end)
						if _msg_case != 3:
							set_id(IdMessage.new())
						_id.merge_from_reader(reader, id_end, depth + 1)
				4:
					if reader.expect(wire_type, PBWire.LEN):
						var login_request_end := reader.read_end(end)
						if _msg_case != 4:
							set_login_request(LoginRequestMessage.new())
						_login_request.merge_from_reader(reader, login_request_end, depth + 1)
				5:
					if reader.expect(wire_type, PBWire.LEN):
						var register_request_end := reader.read_end(end)
						if _msg_case != 5:
							set_register_request(RegisterRequestMessage.new())
						_register_request.merge_from_reader(reader, register_request_end, depth + 1)
				6:
					if reader.expect(wire_type, PBWire.LEN):
						var ok_response_end := reader.read_end(end)
						if _msg_case != 6:
							set_ok_response(OkResponseMessage.new())
						_ok_response.merge_from_reader(reader, ok_response_end, depth + 1)
				7:
					if reader.expect(wire_type, PBWire.LEN):
						var deny_response_end := reader.read_end(end)
						if _msg_case != 7:
							set_deny_response(DenyResponseMessage.new())
						_deny_response.merge_from_reader(reader, deny_response_end, depth + 1)
				19:
					if reader.expect(wire_type, PBWire.LEN):
						var disconnect_end := reader.read_end(end)
						if _msg_case != 19:
							set_disconnect(DisconnectMessage.new())
						_disconnect.merge_from_reader(reader, disconnect_end, depth + 1)
				100:
					if reader.expect(wire_type, PBWire.LEN):
						var join_room_end := reader.read_end(end)
						if _msg_case != 100:
							set_join_room(JoinRoomMessage.new())
						_join_room.merge_from_reader(reader, join_room_end, depth + 1)
				101:
					if reader.expect(wire_type, PBWire.LEN):
						var room_end := reader.read_end(end)
						if _msg_case != 101:
							set_room(RoomMessage.new())
						_room.merge_from_reader(reader, room_end, depth + 1)
				102:
					if reader.expect(wire_type, PBWire.LEN):
						var presence_end := reader.read_end(end)
						if _msg_case != 102:
							set_presence(PresenceMessage.new())
						_presence.merge_from_reader(reader, presence_end, depth + 1)
				103:
					if reader.expect(wire_type, PBWire.LEN):
						var room_list_request_end := reader.read_end(end)
						if _msg_case != 103:
							set_room_list_request(RoomListRequestMessage.new())
						_room_list_request.merge_from_reader(reader, room_list_request_end, depth + 1)
				104:
					if reader.expect(wire_type, PBWire.LEN):
						var room_list_end := reader.read_end(end)
						if _msg_case != 104:
							set_room_list(RoomListMessage.new())
						_room_list.merge_from_reader(reader, room_list_end, depth + 1)
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
		return "{" + ", ".join(parts) + "}"
