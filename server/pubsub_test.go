package server_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"moonstone/internal/testkit"
)

func TestPubSubCommandsMatchRedis(t *testing.T) {
	testkit.Diff(t, `
PUBLISH ch msg
PUBLISH ch
SPUBLISH ch msg
PUBSUB
PUBSUB HELP
PUBSUB HELP x
PUBSUB FOO
PUBSUB NUMPAT
PUBSUB NUMPAT x
PUBSUB NUMSUB
PUBSUB NUMSUB a b
PUBSUB SHARDNUMSUB
PUBSUB SHARDNUMSUB a
PUBSUB CHANNELS
PUBSUB CHANNELS *
PUBSUB CHANNELS a b
PUBSUB SHARDCHANNELS
PUBSUB SHARDCHANNELS a b
SUBSCRIBE
PSUBSCRIBE
SSUBSCRIBE
EVAL "return redis.call('publish', 'ch', 'x')" 0
EVAL "return redis.call('spublish', 'ch', 'x')" 0
EVAL "return redis.call('subscribe', 'ch')" 0
EVAL "return redis.call('pubsub', 'numpat')" 0
MULTI
PUBLISH ch x
PUBSUB NUMSUB ch
EXEC
# (The shard commands' key specs and PUBSUB HELP's categories differ: the
# command table prints no key spec flags and derives categories from groups.)
COMMAND INFO subscribe unsubscribe psubscribe punsubscribe publish
COMMAND INFO pubsub|numsub pubsub|channels pubsub|numpat pubsub|shardnumsub pubsub|shardchannels
`)
}

// step is one exchange of a pub/sub conversation: a command sent on one of
// the connections (none for a pure read) and how many frames to read back
// from each connection.
type step struct {
	on     string // "S" (subscriber), "P" (publisher) or "S2"
	args   []string
	frames map[string]int
	// ignore reads the replies without comparing them (HELLO's id).
	ignore bool
}

func cmd(on string, n int, args ...string) step {
	return step{on: on, args: args, frames: map[string]int{on: n}}
}

// runConversation plays steps on Moonstone and redis-server and compares
// every frame each connection receives, byte for byte.
func runConversation(t *testing.T, steps []step, setup ...string) {
	t.Helper()
	p := testkit.StartPair(t)
	conns := func(addr string) map[string]*testkit.RawConn {
		m := map[string]*testkit.RawConn{}
		for _, name := range []string{"S", "P", "S2"} {
			c, err := testkit.DialRaw(addr)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			m[name] = c
		}
		return m
	}
	ms, rd := conns(p.Moonstone.Addr), conns(p.Redis.Addr)
	for _, line := range setup {
		args, _ := testkit.ParseLine(line)
		p.Do(args...)
	}
	for i, st := range steps {
		for side, cs := range map[string]map[string]*testkit.RawConn{"moonstone": ms, "redis": rd} {
			if st.args != nil {
				if err := cs[st.on].Send(st.args...); err != nil {
					t.Fatalf("step %d %s: %v", i, side, err)
				}
			}
		}
		for who, n := range st.frames {
			for k := 0; k < n; k++ {
				m, err := ms[who].Read()
				if err != nil {
					t.Fatalf("step %d %v: moonstone %s: %v", i, st.args, who, err)
				}
				r, err := rd[who].Read()
				if err != nil {
					t.Fatalf("step %d %v: redis %s: %v", i, st.args, who, err)
				}
				if st.ignore && strings.HasPrefix(m, "-NOPROTO") {
					t.Skip("Moonstone does not speak RESP3 yet")
				}
				if m != r && !st.ignore {
					t.Errorf("step %d %v (%s frame %d)\n  moonstone: %q\n  redis:     %q", i, st.args, who, k, m, r)
				}
			}
		}
	}
}

