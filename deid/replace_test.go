package deid

import (
	"strings"
	"testing"
	"time"
)

func TestPlaceholderRedact(t *testing.T) {
	r := NewReplacer(New(Options{}), Placeholder, []byte("k"))
	got, spans := r.Redact("Wife Maria called 617-555-0142 on 7/22/2023; BP 120/80, K 3.9.", "p1")
	want := "Wife [NAME] called [PHONE] on [DATE]; BP 120/80, K 3.9."
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	if len(spans) != 3 || spans[0] != (Span{5, 10, Name}) {
		t.Fatalf("spans %+v", spans)
	}
}

func TestShiftDateForms(t *testing.T) {
	for _, c := range []struct {
		in   string
		days int
		want string
	}{
		{"07/22/2023", -10, "07/12/2023"},
		{"7/22/23", -22, "6/30/23"},
		{"2023-03-01", -1, "2023-02-28"},
		{"2024-03-01", -1, "2024-02-29"},
		{"3/1", -1, "2/29"}, // year-less dates shift in a leap reference year
		{"July 22nd, 2023", -30, "June 22nd, 2023"},
		{"Jul 3", -3, "Jun 30"},
		{"22-Jul-2023", -22, "30-Jun-2023"},
		{"March 2016", -31, "February 2016"},
		{"31/12/2020", -1, "30/12/2020"}, // day first when the first number is > 12
		{"Christmas", -5, "[DATE]"},
	} {
		if got := shiftDate(c.in, c.days); got != c.want {
			t.Errorf("shiftDate(%q, %d) = %q, want %q", c.in, c.days, got, c.want)
		}
	}
}

// TestSurrogateConsistency: a name keeps one surrogate within a document,
// dates keep their intervals, and the shift depends on key and patient only.
func TestSurrogateConsistency(t *testing.T) {
	r := NewReplacer(New(Options{}), Surrogate, []byte("secret key"))
	text := "Dr. Kowalczyk saw pt on 01/10/2022. Kowalczyk called back on 01/17/2022."
	got, spans := r.Redact(text, "patient-7")
	if len(spans) != 4 {
		t.Fatalf("spans %+v", spans)
	}
	if strings.Contains(got, "Kowalczyk") || strings.Contains(got, "01/10/2022") {
		t.Fatalf("PHI left in %q", got)
	}
	f := strings.Fields(got)
	// "Dr." NAME ... NAME
	if f[1] != f[6] {
		t.Fatalf("name surrogates differ: %q vs %q in %q", f[1], f[6], got)
	}
	d1, err1 := time.Parse("01/02/2006.", f[5])
	d2, err2 := time.Parse("01/02/2006.", f[len(f)-1])
	if err1 != nil || err2 != nil {
		t.Fatalf("dates not parseable in %q: %v %v", got, err1, err2)
	}
	if d2.Sub(d1) != 7*24*time.Hour {
		t.Fatalf("interval %v, want 7 days (%q)", d2.Sub(d1), got)
	}
	shift := r.ShiftDays("patient-7")
	if shift < -365 || shift > -1 {
		t.Fatalf("shift %d out of range", shift)
	}
	want := time.Date(2022, 1, 10, 0, 0, 0, 0, time.UTC).AddDate(0, 0, shift)
	if !d1.Equal(want) {
		t.Fatalf("shifted %v, want %v", d1, want)
	}
	r2 := NewReplacer(New(Options{}), Surrogate, []byte("secret key"))
	if r2.ShiftDays("patient-7") != shift {
		t.Fatal("same key and patient gave another shift")
	}
	differ := false
	for _, p := range []string{"a", "b", "c", "d"} {
		if r2.ShiftDays(p) != shift {
			differ = true
		}
	}
	if !differ {
		t.Fatal("every patient got the same shift")
	}
}

func TestSurrogateShapes(t *testing.T) {
	r := NewReplacer(New(Options{}), Surrogate, []byte("k"))
	got, _ := r.Redact("SSN 078-05-1120, call (617) 555-0142, MRN 4455667, age 95.", "")
	f := strings.Fields(got)
	if ssn := strings.TrimSuffix(f[1], ","); len(ssn) != 11 || ssn[0] != '9' || ssn[3] != '-' {
		t.Errorf("SSN surrogate %q: want 9##-##-####", ssn)
	}
	if !strings.Contains(got, "(") || strings.Contains(got, "555-0142") {
		t.Errorf("phone surrogate in %q", got)
	}
	if !strings.HasSuffix(got, "age 90+.") {
		t.Errorf("age surrogate in %q", got)
	}
}
