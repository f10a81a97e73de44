package sim

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strings"

	"github.com/berth-sh/berth/internal/buildkit"
)

// This file is the daemon's build API (POST /build?version=2, BuildKit):
// the sim reads the context tar, "runs" its Dockerfile and answers with
// BuildKit's progress trace, as dockerd 28 does. A step's cache key chains
// its instruction, its build arguments and the context files it copies, so
// a second build of the same source comes from the cache and a changed
// file rebuilds from its COPY on. RUN knows a few commands (see runShell);
// what it does not know succeeds silently. Secrets and registry logins are
// asked of the client's build session (POST /session, session.go of
// internal/buildkit on the other side) when a step needs them.

// buildQuery is what POST /build asks for.
type buildQuery struct {
	tags       []string
	dockerfile string
	target     string
	session    string
	args       map[string]string
}

func parseBuildQuery(q url.Values) buildQuery {
	b := buildQuery{tags: q["t"], dockerfile: q.Get("dockerfile"), target: q.Get("target"), session: q.Get("session"), args: map[string]string{}}
	if b.dockerfile == "" {
		b.dockerfile = "Dockerfile"
	}
	_ = json.Unmarshal([]byte(q.Get("buildargs")), &b.args)
	return b
}

// instruction is one line of a Dockerfile (continuations joined).
type instruction struct {
	op, args string
	stage    string // the stage's name ("FROM x AS name"), "" = unnamed
}

// parseDockerfile splits a Dockerfile into instructions; with target, the
// stages after the target's are dropped.
func parseDockerfile(src, target string) ([]instruction, error) {
	var out []instruction
	stage, cont := "", ""
	for _, line := range strings.Split(src, "\n") {
		line = strings.TrimSpace(line)
		if cont != "" {
			line = cont + " " + line
			cont = ""
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cont = strings.TrimSuffix(line, "\\")
			continue
		}
		op, args, _ := strings.Cut(line, " ")
		op = strings.ToUpper(op)
		if op == "FROM" {
			if target != "" && stage == target {
				break
			}
			stage = ""
			if f := strings.Fields(args); len(f) == 3 && strings.EqualFold(f[1], "AS") {
				stage = f[2]
			}
		}
		if len(out) == 0 && op != "FROM" && op != "ARG" {
			return nil, fmt.Errorf("dockerfile parse error on line 1: no build stage in current context")
		}
		out = append(out, instruction{op: op, args: strings.TrimSpace(args), stage: stage})
	}
	if target != "" && stage != target && !hasStage(out, target) {
		return nil, fmt.Errorf("failed to reach build target %s in Dockerfile", target)
	}
	return out, nil
}

func hasStage(ins []instruction, name string) bool {
	for _, in := range ins {
		if in.stage == name {
			return true
		}
	}
	return false
}

// numbered reports whether an instruction is a step of its own in
// BuildKit's progress ("[2/3] RUN make").
func numbered(op string) bool {
	switch op {
	case "FROM", "RUN", "COPY", "ADD", "WORKDIR":
		return true
	}
	return false
}

// buildRun is one build in progress: the trace it has written so far.
type buildRun struct {
	h    *Host
	enc  *json.Encoder
	q    buildQuery
	ctx  map[string][]byte // the context's files by path
	env  map[string]string // ARG and ENV values
	sess *buildSession
}

func (b *buildRun) trace(s buildkit.Status) {
	_ = b.enc.Encode(map[string]any{"id": "moby.buildkit.trace", "aux": buildkit.EncodeStatus(s)})
}

func (b *buildRun) fail(msg string) {
	_ = b.enc.Encode(map[string]any{"errorDetail": map[string]string{"message": msg}, "error": msg})
}

// vertex writes a step that starts and ends at once (cached or not).
func (b *buildRun) vertex(digest, name string, cached bool, errText string, logs ...string) {
	b.trace(buildkit.Status{Vertexes: []buildkit.Vertex{{Digest: digest, Name: name, Started: !cached}}})
	if len(logs) > 0 {
		var vl []buildkit.VertexLog
		for _, l := range logs {
			vl = append(vl, buildkit.VertexLog{Vertex: digest, Stream: 1, Data: []byte(l + "\n")})
		}
		b.trace(buildkit.Status{Logs: vl})
	}
	b.trace(buildkit.Status{Vertexes: []buildkit.Vertex{{Digest: digest, Name: name, Started: !cached, Completed: true, Cached: cached, Error: errText}}})
}

