package serve_test

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/medbert/medbert/serve"
)

// keywordModel says "urgent" when the note mentions chest pain. A real
// server wraps a loaded pipeline the same way.
type keywordModel struct{}

func (keywordModel) Info() serve.ModelInfo {
	return serve.ModelInfo{Name: "triage", Task: "sequence-classification", Labels: []string{"routine", "urgent"}, MaxLength: 128}
}

func (keywordModel) Classify(_ context.Context, inputs []serve.Input) ([]serve.Result, error) {
	out := make([]serve.Result, len(inputs))
	for i, in := range inputs {
		p := 0.1
		if strings.Contains(in.Text, "chest pain") {
			p = 0.9
		}
		out[i] = serve.Result{Scores: []float64{1 - p, p}}
	}
	return out, nil
}

func Example() {
	srv, err := serve.New(serve.DefaultConfig(), []serve.Classifier{keywordModel{}}, nil, nil)
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	req := httptest.NewRequest("POST", "/diagnose", strings.NewReader(`{"text": "sudden chest pain at rest", "top_k": 2}`))
	req.Header.Set("X-Request-ID", "example-1")
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body.String())
	// Output:
	// 200 {"diagnoses":[{"label":"urgent","score":0.9},{"label":"routine","score":0.09999999999999998}],"truncated":false,"model":"triage","model_sha256":"","request_id":"example-1","review_required":true,"disclaimer":"decision support for a qualified clinician: the scores are a model's estimate, not a diagnosis; review is required"}
}

// ExampleListenAndServe is the whole of a `serve` command: bind the flags,
// load one Classifier per --model, open the auditor, serve until SIGTERM.
func ExampleListenAndServe() {
	cfg := serve.DefaultConfig()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	serve.BindFlags(fs, &cfg)
	if err := fs.Parse([]string{"--model", "triage=/models/triage", "--addr", "127.0.0.1:8080"}); err != nil {
		panic(err)
	}
	models := make([]serve.Classifier, 0, len(cfg.Models))
	for range cfg.Models {
		models = append(models, keywordModel{}) // load cfg.Models[i].Dir here
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := serve.ListenAndServe(ctx, cfg, models, nil, logger); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}
