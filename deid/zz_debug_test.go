package deid

import (
	"bufio"
	"fmt"
	"os"
	"testing"
)

func TestDebugDetect(t *testing.T) {
	f := os.Getenv("DEID_DEBUG")
	if f == "" {
		t.Skip()
	}
	r, _ := os.Open(f)
	sc := bufio.NewScanner(r)
	d := New(Options{})
	for sc.Scan() {
		line := sc.Text()
		rs := []rune(line)
		fmt.Println(line)
		for _, sp := range d.Detect(line) {
			fmt.Printf("   %s %q\n", sp.Type, string(rs[sp.Start:sp.End]))
		}
	}
}