// build answers POST /build: the whole stream is written to w.
func (h *Host) build(w http.ResponseWriter, r *http.Request) {
	b := &buildRun{h: h, q: parseBuildQuery(r.URL.Query()), ctx: map[string][]byte{}, env: map[string]string{}}
	w.Header().Set("Content-Type", "application/json")
	b.enc = json.NewEncoder(w)
	if b.q.session != "" {
		if b.sess = h.buildSession(b.q.session); b.sess == nil {
			b.fail("no active session for " + b.q.session + ": context deadline exceeded")
			return
		}
	}
	if err := b.readContext(r.Body); err != nil {
		b.fail("failed to read the build context: " + err.Error())
		return
	}
	src, ok := b.ctx[path.Clean(b.q.dockerfile)]
	b.vertex(hash("def "+b.q.dockerfile), "[internal] load build definition from "+b.q.dockerfile, false, "")
	if !ok {
		b.fail("failed to solve: failed to read dockerfile: open " + b.q.dockerfile + ": no such file or directory")
		return
	}
	ins, err := parseDockerfile(string(src), b.q.target)
	if err != nil {
		b.fail("failed to solve: " + err.Error())
		return
	}
	id, err := b.steps(r.Context(), ins)
	if err != nil {
		b.fail("failed to solve: " + err.Error())
		return
	}
	b.vertex(hash("export "+id), "exporting to image", false, "")
	h.Docker.tagBuilt(id, b.q.tags)
	_ = b.enc.Encode(map[string]any{"id": "moby.image.id", "aux": map[string]string{"ID": id}})
}

// readContext reads the context tar.
func (b *buildRun) readContext(r io.Reader) error {
	tr := tar.NewReader(r)
	for {
		hd, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if hd.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		b.ctx[path.Clean(hd.Name)] = data
	}
}

// steps runs the instructions and returns the image ID.
func (b *buildRun) steps(ctx context.Context, ins []instruction) (string, error) {
	total := 0
	for _, in := range ins {
		if numbered(in.op) {
			total++
		}
	}
	key, n := "", 0
	for _, in := range ins {
		args := b.expand(in.args)
		switch in.op {
		case "ARG":
			name, def, _ := strings.Cut(args, "=")
			if v, ok := b.q.args[name]; ok {
				def = v
			}
			b.env[name] = def
			key = hash(key + "ARG " + name + "=" + def)
			continue
		case "ENV":
			k, v, _ := strings.Cut(args, "=")
			b.env[k] = v
			key = hash(key + "ENV " + args)
			continue
		}
		if !numbered(in.op) {
			key = hash(key + in.op + " " + args)
			continue
		}
		n++
		shown := in.args // RUN, COPY as written; FROM resolved, as BuildKit shows them
		if in.op == "FROM" {
			shown = args
		}
		name := fmt.Sprintf("[%d/%d] %s %s", n, total, in.op, shown)
		if in.stage != "" {
			name = fmt.Sprintf("[%s %d/%d] %s %s", in.stage, n, total, in.op, shown)
		}
		var err error
		if key, err = b.step(ctx, key, name, in.op, args); err != nil {
			return "", err
		}
	}
	return "sha256:" + hash("image "+key), nil
}

// step runs one numbered instruction and returns the next cache key.
func (b *buildRun) step(ctx context.Context, key, name, op, args string) (string, error) {
	var files string
	switch op {
	case "FROM":
		if err := b.from(ctx, strings.Fields(args)[0]); err != nil {
			b.vertex(hash(key+name), name, false, err.Error())
			return "", err
		}
	case "COPY", "ADD":
		var err error
		if files, err = b.copied(args); err != nil {
			b.vertex(hash(key+name), name, false, err.Error())
			return "", err
		}
	}
	next := hash(key + name + files)
	if b.h.Docker.cached(next) {
		b.vertex(next, name, true, "")
		return next, nil
	}
	if op == "RUN" {
		logs, err := b.runShell(ctx, args)
		if err != nil {
			b.vertex(next, name, false, err.Error(), logs...)
			return "", err
		}
		b.vertex(next, name, false, "", logs...)
	} else {
		b.vertex(next, name, false, "")
	}
	b.h.Docker.cache(next)
	return next, nil
}

// from checks a base image: one on the sim's registry must be there, with
// a login from the session when the registry asks for one; any other
// (docker.io, scratch) is taken as present on the build machine.
func (b *buildRun) from(ctx context.Context, ref string) error {
	reg := b.h.Docker.registryOf()
	host, rest, _ := strings.Cut(ref, "/")
	if reg == nil || host != reg.Host() {
		return nil
	}
	var user, pass string
	if b.sess != nil {
		user, pass = b.sess.credentials(ctx, host)
	}
	if !reg.accepts(user, pass) {
		return fmt.Errorf("%s: failed to resolve source metadata for %s: failed to authorize: unauthorized: authentication required", ref, ref)
	}
	name, tag, _ := strings.Cut(rest, ":")
	if !reg.has(name, tag) {
		return fmt.Errorf("%s: failed to resolve source metadata for %s: %s: not found", ref, ref, ref)
	}
	return nil
}

