package server

import "moonstone/storage"

// Replies handed off to the syncer.
//
// A reply to a write waits for the group sync that makes the write
// durable (storage/groupsync.go). The connection's goroutine used to wait
// for it, be woken, send the reply and then wait again for the client's
// next request: two sleeps and two wake-ups per request. Instead, when the
// connection has no further request buffered, it hands its replies to the
// syncer together with its output lock, and goes straight back to reading.
// Right after each sync the syncer sends every reply handed to it, as
// Redis writes its replies after its fsync, and unlocks each connection's
// output. Order is kept: the connection's next reply, and any pub/sub
// message for it, need the output lock, so they go out after.
//
// The syncer never waits for a client: it writes what each socket takes
// at once, and a reply the socket cannot take whole (a client that does
// not read) is finished by a goroutine of its own. Replies over
// maxHandOff, and those that need no wait, go out from the connection's
// goroutine as before.
const maxHandOff = 16 << 10

// handOff passes the buffered replies, and cn.out, to the syncer if they
// wait for a sync, and reports whether it did.
func (cn *Conn) handOff() bool {
	if cn.trySend == nil || cn.barrier.Zero() || cn.w.Len() > maxHandOff {
		return false
	}
	p := cn.barrier
	cn.barrier = storage.Pending{}
	if !cn.srv.db.WhenDurable(p, cn.sendLater) {
		cn.barrier = p // durable already, or the store is closing: flush
		return false
	}
	return true
}

// sendHandedOff runs on the syncer's goroutine once the replies are
// durable: it sends what the socket takes and leaves the rest, if any, to
// a goroutine that may wait for the client.
func (cn *Conn) sendHandedOff() {
	if cn.w.SendSome(cn.trySend) {
		cn.out.Unlock()
		return
	}
	go cn.finishSend()
}

func (cn *Conn) finishSend() {
	err := cn.w.Flush()
	cn.out.Unlock()
	if err != nil {
		// The connection's goroutine is reading: closing the socket ends it.
		cn.nc.Close()
	}
}
