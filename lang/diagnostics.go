package lang

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// WriteDiagnostics renders diags the way Terraform does: severity, summary,
// file:line:col, the offending source lines and the detail. width wraps
// the detail (0: no wrapping).
func WriteDiagnostics(w io.Writer, files map[string]*hcl.File, diags hcl.Diagnostics, width uint, color bool) error {
	for _, d := range diags {
		var buf bytes.Buffer
		if err := hcl.NewDiagnosticTextWriter(&buf, files, width, color).WriteDiagnostic(d); err != nil {
			return err
		}
		out := buf.String()
		if s := d.Subject; s != nil {
			// "on FILE line N" becomes "on FILE:N:COL", a position editors understand.
			out = strings.Replace(out, fmt.Sprintf("  on %s line %d", s.Filename, s.Start.Line),
				fmt.Sprintf("  on %s:%d:%d", s.Filename, s.Start.Line, s.Start.Column), 1)
		}
		if _, err := io.WriteString(w, out); err != nil {
			return err
		}
	}
	return nil
}

// DiagnosticsReport is the JSON form of a validation, for `validate --json`.
type DiagnosticsReport struct {
	FormatVersion string           `json:"format_version"` // "1.0"; a new major breaks readers
	Valid         bool             `json:"valid"`
	ErrorCount    int              `json:"error_count"`
	WarningCount  int              `json:"warning_count"`
	Diagnostics   []JSONDiagnostic `json:"diagnostics"`
}

// JSONDiagnostic is one diagnostic in JSON.
type JSONDiagnostic struct {
	Severity string     `json:"severity"` // "error" or "warning"
	Summary  string     `json:"summary"`
	Detail   string     `json:"detail,omitempty"`
	Range    *JSONRange `json:"range,omitempty"`
}

// JSONRange locates a diagnostic; lines and columns start at 1.
type JSONRange struct {
	Filename string  `json:"filename"`
	Start    JSONPos `json:"start"`
	End      JSONPos `json:"end"`
}

// JSONPos is a position in a file.
type JSONPos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// DiagnosticsJSON converts diags for `validate --json`.
func DiagnosticsJSON(diags hcl.Diagnostics) DiagnosticsReport {
	r := DiagnosticsReport{FormatVersion: "1.0", Diagnostics: []JSONDiagnostic{}}
	for _, d := range diags {
		jd := JSONDiagnostic{Severity: "error", Summary: d.Summary, Detail: d.Detail}
		if d.Severity == hcl.DiagWarning {
			jd.Severity = "warning"
			r.WarningCount++
		} else {
			r.ErrorCount++
		}
		if d.Subject != nil {
			s := d.Subject
			jd.Range = &JSONRange{Filename: s.Filename,
				Start: JSONPos{Line: s.Start.Line, Column: s.Start.Column, Byte: s.Start.Byte},
				End:   JSONPos{Line: s.End.Line, Column: s.End.Column, Byte: s.End.Byte}}
		}
		r.Diagnostics = append(r.Diagnostics, jd)
	}
	r.Valid = r.ErrorCount == 0
	return r
}
