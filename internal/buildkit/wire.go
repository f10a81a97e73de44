package buildkit

import (
	"errors"
	"fmt"
)

// errTruncated reports a protobuf message cut short.
var errTruncated = errors.New("truncated protobuf message")

// field is one protobuf field: its number, wire type and value (a varint,
// or the bytes of a length-delimited field).
type field struct {
	num    int
	wire   int
	varint uint64
	bytes  []byte
}

// fields splits a protobuf message into its fields; fixed-width fields
// are skipped.
func fields(b []byte) ([]field, error) {
	var out []field
	for len(b) > 0 {
		key, n := uvarint(b)
		if n <= 0 {
			return nil, errTruncated
		}
		b = b[n:]
		f := field{num: int(key >> 3), wire: int(key & 7)}
		switch f.wire {
		case 0:
			v, n := uvarint(b)
			if n <= 0 {
				return nil, errTruncated
			}
			f.varint, b = v, b[n:]
		case 1:
			if len(b) < 8 {
				return nil, errTruncated
			}
			b = b[8:]
		case 2:
			l, n := uvarint(b)
			if n <= 0 || uint64(len(b)-n) < l {
				return nil, errTruncated
			}
			f.bytes, b = b[n:n+int(l)], b[n+int(l):]
		case 5:
			if len(b) < 4 {
				return nil, errTruncated
			}
			b = b[4:]
		default:
			return nil, fmt.Errorf("protobuf wire type %d is not supported", f.wire)
		}
		out = append(out, f)
	}
	return out, nil
}

// uvarint decodes a varint; n <= 0 when b is too short or too long.
func uvarint(b []byte) (uint64, int) {
	var x uint64
	for i := 0; i < len(b) && i < 10; i++ {
		x |= uint64(b[i]&0x7f) << (7 * i)
		if b[i] < 0x80 {
			return x, i + 1
		}
	}
	return 0, 0
}

// appendBytes appends a length-delimited field.
func appendBytes(b []byte, num int, v []byte) []byte {
	b = appendUvarint(b, uint64(num)<<3|2)
	b = appendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// appendVarint appends a varint field.
func appendVarint(b []byte, num int, v uint64) []byte {
	return appendUvarint(appendUvarint(b, uint64(num)<<3), v)
}

func appendUvarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}
