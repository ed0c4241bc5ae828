package bert

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

// TestBertBaseRSS measures the resident memory of a process that loads a
// bert-base folder (random weights, bert-base-cased shape, seq-cls head)
// and runs one forward (batch 1, seq 128): float32, int8, and int8 with int8
// word embeddings. Each runs in a fresh child process. It writes ~0.7 GB of
// model folders to a temp dir and takes a minute, so it runs only with
// MEDBERT_RSS=1:
//
//	MEDBERT_RSS=1 go test ./bert -run TestBertBaseRSS -v
func TestBertBaseRSS(t *testing.T) {
	if os.Getenv("MEDBERT_RSS") == "" {
		t.Skip("set MEDBERT_RSS=1 to measure bert-base resident memory")
	}
	cfg, err := LoadConfig("../testdata/golden/bert_base_cased_config.json")
	if err != nil {
		t.Fatal(err)
	}
	cfg.SetNumLabels(5)
	root := t.TempDir()
	dirs := map[string]string{}
	for _, v := range []struct {
		name string
		opt  *QuantOptions
	}{{"fp32", nil}, {"int8", &QuantOptions{}}, {"int8+emb", &QuantOptions{Embeddings: true}}} {
		m, err := New(cfg, HeadSeqCls, 1)
		if err != nil {
			t.Fatal(err)
		}
		if v.opt != nil {
			if err := m.Quantize(*v.opt); err != nil {
				t.Fatal(err)
			}
		}
		dirs[v.name] = filepath.Join(root, v.name)
		if err := m.Save(dirs[v.name]); err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(filepath.Join(dirs[v.name], FileSafetensors))
		t.Logf("%-9s model.safetensors %7.1f MiB", v.name, float64(st.Size())/(1<<20))
	}
	rss := map[string]float64{}
	for _, name := range []string{"fp32", "int8", "int8+emb"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestBertBaseRSSChild$", "-test.v")
		cmd.Env = append(os.Environ(), "MEDBERT_RSS_CHILD="+dirs[name])
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s child: %v\n%s", name, err, out)
		}
		var cur, peak float64
		for _, line := range strings.Split(string(out), "\n") {
			if i := strings.Index(line, "RSS_MIB "); i >= 0 {
				fmt.Sscan(line[i+len("RSS_MIB "):], &cur, &peak)
			}
		}
		rss[name] = cur
		t.Logf("%-9s resident after load+forward %7.1f MiB (peak %7.1f MiB)", name, cur, peak)
	}
	t.Logf("int8 / fp32 = %.1f%%, int8+emb / fp32 = %.1f%%", 100*rss["int8"]/rss["fp32"], 100*rss["int8+emb"]/rss["fp32"])
}

func TestBertBaseRSSChild(t *testing.T) {
	dir := os.Getenv("MEDBERT_RSS_CHILD")
	if dir == "" {
		t.Skip("child of TestBertBaseRSS")
	}
	m, _, err := Load(dir, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	in := &Input{Batch: 1, Seq: 128, InputIDs: make([]int, 128)}
	for i := range in.InputIDs {
		in.InputIDs[i] = 1000 + 7*i
	}
	if _, err := m.Forward(in, nil, Options{}); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	debug.FreeOSMemory()
	cur, peak := procStatusKB("VmRSS:"), procStatusKB("VmHWM:")
	runtime.KeepAlive(m)
	fmt.Printf("RSS_MIB %.1f %.1f\n", cur/1024, peak/1024)
}

func procStatusKB(field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), field); ok {
			v, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return v
		}
	}
	return 0
}
