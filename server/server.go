package server

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"moonstone/scripting"
	"moonstone/storage"
)

// Version is Moonstone's own version, reported in INFO next to the Redis
// version it is compatible with.
const Version = "0.1.0"

// RedisVersion is the Redis release whose behaviour Moonstone matches;
// client libraries read it from INFO and HELLO.
const RedisVersion = "7.0.15"

// Server is a running Moonstone server: a listener, its clients, the
// command table and the store.
type Server struct {
	cfg      *Config
	db       *storage.DB
	commands map[string]*Command
	access   *accessTable // when keys were last used (access.go)

	ln           net.Listener
	started      time.Time
	nextClientID atomic.Int64

	connMu sync.Mutex
	conns  map[int64]*Conn
	connWG sync.WaitGroup
	// idleEpoch counts seconds for releasing the buffers of idle
	// connections (inbuf.go); it starts at 1, since 0 means busy.
	idleEpoch atomic.Int64

	stats    serverStats
	pubsub   pubsubRegistry  // pubsub.go
	monitors monitorRegistry // monitor.go
	cursors  cursorTable
	persist  persistState   // checkpoints, SAVE, BGSAVE (cmd_persistence.go)
	slowlog  slowlog        // SLOWLOG (slowlog.go)
	latency  latencyTracker // latency tracking (latency.go)
	latmon   latencyMonitor // latency events (latency_monitor.go)
	acl      *aclTable      // ACL users (acl_users.go)
	blocks   blockRegistry  // blocked clients (blocking.go)
	pause    pauseState     // CLIENT PAUSE (pause.go)
	debug    debugState     // DEBUG's switches (cmd_debug.go)
	// tracking is client-side caching's table (tracking.go).
	tracking trackingTable

	// scripts runs Lua scripts; writeGate serializes write transactions
	// (see beginWrite).
	scripts   *scripting.Engine
	writeGate chan struct{}
	// closedNet keeps closed connections' traffic, rates the samples
	// behind INFO's instantaneous figures (netstats.go).
	closedNet netCounts
	rates     rates
	// sockets watches the connections' sockets for unread requests, to
	// put blocking pops in arrival order (arrival.go).
	sockets   sockets
	fnPending pendingFunctions // cmd_function.go
	// maxMemory is maxmemory under noeviction (0: no limit), usedMemory
	// the heap as last sampled (oom.go).
	maxMemory, usedMemory atomic.Uint64
	// noReplicas says min-replicas-to-write refuses writes (noreplicas.go).
	noReplicas atomic.Bool
	// peakMemory is the most usedMemory sampled, startupMemory the heap
	// when the server was made (INFO memory).
	peakMemory    atomic.Uint64
	startupMemory uint64
	// orderSeen is when commands that later ones must not overtake were
	// last dispatched (arrival.go).
	orderSeen orderSeen
	// migrate caches MIGRATE's connections (cmd_migrate.go).
	migrate migrateSockets

	logMu sync.Mutex
	logW  *os.File

	shutdownOnce sync.Once
	done         chan struct{}
	finished     chan struct{}
	stopSweeper  chan struct{}
}

