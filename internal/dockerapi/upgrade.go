package dockerapi

import (
	"bufio"
	"net"
	"net/http"
)

// readUpgrade reads the answer to an upgrade request on conn and returns
// the connection to go on with: bytes the reader buffered beyond the
// answer are read first.
func readUpgrade(conn net.Conn) (net.Conn, error) {
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		defer resp.Body.Close()
		return nil, readAPIError(resp)
	}
	return &bufferedConn{Conn: conn, r: br}, nil
}

// bufferedConn reads through a bufio.Reader that may hold bytes already.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
