package lang

import "errors"

var (
	errNotRegular = errors.New("not a regular file")
	errTooLarge   = errors.New("file larger than 4 MiB")
	// ErrEnvUnset is returned by env() for a variable that is not set.
	ErrEnvUnset = errors.New("environment variable not set")
)
