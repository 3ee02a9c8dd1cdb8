package server

// CLUSTER, as a Redis 7.0 server answers it when cluster support is
// disabled: every subcommand, HELP included, replies "This instance has
// cluster support disabled". Moonstone has no cluster mode (see
// docs/compatibility.md), so this is all it will ever answer; the entries
// carry Redis's arities and flags so that COMMAND lists them as Redis does
// and clients probing for a cluster (CLUSTER INFO, CLUSTER SLOTS) get the
// error they expect from a standalone server.

const errClusterDisabled = "ERR This instance has cluster support disabled"

func cmdClusterDisabled(c *Call) { c.Error(errClusterDisabled) }

func clusterCommand() *Command {
	return parent("cluster", -2, "cluster", "3.0.0", "A container for cluster commands",
		def("addslots", -3, "no_async_loading admin stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Assign new hash slots to receiving node"),
		def("addslotsrange", -4, "no_async_loading admin stale", noKeys, "", "7.0.0", cmdClusterDisabled, "Assign new hash slots to receiving node"),
		def("bumpepoch", 2, "no_async_loading admin stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Advance the cluster config epoch"),
		def("count-failure-reports", 3, "admin stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Return the number of failure reports active for a given node"),
		def("countkeysinslot", 3, "stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Return the number of local keys in the specified hash slot"),
		def("delslots", -3, "no_async_loading admin stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Set hash slots as unbound in receiving node"),
		def("delslotsrange", -4, "no_async_loading admin stale", noKeys, "", "7.0.0", cmdClusterDisabled, "Set hash slots as unbound in receiving node"),
		def("failover", -2, "no_async_loading admin stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Forces a replica to perform a manual failover of its master."),
		def("flushslots", 2, "no_async_loading admin stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Delete a node's own slots information"),
		def("forget", 3, "no_async_loading admin stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Remove a node from the nodes table"),
		def("getkeysinslot", 4, "stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Return local key names in the specified hash slot"),
		def("help", 2, "loading stale", noKeys, "", "5.0.0", cmdClusterDisabled, "Show helpful text about the different subcommands"),
		def("info", 2, "stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Provides info about Redis Cluster node state"),
		def("keyslot", 3, "stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Returns the hash slot of the specified key"),
		def("links", 2, "stale", noKeys, "", "7.0.0", cmdClusterDisabled, "Returns a list of all TCP links to and from peer nodes in cluster"),
		def("meet", -4, "no_async_loading admin stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Force a node cluster to handshake with another node"),
		def("myid", 2, "stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Return the node id"),
		def("nodes", 2, "stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Get Cluster config for the node"),
		def("replicas", 3, "admin stale", noKeys, "", "5.0.0", cmdClusterDisabled, "List replica nodes of the specified master node"),
		def("replicate", 3, "no_async_loading admin stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Reconfigure a node as a replica of the specified master node"),
		def("reset", -2, "admin stale noscript", noKeys, "", "3.0.0", cmdClusterDisabled, "Reset a Redis Cluster node"),
		def("saveconfig", 2, "no_async_loading admin stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Forces the node to save cluster state on disk"),
		def("set-config-epoch", 3, "no_async_loading admin stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Set the configuration epoch in a new node"),
		def("setslot", -4, "no_async_loading admin stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Bind a hash slot to a specific node"),
		def("shards", 2, "stale", noKeys, "", "7.0.0", cmdClusterDisabled, "Get array of cluster slots to node mappings"),
		def("slaves", 3, "admin stale", noKeys, "", "3.0.0", cmdClusterDisabled, "List replica nodes of the specified master node"),
		def("slots", 2, "stale", noKeys, "", "3.0.0", cmdClusterDisabled, "Get array of Cluster slot to node mappings"),
	)
}
