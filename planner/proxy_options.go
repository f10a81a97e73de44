package planner

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/berth-sh/berth/lang"
)

// RouteOptions are the per-request options of a route (lang.ProxyOptions)
// as a plan records them; nil when the role sets none, so that routes
// without options keep their config hash.
type RouteOptions struct {
	ResponseTimeout    time.Duration `json:"response_timeout,omitempty"`
	ForwardHeaders     *bool         `json:"forward_headers,omitempty"`
	BufferRequests     bool          `json:"buffer_requests,omitempty"`
	BufferResponses    bool          `json:"buffer_responses,omitempty"`
	MaxRequestBody     int64         `json:"max_request_body,omitempty"`
	MaxResponseBody    int64         `json:"max_response_body,omitempty"`
	BufferMemory       int64         `json:"buffer_memory,omitempty"`
	LogRequestHeaders  []string      `json:"log_request_headers,omitempty"`
	LogResponseHeaders []string      `json:"log_response_headers,omitempty"`
}

// routeOptions is the plan's record of o, nil for none.
func routeOptions(o lang.ProxyOptions) *RouteOptions {
	r := &RouteOptions{
		ResponseTimeout: o.ResponseTimeout, ForwardHeaders: o.ForwardHeaders,
		BufferRequests: o.BufferRequests, BufferResponses: o.BufferResponses,
		MaxRequestBody: o.MaxRequestBody, MaxResponseBody: o.MaxResponseBody, BufferMemory: o.BufferMemory,
		LogRequestHeaders: slices.Clone(o.LogRequestHeaders), LogResponseHeaders: slices.Clone(o.LogResponseHeaders),
	}
	if r.ForwardHeaders == nil && r.ResponseTimeout == 0 && !r.BufferRequests && !r.BufferResponses && r.BufferMemory == 0 &&
		len(r.LogRequestHeaders) == 0 && len(r.LogResponseHeaders) == 0 {
		return nil
	}
	return r
}

// Args are the `kamal-proxy deploy` flags of the options. A body limit is
// sent with its buffering flag: kamal-proxy refuses one without the other.
func (o *RouteOptions) Args() []string {
	if o == nil {
		return nil
	}
	var argv []string
	if o.ResponseTimeout > 0 {
		argv = append(argv, "--target-timeout", o.ResponseTimeout.String())
	}
	if o.ForwardHeaders != nil {
		argv = append(argv, fmt.Sprintf("--forward-headers=%t", *o.ForwardHeaders))
	}
	if o.BufferRequests {
		argv = append(argv, "--buffer-requests")
		if o.MaxRequestBody > 0 {
			argv = append(argv, "--max-request-body", fmt.Sprint(o.MaxRequestBody))
		}
	}
	if o.BufferResponses {
		argv = append(argv, "--buffer-responses")
		if o.MaxResponseBody > 0 {
			argv = append(argv, "--max-response-body", fmt.Sprint(o.MaxResponseBody))
		}
	}
	if o.BufferMemory > 0 {
		argv = append(argv, "--buffer-memory", fmt.Sprint(o.BufferMemory))
	}
	for _, h := range o.LogRequestHeaders {
		argv = append(argv, "--log-request-header", h)
	}
	for _, h := range o.LogResponseHeaders {
		argv = append(argv, "--log-response-header", h)
	}
	return argv
}

// describe renders the options for a plan's reasons: the flags themselves.
func (o *RouteOptions) describe() string {
	if o == nil {
		return ""
	}
	return ", options " + strings.Join(o.Args(), " ")
}
