package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/medbert/medbert/serve"
)

func init() {
	register(&command{
		name:    "serve",
		summary: "serve classifiers over HTTP: POST /diagnose, /v1/models, health, metrics (micro-batching, auth, TLS, audit log)",
		run:     runServe,
	})
}

func runServe(args []string, stdout, stderr io.Writer) error {
	cfg := serve.DefaultConfig()
	fs := newFlags("serve", "serve --model DIR [--model name=DIR ...] [--addr 127.0.0.1:8080] [--token-file F] [--tls-cert F --tls-key F [--client-ca F]] [--audit-log F [--audit-sync strict]] ...", stderr)
	serve.BindFlags(fs, &cfg)
	if err := parseFlagsOnly(fs, args); err != nil {
		return err
	}
	for _, m := range cfg.Models {
		if err := checkDir("model", m.Dir, "a model folder from medbert train (or name=DIR)"); err != nil {
			return err
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	return serve.Run(ctx, cfg, slog.New(slog.NewJSONHandler(stderr, nil)))
}
