package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newPlanCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "plan",
		Short: "not implemented yet",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("berth plan: not implemented yet")
		},
	}
}
