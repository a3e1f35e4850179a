//go:build unix

package testutil

import (
	"os"
	"os/exec"
	"syscall"
)

func ownProcessGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
}

// signalGroup signals every process of cmd's group, which cmd leads.
func signalGroup(cmd *exec.Cmd, sig os.Signal) {
	if s, ok := sig.(syscall.Signal); ok {
		if syscall.Kill(-cmd.Process.Pid, s) == nil {
			return
		}
	}
	cmd.Process.Signal(sig)
}
