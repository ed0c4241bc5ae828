package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A tiny separable task through the CLI: files in, table and JSON out.
func TestBaselineCLIFiles(t *testing.T) {
	dir := t.TempDir()
	var tr, te strings.Builder
	for i := 0; i < 12; i++ {
		tr.WriteString(`{"text": "chest pain angina infarction case ` + string(rune('a'+i)) + `", "label": "cardio"}` + "\n")
		tr.WriteString(`{"text": "seizure migraine epilepsy case ` + string(rune('a'+i)) + `", "label": "neuro"}` + "\n")
	}
	te.WriteString(`{"text": "angina and chest pain", "label": "cardio"}` + "\n")
	te.WriteString(`{"text": "migraine with seizure", "label": "neuro"}` + "\n")
	te.WriteString(`{"text": "epilepsy", "label": "neuro"}` + "\n")
	trainPath, testPath := filepath.Join(dir, "train.jsonl"), filepath.Join(dir, "test.jsonl")
	os.WriteFile(trainPath, []byte(tr.String()), 0o644)
	os.WriteFile(testPath, []byte(te.String()), 0o644)
	jsonPath := filepath.Join(dir, "out.json")

	code, out, errOut := medbert(t, "baseline", "--train-file", trainPath, "--test-file", testPath, "--json", jsonPath)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"24 training and 3 evaluation examples, 2 labels", "macro avg", "confusion matrix", "majority class"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["accuracy"].(float64) != 1 || m["majority_accuracy"].(float64) != 1.0/3 {
		t.Errorf("accuracy %v, majority %v; want 1 and 1/3", m["accuracy"], m["majority_accuracy"])
	}

	// A test label unseen in training is an error naming file:line.
	os.WriteFile(testPath, []byte(`{"text": "x y", "label": "cardio"}`+"\n"+`{"text": "fracture", "label": "ortho"}`+"\n"), 0o644)
	code, _, errOut = medbert(t, "baseline", "--train-file", trainPath, "--test-file", testPath)
	if code == 0 || !strings.Contains(errOut, "test.jsonl:2") || !strings.Contains(errOut, "ortho") {
		t.Errorf("exit %d, stderr %q; want an error at test.jsonl:2", code, errOut)
	}
}
