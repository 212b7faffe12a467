// Command profile serves the platform's HTTP handler exactly as `parcours serve` builds it
// (same configuration variables and flags; no periodic jobs, no mail delivery) and profiles a
// window of its life that a load tool fills: SIGUSR1 starts the profiles, SIGUSR2 writes them.
// Besides the CPU profile it records where goroutines wait (block) and which locks are
// contended (mutex), since a server that is queued looks idle in a CPU profile, and what the
// heap holds at the end (heap).
// bench/http.sh --profile uses it; read the results with `go tool pprof -top BINARY FILE`.
//
//	PARCOURS_DATA_DIR=… go run ./bench/profile --out /tmp/search &
//	kill -USR1 $!; wrk …; kill -USR2 $!      # writes /tmp/search.cpu, .block, .mutex
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"parcours/internal/app"
	"parcours/internal/config"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "profile :", err)
		os.Exit(1)
	}
}

func run() error {
	fs := flag.NewFlagSet("profile", flag.ContinueOnError)
	loader := config.Flags(fs, os.Getenv)
	out := fs.String("out", "profile", "préfixe des profils écrits : PRÉFIXE.cpu, PRÉFIXE.block, PRÉFIXE.mutex, PRÉFIXE.heap")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	cfg, err := loader.Load()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	a, err := app.Open(ctx, cfg, log, app.Options{})
	if err != nil {
		return err
	}
	defer a.Close()
	h, err := a.Handler()
	if err != nil {
		return err
	}
	// As serve does: /readyz waits for the searches' read model.
	go a.PrepareSearch(ctx)
	srv := &http.Server{Addr: cfg.Addr, Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("listening", "addr", cfg.Addr)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1, syscall.SIGUSR2)
	var cpu *os.File
	for {
		select {
		case err := <-errc:
			return err
		case <-ctx.Done():
			if cpu != nil {
				pprof.StopCPUProfile()
				cpu.Close()
			}
			shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return srv.Shutdown(shutdown)
		case s := <-sig:
			switch {
			case s == syscall.SIGUSR1 && cpu == nil:
				if cpu, err = os.Create(*out + ".cpu"); err != nil {
					return err
				}
				if err := pprof.StartCPUProfile(cpu); err != nil {
					return err
				}
				runtime.SetBlockProfileRate(int(time.Microsecond))
				runtime.SetMutexProfileFraction(10)
				log.Info("profiling")
			case s == syscall.SIGUSR2 && cpu != nil:
				pprof.StopCPUProfile()
				if err := cpu.Close(); err != nil {
					return err
				}
				cpu = nil
				runtime.SetBlockProfileRate(0)
				runtime.SetMutexProfileFraction(0)
				for _, name := range []string{"block", "mutex", "heap"} {
					if err := writeProfile(name, *out+"."+name); err != nil {
						return err
					}
				}
				log.Info("profiles written", "prefix", *out)
			}
		}
	}
}

func writeProfile(name, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup(name).WriteTo(f, 0)
}
