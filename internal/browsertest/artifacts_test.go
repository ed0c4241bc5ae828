package browsertest_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/medbert/medbert/card"
	"github.com/medbert/medbert/explain"
	"github.com/medbert/medbert/internal/browsertest"
	"github.com/medbert/medbert/metrics"
)

// serveFiles serves each path's body with its content type on 127.0.0.1.
func serveFiles(t *testing.T, files map[string][]byte, ctype string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", ctype)
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func keep(t *testing.T, name string, png []byte) {
	if dir := os.Getenv("MEDBERT_SCREENSHOT_DIR"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Log(err)
		}
	}
}

// The planted explanation: "troponin" carries most of the logit.
const plantedText = "Sudden chest pain at rest; troponin raised, ECG normal, no fever."

func plantedExplanation() *explain.Explanation {
	e := &explain.Explanation{Label: "urgent", Method: explain.IntegratedGradients, Logit: 1.2, BaselineLogit: -0.3}
	scores := map[string]float64{"chest": 0.3, "pain": 0.25, "troponin": 0.9, "normal": -0.2, "fever": -0.1}
	runes := []rune(plantedText)
	start := -1
	for i := 0; i <= len(runes); i++ {
		letter := i < len(runes) && (runes[i] >= 'a' && runes[i] <= 'z' || runes[i] >= 'A' && runes[i] <= 'Z')
		if letter && start < 0 {
			start = i
		}
		if !letter && start >= 0 {
			w := string(runes[start:i])
			e.Words = append(e.Words, explain.Word{Word: w, Start: start, End: i, Score: scores[w]})
			start = -1
		}
	}
	return e
}

func TestExplanationPageRenders(t *testing.T) {
	b := browsertest.New(t)
	var page bytes.Buffer
	if err := plantedExplanation().WriteHTML(&page, plantedText); err != nil {
		t.Fatal(err)
	}
	srv := serveFiles(t, map[string][]byte{"/explanation.html": page.Bytes()}, "text/html; charset=utf-8")
	url := srv.URL + "/explanation.html"
	ctx := context.Background()

	p, err := b.DumpDOM(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	// The top word is drawn at the full highlight strength, in red.
	top := regexp.MustCompile(`<span class="w" style="background:\s*rgba\(214,\s*39,\s*40,\s*0\.750?\);?" title="\+0\.9000">troponin</span>`)
	if !top.MatchString(p.DOM) {
		t.Errorf("the DOM does not highlight troponin as the top word:\n%s", p.DOM)
	}
	if !strings.Contains(p.DOM, explain.Disclaimer) {
		t.Error("the DOM lacks the disclaimer")
	}
	if len(p.Requests) == 0 || p.Requests[0].URL != url {
		t.Errorf("chromium's net log does not start with the page: %+v", p.Requests)
	}
	if c := p.CrossOrigin(); len(c) > 0 {
		t.Errorf("the explanation page reached other origins: %+v", c)
	}

	p, err = b.Screenshot(ctx, url, 1000, 700)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := browsertest.CheckNotBlank(p.PNG); err != nil {
		t.Error(err)
	}
	keep(t, "explanation.png", p.PNG)
}

// cardInput is a small synthetic binary classifier with a subgroup field,
// shaped like the one card's own tests use.
func cardInput() card.Input {
	rng := rand.New(rand.NewPCG(3, 4))
	e := &card.Eval{Split: "synthetic test split", Seed: 7, BootstrapReps: 100}
	var groups []string
	for i := range 240 {
		g := []string{"A", "B", "C"}[i%3]
		y := rng.IntN(2)
		p := 0.5 + float64(2*y-1)*0.2 + 0.6*(rng.Float64()-0.5)
		p = min(max(p, 0.01), 0.99)
		e.YTrue = append(e.YTrue, y)
		e.Probs = append(e.Probs, []float64{1 - p, p})
		groups = append(groups, g)
	}
	e.Groups = []metrics.GroupField{{Name: "site", Values: groups}}
	return card.Input{
		Name: "triage", SHA256: "abc123", Task: "sequence classification", Labels: []string{"routine", "urgent"},
		Training: &card.Training{
			ClassCounts: []int{60, 40}, TruncationRate: 0.1, MaxLength: 128,
			Loss:     []card.Point{{Step: 1, Value: 0.9}, {Step: 2, Value: 0.7}, {Step: 3, Value: 0.6}, {Step: 4, Value: 0.55}},
			EvalLoss: []card.Point{{Step: 2, Value: 0.75}, {Step: 4, Value: 0.62}},
		},
		Eval: e,
		Date: time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC),
	}
}

func TestCardFiguresRender(t *testing.T) {
	b := browsertest.New(t)
	c, err := card.Build(cardInput())
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Figures) < 5 {
		t.Fatalf("the card has %d figures, want at least 5", len(c.Figures))
	}
	files := map[string][]byte{}
	var names []string
	for name, svg := range c.Figures {
		files["/"+name] = svg
		names = append(names, name)
	}
	sort.Strings(names)
	srv := serveFiles(t, files, "image/svg+xml")
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			p, err := b.Screenshot(context.Background(), srv.URL+"/"+name, 800, 600)
			if err != nil {
				t.Fatal(err)
			}
			if s, err := browsertest.CheckNotBlank(p.PNG); err != nil {
				t.Error(err)
			} else {
				t.Logf("%s: %d colours, %.1f%% inked", name, s.Colors, 100*s.Inked)
			}
			if len(p.Requests) == 0 || p.Requests[0].URL != srv.URL+"/"+name {
				t.Errorf("chromium's net log does not start with the figure: %+v", p.Requests)
			}
			if c := p.CrossOrigin(); len(c) > 0 {
				t.Errorf("%s reached other origins: %+v", name, c)
			}
			keep(t, strings.TrimSuffix(name, ".svg")+".png", p.PNG)
		})
	}
}
