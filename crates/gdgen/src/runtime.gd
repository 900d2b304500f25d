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
