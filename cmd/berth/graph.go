package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newGraphCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "graph",
		Short: "not implemented yet",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("berth graph: not implemented yet")
		},
	}
}
