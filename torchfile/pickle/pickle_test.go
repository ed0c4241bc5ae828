package pickle

import (
	"encoding/hex"
	"errors"
	"math/big"
	"strings"
	"testing"
)

// Fixtures: pickle.dumps(obj, protocol=p) from CPython 3.11 (generated once
// for this test; Python is not needed to run it), where
//
//	l = [1, 2]
//	obj = {'a': [1, -2, 3.5, None, True, False, 70000, -70000],
//	       'b': ('x', 'é中'), 'big': 2**70, 'neg': -300, 'n64': -2**63,
//	       'c': {}, 'shared': None, 's1': l, 's2': l}
var fixtures = map[int]string{
	2: "80027d71002858010000006171015d7102284b014afeffffff47400c0000000000004e88894a701101004a90eefeff65580100000062710358010000007871045805000000c3a9e4b8ad7105867106580300000062696771078a0900000000000000004058030000006e656771084ad4feffff58030000006e363471098a080000000000000080580100000063710a7d710b5806000000736861726564710c4e58020000007331710d5d710e284b014b026558020000007332710f680e752e",
	4: "8004958c000000000000007d94288c0161945d94284b014afeffffff47400c0000000000004e88894a701101004a90eefeff658c0162948c0178948c05c3a9e4b8ad9486948c03626967948a090000000000000000408c036e6567944ad4feffff8c036e3634948a0800000000000000808c0163947d948c06736861726564944e8c027331945d94284b014b02658c02733294680e752e",
	5: "8005958c000000000000007d94288c0161945d94284b014afeffffff47400c0000000000004e88894a701101004a90eefeff658c0162948c0178948c05c3a9e4b8ad9486948c03626967948a090000000000000000408c036e6567944ad4feffff8c036e3634948a0800000000000000808c0163947d948c06736861726564944e8c027331945d94284b014b02658c02733294680e752e",
}

func load(t *testing.T, hexs string) any {
	t.Helper()
	b, err := hex.DecodeString(hexs)
	if err != nil {
		t.Fatal(err)
	}
	v, n, err := (&Unpickler{}).LoadBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(b)) {
		t.Fatalf("consumed %d of %d bytes", n, len(b))
	}
	return v
}

func TestProtocols(t *testing.T) {
	for p, hexs := range fixtures {
		d, ok := load(t, hexs).(*Dict)
		if !ok {
			t.Fatalf("protocol %d: not a dict", p)
		}
		get := func(k string) any {
			v, ok := d.Get(k)
			if !ok {
				t.Fatalf("protocol %d: no key %q", p, k)
			}
			return v
		}
		a := get("a").(*List).Items
		want := []any{int64(1), int64(-2), 3.5, nil, true, false, int64(70000), int64(-70000)}
		for i := range want {
			if a[i] != want[i] {
				t.Errorf("protocol %d: a[%d] = %v, want %v", p, i, a[i], want[i])
			}
		}
		if b := get("b").(*Tuple).Items; b[0] != "x" || b[1] != "é中" {
			t.Errorf("protocol %d: b = %v", p, b)
		}
		if big := get("big").(*big.Int); big.String() != "1180591620717411303424" {
			t.Errorf("protocol %d: big = %v", p, big)
		}
		if get("neg") != int64(-300) || get("n64") != int64(-1<<63) {
			t.Errorf("protocol %d: neg/n64 = %v %v", p, get("neg"), get("n64"))
		}
		if get("s1") != get("s2") {
			t.Errorf("protocol %d: memo sharing lost", p)
		}
		if strings.Join(func() []string {
			var s []string
			for _, k := range d.Keys {
				s = append(s, k.(string))
			}
			return s
		}(), ",") != "a,b,big,neg,n64,c,shared,s1,s2" {
			t.Errorf("protocol %d: key order %v", p, d.Keys)
		}
		if Depth(d) != 2 {
			t.Errorf("protocol %d: depth %d, want 2", p, Depth(d))
		}
	}
}

func TestBytesAndLongStrings(t *testing.T) {
	// pickle.dumps({'bytes': b'xy\x00', 'long': 'z'*300}, protocol=5)
	d := load(t, "8005954c010000000000007d94288c056279746573944303787900948c046c6f6e6794582c010000"+strings.Repeat("7a", 300)+"94752e").(*Dict)
	b, _ := d.Get("bytes")
	l, _ := d.Get("long")
	if string(b.([]byte)) != "xy\x00" || l != strings.Repeat("z", 300) {
		t.Errorf("bytes %q long %d", b, len(l.(string)))
	}
}

func TestTextOpcodes(t *testing.T) {
	// Protocol-0 style integers and memo, plus POP/DUP/POP_MARK.
	v, _, err := (&Unpickler{}).LoadBytes([]byte("(I42\nI01\nL-7L\nF2.5\np3\n0g3\n2(N1t."))
	if err != nil {
		t.Fatal(err)
	}
	items := v.(*Tuple).Items
	want := []any{int64(42), true, int64(-7), 2.5, 2.5} // PUT, POP, GET, DUP
	if len(items) != len(want) {
		t.Fatalf("items %v", items)
	}
	for i := range want {
		if items[i] != want[i] {
			t.Errorf("item %d = %v, want %v", i, items[i], want[i])
		}
	}
}

func TestHooksAndErrors(t *testing.T) {
	u := &Unpickler{
		FindClass: func(m, n string) (any, error) {
			if m == "ok" {
				return m + "." + n, nil
			}
			return nil, errors.New("refused " + m + "." + n)
		},
		Call: func(fn any, args *Tuple) (any, error) { return fn.(string) + "()", nil },
	}
	v, _, err := u.LoadBytes([]byte("\x80\x04\x8c\x02ok\x8c\x01f\x93)\x81."))
	if err != nil || v != "ok.f()" {
		t.Fatalf("NEWOBJ via STACK_GLOBAL: %v %v", v, err)
	}
	for name, c := range map[string]struct{ in, want string }{
		"refused global":  {"cos\nsystem\n.", "refused os.system"},
		"truncated":       {"\x80\x02X\x05\x00\x00\x00ab", "truncated"},
		"no STOP":         {"\x80\x02N", "truncated"},
		"stack underflow": {"\x80\x02t.", "MARK"},
		"pop past mark":   {"\x80\x02N(\x85.", "underflow"},
		"bad memo":        {"\x80\x02h\x05.", "memo key 5"},
		"two values left": {"\x80\x02NN.", "STOP with 2"},
		"protocol 6":      {"\x80\x06N.", "protocol 6"},
		"INST":            {"(ios\nsystem\n.", "unsupported opcode"},
		"bad utf-8":       {"\x80\x02X\x01\x00\x00\x00\xff.", "UTF-8"},
		"unhashable key":  {"\x80\x02})N\x73.", "dict key"},
		"BUILD no hook":   {"\x80\x02}}b.", "BUILD"},
		"PERSID no hook":  {"\x80\x02NQ.", "persistent"},
	} {
		_, _, err := u.LoadBytes([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", name, err, c.want)
		}
	}
}
