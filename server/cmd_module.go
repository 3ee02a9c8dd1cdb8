package server

import "net"

// MODULE. Moonstone cannot load Redis modules (they are shared objects
// written against Redis's C API), so MODULE LIST is always empty. LOAD,
// LOADEX and UNLOAD are protected commands, as in Redis: refused unless
// enable-module-command allows them (default "no"; "local" allows
// loopback clients), with Redis's refusal. When allowed they fail as
// Redis fails on a module it cannot load or does not have, with the
// reason in the log.

// refuseProtected returns Redis's refusal of a protected command that its
// setting does not allow for cn, or "": enable-debug-command guards DEBUG,
// enable-module-command MODULE's LOAD, LOADEX and UNLOAD. Like Redis's
// processCommand, dispatch asks after the arity check and before
// anything else, so the refusal is a rejected call and voids a MULTI.
func (s *Server) refuseProtected(cn *Conn, cmd *Command) string {
	name, param := "MODULE", "enable-module-command"
	if cmd.Name == "debug" {
		name, param = "DEBUG", "enable-debug-command"
	}
	switch s.cfg.Get(param) {
	case "yes":
		return ""
	case "local":
		if isLocalAddr(cn.addr) {
			return ""
		}
	}
	return "ERR " + name + ` command not allowed. If the ` + param + ` option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`
}

// isLocalAddr reports whether a client's address is a loopback one, as
// Redis's islocalClient.
func isLocalAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func cmdModuleList(c *Call) { c.r.Array(0) }

func cmdModuleLoad(c *Call) {
	c.Srv.logf(levelWarning, "Module %s failed to load: Moonstone cannot load Redis modules", c.Args[2])
	c.Error("ERR Error loading the extension. Please check the server logs.")
}

func cmdModuleUnload(c *Call) {
	c.Error("ERR Error unloading module: no such module with that name")
}

func cmdModuleHelp(c *Call) {
	replyHelp(c, "MODULE",
		"LIST",
		"    Return a list of loaded modules.",
		"LOAD <path> [<arg> ...]",
		"    Load a module library from <path>, passing to it any optional arguments.",
		"LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
		"    Load a module library from <path>, while passing it module configurations and optional arguments.",
		"UNLOAD <name>",
		"    Unload a module.",
	)
}
