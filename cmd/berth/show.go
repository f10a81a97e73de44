package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newShowCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "show",
		Short: "not implemented yet",
		RunE: func(cmd *cobra.Command, args []string) error {
			return errors.New("berth show: not implemented yet")
		},
	}
}
