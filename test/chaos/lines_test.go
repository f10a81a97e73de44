package chaos

import "testing"

func TestParseLine(t *testing.T) {
	for line, want := range map[string]string{
		"21:49:53.753  h10/web                      stop_old  started":                                                   "h10/web stop_old started",
		"21:49:53.904  h1/web                       stop_old  done in 151ms":                                             "h1/web stop_old done",
		"21:49:55.516  h3/worker                    health    failed after 1.2s: container exited (1)":                   "h3/worker health failed",
		"21:49:54.217  apply                        barrier open: the primary role is healthy, other roles may cut over": "barrier open",
		"21:49:54.217  barrier                      closed: the primary role did not turn healthy":                       "",
		"21:49:54.217  h2/web                       Removed the new containers again, the old ones serve":                "",
		"  ~ h1/web     (replace, primary)  chaos-web-v1 → chaos-web-v2":                                                 "",
		"Apply complete in 2.36s: 0 created, 3 replaced, 0 removed.":                                                     "",
	} {
		m, ok := ParseLine(line)
		if got := m.String(); got != want || ok != (want != "") {
			t.Errorf("ParseLine(%q) = %q, %v; want %q", line, got, ok, want)
		}
	}
}
