package serve

import (
	"flag"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestBindFlagsDefinesExactlyFlagNames(t *testing.T) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg := DefaultConfig()
	BindFlags(fs, &cfg)
	var got []string
	fs.VisitAll(func(f *flag.Flag) { got = append(got, f.Name) })
	if sortedJoin(got) != sortedJoin(FlagNames) {
		t.Errorf("flags defined %v, FlagNames %v", got, FlagNames)
	}
}

func TestBindFlagsParses(t *testing.T) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg := DefaultConfig()
	BindFlags(fs, &cfg)
	err := fs.Parse([]string{"--model", "/models/dx", "--model", "triage=/models/t2", "--addr", "0.0.0.0:8080",
		"--max-batch", "32", "--batch-wait", "2ms", "--max-body", "512KiB", "--reject-long", "--audit-sync", "strict",
		"--audit-log", "/audit/a.jsonl", "--audit-include-text"})
	if err != nil {
		t.Fatal(err)
	}
	want := []ModelSpec{{"dx", "/models/dx"}, {"triage", "/models/t2"}}
	if mustJSON(cfg.Models) != mustJSON(want) || cfg.Addr != "0.0.0.0:8080" || cfg.MaxBatch != 32 ||
		cfg.BatchWait != 2*time.Millisecond || cfg.MaxBody != 512<<10 || !cfg.RejectLong || cfg.AuditSync != "strict" ||
		cfg.Queue != 256 || cfg.Timeout != 30*time.Second || !cfg.AuditIncludeText {
		t.Errorf("parsed %+v", cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Error(err)
	}
	for _, bad := range [][]string{{"--audit-sync", "sometimes"}, {"--max-body", "1XB"}, {"--model", "bad name=/m"}} {
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		c := DefaultConfig()
		BindFlags(fs, &c)
		if fs.Parse(bad) == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestDefaults(t *testing.T) {
	c := DefaultConfig()
	if c.Addr != "127.0.0.1:8080" || c.BatchWait != 5*time.Millisecond || c.MaxBody != 1<<20 || c.AuditSync != "group" {
		t.Errorf("defaults %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Error(err)
	}
}

func TestValidateNamesTheFlag(t *testing.T) {
	cases := map[string]func(*Config){
		"--max-batch":          func(c *Config) { c.MaxBatch = 0 },
		"--queue":              func(c *Config) { c.Queue = 0 },
		"--max-body":           func(c *Config) { c.MaxBody = 10 },
		"--timeout":            func(c *Config) { c.Timeout = 0 },
		"--tls-key":            func(c *Config) { c.TLSCert = "c.pem" },
		"--client-ca":          func(c *Config) { c.ClientCA = "ca.pem" },
		"--audit-sync":         func(c *Config) { c.AuditSync = "x" },
		"--audit-include-text": func(c *Config) { c.AuditIncludeText = true },
		"given twice":          func(c *Config) { c.Models = []ModelSpec{{"a", "x"}, {"a", "y"}} },
	}
	for want, mutate := range cases {
		c := DefaultConfig()
		mutate(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v", want, err)
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1MiB": 1 << 20, "512KiB": 512 << 10, "2GB": 2e9, "1000": 1000, "64 B": 64, "3KB": 3000} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1TiB", "MiB", "99999999999GiB"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}

func TestParseModelSpec(t *testing.T) {
	for in, want := range map[string]ModelSpec{"/models/dx/": {"dx", "/models/dx/"}, "tri=/m/t": {"tri", "/m/t"}, "rel/bert.v2": {"bert.v2", "rel/bert.v2"}} {
		if got, err := ParseModelSpec(in); err != nil || got != want {
			t.Errorf("ParseModelSpec(%q) = %+v, %v", in, got, err)
		}
	}
	for _, in := range []string{"x=", "a b=/m", "/"} {
		if _, err := ParseModelSpec(in); err == nil {
			t.Errorf("ParseModelSpec(%q) accepted", in)
		}
	}
}

// TestMetricsExposition: every sample line is well-formed Prometheus text
// and the counters hold the values the requests imply.
func TestMetricsExposition(t *testing.T) {
	f := newFake("dx")
	ts := startServer(t, testConfig(), &memAuditor{}, f)
	ts.do(t, "POST", "/diagnose", `{"texts": ["cough cough", "glucose"]}`)
	ts.do(t, "POST", "/diagnose", `{"text": ""}`)
	ts.do(t, "GET", "/nowhere", ``)
	_, hdr, body := ts.do(t, "GET", "/metrics", "")
	if !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Errorf("content type %q", hdr.Get("Content-Type"))
	}
	sample := regexp.MustCompile(`^[a-z_]+(\{([a-z_]+="[^"\\]*",?)+\})? ([0-9.e+-]+|\+Inf)$`)
	for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
		if !strings.HasPrefix(line, "# HELP ") && !strings.HasPrefix(line, "# TYPE ") && !sample.MatchString(line) {
			t.Errorf("malformed line %q", line)
		}
	}
	want := map[string]string{
		`medbert_http_requests_total{endpoint="/diagnose",code="200"}`:      "1",
		`medbert_http_requests_total{endpoint="/diagnose",code="400"}`:      "1",
		`medbert_http_requests_total{endpoint="other",code="404"}`:          "1",
		`medbert_batch_size_count{model="dx"}`:                              "1", // warm-up runs the model directly, uncounted
		`medbert_batch_size_bucket{model="dx",le="2"}`:                      "1",
		`medbert_batch_size_bucket{model="dx",le="1"}`:                      "0",
		`medbert_inputs_total{model="dx"}`:                                  "2",
		`medbert_tokens_total{model="dx"}`:                                  "3", // 2 + 1 words
		`medbert_audit_records_total`:                                       "2",
		`medbert_http_request_duration_seconds_count{endpoint="/diagnose"}`: "2",
		`medbert_queue_depth{model="dx"}`:                                   "0",
		`medbert_ready`:                                                     "1",
	}
	for series, v := range want {
		if got := ts.metric(t, series); got != v {
			t.Errorf("%s = %q, want %s", series, got, v)
		}
	}
}
