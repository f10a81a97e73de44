package buildkit

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"sync"
)

// The gRPC methods a session serves.
const (
	methodHealth = "/grpc.health.v1.Health/Check"
	methodSecret = "/moby.buildkit.secrets.v1.Secrets/GetSecret"
	methodCreds  = "/moby.filesync.v1.Auth/Credentials"
)

// gRPC status codes used here.
const (
	codeOK            = 0
	codeNotFound      = 5
	codeUnimplemented = 12
)

// Session is a BuildKit client session that hands the daemon the build's
// secrets when a `RUN --mount=type=secret,id=ID` asks for them. The
// values stay in memory; Session never logs or prints them.
type Session struct {
	ID        string
	Name      string
	SharedKey string
	secrets   map[string][]byte
	creds     map[string]Credentials // by registry host
}

// Credentials are a registry login the daemon may ask for, to pull a FROM
// image or a cache_from image of a registry that wants one.
type Credentials struct {
	Username, Password string
}

// AddCredentials lets the daemon log in to registry host (e.g.
// "10.77.0.1:5000") for the build's own pulls.
func (s *Session) AddCredentials(host string, c Credentials) {
	if s.creds == nil {
		s.creds = map[string]Credentials{}
	}
	s.creds[host] = c
}

// NewSession returns a session serving secrets (id to value).
func NewSession(name string, secrets map[string]string) *Session {
	s := &Session{ID: randomID(), Name: name, SharedKey: randomID(), secrets: map[string][]byte{}}
	for k, v := range secrets {
		s.secrets[k] = []byte(v)
	}
	return s
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Methods are the gRPC methods the session exposes (the daemon's
// X-Docker-Expose-Session-Grpc-Method headers).
func (s *Session) Methods() []string { return []string{methodHealth, methodSecret, methodCreds} }

// SecretIDs lists the ids of the session's secrets, sorted.
func (s *Session) SecretIDs() []string {
	out := make([]string, 0, len(s.secrets))
	for k := range s.secrets {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Serve answers the daemon's gRPC calls on conn (the connection that
// POST /session upgraded) until ctx ends or the daemon hangs up.
func (s *Session) Serve(ctx context.Context, conn net.Conn) error {
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	srv := &http.Server{Handler: s, Protocols: &p}
	l := &oneConn{conn: conn, closed: make(chan struct{})}
	stop := context.AfterFunc(ctx, func() { _ = srv.Close() })
	defer stop()
	err := srv.Serve(l)
	if errors.Is(err, http.ErrServerClosed) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// ServeHTTP answers one unary gRPC call.
func (s *Session) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req, err := readFrame(r.Body)
	if err != nil {
		reply(w, codeUnimplemented, "bad request", nil)
		return
	}
	switch r.URL.Path {
	case methodHealth:
		reply(w, codeOK, "", appendVarint(nil, 1, 1)) // SERVING
	case methodSecret:
		id := secretID(req)
		v, ok := s.secrets[id]
		if !ok {
			reply(w, codeNotFound, fmt.Sprintf("secret %s not found (give it in the build block's secrets)", id), nil)
			return
		}
		reply(w, codeOK, "", appendBytes(nil, 1, v))
	case methodCreds:
		// CredentialsRequest.Host; an unknown host gets empty credentials
		// (anonymous), as the docker CLI answers.
		c := s.creds[secretID(req)]
		var out []byte
		if c.Username != "" {
			out = appendBytes(appendBytes(out, 1, []byte(c.Username)), 2, []byte(c.Password))
		}
		reply(w, codeOK, "", out)
	default:
		reply(w, codeUnimplemented, "berth's build session does not serve "+r.URL.Path, nil)
	}
}

// secretID reads field 1 of a request: GetSecretRequest.ID,
// CredentialsRequest.Host.
func secretID(b []byte) string {
	fs, _ := fields(b)
	for _, f := range fs {
		if f.num == 1 && f.wire == 2 {
			return string(f.bytes)
		}
	}
	return ""
}

// readFrame reads one length-prefixed gRPC message.
func readFrame(r io.Reader) ([]byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if hdr[0] != 0 || n > 1<<20 {
		return nil, errors.New("compressed or oversized gRPC message")
	}
	b := make([]byte, n)
	_, err := io.ReadFull(r, b)
	return b, err
}

// reply writes a unary gRPC answer: the message (if any) and the status
// in the trailers.
func reply(w http.ResponseWriter, code int, msg string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/grpc")
	h.Set("Trailer", "Grpc-Status, Grpc-Message")
	w.WriteHeader(http.StatusOK)
	if body != nil {
		var hdr [5]byte
		binary.BigEndian.PutUint32(hdr[1:], uint32(len(body)))
		_, _ = w.Write(append(hdr[:], body...))
	}
	h.Set("Grpc-Status", fmt.Sprint(code))
	h.Set("Grpc-Message", msg)
}

// oneConn is a listener that accepts one connection, then blocks until it
// is closed.
type oneConn struct {
	conn   net.Conn
	mu     sync.Mutex
	taken  bool
	closed chan struct{}
	once   sync.Once
}

func (l *oneConn) Accept() (net.Conn, error) {
	l.mu.Lock()
	if !l.taken {
		l.taken = true
		l.mu.Unlock()
		return &notifyConn{Conn: l.conn, closed: l.Close}, nil
	}
	l.mu.Unlock()
	<-l.closed
	return nil, net.ErrClosed
}

func (l *oneConn) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *oneConn) Addr() net.Addr { return l.conn.LocalAddr() }

// notifyConn closes the listener with the connection, so that Serve
// returns once the daemon hangs up.
type notifyConn struct {
	net.Conn
	closed func() error
}

func (c *notifyConn) Close() error {
	err := c.Conn.Close()
	_ = c.closed()
	return err
}
