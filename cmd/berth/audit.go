package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newAuditCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "audit",
		Short: "not implemented yet",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("berth audit: not implemented yet")
		},
	}
}
