package sim

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// buildSession is a BuildKit session a client opened with POST /session:
// in the daemon's place, the sim calls the client's gRPC methods (secrets,
// registry logins) over the upgraded connection, an HTTP/2 client of the
// client's server.
type buildSession struct {
	id      string
	methods map[string]bool
	hc      *http.Client
	done    chan struct{}
	ready   chan struct{} // closed once the session answered its health check
}

// openBuildSession answers POST /session on ch: 101, then the connection
// is the session's until the client closes it.
func (h *Host) openBuildSession(ch dockerConn, br *bufio.Reader, bw *bufio.Writer, req *http.Request) {
	id := req.Header.Get("X-Docker-Expose-Session-Uuid")
	if id == "" {
		_, _ = bw.WriteString("HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 41\r\n\r\n{\"message\":\"no session id in the request\"}")
		_ = bw.Flush()
		return
	}
	conn := &chanConn{r: br, ch: ch, closed: make(chan struct{})}
	s := &buildSession{id: id, methods: map[string]bool{}, done: conn.closed, ready: make(chan struct{})}
	for _, m := range req.Header.Values("X-Docker-Expose-Session-Grpc-Method") {
		s.methods[m] = true
	}
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	var dialed atomic.Bool
	tr := &http.Transport{Protocols: &p, DialContext: func(context.Context, string, string) (net.Conn, error) {
		if dialed.Swap(true) {
			return nil, errors.New("the session's connection is in use")
		}
		return conn, nil
	}}
	defer tr.CloseIdleConnections()
	s.hc = &http.Client{Transport: tr, Timeout: 10 * time.Second}
	// Known before the client hears the 101: its build may follow at once.
	h.mu.Lock()
	if h.sessions == nil {
		h.sessions = map[string]*buildSession{}
	}
	h.sessions[id] = s
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.sessions, id)
		h.mu.Unlock()
	}()
	_, _ = bw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
	if bw.Flush() != nil {
		return
	}
	// As BuildKit does, check the session first: the call dials it, and
	// from then on the HTTP/2 client reads the connection, so its end is
	// seen when the client hangs up. The build's own calls wait for it.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	_, err := s.do(ctx, "/grpc.health.v1.Health/Check", nil)
	cancel()
	close(s.ready)
	if err != nil {
		_ = conn.Close()
		return
	}
	select {
	case <-conn.closed:
	case <-h.quit:
	}
}

// buildSession returns the open session id, or nil.
func (h *Host) buildSession(id string) *buildSession {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sessions[id]
}

// call makes one unary gRPC call once the session is checked; it returns
// the answer's message, or the call's status as an error.
func (s *buildSession) call(ctx context.Context, method string, msg []byte) ([]byte, error) {
	select {
	case <-s.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.do(ctx, method, msg)
}

func (s *buildSession) do(ctx context.Context, method string, msg []byte) ([]byte, error) {
	if !s.methods[method] {
		return nil, fmt.Errorf("the session does not expose %s", method)
	}
	var frame bytes.Buffer
	var hdr [5]byte
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(msg)))
	frame.Write(hdr[:])
	frame.Write(msg)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://session"+method, &frame)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("Te", "trailers")
	resp, err := s.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if st := resp.Trailer.Get("Grpc-Status"); st != "0" {
		return nil, fmt.Errorf("rpc error: code = %s desc = %s", st, resp.Trailer.Get("Grpc-Message"))
	}
	if len(body) < 5 {
		return nil, nil
	}
	return body[5:], nil
}

// secret asks for the value of secret id (GetSecretRequest.ID = 1,
// GetSecretResponse.Data = 1).
func (s *buildSession) secret(ctx context.Context, id string) (string, error) {
	out, err := s.call(ctx, "/moby.buildkit.secrets.v1.Secrets/GetSecret", protoBytes(1, []byte(id)))
	if err != nil {
		return "", err
	}
	return string(protoField(out, 1)), nil
}

// credentials asks for the login of a registry host (CredentialsRequest
// .Host = 1; the response's Username = 1, Secret = 2); none = anonymous.
func (s *buildSession) credentials(ctx context.Context, host string) (string, string) {
	out, err := s.call(ctx, "/moby.filesync.v1.Auth/Credentials", protoBytes(1, []byte(host)))
	if err != nil {
		return "", ""
	}
	return string(protoField(out, 1)), string(protoField(out, 2))
}

// protoBytes encodes one length-delimited field.
func protoBytes(num int, v []byte) []byte {
	b := binary.AppendUvarint(nil, uint64(num)<<3|2)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// protoField returns the first length-delimited field num of a message.
func protoField(b []byte, num int) []byte {
	for len(b) > 0 {
		tag, n := binary.Uvarint(b)
		if n <= 0 {
			return nil
		}
		b = b[n:]
		switch tag & 7 {
		case 0:
			_, m := binary.Uvarint(b)
			if m <= 0 {
				return nil
			}
			b = b[m:]
		case 2:
			l, m := binary.Uvarint(b)
			if m <= 0 || uint64(len(b)-m) < l {
				return nil
			}
			if int(tag>>3) == num {
				return b[m : m+int(l)]
			}
			b = b[m+int(l):]
		default:
			return nil
		}
	}
	return nil
}

// chanConn is a Docker connection as a net.Conn, its reads through the
// request's reader; closed is closed once it is.
type chanConn struct {
	r      io.Reader
	ch     dockerConn
	once   sync.Once
	closed chan struct{}
}

func (c *chanConn) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil {
		c.shut()
	}
	return n, err
}

func (c *chanConn) Write(p []byte) (int, error) { return c.ch.Write(p) }
func (c *chanConn) Close() error                { c.shut(); return c.ch.Close() }
func (c *chanConn) shut()                       { c.once.Do(func() { close(c.closed) }) }

func (c *chanConn) LocalAddr() net.Addr              { return simAddr{} }
func (c *chanConn) RemoteAddr() net.Addr             { return simAddr{} }
func (c *chanConn) SetDeadline(time.Time) error      { return nil }
func (c *chanConn) SetReadDeadline(time.Time) error  { return nil }
func (c *chanConn) SetWriteDeadline(time.Time) error { return nil }

type simAddr struct{}

func (simAddr) Network() string { return "unix" }
func (simAddr) String() string  { return DockerSocket }