func TestPubSubConversationMatchesRedis(t *testing.T) {
	pub := func(n int, args ...string) step {
		st := cmd("P", 1, args...)
		st.frames["S"] = n
		return st
	}
	runConversation(t, []step{
		cmd("S", 2, "SUBSCRIBE", "a", "b"),
		cmd("S", 1, "SUBSCRIBE", "a"),
		cmd("S", 2, "PSUBSCRIBE", "h?llo", "a*"),
		cmd("S", 1, "GET", "k"),
		cmd("S", 1, "CLIENT", "LIST"),
		cmd("S", 1, "PING"),
		cmd("S", 1, "PING", "x"),
		cmd("S", 1, "ping", "a", "b"),
		cmd("S", 1, "NOSUCHCOMMAND"),
		pub(2, "PUBLISH", "a", "hi"), // channel a and pattern a*
		pub(1, "PUBLISH", "hello", "x"),
		pub(1, "PUBLISH", "b", ""),
		pub(0, "PUBLISH", "zzz", "x"),
		cmd("P", 1, "PUBSUB", "NUMSUB", "a", "b", "c"),
		cmd("P", 1, "PUBSUB", "NUMPAT"),
		cmd("P", 1, "PUBSUB", "CHANNELS", "a*"),
		cmd("S2", 1, "PSUBSCRIBE", "a*"),
		cmd("P", 1, "PUBSUB", "NUMPAT"),
		{on: "P", args: []string{"PUBLISH", "a", "both"}, frames: map[string]int{"P": 1, "S": 2, "S2": 1}},
		cmd("S2", 1, "PUNSUBSCRIBE", "a*"),
		cmd("S", 1, "UNSUBSCRIBE", "a"),
		cmd("S", 1, "UNSUBSCRIBE", "a"),
		cmd("S", 1, "UNSUBSCRIBE"),
		cmd("S", 1, "UNSUBSCRIBE"),
		cmd("S", 1, "PUNSUBSCRIBE", "nope"),
		cmd("S", 1, "PUNSUBSCRIBE", "h?llo"),
		cmd("S", 1, "PUNSUBSCRIBE"),
		cmd("S", 1, "PUNSUBSCRIBE"),
		cmd("S", 1, "GET", "k"),
		cmd("S", 1, "PING"),
		// Shard channels.
		cmd("S", 2, "SSUBSCRIBE", "s1", "s2"),
		cmd("S", 1, "SSUBSCRIBE", "s1"),
		cmd("S", 1, "SUBSCRIBE", "s1"),
		cmd("S", 1, "GET", "k"),
		pub(1, "SPUBLISH", "s1", "shard"),
		pub(1, "PUBLISH", "s1", "plain"),
		cmd("P", 1, "PUBSUB", "SHARDNUMSUB", "s1", "s2", "s3"),
		cmd("P", 1, "PUBSUB", "SHARDCHANNELS", "s1"),
		cmd("P", 1, "PUBSUB", "NUMSUB", "s1"),
		cmd("S", 2, "SUNSUBSCRIBE", "s1", "s2"),
		cmd("S", 1, "SUNSUBSCRIBE"),
		cmd("S", 1, "UNSUBSCRIBE"),
		cmd("S", 1, "GET", "k"),
		// RESET leaves subscribed mode.
		cmd("S", 1, "SUBSCRIBE", "r"),
		cmd("S", 1, "RESET"),
		cmd("S", 1, "GET", "k"),
		pub(0, "PUBLISH", "r", "gone"),
		// Inside MULTI: SUBSCRIBE is kept, SSUBSCRIBE refused.
		cmd("S", 1, "MULTI"),
		cmd("S", 1, "SUBSCRIBE", "m"),
		cmd("S", 1, "SSUBSCRIBE", "m"),
		cmd("S", 1, "EXEC"),
		cmd("S", 1, "GET", "k"),
		pub(1, "PUBLISH", "m", "after exec"),
		cmd("S", 1, "UNSUBSCRIBE"),
		// CLIENT REPLY OFF drops replies but not confirmations or messages.
		cmd("S", 0, "CLIENT", "REPLY", "OFF"),
		cmd("S", 0, "SET", "k", "v"),
		cmd("S", 0, "CLIENT", "REPLY", "BAD"),
		cmd("S", 0, "CLIENT", "REPLY", "SKIP"),
		cmd("S", 1, "SUBSCRIBE", "quiet"),
		pub(1, "PUBLISH", "quiet", "still delivered"),
		cmd("S", 1, "UNSUBSCRIBE", "quiet"),
		cmd("S", 1, "CLIENT", "REPLY", "ON"),
		cmd("S", 0, "CLIENT", "REPLY", "SKIP"),
		cmd("S", 0, "GET", "k"),
		cmd("S", 1, "GET", "k"),
		cmd("S", 1, "CLIENT", "REPLY", "BAD"),
		cmd("S", 0, "CLIENT", "REPLY", "OFF"),
		cmd("S", 1, "RESET"),
		cmd("S", 1, "GET", "k"),
		cmd("S", 1, "QUIT"),
	})
}

