package deploy

import (
	"context"
	"errors"
	"fmt"

	"github.com/berth-sh/berth/executor/audit"
	"github.com/berth-sh/berth/internal/fanout"
)

// AuditLog reads the last n entries of the service's audit log on every
// host and merges them, oldest first. A host that cannot be read is an
// error naming it; the entries of the others are still returned.
func (s *Session) AuditLog(ctx context.Context, n int) ([]audit.Entry, error) {
	hosts := s.Config.Hosts
	lists := make([][]audit.Entry, len(hosts))
	errs := fanout.Each(ctx, len(hosts), 0, func(ctx context.Context, i int) error {
		conn, err := s.pool.Conn(ctx, hosts[i].Name)
		if err == nil {
			lists[i], err = audit.Read(ctx, conn, s.Config.StateName(), n)
		}
		if err != nil {
			return fmt.Errorf("host %s: %w", hosts[i].Name, withoutHost(err, hosts[i].Name))
		}
		return nil
	})
	return audit.Merge(lists...), errors.Join(errs...)
}
