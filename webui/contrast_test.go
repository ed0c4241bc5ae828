package webui

import (
	"math"
	"regexp"
	"strconv"
	"testing"
)

// luminance is the WCAG 2 relative luminance of an sRGB colour.
func luminance(r, g, b float64) float64 {
	lin := func(c float64) float64 {
		c /= 255
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// contrast is the WCAG contrast ratio of two colours given as [3]float64.
func contrast(a, b [3]float64) float64 {
	la, lb := luminance(a[0], a[1], a[2]), luminance(b[0], b[1], b[2])
	return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)
}

func hex3(t *testing.T, s string) [3]float64 {
	t.Helper()
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil || len(s) != 7 {
		t.Fatalf("colour %q is not #rrggbb", s)
	}
	return [3]float64{float64(v >> 16), float64(v >> 8 & 0xff), float64(v & 0xff)}
}

// over blends colour c with alpha a over white.
func over(c [3]float64, a float64) [3]float64 {
	return [3]float64{255 + a*(c[0]-255), 255 + a*(c[1]-255), 255 + a*(c[2]-255)}
}

func TestContrastKnownValues(t *testing.T) {
	black, white := [3]float64{0, 0, 0}, [3]float64{255, 255, 255}
	if c := contrast(black, white); math.Abs(c-21) > 1e-9 {
		t.Errorf("black on white %.4f, want 21", c)
	}
	// #767676 on white is the classic 4.54:1.
	if c := contrast(hex3(t, "#767676"), white); math.Abs(c-4.54) > 0.01 {
		t.Errorf("#767676 on white %.3f, want 4.54", c)
	}
}

// The page's text colours meet WCAG AA (4.5:1) on their backgrounds, and
// dark text stays readable on the strongest highlight.
func TestPageColoursMeetWCAGAA(t *testing.T) {
	css, err := assets.ReadFile("assets/app.css")
	if err != nil {
		t.Fatal(err)
	}
	js, err := assets.ReadFile("assets/app.js")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string][3]float64{}
	for _, m := range regexp.MustCompile(`--([a-z-]+):\s*(#[0-9a-fA-F]{6});`).FindAllStringSubmatch(string(css), -1) {
		vars[m[1]] = hex3(t, m[2])
	}
	white := [3]float64{255, 255, 255}
	for _, p := range []struct{ fg, bg string }{
		{"ink", "bg"}, {"ink", "panel"}, {"muted", "bg"}, {"muted", "panel"}, {"accent", "panel"}, {"ink", "warn-bg"}, {"ink", "error-bg"},
	} {
		fg, ok1 := vars[p.fg]
		bg, ok2 := vars[p.bg]
		if !ok1 || !ok2 {
			t.Fatalf("app.css lacks --%s or --%s", p.fg, p.bg)
		}
		if c := contrast(fg, bg); c < 4.5 {
			t.Errorf("--%s on --%s: contrast %.2f < 4.5", p.fg, p.bg, c)
		}
	}
	if c := contrast(white, vars["accent"]); c < 4.5 {
		t.Errorf("button text on --accent: contrast %.2f < 4.5", c)
	}
	m := regexp.MustCompile(`var MAX_ALPHA = ([0-9.]+);`).FindSubmatch(js)
	if m == nil {
		t.Fatal("app.js has no MAX_ALPHA")
	}
	alpha, _ := strconv.ParseFloat(string(m[1]), 64)
	for name, rgb := range map[string][3]float64{"for": {214, 39, 40}, "against": {31, 119, 180}} {
		if c := contrast(vars["ink"], over(rgb, alpha)); c < 4.5 {
			t.Errorf("text on the strongest %q highlight: contrast %.2f < 4.5", name, c)
		}
	}
}
