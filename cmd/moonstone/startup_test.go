package main_test

import (
	"os/exec"
	"strings"
	"testing"

	"moonstone/internal/testkit"
)

// Bad configuration stops start-up with a message naming the problem.
func TestBadOptionsStopStartup(t *testing.T) {
	bin := testkit.BuildBinary(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--no-such-option", "1"}, "no-such-option"},
		{[]string{"--port", "notaport"}, "port"},
		{[]string{"--appendfsync", "sometimes"}, "appendfsync"},
		{[]string{"--databases", "1000"}, "databases"},
		{[]string{"/no/such/file.conf"}, "/no/such/file.conf"},
	} {
		cmd := exec.Command(bin, append(tc.args, "--dir", t.TempDir())...)
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("%v: started", tc.args)
			continue
		}
		if !strings.Contains(string(out), tc.want) {
			t.Errorf("%v: message %q does not name %q", tc.args, out, tc.want)
		}
	}
}
