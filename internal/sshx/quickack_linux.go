package sshx

import (
	"net"
	"syscall"
)

// quickAck asks Linux to acknowledge incoming segments at once instead of
// delaying the ACK (up to 40 ms). sshd sends small packets without
// TCP_NODELAY on non-interactive connections, so Nagle's algorithm there
// and delayed ACKs here otherwise add ~40 ms to the first channel opened
// after the handshake. The kernel clears the flag again by itself, so it is
// set after the handshake and before each channel open.
func quickAck(c net.Conn) {
	if a, ok := c.(*activity); ok {
		c = a.Conn
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}
