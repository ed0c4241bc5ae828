package deid

import (
	"bufio"
	"fmt"
	"os"
	"testing"
)

func TestDevTouched(t *testing.T) {
	f := os.Getenv("DEID_LINES")
	if f == "" {
		t.Skip()
	}
	r, _ := os.Open(f)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	d := New(Options{})
	n, touched := 0, 0
	counts := map[string]int{}
	for sc.Scan() {
		line := sc.Text()
		n++
		sp := d.Detect(line)
		if len(sp) > 0 {
			touched++
		}
		rs := []rune(line)
		for _, s := range sp {
			counts[string(s.Type)+" "+string(rs[s.Start:s.End])]++
		}
	}
	fmt.Printf("lines %d touched %d (%.3f)\n", n, touched, float64(touched)/float64(n))
	type kv struct {
		k string
		v int
	}
	var kvs []kv
	for k, v := range counts {
		kvs = append(kvs, kv{k, v})
	}
	for i := 0; i < len(kvs); i++ {
		for j := i + 1; j < len(kvs); j++ {
			if kvs[j].v > kvs[i].v {
				kvs[i], kvs[j] = kvs[j], kvs[i]
			}
		}
	}
	for i, x := range kvs {
		if i > 80 {
			break
		}
		fmt.Printf("%5d %s\n", x.v, x.k)
	}
}
