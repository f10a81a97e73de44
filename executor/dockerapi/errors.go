package dockerapi

import (
	"errors"
	"fmt"
	"net/http"
)

// Sentinel errors for errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// APIError is an error answer of the Docker daemon.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("docker answered %d %s", e.Status, http.StatusText(e.Status))
	}
	return e.Message
}

// Is makes a 404 match ErrNotFound and a 409 match ErrConflict.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrConflict:
		return e.Status == http.StatusConflict
	}
	return false
}
