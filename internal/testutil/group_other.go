//go:build !unix

package testutil

import (
	"os"
	"os/exec"
)

func ownProcessGroup(*exec.Cmd) {}

func signalGroup(cmd *exec.Cmd, sig os.Signal) { cmd.Process.Signal(sig) }
