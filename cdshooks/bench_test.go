package cdshooks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"
)

// lengthScorer is a cheap deterministic stand-in for the model: it costs
// nothing, so the benchmark measures this package's own overhead
// (decoding, base64, hashing, cache, cards, JSON).
func lengthScorer(_ context.Context, _ string, texts []string) ([][]float64, error) {
	out := make([][]float64, len(texts))
	for i, t := range texts {
		a := float64(len(t)%97) / 97
		out[i] = []float64{0.6 * a, 0.4 - 0.2*a, 0.3, 0.3 * (1 - a)}
	}
	return out, nil
}

// twentyNotes is a patient-view body with 20 distinct notes of ~2 kB.
func twentyNotes() []byte {
	var docs []any
	for i := range 20 {
		text := fmt.Sprintf("Note %d. ", i) + strings.Repeat("Patient with cough, fever and dyspnoea; crackles at the right base. ", 30)
		docs = append(docs, note(fmt.Sprint(i), text))
	}
	b, _ := json.Marshal(hookRequest(HookPatientView, map[string]json.RawMessage{"notes": searchset(docs...)}))
	return b
}

// BenchmarkPatientView20Notes times one patient-view call with 20 notes,
// after auth: "cold" scores every note (cache off), "warm" is a re-opened
// chart answered from the cache. p50/p99 are over the iterations.
func BenchmarkPatientView20Notes(b *testing.B) {
	body := twentyNotes()
	for _, bc := range []struct {
		name  string
		cache int
	}{{"cold", -1}, {"warm", 4096}} {
		b.Run(bc.name, func(b *testing.B) {
			svc, err := New(Config{Models: []Model{{Name: "dx", SHA256: testSHA, Labels: testLabels}},
				Score: lengthScorer, PublicURL: testPublic, CacheSize: bc.cache})
			if err != nil {
				b.Fatal(err)
			}
			e := svc.entries["dx-patient-view"]
			var lat []time.Duration
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				start := time.Now()
				resp, err := svc.call(httptest.NewRequest("POST", "/cds-services/dx-patient-view", bytes.NewReader(body)), e)
				if err != nil || len(resp.Cards) != 1 {
					b.Fatal(err)
				}
				if _, err := json.Marshal(resp); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			reportPercentiles(b, lat)
		})
	}
}

// BenchmarkVerifyES384 times the JWT check every call pays.
func BenchmarkVerifyES384(b *testing.B) {
	set, _ := ParseJWKS(jwksJSON(b))
	now := time.Unix(1_800_000_000, 0)
	v := &verifier{issuers: map[string]JWKS{testIssuer: set}}
	tok := sign(b, "ES384", "ec1", map[string]any{"iss": testIssuer, "aud": testPublic + "/cds-services",
		"iat": now.Unix(), "exp": now.Unix() + 60, "jti": "j"}, nil)
	for b.Loop() {
		v.replay = newReplayCache(1)
		if _, err := v.verify(tok, []string{testPublic + "/cds-services"}, now); err != nil {
			b.Fatal(err)
		}
	}
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	ms := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / 1e6 }
	b.ReportMetric(ms(0.5), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}
