package server_test

import (
	"testing"

	"moonstone/internal/testkit"
)

// CONFIG HELP, OBJECT HELP and COMMAND HELP are Redis's.
func TestHelpSubcommandsMatchRedis(t *testing.T) {
	testkit.Diff(t, `
CONFIG HELP
config help
CONFIG HELP x
OBJECT HELP
OBJECT HELP x
COMMAND HELP
COMMAND HELP x
CONFIG nosuch
OBJECT nosuch
COMMAND nosuch
`)
	testkit.DiffResp3(t, "CONFIG HELP\nOBJECT HELP\nCOMMAND HELP")
}

// OBJECT IDLETIME under an LFU policy, and OBJECT FREQ without one, give
// Redis's errors.
func TestObjectAccessErrorsMatchRedis(t *testing.T) {
	testkit.Diff(t, `
SET k v
OBJECT FREQ k
CONFIG SET maxmemory-policy allkeys-lfu
OBJECT IDLETIME k
OBJECT FREQ nokey
OBJECT IDLETIME nokey
CONFIG SET maxmemory-policy volatile-lfu
OBJECT IDLETIME k
CONFIG SET maxmemory-policy noeviction
`)
}
