package localregistry

import "syscall"

// sysProcAttr ends the registry with berth, even when berth is killed.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM} }
