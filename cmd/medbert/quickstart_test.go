package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestQuickstartPlumbing runs quickstart end to end with a very small
// budget (a sliver of an epoch, short sequences): the numbers are not
// meaningful, the wiring is — split, model, training, test report,
// baselines side by side, saved folder that predict can load.
// Run with MEDBERT_SLOW_TESTS=1 go test ./cmd/medbert -run Quickstart.
func TestQuickstartPlumbing(t *testing.T) {
	if os.Getenv("MEDBERT_SLOW_TESTS") == "" {
		t.Skip("trains on the embedded corpus (~25 CPU-seconds); set MEDBERT_SLOW_TESTS=1")
	}
	out := filepath.Join(t.TempDir(), "qs")
	stdout, stderr, code := runCLI(t, "quickstart", "--output-dir", out, "--num-train-epochs", "0.02",
		"--max-seq-length", "32", "--hidden-size", "64", "--num-hidden-layers", "1", "--disable-tqdm")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"2028 train / 287 validation / 573 test", "bag-of-words logistic regression",
		"majority class", "medbert predict --model", "confusion matrix",
		"train split: rows: 2028", "length (tokens): min", "truncated at 32 tokens:"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	var rep map[string]any
	b, err := os.ReadFile(filepath.Join(out, "test_results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil || rep["examples"].(float64) != 573 {
		t.Fatalf("test_results.json: %v %v", err, rep["examples"])
	}
	stdout, stderr, code = runCLI(t, "predict", "--model", out, "Colonoscopy revealed adenomatous polyps.")
	if code != 0 || !strings.Contains(stdout, `"scores"`) {
		t.Fatalf("predict on the quickstart model: %d %s %s", code, stdout, stderr)
	}
	// A second run refuses to overwrite the folder.
	if _, _, code := runCLI(t, "quickstart", "--output-dir", out); code == 0 {
		t.Error("quickstart overwrote an existing model folder")
	}
}
