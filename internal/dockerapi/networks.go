package dockerapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

type networkingJSON struct {
	EndpointsConfig map[string]endpointJSON `json:"EndpointsConfig"`
}

type endpointJSON struct {
	Aliases []string `json:"Aliases,omitempty"`
}

// networking gives the container its aliases on the network it is created
// on; nil without aliases.
func (s CreateSpec) networking() *networkingJSON {
	if s.Network == "" || len(s.Aliases) == 0 {
		return nil
	}
	return &networkingJSON{EndpointsConfig: map[string]endpointJSON{s.Network: {Aliases: s.Aliases}}}
}

// EnsureNetwork creates the bridge network name with labels unless a
// network of that name exists already (whatever its labels). Containers
// on a user-defined network reach each other by name and short ID.
func (c *Client) EnsureNetwork(ctx context.Context, name string, labels map[string]string) error {
	err := c.call(ctx, request{method: http.MethodGet, path: "/networks/" + url.PathEscape(name)}, nil)
	if err == nil {
		return nil
	}
	if !errors.Is(err, ErrNotFound) {
		return c.wrap("network inspect", name, err)
	}
	body := map[string]any{"Name": name, "Driver": "bridge", "CheckDuplicate": true, "Labels": labels}
	err = c.call(ctx, request{method: http.MethodPost, path: "/networks/create", body: body}, nil)
	if errors.Is(err, ErrConflict) { // created meanwhile by another apply
		return nil
	}
	return c.wrap("network create", name, err)
}

// ConnectNetwork joins container id (created or running) to network with
// aliases. A container already on the network is left as it is.
func (c *Client) ConnectNetwork(ctx context.Context, network, id string, aliases []string) error {
	body := map[string]any{"Container": id, "EndpointConfig": endpointJSON{Aliases: aliases}}
	err := c.call(ctx, request{method: http.MethodPost, path: "/networks/" + url.PathEscape(network) + "/connect", body: body}, nil)
	var api *APIError
	if errors.As(err, &api) && strings.Contains(api.Message, "already exists in network") {
		return nil
	}
	return c.wrap("network connect", network, err)
}

// RemoveNetwork removes network; one that does not exist is no error. A
// network some container still uses is refused by Docker (ErrConflict or
// a 403 that names its active endpoints).
func (c *Client) RemoveNetwork(ctx context.Context, name string) error {
	err := c.call(ctx, request{method: http.MethodDelete, path: "/networks/" + url.PathEscape(name)}, nil)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return c.wrap("network rm", name, err)
}
