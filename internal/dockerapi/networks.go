package dockerapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
)

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