func TestPubSubRESP3MatchesRedis(t *testing.T) {
	pub := func(n int, args ...string) step {
		st := cmd("P", 1, args...)
		st.frames["S"] = n
		return st
	}
	hello := cmd("S", 1, "HELLO", "3")
	hello.ignore = true
	runConversation(t, []step{
		hello,
		cmd("S", 2, "SUBSCRIBE", "a", "b"),
		cmd("S", 1, "PSUBSCRIBE", "x*"),
		cmd("S", 1, "SSUBSCRIBE", "s"),
		// RESP3 subscribers may run any command.
		cmd("S", 1, "GET", "k"),
		cmd("S", 1, "SET", "k", "v"),
		cmd("S", 1, "PING"),
		cmd("S", 1, "PING", "x"),
		pub(1, "PUBLISH", "a", "hi"),
		pub(1, "PUBLISH", "xy", "pattern"),
		pub(1, "SPUBLISH", "s", "shard"),
		cmd("S", 2, "UNSUBSCRIBE", "a", "b"),
		cmd("S", 1, "UNSUBSCRIBE"),
		cmd("S", 1, "PUNSUBSCRIBE"),
		cmd("S", 1, "PUNSUBSCRIBE"),
		cmd("S", 1, "SUNSUBSCRIBE"),
		cmd("S", 1, "SUNSUBSCRIBE"),
		cmd("S", 1, "RESET"),
		cmd("S", 1, "SUBSCRIBE", "after-reset"),
		cmd("S", 1, "GET", "k"),
	})
}

