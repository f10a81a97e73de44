package sshx

import (
	"io"
	"strings"
	"testing"
)

// The stderr buffer keeps the last max bytes, written or read into it.
func TestLimitedBufferKeepsTheTail(t *testing.T) {
	for _, via := range []string{"write", "read from"} {
		b := &limitedBuffer{max: 10}
		in := strings.Repeat("x", 3000) + "0123456789"
		if via == "write" {
			_, _ = b.Write([]byte(in))
		} else if n, err := io.Copy(b, strings.NewReader(in)); err != nil || n != int64(len(in)) {
			t.Fatalf("copy: %d %v", n, err)
		}
		if b.String() != "0123456789" {
			t.Errorf("%s: kept %q", via, b.String())
		}
	}
}
