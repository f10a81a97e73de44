package buildkit

import (
	"encoding/base64"
	"fmt"
)

// Status is one decoded progress message of a build (BuildKit's
// StatusResponse).
type Status struct {
	Vertexes []Vertex
	Statuses []VertexStatus
	Logs     []VertexLog
}

// Vertex is a build step: "[2/3] RUN make", "exporting to image".
type Vertex struct {
	Digest    string
	Name      string
	Cached    bool
	Started   bool
	Completed bool
	Error     string
}

// VertexStatus is the progress of one piece of a step, e.g. a layer
// being transferred: Current of Total bytes (Total 0 = unknown).
type VertexStatus struct {
	ID        string
	Vertex    string
	Name      string
	Current   int64
	Total     int64
	Completed bool
}

// VertexLog is output of a step's process (stream 1 stdout, 2 stderr).
type VertexLog struct {
	Vertex string
	Stream int
	Data   []byte
}

// DecodeTrace decodes the aux value of a "moby.buildkit.trace" message:
// base64 of a protobuf StatusResponse.
func DecodeTrace(aux string) (Status, error) {
	b, err := base64.StdEncoding.DecodeString(aux)
	if err != nil {
		return Status{}, fmt.Errorf("build progress: %w", err)
	}
	return decodeStatus(b)
}

func decodeStatus(b []byte) (Status, error) {
	fs, err := fields(b)
	if err != nil {
		return Status{}, err
	}
	var s Status
	for _, f := range fs {
		if f.wire != 2 {
			continue
		}
		var err error
		switch f.num {
		case 1:
			var v Vertex
			v, err = decodeVertex(f.bytes)
			s.Vertexes = append(s.Vertexes, v)
		case 2:
			var v VertexStatus
			v, err = decodeVertexStatus(f.bytes)
			s.Statuses = append(s.Statuses, v)
		case 3:
			var v VertexLog
			v, err = decodeLog(f.bytes)
			s.Logs = append(s.Logs, v)
		}
		if err != nil {
			return Status{}, err
		}
	}
	return s, nil
}

func decodeVertex(b []byte) (Vertex, error) {
	fs, err := fields(b)
	var v Vertex
	for _, f := range fs {
		switch f.num {
		case 1:
			v.Digest = string(f.bytes)
		case 3:
			v.Name = string(f.bytes)
		case 4:
			v.Cached = f.varint != 0
		case 5:
			v.Started = true
		case 6:
			v.Completed = true
		case 7:
			v.Error = string(f.bytes)
		}
	}
	return v, err
}

func decodeVertexStatus(b []byte) (VertexStatus, error) {
	fs, err := fields(b)
	var v VertexStatus
	for _, f := range fs {
		switch f.num {
		case 1:
			v.ID = string(f.bytes)
		case 2:
			v.Vertex = string(f.bytes)
		case 3:
			v.Name = string(f.bytes)
		case 4:
			v.Current = int64(f.varint)
		case 5:
			v.Total = int64(f.varint)
		case 8:
			v.Completed = true
		}
	}
	return v, err
}

func decodeLog(b []byte) (VertexLog, error) {
	fs, err := fields(b)
	var v VertexLog
	for _, f := range fs {
		switch f.num {
		case 1:
			v.Vertex = string(f.bytes)
		case 3:
			v.Stream = int(f.varint)
		case 4:
			v.Data = f.bytes
		}
	}
	return v, err
}

// EncodeStatus is the inverse of DecodeTrace, for tests and simulated
// daemons.
func EncodeStatus(s Status) string {
	var b []byte
	for _, v := range s.Vertexes {
		var m []byte
		m = appendBytes(m, 1, []byte(v.Digest))
		m = appendBytes(m, 3, []byte(v.Name))
		if v.Cached {
			m = appendVarint(m, 4, 1)
		}
		if v.Started {
			m = appendBytes(m, 5, nil)
		}
		if v.Completed {
			m = appendBytes(m, 6, nil)
		}
		if v.Error != "" {
			m = appendBytes(m, 7, []byte(v.Error))
		}
		b = appendBytes(b, 1, m)
	}
	for _, st := range s.Statuses {
		var m []byte
		m = appendBytes(m, 1, []byte(st.ID))
		m = appendBytes(m, 2, []byte(st.Vertex))
		m = appendVarint(m, 4, uint64(st.Current))
		m = appendVarint(m, 5, uint64(st.Total))
		if st.Completed {
			m = appendBytes(m, 8, nil)
		}
		b = appendBytes(b, 2, m)
	}
	for _, l := range s.Logs {
		var m []byte
		m = appendBytes(m, 1, []byte(l.Vertex))
		m = appendVarint(m, 3, uint64(l.Stream))
		m = appendBytes(m, 4, l.Data)
		b = appendBytes(b, 3, m)
	}
	return base64.StdEncoding.EncodeToString(b)
}
