//go:build e2e

package e2e

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedLab != nil {
		sharedLab.closeAll()
	}
	if berthTmp != "" {
		os.RemoveAll(berthTmp)
	}
	os.Exit(code)
}
