package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newLockCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "lock",
		Short: "not implemented yet",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("berth lock: not implemented yet")
		},
	}
}
