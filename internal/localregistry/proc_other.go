//go:build !linux

package localregistry

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