// New opens the data directory named by cfg and returns a server ready to
// Serve.
func New(cfg *Config) (*Server, error) {
	s := &Server{
		cfg:         cfg,
		commands:    commandTable(testCommands),
		conns:       make(map[int64]*Conn),
		started:     time.Now(),
		done:        make(chan struct{}),
		finished:    make(chan struct{}),
		stopSweeper: make(chan struct{}),
		logW:        os.Stderr,
		writeGate:   make(chan struct{}, 1),
	}
	if path := cfg.Get("logfile"); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("can't open the log file: %w", err)
		}
		s.logW = f
	}
	if cfg.Get("disable-thp") == "yes" {
		if err := disableTHP(); err != nil {
			s.logf(levelWarning, "disable-thp: %v", err)
		}
	}
	if err := os.MkdirAll(cfg.Dir(), 0o755); err != nil {
		return nil, fmt.Errorf("can't create data directory %s: %w", cfg.Dir(), err)
	}
	db, err := storage.Open(storage.Options{
		Dir:                    cfg.Dir(),
		CacheSize:              cfg.CacheSize(),
		MemTableSize:           cfg.MemTableSize(),
		ValueSeparationMinSize: cfg.ValueSeparationMinSize(),
		RowCacheSize:           cfg.RowCacheSize(),
		MemberCacheSize:        cfg.MemberCacheSize(),
		KeyFilterSize:          cfg.KeyFilterSize(),
		Sync:                   cfg.SyncPolicy(),
		MaxStringSize:          cfg.ProtoMaxBulkLen(),
		Logger:                 pebbleLogger{s},
		Fatal:                  s.storageFatal,
		FS:                     cfg.fs,
		Latency:                s.latmon.note,
	})
	if err != nil {
		return nil, err
	}
	s.db = db
	s.acl = newACLTable(s)
	markTouching(s.acl.cmds)
	s.access = newAccessTable(s.started)
	s.idleEpoch.Store(1)
	s.access.configure(cfg)
	if err := s.acl.loadAtStartup(); err != nil {
		db.Close()
		return nil, err
	}
	s.setListpackLimits()
	s.scripts = scripting.NewEngine(db, scripting.Options{
		BusyThreshold: cfg.BusyThreshold(),
		MemoryLimit:   cfg.LuaMemoryLimit(),
		Logf:          s.logf,
	})
	s.loadFunctions()
	s.slowlog.configure(cfg)
	s.latency.configure(cfg)
	s.latmon.configure(cfg)
	cfg.onChange = s.applyConfig
	s.setOutputLimits(cfg.Get("client-output-buffer-limit"))
	s.setNotifyFlags(cfg.NotifyFlags())
	s.setTrackingMaxKeys()
	s.setMaxMemory()
	s.setMinReplicas()
	s.sampleMemory()
	s.startupMemory = s.usedMemory.Load()
	go db.Sweeper(s.stopSweeper, cfg.Databases(), 100*time.Millisecond)
	go s.sampleRates(s.stopSweeper)
	return s, nil
}

// DB is the server's store.
func (s *Server) DB() *storage.DB { return s.db }

// Config is the server's live configuration.
func (s *Server) Config() *Config { return s.cfg }

// ListenAndServe listens on the configured address and serves until
// Shutdown.
func (s *Server) ListenAndServe() error {
	addr := net.JoinHostPort(s.cfg.Bind(), strconv.Itoa(s.cfg.Port()))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Serve accepts clients on ln until Shutdown. CONFIG SET port or bind
// replaces the listener (relisten); Serve then goes on with the new one.
func (s *Server) Serve(ln net.Listener) error {
	if !s.setListener(ln) {
		return nil
	}
	s.logf(levelNotice, "Moonstone %s (Redis %s compatible) ready to accept connections on %s, data in %s, appendfsync %s",
		Version, RedisVersion, ln.Addr(), s.cfg.Dir(), s.db.SyncPolicy())
	for {
		nc, err := ln.Accept()
		if err != nil {
			select {
			case <-s.done:
				return nil
			default:
			}
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				continue
			}
			s.connMu.Lock()
			next := s.ln
			s.connMu.Unlock()
			if next != ln {
				ln = next
				continue
			}
			return err
		}
		s.stats.connectionsReceived.Add(1)
		if tc, ok := nc.(*net.TCPConn); ok {
			tc.SetNoDelay(true)
			tc.SetKeepAlive(true)
		}
		cn := s.newConn(nc)
		if !s.addConn(cn) {
			s.stats.rejectedConns.Add(1)
			nc.Write([]byte("-" + errMaxClients + "\r\n"))
			nc.Close()
			continue
		}
		go cn.serve()
	}
}

