// Package gobuild builds the module's commands for tests and tools that run
// them as processes.
//
// It links through go run rather than go build: since Go 1.24 the go
// command keeps the executables go run links in its build cache, so a
// command built before with the same flags and sources is copied, not
// linked again. go build -o links every time, a second or more of CPU for
// each of this module's binaries, paid again by every test package that
// runs one.
package gobuild

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// Command builds the main package pkg with the go build flags given, in dir
// (the current directory when empty) with env (the process's when nil), and
// writes the executable to out.
func Command(ctx context.Context, dir string, env []string, flags []string, pkg, out string) error {
	// go run hands the executable's path and the program's arguments to
	// the -exec program: cp EXECUTABLE OUT.
	args := append([]string{"run", "-exec", "cp"}, flags...)
	args = append(args, pkg, out)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir, cmd.Env = dir, env
	if output, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s %s: %v\n%s", strings.Join(flags, " "), pkg, err, output)
	}
	return nil
}