// copied checks COPY/ADD sources against the context and returns what the
// cache key depends on: the copied files' names and contents.
func (b *buildRun) copied(args string) (string, error) {
	f := strings.Fields(args)
	var srcs []string
	for _, a := range f {
		if strings.HasPrefix(a, "--from=") {
			return "", nil // from another stage: its key is in the chain already
		}
		if !strings.HasPrefix(a, "--") {
			srcs = append(srcs, a)
		}
	}
	if len(srcs) < 2 {
		return "", errors.New("dockerfile parse error: COPY requires at least two arguments")
	}
	var sb strings.Builder
	for _, src := range srcs[:len(srcs)-1] {
		found := false
		names := make([]string, 0, len(b.ctx))
		for n := range b.ctx {
			names = append(names, n)
		}
		sort.Strings(names)
		clean := path.Clean(src)
		for _, n := range names {
			if clean == "." || n == clean || strings.HasPrefix(n, clean+"/") {
				found = true
				fmt.Fprintf(&sb, "%s %s\n", n, hash(string(b.ctx[n])))
			}
		}
		if !found {
			return "", fmt.Errorf("failed to compute cache key: failed to calculate checksum of ref: \"/%s\": not found", clean)
		}
	}
	return sb.String(), nil
}

// runShell runs what the sim knows of a RUN's shell command, joined by
// &&: echo WORDS (its line), cat /run/secrets/ID (the secret's value),
// cat FILE of the context, exit N, false; anything else succeeds with no
// output. --mount=type=secret,id=ID asks the session for the secret.
func (b *buildRun) runShell(ctx context.Context, args string) ([]string, error) {
	secrets := map[string]string{}
	for strings.HasPrefix(args, "--") {
		flag, rest, _ := strings.Cut(args, " ")
		args = strings.TrimSpace(rest)
		if id, ok := secretMount(flag); ok {
			if b.sess == nil {
				return nil, fmt.Errorf("secret %s: not found", id)
			}
			v, err := b.sess.secret(ctx, id)
			if err != nil {
				return nil, fmt.Errorf("secret %s: %w", id, err)
			}
			secrets["/run/secrets/"+id] = v
		}
	}
	var logs []string
	for _, c := range strings.Split(args, "&&") {
		f := strings.Fields(c)
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "echo":
			logs = append(logs, strings.Trim(strings.Join(f[1:], " "), `"'`))
		case "cat":
			for _, p := range f[1:] {
				if v, ok := secrets[p]; ok {
					logs = append(logs, v)
				} else if v, ok := b.ctx[path.Clean(strings.TrimPrefix(p, "/src/"))]; ok {
					logs = append(logs, strings.TrimRight(string(v), "\n"))
				} else {
					logs = append(logs, "cat: "+p+": No such file or directory")
					return logs, shellExit(args, 1)
				}
			}
		case "false":
			return logs, shellExit(args, 1)
		case "exit":
			code := 0
			if len(f) > 1 {
				_, _ = fmt.Sscan(f[1], &code)
			}
			if code != 0 {
				return logs, shellExit(args, code)
			}
			return logs, nil
		}
	}
	return logs, nil
}

func shellExit(cmd string, code int) error {
	return fmt.Errorf("process \"/bin/sh -c %s\" did not complete successfully: exit code: %d", cmd, code)
}

// secretMount reads --mount=type=secret,id=ID.
func secretMount(flag string) (string, bool) {
	opts, ok := strings.CutPrefix(flag, "--mount=")
	if !ok {
		return "", false
	}
	kv := map[string]string{}
	for _, o := range strings.Split(opts, ",") {
		k, v, _ := strings.Cut(o, "=")
		kv[k] = v
	}
	return kv["id"], kv["type"] == "secret" && kv["id"] != ""
}

// expand replaces $NAME and ${NAME} of ARG and ENV values.
func (b *buildRun) expand(s string) string {
	return expandVars(s, b.env)
}

func expandVars(s string, env map[string]string) string {
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			sb.WriteByte(s[i])
			continue
		}
		j, braced := i+1, s[i+1] == '{'
		if braced {
			j++
		}
		k := j
		for k < len(s) && (s[k] == '_' || s[k] >= 'A' && s[k] <= 'Z' || s[k] >= 'a' && s[k] <= 'z' || s[k] >= '0' && s[k] <= '9') {
			k++
		}
		if k == j {
			sb.WriteByte(s[i])
			continue
		}
		sb.WriteString(env[s[j:k]])
		if braced && k < len(s) && s[k] == '}' {
			k++
		}
		i = k - 1
	}
	return sb.String()
}