// relisten moves the listener to the configured bind address and port,
// as CONFIG SET port and bind do in Redis (Moonstone listens on the first
// bind address only): the new address is listened on first, so a failure
// leaves the server where it was (and CONFIG SET rolls back); connected
// clients stay. Port 0, which in Redis means "no TCP, unix socket only",
// is refused: Moonstone has no unix socket, and would be left unreachable.
func (s *Server) relisten(param string) error {
	s.connMu.Lock()
	old := s.ln
	s.connMu.Unlock()
	if old == nil {
		return nil // not serving yet: ListenAndServe reads the config
	}
	unable := errors.New("Unable to listen on this port. Check server logs.")
	port := s.cfg.Port()
	if param == "bind" {
		// A new address, on the port in use.
		unable = errors.New("Failed to bind to specified addresses.")
		if a, ok := old.Addr().(*net.TCPAddr); ok {
			port = a.Port
		}
	}
	if port == 0 {
		s.logf(levelWarning, "Not listening on port 0: Moonstone has no unix socket, clients could not connect")
		return unable
	}
	addr := net.JoinHostPort(s.cfg.Bind(), strconv.Itoa(port))
	if addr == old.Addr().String() {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.logf(levelWarning, "Failed listening on %s: %v", addr, err)
		return unable
	}
	if !s.setListener(ln) {
		return nil
	}
	old.Close()
	s.logf(levelNotice, "Listening on %s", ln.Addr())
	return nil
}

// setListener makes ln the listener Serve accepts on and Shutdown closes,
// unless Shutdown has already run (before Serve started, or during a
// CONFIG SET port): then it closes ln and reports false.
func (s *Server) setListener(ln net.Listener) bool {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	select {
	case <-s.done:
		ln.Close()
		return false
	default:
	}
	s.ln = ln
	return true
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	return s.ln.Addr()
}

func (s *Server) addConn(cn *Conn) bool {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	select {
	case <-s.done:
		return false
	default:
	}
	if len(s.conns) >= s.cfg.MaxClients() {
		return false
	}
	s.conns[cn.id] = cn
	s.connWG.Add(1)
	return true
}

func (s *Server) removeConn(cn *Conn) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if _, ok := s.conns[cn.id]; ok {
		delete(s.conns, cn.id)
		s.connWG.Done()
	}
}

// clients returns a snapshot of the connected clients, by id.
func (s *Server) clients() []*Conn {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	out := make([]*Conn, 0, len(s.conns))
	for _, cn := range s.conns {
		out = append(out, cn)
	}
	return out
}

// Shutdown stops accepting clients, lets every client finish the command it
// is running, closes the connections and closes the store cleanly.
func (s *Server) Shutdown() error {
	var err error
	s.shutdownOnce.Do(func() {
		s.logf(levelNotice, "shutting down")
		s.connMu.Lock()
		close(s.done)
		s.connMu.Unlock()
		s.connMu.Lock()
		if s.ln != nil {
			s.ln.Close()
		}
		s.connMu.Unlock()
		close(s.stopSweeper)
		// A running script would keep its client's goroutine busy.
		s.scripts.Shutdown()
		for _, cn := range s.clients() {
			cn.kill()
		}
		s.connWG.Wait()
		s.sockets.close()
		s.migrate.closeAll()
		s.persist.bg.Wait()
		err = s.db.Close()
		s.logf(levelNotice, "Moonstone is now ready to exit, bye bye...")
		close(s.finished)
	})
	return err
}

// Finished is closed when Shutdown has closed the store.
func (s *Server) Finished() <-chan struct{} { return s.finished }

// Done is closed when the server starts shutting down.
func (s *Server) Done() <-chan struct{} { return s.done }

func (s *Server) limits() Limits {
	l := DefaultLimits
	l.MaxBulk = s.cfg.ProtoMaxBulkLen()
	l.MaxQuery = s.cfg.QueryBufferLimit()
	return l
}

// sortedClients returns the connected clients in id order.
func (s *Server) sortedClients() []*Conn {
	cs := s.clients()
	sort.Slice(cs, func(i, j int) bool { return cs[i].id < cs[j].id })
	return cs
}
