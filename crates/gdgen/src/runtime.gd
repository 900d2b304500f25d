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

	func write_fixed32(value: int) -> void:
		var at := bytes.size()
		bytes.resize(at + 4)
		bytes.encode_u32(at, value & 0xFFFFFFFF)

	func write_sfixed32(value: int) -> void:
		write_fixed32(value)

	func write_fixed64(value: int) -> void:
		var at := bytes.size()
		bytes.resize(at + 8)
		bytes.encode_s64(at, value)

	func write_sfixed64(value: int) -> void:
		write_fixed64(value)

	func write_float(value: float) -> void:
		var at := bytes.size()
		bytes.resize(at + 4)
		bytes.encode_float(at, value)

	func write_double(value: float) -> void:
		var at := bytes.size()
		bytes.resize(at + 8)
		bytes.encode_double(at, value)

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

	func read_fixed32(end: int) -> int:
		var at := take(4, end)
		return 0 if at < 0 else data.decode_u32(at)

	func read_sfixed32(end: int) -> int:
		var at := take(4, end)
		return 0 if at < 0 else data.decode_s32(at)

	func read_fixed64(end: int) -> int:
		var at := take(8, end)
		return 0 if at < 0 else data.decode_s64(at)

	func read_sfixed64(end: int) -> int:
		return read_fixed64(end)

	func read_float(end: int) -> float:
		var at := take(4, end)
		return 0.0 if at < 0 else data.decode_float(at)

	func read_double(end: int) -> float:
		var at := take(8, end)
		return 0.0 if at < 0 else data.decode_double(at)

	func read_bytes(end: int) -> PackedByteArray:
		var stop := read_end(end)
		if stop < 0:
			return PackedByteArray()
		var value := data.slice(pos, stop)
		pos = stop
		return value

	func read_string(end: int) -> String:
		var raw := read_bytes(end)
		var text := raw.get_string_from_utf8()
		# Godot substitutes for invalid UTF-8 instead of refusing it; a round trip tells.
		if text.to_utf8_buffer() != raw:
			failed = true
		return text

	## Consumes [param count] bytes; returns where they start, or -1 with [member failed].
	func take(count: int, end: int) -> int:
		if failed or count > end - pos:
			failed = true
			return -1
		pos += count
		return pos - count

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
