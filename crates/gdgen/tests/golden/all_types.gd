# generated from tests/proto/all_types.proto by mmo-gdgen — do not edit
# Regenerate with `cargo run -p mmo-gdgen`. See godot/README.md.
# Godot already gives these proto names a meaning, so they are renamed (a message gets `Message`
# appended, an enum `Enum`): alltypes.Color -> ColorEnum, alltypes.Tree -> TreeMessage.
# gdlint: disable=max-public-methods,max-file-lines

enum ColorEnum {
	COLOR_NEGATIVE = -2,
	COLOR_UNSPECIFIED = 0,
	COLOR_RED = 1,
}


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


class Scalars:
	var _f_double: float = 0.0
	var _f_float: float = 0.0
	var _f_int32: int = 0
	var _f_int64: int = 0
	var _f_uint32: int = 0
	var _f_uint64: int = 0
	var _f_sint32: int = 0
	var _f_sint64: int = 0
	var _f_fixed32: int = 0
	var _f_fixed64: int = 0
	var _f_sfixed32: int = 0
	var _f_sfixed64: int = 0
	var _f_bool: bool = false
	var _f_string: String = ""
	var _f_bytes: PackedByteArray = PackedByteArray()
	var _f_enum: int = 0

	func get_f_double() -> float:
		return _f_double

	func set_f_double(value: float) -> void:
		_f_double = value

	func clear_f_double() -> void:
		_f_double = 0.0

	func get_f_float() -> float:
		return _f_float

	func set_f_float(value: float) -> void:
		_f_float = value

	func clear_f_float() -> void:
		_f_float = 0.0

	func get_f_int32() -> int:
		return _f_int32

	func set_f_int32(value: int) -> void:
		_f_int32 = PBWire.to_int32(value)

	func clear_f_int32() -> void:
		_f_int32 = 0

	func get_f_int64() -> int:
		return _f_int64

	func set_f_int64(value: int) -> void:
		_f_int64 = value

	func clear_f_int64() -> void:
		_f_int64 = 0

	func get_f_uint32() -> int:
		return _f_uint32

	func set_f_uint32(value: int) -> void:
		_f_uint32 = value & 0xFFFFFFFF

	func clear_f_uint32() -> void:
		_f_uint32 = 0

	func get_f_uint64() -> int:
		return _f_uint64

	func set_f_uint64(value: int) -> void:
		_f_uint64 = value

	func clear_f_uint64() -> void:
		_f_uint64 = 0

	func get_f_sint32() -> int:
		return _f_sint32

	func set_f_sint32(value: int) -> void:
		_f_sint32 = PBWire.to_int32(value)

	func clear_f_sint32() -> void:
		_f_sint32 = 0

	func get_f_sint64() -> int:
		return _f_sint64

	func set_f_sint64(value: int) -> void:
		_f_sint64 = value

	func clear_f_sint64() -> void:
		_f_sint64 = 0

	func get_f_fixed32() -> int:
		return _f_fixed32

	func set_f_fixed32(value: int) -> void:
		_f_fixed32 = value & 0xFFFFFFFF

	func clear_f_fixed32() -> void:
		_f_fixed32 = 0

	func get_f_fixed64() -> int:
		return _f_fixed64

	func set_f_fixed64(value: int) -> void:
		_f_fixed64 = value

	func clear_f_fixed64() -> void:
		_f_fixed64 = 0

	func get_f_sfixed32() -> int:
		return _f_sfixed32

	func set_f_sfixed32(value: int) -> void:
		_f_sfixed32 = PBWire.to_int32(value)

	func clear_f_sfixed32() -> void:
		_f_sfixed32 = 0

	func get_f_sfixed64() -> int:
		return _f_sfixed64

	func set_f_sfixed64(value: int) -> void:
		_f_sfixed64 = value

	func clear_f_sfixed64() -> void:
		_f_sfixed64 = 0

	func get_f_bool() -> bool:
		return _f_bool

	func set_f_bool(value: bool) -> void:
		_f_bool = value

	func clear_f_bool() -> void:
		_f_bool = false

	func get_f_string() -> String:
		return _f_string

	func set_f_string(value: String) -> void:
		_f_string = value

	func clear_f_string() -> void:
		_f_string = ""

	func get_f_bytes() -> PackedByteArray:
		return _f_bytes

	func set_f_bytes(value: PackedByteArray) -> void:
		_f_bytes = value

	func clear_f_bytes() -> void:
		_f_bytes = PackedByteArray()

	func get_f_enum() -> int:
		return _f_enum

	func set_f_enum(value: int) -> void:
		_f_enum = PBWire.to_int32(value)

	func clear_f_enum() -> void:
		_f_enum = 0

	## Resets every field to its default.
	func clear() -> void:
		clear_f_double()
		clear_f_float()
		clear_f_int32()
		clear_f_int64()
		clear_f_uint32()
		clear_f_uint64()
		clear_f_sint32()
		clear_f_sint64()
		clear_f_fixed32()
		clear_f_fixed64()
		clear_f_sfixed32()
		clear_f_sfixed64()
		clear_f_bool()
		clear_f_string()
		clear_f_bytes()
		clear_f_enum()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if _f_double != 0.0:
			writer.write_tag(1, PBWire.I64)
			writer.write_double(_f_double)
		if _f_float != 0.0:
			writer.write_tag(2, PBWire.I32)
			writer.write_float(_f_float)
		if _f_int32 != 0:
			writer.write_tag(3, PBWire.VARINT)
			writer.write_int32(_f_int32)
		if _f_int64 != 0:
			writer.write_tag(4, PBWire.VARINT)
			writer.write_int64(_f_int64)
		if _f_uint32 != 0:
			writer.write_tag(5, PBWire.VARINT)
			writer.write_uint32(_f_uint32)
		if _f_uint64 != 0:
			writer.write_tag(6, PBWire.VARINT)
			writer.write_uint64(_f_uint64)
		if _f_sint32 != 0:
			writer.write_tag(7, PBWire.VARINT)
			writer.write_sint32(_f_sint32)
		if _f_sint64 != 0:
			writer.write_tag(8, PBWire.VARINT)
			writer.write_sint64(_f_sint64)
		if _f_fixed32 != 0:
			writer.write_tag(9, PBWire.I32)
			writer.write_fixed32(_f_fixed32)
		if _f_fixed64 != 0:
			writer.write_tag(10, PBWire.I64)
			writer.write_fixed64(_f_fixed64)
		if _f_sfixed32 != 0:
			writer.write_tag(11, PBWire.I32)
			writer.write_sfixed32(_f_sfixed32)
		if _f_sfixed64 != 0:
			writer.write_tag(12, PBWire.I64)
			writer.write_sfixed64(_f_sfixed64)
		if _f_bool:
			writer.write_tag(13, PBWire.VARINT)
			writer.write_bool(_f_bool)
		if not _f_string.is_empty():
			writer.write_tag(14, PBWire.LEN)
			writer.write_string(_f_string)
		if not _f_bytes.is_empty():
			writer.write_tag(15, PBWire.LEN)
			writer.write_bytes(_f_bytes)
		if _f_enum != 0:
			writer.write_tag(16, PBWire.VARINT)
			writer.write_enum(_f_enum)
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
						set_f_double(reader.read_double(end))
				2:
					if reader.expect(wire_type, PBWire.I32):
						set_f_float(reader.read_float(end))
				3:
					if reader.expect(wire_type, PBWire.VARINT):
						set_f_int32(reader.read_int32(end))
				4:
					if reader.expect(wire_type, PBWire.VARINT):
						set_f_int64(reader.read_int64(end))
				5:
					if reader.expect(wire_type, PBWire.VARINT):
						set_f_uint32(reader.read_uint32(end))
				6:
					if reader.expect(wire_type, PBWire.VARINT):
						set_f_uint64(reader.read_uint64(end))
				7:
					if reader.expect(wire_type, PBWire.VARINT):
						set_f_sint32(reader.read_sint32(end))
				8:
					if reader.expect(wire_type, PBWire.VARINT):
						set_f_sint64(reader.read_sint64(end))
				9:
					if reader.expect(wire_type, PBWire.I32):
						set_f_fixed32(reader.read_fixed32(end))
				10:
					if reader.expect(wire_type, PBWire.I64):
						set_f_fixed64(reader.read_fixed64(end))
				11:
					if reader.expect(wire_type, PBWire.I32):
						set_f_sfixed32(reader.read_sfixed32(end))
				12:
					if reader.expect(wire_type, PBWire.I64):
						set_f_sfixed64(reader.read_sfixed64(end))
				13:
					if reader.expect(wire_type, PBWire.VARINT):
						set_f_bool(reader.read_bool(end))
				14:
					if reader.expect(wire_type, PBWire.LEN):
						set_f_string(reader.read_string(end))
				15:
					if reader.expect(wire_type, PBWire.LEN):
						set_f_bytes(reader.read_bytes(end))
				16:
					if reader.expect(wire_type, PBWire.VARINT):
						set_f_enum(reader.read_enum(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if _f_double != 0.0:
			parts.append("f_double: " + var_to_str(_f_double))
		if _f_float != 0.0:
			parts.append("f_float: " + var_to_str(_f_float))
		if _f_int32 != 0:
			parts.append("f_int32: " + var_to_str(_f_int32))
		if _f_int64 != 0:
			parts.append("f_int64: " + var_to_str(_f_int64))
		if _f_uint32 != 0:
			parts.append("f_uint32: " + var_to_str(_f_uint32))
		if _f_uint64 != 0:
			parts.append("f_uint64: " + var_to_str(_f_uint64))
		if _f_sint32 != 0:
			parts.append("f_sint32: " + var_to_str(_f_sint32))
		if _f_sint64 != 0:
			parts.append("f_sint64: " + var_to_str(_f_sint64))
		if _f_fixed32 != 0:
			parts.append("f_fixed32: " + var_to_str(_f_fixed32))
		if _f_fixed64 != 0:
			parts.append("f_fixed64: " + var_to_str(_f_fixed64))
		if _f_sfixed32 != 0:
			parts.append("f_sfixed32: " + var_to_str(_f_sfixed32))
		if _f_sfixed64 != 0:
			parts.append("f_sfixed64: " + var_to_str(_f_sfixed64))
		if _f_bool:
			parts.append("f_bool: " + var_to_str(_f_bool))
		if not _f_string.is_empty():
			parts.append("f_string: " + var_to_str(_f_string))
		if not _f_bytes.is_empty():
			parts.append("f_bytes: " + var_to_str(_f_bytes))
		if _f_enum != 0:
			parts.append("f_enum: " + var_to_str(_f_enum))
		return "{" + ", ".join(parts) + "}"


class Repeated:
	var _r_double: Array[float] = []
	var _r_float: Array[float] = []
	var _r_int32: Array[int] = []
	var _r_int64: Array[int] = []
	var _r_uint32: Array[int] = []
	var _r_uint64: Array[int] = []
	var _r_sint32: Array[int] = []
	var _r_sint64: Array[int] = []
	var _r_fixed32: Array[int] = []
	var _r_fixed64: Array[int] = []
	var _r_sfixed32: Array[int] = []
	var _r_sfixed64: Array[int] = []
	var _r_bool: Array[bool] = []
	var _r_string: Array[String] = []
	var _r_bytes: Array[PackedByteArray] = []
	var _r_enum: Array[int] = []
	var _r_message: Array[Scalars] = []
	var _r_unpacked: Array[int] = []
	var _r_unpacked_double: Array[float] = []

	func get_r_double() -> Array[float]:
		return _r_double

	func set_r_double(values: Array[float]) -> void:
		_r_double = values

	func add_r_double(value: float) -> void:
		_r_double.append(value)

	func clear_r_double() -> void:
		_r_double = []

	func get_r_float() -> Array[float]:
		return _r_float

	func set_r_float(values: Array[float]) -> void:
		_r_float = values

	func add_r_float(value: float) -> void:
		_r_float.append(value)

	func clear_r_float() -> void:
		_r_float = []

	func get_r_int32() -> Array[int]:
		return _r_int32

	func set_r_int32(values: Array[int]) -> void:
		_r_int32 = values

	func add_r_int32(value: int) -> void:
		_r_int32.append(value)

	func clear_r_int32() -> void:
		_r_int32 = []

	func get_r_int64() -> Array[int]:
		return _r_int64

	func set_r_int64(values: Array[int]) -> void:
		_r_int64 = values

	func add_r_int64(value: int) -> void:
		_r_int64.append(value)

	func clear_r_int64() -> void:
		_r_int64 = []

	func get_r_uint32() -> Array[int]:
		return _r_uint32

	func set_r_uint32(values: Array[int]) -> void:
		_r_uint32 = values

	func add_r_uint32(value: int) -> void:
		_r_uint32.append(value)

	func clear_r_uint32() -> void:
		_r_uint32 = []

	func get_r_uint64() -> Array[int]:
		return _r_uint64

	func set_r_uint64(values: Array[int]) -> void:
		_r_uint64 = values

	func add_r_uint64(value: int) -> void:
		_r_uint64.append(value)

	func clear_r_uint64() -> void:
		_r_uint64 = []

	func get_r_sint32() -> Array[int]:
		return _r_sint32

	func set_r_sint32(values: Array[int]) -> void:
		_r_sint32 = values

	func add_r_sint32(value: int) -> void:
		_r_sint32.append(value)

	func clear_r_sint32() -> void:
		_r_sint32 = []

	func get_r_sint64() -> Array[int]:
		return _r_sint64

	func set_r_sint64(values: Array[int]) -> void:
		_r_sint64 = values

	func add_r_sint64(value: int) -> void:
		_r_sint64.append(value)

	func clear_r_sint64() -> void:
		_r_sint64 = []

	func get_r_fixed32() -> Array[int]:
		return _r_fixed32

	func set_r_fixed32(values: Array[int]) -> void:
		_r_fixed32 = values

	func add_r_fixed32(value: int) -> void:
		_r_fixed32.append(value)

	func clear_r_fixed32() -> void:
		_r_fixed32 = []

	func get_r_fixed64() -> Array[int]:
		return _r_fixed64

	func set_r_fixed64(values: Array[int]) -> void:
		_r_fixed64 = values

	func add_r_fixed64(value: int) -> void:
		_r_fixed64.append(value)

	func clear_r_fixed64() -> void:
		_r_fixed64 = []

	func get_r_sfixed32() -> Array[int]:
		return _r_sfixed32

	func set_r_sfixed32(values: Array[int]) -> void:
		_r_sfixed32 = values

	func add_r_sfixed32(value: int) -> void:
		_r_sfixed32.append(value)

	func clear_r_sfixed32() -> void:
		_r_sfixed32 = []

	func get_r_sfixed64() -> Array[int]:
		return _r_sfixed64

	func set_r_sfixed64(values: Array[int]) -> void:
		_r_sfixed64 = values

	func add_r_sfixed64(value: int) -> void:
		_r_sfixed64.append(value)

	func clear_r_sfixed64() -> void:
		_r_sfixed64 = []

	func get_r_bool() -> Array[bool]:
		return _r_bool

	func set_r_bool(values: Array[bool]) -> void:
		_r_bool = values

	func add_r_bool(value: bool) -> void:
		_r_bool.append(value)

	func clear_r_bool() -> void:
		_r_bool = []

	func get_r_string() -> Array[String]:
		return _r_string

	func set_r_string(values: Array[String]) -> void:
		_r_string = values

	func add_r_string(value: String) -> void:
		_r_string.append(value)

	func clear_r_string() -> void:
		_r_string = []

	func get_r_bytes() -> Array[PackedByteArray]:
		return _r_bytes

	func set_r_bytes(values: Array[PackedByteArray]) -> void:
		_r_bytes = values

	func add_r_bytes(value: PackedByteArray) -> void:
		_r_bytes.append(value)

	func clear_r_bytes() -> void:
		_r_bytes = []

	func get_r_enum() -> Array[int]:
		return _r_enum

	func set_r_enum(values: Array[int]) -> void:
		_r_enum = values

	func add_r_enum(value: int) -> void:
		_r_enum.append(value)

	func clear_r_enum() -> void:
		_r_enum = []

	func get_r_message() -> Array[Scalars]:
		return _r_message

	func set_r_message(values: Array[Scalars]) -> void:
		_r_message = values

	func add_r_message() -> Scalars:
		var item := Scalars.new()
		_r_message.append(item)
		return item

	func clear_r_message() -> void:
		_r_message = []

	func get_r_unpacked() -> Array[int]:
		return _r_unpacked

	func set_r_unpacked(values: Array[int]) -> void:
		_r_unpacked = values

	func add_r_unpacked(value: int) -> void:
		_r_unpacked.append(value)

	func clear_r_unpacked() -> void:
		_r_unpacked = []

	func get_r_unpacked_double() -> Array[float]:
		return _r_unpacked_double

	func set_r_unpacked_double(values: Array[float]) -> void:
		_r_unpacked_double = values

	func add_r_unpacked_double(value: float) -> void:
		_r_unpacked_double.append(value)

	func clear_r_unpacked_double() -> void:
		_r_unpacked_double = []

	## Resets every field to its default.
	func clear() -> void:
		clear_r_double()
		clear_r_float()
		clear_r_int32()
		clear_r_int64()
		clear_r_uint32()
		clear_r_uint64()
		clear_r_sint32()
		clear_r_sint64()
		clear_r_fixed32()
		clear_r_fixed64()
		clear_r_sfixed32()
		clear_r_sfixed64()
		clear_r_bool()
		clear_r_string()
		clear_r_bytes()
		clear_r_enum()
		clear_r_message()
		clear_r_unpacked()
		clear_r_unpacked_double()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if not _r_double.is_empty():
			writer.write_tag(1, PBWire.LEN)
			var packed := PBWriter.new()
			for item in _r_double:
				packed.write_double(item)
			writer.write_bytes(packed.bytes)
		if not _r_float.is_empty():
			writer.write_tag(2, PBWire.LEN)
			var packed := PBWriter.new()
			for item in _r_float:
				packed.write_float(item)
			writer.write_bytes(packed.bytes)
		if not _r_int32.is_empty():
			writer.write_tag(3, PBWire.LEN)
			var packed := PBWriter.new()
			for item in _r_int32:
				packed.write_int32(item)
			writer.write_bytes(packed.bytes)
		if not _r_int64.is_empty():
			writer.write_tag(4, PBWire.LEN)
			var packed := PBWriter.new()
			for item in _r_int64:
				packed.write_int64(item)
			writer.write_bytes(packed.bytes)
		if not _r_uint32.is_empty():
			writer.write_tag(5, PBWire.LEN)
			var packed := PBWriter.new()
			for item in _r_uint32:
				packed.write_uint32(item)
			writer.write_bytes(packed.bytes)
		if not _r_uint64.is_empty():
			writer.write_tag(6, PBWire.LEN)
			var packed := PBWriter.new()
			for item in _r_uint64:
				packed.write_uint64(item)
			writer.write_bytes(packed.bytes)
		if not _r_sint32.is_empty():
			writer.write_tag(7, PBWire.LEN)
			var packed := PBWriter.new()
			for item in _r_sint32:
				packed.write_sint32(item)
			writer.write_bytes(packed.bytes)
		if not _r_sint64.is_empty():
			writer.write_tag(8, PBWire.LEN)
			var packed := PBWriter.new()
			for item in _r_sint64:
				packed.write_sint64(item)
			writer.write_bytes(packed.bytes)
		if not _r_fixed32.is_empty():
			writer.write_tag(9, PBWire.LEN)
			var packed := PBWriter.new()
			for item in _r_fixed32:
				packed.write_fixed32(item)
			writer.write_bytes(packed.bytes)
		if not _r_fixed64.is_empty():
			writer.write_tag(10, PBWire.LEN)
			var packed := PBWriter.new()
			for item in _r_fixed64:
				packed.write_fixed64(item)
			writer.write_bytes(packed.bytes)
		if not _r_sfixed32.is_empty():
			writer.write_tag(11, PBWire.LEN)
			var packed := PBWriter.new()
			for item in _r_sfixed32:
				packed.write_sfixed32(item)
			writer.write_bytes(packed.bytes)
		if not _r_sfixed64.is_empty():
			writer.write_tag(12, PBWire.LEN)
			var packed := PBWriter.new()
			for item in _r_sfixed64:
				packed.write_sfixed64(item)
			writer.write_bytes(packed.bytes)
		if not _r_bool.is_empty():
			writer.write_tag(13, PBWire.LEN)
			var packed := PBWriter.new()
			for item in _r_bool:
				packed.write_bool(item)
			writer.write_bytes(packed.bytes)
		for item in _r_string:
			writer.write_tag(14, PBWire.LEN)
			writer.write_string(item)
		for item in _r_bytes:
			writer.write_tag(15, PBWire.LEN)
			writer.write_bytes(item)
		if not _r_enum.is_empty():
			writer.write_tag(16, PBWire.LEN)
			var packed := PBWriter.new()
			for item in _r_enum:
				packed.write_enum(item)
			writer.write_bytes(packed.bytes)
		for item in _r_message:
			writer.write_tag(17, PBWire.LEN)
			writer.write_bytes(item.to_bytes())
		for item in _r_unpacked:
			writer.write_tag(18, PBWire.VARINT)
			writer.write_int32(item)
		for item in _r_unpacked_double:
			writer.write_tag(19, PBWire.I64)
			writer.write_double(item)
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
					if wire_type == PBWire.LEN:
						var values_end := reader.read_end(end)
						while reader.pos < values_end and not reader.failed:
							_r_double.append(reader.read_double(values_end))
					elif reader.expect(wire_type, PBWire.I64):
						_r_double.append(reader.read_double(end))
				2:
					if wire_type == PBWire.LEN:
						var values_end := reader.read_end(end)
						while reader.pos < values_end and not reader.failed:
							_r_float.append(reader.read_float(values_end))
					elif reader.expect(wire_type, PBWire.I32):
						_r_float.append(reader.read_float(end))
				3:
					if wire_type == PBWire.LEN:
						var values_end := reader.read_end(end)
						while reader.pos < values_end and not reader.failed:
							_r_int32.append(reader.read_int32(values_end))
					elif reader.expect(wire_type, PBWire.VARINT):
						_r_int32.append(reader.read_int32(end))
				4:
					if wire_type == PBWire.LEN:
						var values_end := reader.read_end(end)
						while reader.pos < values_end and not reader.failed:
							_r_int64.append(reader.read_int64(values_end))
					elif reader.expect(wire_type, PBWire.VARINT):
						_r_int64.append(reader.read_int64(end))
				5:
					if wire_type == PBWire.LEN:
						var values_end := reader.read_end(end)
						while reader.pos < values_end and not reader.failed:
							_r_uint32.append(reader.read_uint32(values_end))
					elif reader.expect(wire_type, PBWire.VARINT):
						_r_uint32.append(reader.read_uint32(end))
				6:
					if wire_type == PBWire.LEN:
						var values_end := reader.read_end(end)
						while reader.pos < values_end and not reader.failed:
							_r_uint64.append(reader.read_uint64(values_end))
					elif reader.expect(wire_type, PBWire.VARINT):
						_r_uint64.append(reader.read_uint64(end))
				7:
					if wire_type == PBWire.LEN:
						var values_end := reader.read_end(end)
						while reader.pos < values_end and not reader.failed:
							_r_sint32.append(reader.read_sint32(values_end))
					elif reader.expect(wire_type, PBWire.VARINT):
						_r_sint32.append(reader.read_sint32(end))
				8:
					if wire_type == PBWire.LEN:
						var values_end := reader.read_end(end)
						while reader.pos < values_end and not reader.failed:
							_r_sint64.append(reader.read_sint64(values_end))
					elif reader.expect(wire_type, PBWire.VARINT):
						_r_sint64.append(reader.read_sint64(end))
				9:
					if wire_type == PBWire.LEN:
						var values_end := reader.read_end(end)
						while reader.pos < values_end and not reader.failed:
							_r_fixed32.append(reader.read_fixed32(values_end))
					elif reader.expect(wire_type, PBWire.I32):
						_r_fixed32.append(reader.read_fixed32(end))
				10:
					if wire_type == PBWire.LEN:
						var values_end := reader.read_end(end)
						while reader.pos < values_end and not reader.failed:
							_r_fixed64.append(reader.read_fixed64(values_end))
					elif reader.expect(wire_type, PBWire.I64):
						_r_fixed64.append(reader.read_fixed64(end))
				11:
					if wire_type == PBWire.LEN:
						var values_end := reader.read_end(end)
						while reader.pos < values_end and not reader.failed:
							_r_sfixed32.append(reader.read_sfixed32(values_end))
					elif reader.expect(wire_type, PBWire.I32):
						_r_sfixed32.append(reader.read_sfixed32(end))
				12:
					if wire_type == PBWire.LEN:
						var values_end := reader.read_end(end)
						while reader.pos < values_end and not reader.failed:
							_r_sfixed64.append(reader.read_sfixed64(values_end))
					elif reader.expect(wire_type, PBWire.I64):
						_r_sfixed64.append(reader.read_sfixed64(end))
				13:
					if wire_type == PBWire.LEN:
						var values_end := reader.read_end(end)
						while reader.pos < values_end and not reader.failed:
							_r_bool.append(reader.read_bool(values_end))
					elif reader.expect(wire_type, PBWire.VARINT):
						_r_bool.append(reader.read_bool(end))
				14:
					if reader.expect(wire_type, PBWire.LEN):
						_r_string.append(reader.read_string(end))
				15:
					if reader.expect(wire_type, PBWire.LEN):
						_r_bytes.append(reader.read_bytes(end))
				16:
					if wire_type == PBWire.LEN:
						var values_end := reader.read_end(end)
						while reader.pos < values_end and not reader.failed:
							_r_enum.append(reader.read_enum(values_end))
					elif reader.expect(wire_type, PBWire.VARINT):
						_r_enum.append(reader.read_enum(end))
				17:
					if reader.expect(wire_type, PBWire.LEN):
						var item_end := reader.read_end(end)
						add_r_message().merge_from_reader(reader, item_end, depth + 1)
				18:
					if wire_type == PBWire.LEN:
						var values_end := reader.read_end(end)
						while reader.pos < values_end and not reader.failed:
							_r_unpacked.append(reader.read_int32(values_end))
					elif reader.expect(wire_type, PBWire.VARINT):
						_r_unpacked.append(reader.read_int32(end))
				19:
					if wire_type == PBWire.LEN:
						var values_end := reader.read_end(end)
						while reader.pos < values_end and not reader.failed:
							_r_unpacked_double.append(reader.read_double(values_end))
					elif reader.expect(wire_type, PBWire.I64):
						_r_unpacked_double.append(reader.read_double(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if not _r_double.is_empty():
			parts.append("r_double: " + str(_r_double))
		if not _r_float.is_empty():
			parts.append("r_float: " + str(_r_float))
		if not _r_int32.is_empty():
			parts.append("r_int32: " + str(_r_int32))
		if not _r_int64.is_empty():
			parts.append("r_int64: " + str(_r_int64))
		if not _r_uint32.is_empty():
			parts.append("r_uint32: " + str(_r_uint32))
		if not _r_uint64.is_empty():
			parts.append("r_uint64: " + str(_r_uint64))
		if not _r_sint32.is_empty():
			parts.append("r_sint32: " + str(_r_sint32))
		if not _r_sint64.is_empty():
			parts.append("r_sint64: " + str(_r_sint64))
		if not _r_fixed32.is_empty():
			parts.append("r_fixed32: " + str(_r_fixed32))
		if not _r_fixed64.is_empty():
			parts.append("r_fixed64: " + str(_r_fixed64))
		if not _r_sfixed32.is_empty():
			parts.append("r_sfixed32: " + str(_r_sfixed32))
		if not _r_sfixed64.is_empty():
			parts.append("r_sfixed64: " + str(_r_sfixed64))
		if not _r_bool.is_empty():
			parts.append("r_bool: " + str(_r_bool))
		if not _r_string.is_empty():
			parts.append("r_string: " + str(_r_string))
		if not _r_bytes.is_empty():
			parts.append("r_bytes: " + str(_r_bytes))
		if not _r_enum.is_empty():
			parts.append("r_enum: " + str(_r_enum))
		if not _r_message.is_empty():
			parts.append("r_message: " + str(_r_message))
		if not _r_unpacked.is_empty():
			parts.append("r_unpacked: " + str(_r_unpacked))
		if not _r_unpacked_double.is_empty():
			parts.append("r_unpacked_double: " + str(_r_unpacked_double))
		return "{" + ", ".join(parts) + "}"


class TreeMessage:
	var _leaf: TreeMessage.Leaf = null
	var _child: TreeMessage = null
	var _leaves: Array[TreeMessage.Leaf] = []

	class Leaf:
		enum Kind {
			KIND_UNSPECIFIED = 0,
			KIND_BIG = 1,
		}

		var _kind: int = 0
		var _label: String = ""

		func get_kind() -> int:
			return _kind

		func set_kind(value: int) -> void:
			_kind = PBWire.to_int32(value)

		func clear_kind() -> void:
			_kind = 0

		func get_label() -> String:
			return _label

		func set_label(value: String) -> void:
			_label = value

		func clear_label() -> void:
			_label = ""

		## Resets every field to its default.
		func clear() -> void:
			clear_kind()
			clear_label()

		## The protobuf encoding of this message.
		func to_bytes() -> PackedByteArray:
			var writer := PBWriter.new()
			if _kind != 0:
				writer.write_tag(1, PBWire.VARINT)
				writer.write_enum(_kind)
			if not _label.is_empty():
				writer.write_tag(2, PBWire.LEN)
				writer.write_string(_label)
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
							set_kind(reader.read_enum(end))
					2:
						if reader.expect(wire_type, PBWire.LEN):
							set_label(reader.read_string(end))
					_:
						reader.skip_field(key, end, depth)

		## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
		func _to_string() -> String:
			var parts := PackedStringArray()
			if _kind != 0:
				parts.append("kind: " + var_to_str(_kind))
			if not _label.is_empty():
				parts.append("label: " + var_to_str(_label))
			return "{" + ", ".join(parts) + "}"

	func has_leaf() -> bool:
		return _leaf != null

	func get_leaf() -> TreeMessage.Leaf:
		return _leaf

	func set_leaf(value: TreeMessage.Leaf) -> void:
		_leaf = value

	func new_leaf() -> TreeMessage.Leaf:
		_leaf = TreeMessage.Leaf.new()
		return _leaf

	func clear_leaf() -> void:
		_leaf = null

	func has_child() -> bool:
		return _child != null

	func get_child() -> TreeMessage:
		return _child

	func set_child(value: TreeMessage) -> void:
		_child = value

	func new_child() -> TreeMessage:
		_child = TreeMessage.new()
		return _child

	func clear_child() -> void:
		_child = null

	func get_leaves() -> Array[TreeMessage.Leaf]:
		return _leaves

	func set_leaves(values: Array[TreeMessage.Leaf]) -> void:
		_leaves = values

	func add_leaves() -> TreeMessage.Leaf:
		var item := TreeMessage.Leaf.new()
		_leaves.append(item)
		return item

	func clear_leaves() -> void:
		_leaves = []

	## Resets every field to its default.
	func clear() -> void:
		clear_leaf()
		clear_child()
		clear_leaves()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if _leaf != null:
			writer.write_tag(1, PBWire.LEN)
			writer.write_bytes(_leaf.to_bytes())
		if _child != null:
			writer.write_tag(2, PBWire.LEN)
			writer.write_bytes(_child.to_bytes())
		for item in _leaves:
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
						var field_end := reader.read_end(end)
						if _leaf == null:
							_leaf = TreeMessage.Leaf.new()
						_leaf.merge_from_reader(reader, field_end, depth + 1)
				2:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _child == null:
							_child = TreeMessage.new()
						_child.merge_from_reader(reader, field_end, depth + 1)
				3:
					if reader.expect(wire_type, PBWire.LEN):
						var item_end := reader.read_end(end)
						add_leaves().merge_from_reader(reader, item_end, depth + 1)
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if _leaf != null:
			parts.append("leaf: " + str(_leaf))
		if _child != null:
			parts.append("child: " + str(_child))
		if not _leaves.is_empty():
			parts.append("leaves: " + str(_leaves))
		return "{" + ", ".join(parts) + "}"


class Everything:
	var _choice_case: int = 0
	var _scalars: Scalars = null
	var _repeated: Repeated = null
	var _maybe_int: int = 0
	var _has_maybe_int: bool = false
	var _maybe_text: String = ""
	var _has_maybe_text: bool = false
	var _tree: TreeMessage = null
	var _choice_scalars: Scalars = null
	var _choice_text: String = ""
	var _choice_number: int = 0
	var _choice_leaf: TreeMessage.Leaf = null
	var _choice_double: float = 0.0
	var _after_oneof: int = 0

	## The field number of the member of oneof [code]choice[/code] that is set, or 0.
	func get_choice_case() -> int:
		return _choice_case

	func clear_choice() -> void:
		_choice_case = 0
		_choice_scalars = null
		_choice_text = ""
		_choice_number = 0
		_choice_leaf = null
		_choice_double = 0.0

	func has_scalars() -> bool:
		return _scalars != null

	func get_scalars() -> Scalars:
		return _scalars

	func set_scalars(value: Scalars) -> void:
		_scalars = value

	func new_scalars() -> Scalars:
		_scalars = Scalars.new()
		return _scalars

	func clear_scalars() -> void:
		_scalars = null

	func has_repeated() -> bool:
		return _repeated != null

	func get_repeated() -> Repeated:
		return _repeated

	func set_repeated(value: Repeated) -> void:
		_repeated = value

	func new_repeated() -> Repeated:
		_repeated = Repeated.new()
		return _repeated

	func clear_repeated() -> void:
		_repeated = null

	func has_maybe_int() -> bool:
		return _has_maybe_int

	func get_maybe_int() -> int:
		return _maybe_int

	func set_maybe_int(value: int) -> void:
		_maybe_int = PBWire.to_int32(value)
		_has_maybe_int = true

	func clear_maybe_int() -> void:
		_maybe_int = 0
		_has_maybe_int = false

	func has_maybe_text() -> bool:
		return _has_maybe_text

	func get_maybe_text() -> String:
		return _maybe_text

	func set_maybe_text(value: String) -> void:
		_maybe_text = value
		_has_maybe_text = true

	func clear_maybe_text() -> void:
		_maybe_text = ""
		_has_maybe_text = false

	func has_tree() -> bool:
		return _tree != null

	func get_tree() -> TreeMessage:
		return _tree

	func set_tree(value: TreeMessage) -> void:
		_tree = value

	func new_tree() -> TreeMessage:
		_tree = TreeMessage.new()
		return _tree

	func clear_tree() -> void:
		_tree = null

	func has_choice_scalars() -> bool:
		return _choice_case == 10

	func get_choice_scalars() -> Scalars:
		return _choice_scalars

	func set_choice_scalars(value: Scalars) -> void:
		clear_choice()
		if value != null:
			_choice_case = 10
			_choice_scalars = value

	func new_choice_scalars() -> Scalars:
		set_choice_scalars(Scalars.new())
		return _choice_scalars

	func clear_choice_scalars() -> void:
		if _choice_case == 10:
			clear_choice()

	func has_choice_text() -> bool:
		return _choice_case == 11

	func get_choice_text() -> String:
		return _choice_text

	func set_choice_text(value: String) -> void:
		clear_choice()
		_choice_case = 11
		_choice_text = value

	func clear_choice_text() -> void:
		if _choice_case == 11:
			clear_choice()

	func has_choice_number() -> bool:
		return _choice_case == 12

	func get_choice_number() -> int:
		return _choice_number

	func set_choice_number(value: int) -> void:
		clear_choice()
		_choice_case = 12
		_choice_number = value

	func clear_choice_number() -> void:
		if _choice_case == 12:
			clear_choice()

	func has_choice_leaf() -> bool:
		return _choice_case == 13

	func get_choice_leaf() -> TreeMessage.Leaf:
		return _choice_leaf

	func set_choice_leaf(value: TreeMessage.Leaf) -> void:
		clear_choice()
		if value != null:
			_choice_case = 13
			_choice_leaf = value

	func new_choice_leaf() -> TreeMessage.Leaf:
		set_choice_leaf(TreeMessage.Leaf.new())
		return _choice_leaf

	func clear_choice_leaf() -> void:
		if _choice_case == 13:
			clear_choice()

	func has_choice_double() -> bool:
		return _choice_case == 14

	func get_choice_double() -> float:
		return _choice_double

	func set_choice_double(value: float) -> void:
		clear_choice()
		_choice_case = 14
		_choice_double = value

	func clear_choice_double() -> void:
		if _choice_case == 14:
			clear_choice()

	func get_after_oneof() -> int:
		return _after_oneof

	func set_after_oneof(value: int) -> void:
		_after_oneof = value

	func clear_after_oneof() -> void:
		_after_oneof = 0

	## Resets every field to its default.
	func clear() -> void:
		clear_choice()
		clear_scalars()
		clear_repeated()
		clear_maybe_int()
		clear_maybe_text()
		clear_tree()
		clear_after_oneof()

	## The protobuf encoding of this message.
	func to_bytes() -> PackedByteArray:
		var writer := PBWriter.new()
		if _scalars != null:
			writer.write_tag(1, PBWire.LEN)
			writer.write_bytes(_scalars.to_bytes())
		if _repeated != null:
			writer.write_tag(2, PBWire.LEN)
			writer.write_bytes(_repeated.to_bytes())
		if _has_maybe_int:
			writer.write_tag(3, PBWire.VARINT)
			writer.write_int32(_maybe_int)
		if _has_maybe_text:
			writer.write_tag(4, PBWire.LEN)
			writer.write_string(_maybe_text)
		if _tree != null:
			writer.write_tag(5, PBWire.LEN)
			writer.write_bytes(_tree.to_bytes())
		if _choice_case == 10:
			writer.write_tag(10, PBWire.LEN)
			writer.write_bytes(_choice_scalars.to_bytes())
		if _choice_case == 11:
			writer.write_tag(11, PBWire.LEN)
			writer.write_string(_choice_text)
		if _choice_case == 12:
			writer.write_tag(12, PBWire.VARINT)
			writer.write_sint64(_choice_number)
		if _choice_case == 13:
			writer.write_tag(13, PBWire.LEN)
			writer.write_bytes(_choice_leaf.to_bytes())
		if _choice_case == 14:
			writer.write_tag(14, PBWire.I64)
			writer.write_double(_choice_double)
		if _after_oneof != 0:
			writer.write_tag(20, PBWire.VARINT)
			writer.write_uint64(_after_oneof)
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
						var field_end := reader.read_end(end)
						if _scalars == null:
							_scalars = Scalars.new()
						_scalars.merge_from_reader(reader, field_end, depth + 1)
				2:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _repeated == null:
							_repeated = Repeated.new()
						_repeated.merge_from_reader(reader, field_end, depth + 1)
				3:
					if reader.expect(wire_type, PBWire.VARINT):
						set_maybe_int(reader.read_int32(end))
				4:
					if reader.expect(wire_type, PBWire.LEN):
						set_maybe_text(reader.read_string(end))
				5:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _tree == null:
							_tree = TreeMessage.new()
						_tree.merge_from_reader(reader, field_end, depth + 1)
				10:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _choice_case != 10:
							set_choice_scalars(Scalars.new())
						_choice_scalars.merge_from_reader(reader, field_end, depth + 1)
				11:
					if reader.expect(wire_type, PBWire.LEN):
						set_choice_text(reader.read_string(end))
				12:
					if reader.expect(wire_type, PBWire.VARINT):
						set_choice_number(reader.read_sint64(end))
				13:
					if reader.expect(wire_type, PBWire.LEN):
						var field_end := reader.read_end(end)
						if _choice_case != 13:
							set_choice_leaf(TreeMessage.Leaf.new())
						_choice_leaf.merge_from_reader(reader, field_end, depth + 1)
				14:
					if reader.expect(wire_type, PBWire.I64):
						set_choice_double(reader.read_double(end))
				20:
					if reader.expect(wire_type, PBWire.VARINT):
						set_after_oneof(reader.read_uint64(end))
				_:
					reader.skip_field(key, end, depth)

	## A readable form for print(), e.g. [code]{sender_id: 1, chat: {msg: "hi"}}[/code].
	func _to_string() -> String:
		var parts := PackedStringArray()
		if _scalars != null:
			parts.append("scalars: " + str(_scalars))
		if _repeated != null:
			parts.append("repeated: " + str(_repeated))
		if _has_maybe_int:
			parts.append("maybe_int: " + var_to_str(_maybe_int))
		if _has_maybe_text:
			parts.append("maybe_text: " + var_to_str(_maybe_text))
		if _tree != null:
			parts.append("tree: " + str(_tree))
		if _choice_case == 10:
			parts.append("choice_scalars: " + str(_choice_scalars))
		if _choice_case == 11:
			parts.append("choice_text: " + var_to_str(_choice_text))
		if _choice_case == 12:
			parts.append("choice_number: " + var_to_str(_choice_number))
		if _choice_case == 13:
			parts.append("choice_leaf: " + str(_choice_leaf))
		if _choice_case == 14:
			parts.append("choice_double: " + var_to_str(_choice_double))
		if _after_oneof != 0:
			parts.append("after_oneof: " + var_to_str(_after_oneof))
		return "{" + ", ".join(parts) + "}"
