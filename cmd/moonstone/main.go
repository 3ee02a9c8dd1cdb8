// Command moonstone is the Moonstone server: a Redis-compatible store whose
// data lives on disk in Pebble and whose Lua scripts are transactions.
//
// It starts like redis-server:
//
//	moonstone [config-file] [--option value ...]
//
// with options named as in redis.conf (port, bind, dir, appendfsync, ...).
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"moonstone/server"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 {
		if tool, ok := tools[args[0]]; ok {
			os.Exit(tool(args[1:], os.Stdout, os.Stderr))
		}
	}
	if len(args) == 1 && (args[0] == "-v" || args[0] == "--version") {
		fmt.Printf("Moonstone %s (Redis %s compatible)\n", server.Version, server.RedisVersion)
		return
	}
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		usage()
		return
	}
	cfg, err := server.ParseArgs(args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "moonstone: %v\n", err)
		os.Exit(1)
	}
	srv, err := server.New(cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "moonstone: %v\n", err)
		os.Exit(1)
	}
	if path := os.Getenv("MOONSTONE_CPUPROFILE"); path != "" {
		// For profiling hot paths: the profile covers the server's whole
		// life and is written at shutdown.
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "moonstone: %v\n", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if path := os.Getenv("MOONSTONE_MEMPROFILE"); path != "" {
		// Every allocation since start, by call site, written at shutdown.
		defer func() {
			if f, err := os.Create(path); err == nil {
				pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}()
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		<-sigs
		srv.Shutdown()
	}()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.ListenAndServe() }()
	select {
	case err := <-serveErr:
		if err != nil {
			fmt.Fprintf(os.Stderr, "moonstone: %v\n", err)
			srv.Shutdown()
			os.Exit(1)
		}
		<-srv.Finished()
	case <-srv.Finished():
	}
}

func usage() {
	fmt.Print(`Usage: moonstone [config-file] [--option value ...]
       moonstone --version
       moonstone backup --to DIR [--host H --port P] | --to DIR --dir DATA
       moonstone restore --from BACKUP --dir DATA [--force]
       moonstone check --dir DATA

Options are redis.conf parameters, for example:
  moonstone --port 6380 --dir /var/lib/moonstone --appendfsync everysec

The defaults bind 127.0.0.1:6379, keep data in ./data and fsync every write.
`)
}
