package server

// Cluster commands. Moonstone is a standalone server, like a redis-server
// started without cluster-enabled, and answers every CLUSTER subcommand
// (HELP and KEYSLOT included) and READONLY, READWRITE and ASKING as that
// server does: arity errors first, then this one error. INFO cluster
// says cluster_enabled:0.

const errClusterDisabled = "ERR This instance has cluster support disabled"

func cmdClusterDisabled(c *Call) { c.Error(errClusterDisabled) }
