//go:build !linux

package server

import "net"

// newConnSource reads nc directly: kernel receive timestamps are read on
// Linux only, so elsewhere commands are not put back in arrival order
// (arrival.go), nor are idle connections' buffers released (inbuf.go).
func newConnSource(nc net.Conn, o *sockets, cn *Conn) source { return plainSource{nc} }

type sockets struct{}

func (sockets) unwatch(*Conn)                                     {}
func (sockets) unreadBefore(*Conn, int64, int64) bool             { return false }
func (sockets) orderedBefore(*Conn, int64, int64, orderKind) bool { return false }
func (sockets) mark(*Conn, bool)                                  {}
func (sockets) close()                                            {}
