package sftp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

// TestHostileAnswers feeds malformed answers to the decoders of the
// driver's own requests: each is an error, never a panic or a value.
func TestHostileAnswers(t *testing.T) {
	u32 := func(n uint32) []byte { return binary.BigEndian.AppendUint32(nil, n) }
	cases := [][]byte{nil, {0}, u32(1 << 31), append(u32(5), 'a'), append(u32(0xffffffff), 'a', 'b')}
	for _, data := range cases {
		if _, err := handleOf(answer{typ: fxpHandle, data: data}); err == nil {
			t.Errorf("handle %x: no error", data)
		}
		if _, err := dataOf(answer{typ: fxpData, data: data}); err == nil {
			t.Errorf("data %x: no error", data)
		}
		if _, _, err := attrsOf(answer{typ: fxpAttrs, data: data}); err == nil {
			t.Errorf("attrs %x: no error", data)
		}
		if err := statusError(answer{typ: fxpStatus, data: data}); err == nil && len(data) >= 4 && binary.BigEndian.Uint32(data) != 0 {
			t.Errorf("status %x: no error", data)
		}
	}
	// A READ answered with more than it asked for.
	buf := make([]byte, 8)
	a := answer{typ: fxpData, data: append(u32(40000), make([]byte, 40000)...)}
	if _, _, err := fill(buf, []answer{a}, 0, len(buf)); !errors.Is(err, errProtocol) {
		t.Errorf("fill of an oversized read: %v", err)
	}
	// A packet from the server longer than any SFTP packet.
	w := newWire(bytes.NewReader(u32(1<<30)), nopCloser{io.Discard})
	if _, err := w.Read(make([]byte, 16)); !errors.Is(err, errProtocol) {
		t.Errorf("read of a 1 GiB packet: %v", err)
	}
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
