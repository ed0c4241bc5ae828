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
	stdout, stderr, code := runCLI(t, "quickstart", "--from-scratch", "--output-dir", out, "--num-train-epochs", "0.02",
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

	// By default the embedded pre-trained model is fine-tuned, and --json
	// holds the three rows of the side-by-side table.
	out2, js := filepath.Join(t.TempDir(), "qs2"), filepath.Join(t.TempDir(), "q.json")
	stdout, stderr, code = runCLI(t, "quickstart", "--output-dir", out2, "--num-train-epochs", "0.02",
		"--max-seq-length", "32", "--disable-tqdm", "--json", js)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "pre-trained BERT (medbert-clinical-small)") || !strings.Contains(stdout, "medbert (medbert-clinical-small, fine-tuned)") {
		t.Errorf("output does not name the pre-trained model:\n%s", stdout)
	}
	var scores struct {
		Test map[string]map[string]float64 `json:"test"`
	}
	if b, err = os.ReadFile(js); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &scores); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"medbert", "bag_of_words", "majority"} {
		r := scores.Test[k]
		if len(r) != 3 || r["accuracy"] <= 0 || r["f1_macro"] <= 0 || r["f1_weighted"] <= 0 {
			t.Errorf("--json test.%s = %v", k, r)
		}
	}
	// The majority row is the same whichever model quickstart trains.
	if maj := scores.Test["majority"]["accuracy"]; maj < 0.3 || maj > 0.4 {
		t.Errorf("majority accuracy %.4f", maj)
	}
}

// Flags that only make sense for one kind of model are refused before
// any work, naming the fix.
func TestQuickstartFlagConflicts(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--hidden-size", "64"}, "add --from-scratch"},
		{[]string{"--num-hidden-layers", "1"}, "add --from-scratch"},
		{[]string{"--from-scratch", "--model", dir}, "exclude each other"},
		{[]string{"--json", filepath.Join(dir, "missing", "q.json")}, "--json"},
	} {
		args := append([]string{"quickstart", "--output-dir", filepath.Join(dir, "out")}, c.args...)
		_, stderr, code := runCLI(t, args...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, code, stderr, c.want)
		}
	}
}
