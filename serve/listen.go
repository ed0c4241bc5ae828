package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// ListenAndServe is `medbert serve`: it builds a Server over models, listens
// on cfg.Addr, warms the models, serves until ctx ends (SIGTERM/SIGINT in
// the command), then shuts down gracefully and closes the auditor. The
// caller loads the models and opens the auditor; serve owns them from here.
func ListenAndServe(ctx context.Context, cfg Config, models []Classifier, auditor Auditor, logger *slog.Logger) error {
	s, err := New(cfg, models, auditor, logger)
	if err != nil {
		if auditor != nil {
			_ = auditor.Close()
		}
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return errors.Join(fmt.Errorf("listen %s: %w", cfg.Addr, err), s.Close())
	}
	return s.Serve(ctx, ln)
}

// Serve answers on ln until ctx ends, then shuts down: it stops accepting,
// lets in-flight requests finish for up to cfg.ShutdownTimeout, fails what
// is still queued, and closes the auditor (flush and sync). It warms the
// models before /readyz turns ready. Serve closes ln and the Server.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	tlsCfg, err := TLSConfig(s.cfg)
	if err != nil {
		ln.Close()
		return errors.Join(err, s.Close())
	}
	hs := &http.Server{
		Handler:           s,
		TLSConfig:         tlsCfg,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.cfg.Timeout + 10*time.Second,
		WriteTimeout:      s.cfg.Timeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		// TLS handshake failures and the like; they hold no request data.
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	fresh := trackFreshConns(hs)
	served := make(chan error, 1)
	go func() {
		if tlsCfg != nil {
			served <- hs.ServeTLS(ln, "", "")
		} else {
			served <- hs.Serve(ln)
		}
	}()
	s.log.Info("serving", "addr", ln.Addr().String(), "models", len(s.models)+len(s.taggers)+len(s.answerers), "default_model", s.defaultName(),
		"tls", tlsCfg != nil, "client_certs", s.cfg.ClientCA != "", "auth", s.tokens != nil, "max_batch", s.cfg.MaxBatch)

	var serveErr error
	if err := s.Warm(ctx); err != nil && ctx.Err() == nil {
		serveErr = err
	} else {
		select {
		case <-ctx.Done():
		case serveErr = <-served:
		}
	}
	s.metrics.ready.Store(false)
	s.log.Info("shutting down", "grace", s.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- hs.Shutdown(sctx) }()
	// Shutdown leaves connections that never sent a request open for 5 s;
	// with the listener closed, no request will come on them.
	time.Sleep(10 * time.Millisecond)
	fresh.closeAll()
	if err := <-shut; err != nil {
		s.log.Warn("in-flight requests did not finish in time; closing connections", "err", err.Error())
		hs.Close()
	}
	if errors.Is(serveErr, http.ErrServerClosed) {
		serveErr = nil
	}
	closeErr := s.Close()
	s.log.Info("stopped")
	return errors.Join(serveErr, closeErr)
}

// freshConns tracks connections that have not yet started a request.
type freshConns struct {
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func trackFreshConns(hs *http.Server) *freshConns {
	f := &freshConns{conns: map[net.Conn]struct{}{}}
	hs.ConnState = func(c net.Conn, st http.ConnState) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if st == http.StateNew {
			f.conns[c] = struct{}{}
		} else {
			delete(f.conns, c)
		}
	}
	return f
}

func (f *freshConns) closeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.conns {
		c.Close()
		delete(f.conns, c)
	}
}

// defaultName names the model /diagnose answers with, "" when only NER or
// QA models are served.
func (s *Server) defaultName() string {
	if len(s.models) == 0 {
		return ""
	}
	return s.models[0].info.Name
}
