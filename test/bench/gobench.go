package main

import "errors"

func runGoBench(args []string) error { return errors.New("todo") }