func TestPubSubGoRedis(t *testing.T) {
	srv := testkit.Start(t)
	ctx := context.Background()
	sub := srv.Client.Subscribe(ctx, "news", "sport")
	defer sub.Close()
	psub := srv.Client.PSubscribe(ctx, "n*")
	defer psub.Close()
	for _, ps := range []*redis.PubSub{sub, psub} {
		if _, err := ps.Receive(ctx); err != nil { // the confirmation
			t.Fatal(err)
		}
	}
	if _, err := sub.Receive(ctx); err != nil { // second channel
		t.Fatal(err)
	}
	n, err := srv.Client.Publish(ctx, "news", "hello").Result()
	if err != nil || n != 2 {
		t.Fatalf("PUBLISH news = %d, %v; want 2 receivers", n, err)
	}
	msg, err := sub.ReceiveMessage(ctx)
	if err != nil || msg.Channel != "news" || msg.Payload != "hello" {
		t.Fatalf("subscriber got %+v, %v", msg, err)
	}
	pm, err := psub.ReceiveMessage(ctx)
	if err != nil || pm.Pattern != "n*" || pm.Channel != "news" || pm.Payload != "hello" {
		t.Fatalf("pattern subscriber got %+v, %v", pm, err)
	}
	// Order of many messages from one publisher is kept.
	for i := 0; i < 200; i++ {
		srv.Client.Publish(ctx, "sport", fmt.Sprint(i))
	}
	for i := 0; i < 200; i++ {
		msg, err := sub.ReceiveMessage(ctx)
		if err != nil || msg.Payload != fmt.Sprint(i) {
			t.Fatalf("message %d: got %+v, %v", i, msg, err)
		}
	}
	if err := sub.Unsubscribe(ctx, "news", "sport"); err != nil {
		t.Fatal(err)
	}
	// go-redis sends UNSUBSCRIBE without waiting: wait for the
	// confirmation that leaves no subscription.
	for {
		v, err := sub.Receive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s, ok := v.(*redis.Subscription); ok && s.Kind == "unsubscribe" && s.Count == 0 {
			break
		}
	}
	ch, err := srv.Client.PubSubNumSub(ctx, "news", "sport").Result()
	if err != nil || ch["news"] != 0 || ch["sport"] != 0 {
		t.Fatalf("NUMSUB after unsubscribe = %v, %v", ch, err)
	}
	// The go-redis channel API.
	sub2 := srv.Client.Subscribe(ctx, "c")
	defer sub2.Close()
	if _, err := sub2.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Client.Publish(ctx, "c", "via channel")
	select {
	case m := <-sub2.Channel():
		if m.Payload != "via channel" {
			t.Fatalf("got %+v", m)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no message")
	}
}

// receiveAll reads messages until one with payload "end" arrives.
func receiveAll(t *testing.T, ctx context.Context, sub *redis.PubSub) []string {
	t.Helper()
	var got []string
	for {
		m, err := sub.ReceiveMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.Payload == "end" {
			return got
		}
		got = append(got, m.Channel+":"+m.Payload)
	}
}

func TestPublishInTransactionsDeliversOnCommit(t *testing.T) {
	srv := testkit.Start(t)
	ctx := context.Background()
	sub := srv.Client.Subscribe(ctx, "ch")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	c := srv.Client
	// A script that commits delivers once; its reply counts receivers.
	n, err := c.Eval(ctx, "redis.call('set', 'k', 'v'); return redis.call('publish', 'ch', 'script ok')", nil).Int()
	if err != nil || n != 1 {
		t.Fatalf("EVAL publish = %d, %v", n, err)
	}
	// A script that raises after publishing leaves no trace: no message.
	err = c.Eval(ctx, "redis.call('publish', 'ch', 'script failed'); error('boom')", nil).Err()
	if err == nil {
		t.Fatal("script should fail")
	}
	// A script returning an error reply is a normal return: it commits.
	c.Eval(ctx, "redis.call('publish', 'ch', 'error reply'); return redis.error_reply('no')", nil)
	// MULTI/EXEC delivers after EXEC; DISCARD delivers nothing.
	pipe := c.TxPipeline()
	pipe.Publish(ctx, "ch", "multi 1")
	pipe.Set(ctx, "k", "v", 0)
	pipe.Publish(ctx, "ch", "multi 2")
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	raw := srv.Raw(t)
	for _, args := range [][]string{{"MULTI"}, {"PUBLISH", "ch", "discarded"}, {"DISCARD"}} {
		if _, err := raw.Do(args...); err != nil {
			t.Fatal(err)
		}
	}
	// A read-only script may not publish: PUBLISH is flagged
	// may_replicate, as in Redis 7.0.
	err = c.EvalRO(ctx, "return redis.call('publish', 'ch', 'ro')", nil).Err()
	if err == nil || !strings.HasPrefix(err.Error(), "ERR Write commands are not allowed from read-only scripts.") {
		t.Fatalf("EVAL_RO publish: %v", err)
	}
	c.Publish(ctx, "ch", "end")
	got := strings.Join(receiveAll(t, ctx, sub), " ")
	want := "ch:script ok ch:error reply ch:multi 1 ch:multi 2"
	if got != want {
		t.Fatalf("delivered %q, want %q", got, want)
	}
}

func TestSlowSubscriberIsDisconnected(t *testing.T) {
	srv := testkit.Start(t)
	ctx := context.Background()
	c := srv.Client
	if err := c.ConfigSet(ctx, "client-output-buffer-limit", "pubsub 1mb 0 0").Err(); err != nil {
		t.Fatal(err)
	}
	// A subscriber that never reads.
	nc, err := net.Dial("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetReadBuffer(4096)
	}
	nc.Write([]byte("*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nslow\r\n"))
	for i := 0; ; i++ {
		m, _ := c.PubSubNumSub(ctx, "slow").Result()
		if m["slow"] == 1 {
			break
		}
		if i > 1000 {
			t.Fatal("subscriber never registered")
		}
		time.Sleep(time.Millisecond)
	}
	payload := strings.Repeat("x", 64<<10)
	gone := false
	for i := 0; i < 10000; i++ { // at most 640 MB published
		if err := c.Publish(ctx, "slow", payload).Err(); err != nil {
			t.Fatalf("publisher failed: %v", err)
		}
		if m, _ := c.PubSubNumSub(ctx, "slow").Result(); m["slow"] == 0 {
			gone = true
			break
		}
	}
	if !gone {
		t.Fatal("slow subscriber still subscribed")
	}
	// The publisher goes on.
	if err := c.Publish(ctx, "slow", "more").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
}

func TestPubSubInfoAndClientList(t *testing.T) {
	srv := testkit.Start(t)
	ctx := context.Background()
	sub := srv.Client.Subscribe(ctx, "a", "b")
	defer sub.Close()
	sub.PSubscribe(ctx, "p*")
	for i := 0; i < 3; i++ {
		if _, err := sub.Receive(ctx); err != nil {
			t.Fatal(err)
		}
	}
	info, err := srv.Client.Info(ctx, "stats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"pubsub_channels:2\r\n", "pubsub_patterns:1\r\n", "pubsubshard_channels:0\r\n"} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO stats lacks %q", want)
		}
	}
	list, err := srv.Client.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(list, " flags=P db=0 sub=2 psub=1 ssub=0 ") {
		t.Errorf("CLIENT LIST does not show the subscriber:\n%s", list)
	}
	for typ, want := range map[string]string{"pubsub": "flags=P", "normal": "flags=N"} {
		list, err := srv.Client.Do(ctx, "CLIENT", "LIST", "TYPE", typ).Text()
		if err != nil || strings.Count(list, "\n") != 1 || !strings.Contains(list, want) {
			t.Errorf("CLIENT LIST TYPE %s = %q, %v", typ, list, err)
		}
	}
}
