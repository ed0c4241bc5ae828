package kernels

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func TestSelectImpl(t *testing.T) {
	best, err := selectImpl("")
	if err != nil || best != impls[len(impls)-1] {
		t.Fatalf(`selectImpl("") = %v, %v; want the best impl %s`, best, err, impls[len(impls)-1].name)
	}
	// The best impl of each feature set (cpu.go's features); builds
	// without assembly (purego, other architectures) have only generic.
	want := "generic"
	switch {
	case len(archImpls) == 0:
	case features.avx512:
		want = "avx512"
	case features.avx2:
		want = "avx2"
	case features.neon:
		want = "neon"
	}
	if best.name != want {
		t.Fatalf("default impl %s; features %+v call for %s", best.name, features, want)
	}
	if im, err := selectImpl("generic"); err != nil || im != genericImpl {
		t.Fatalf(`selectImpl("generic") = %v, %v`, im, err)
	}
	if _, err := selectImpl("sse9"); err == nil || !strings.Contains(err.Error(), "not a kernel implementation") {
		t.Fatalf(`selectImpl("sse9") error = %v`, err)
	}
	for _, name := range knownImpls {
		if lookupImpl(name) == nil {
			_, err := selectImpl(name)
			if err == nil || !strings.Contains(err.Error(), "not available") {
				t.Fatalf("selectImpl(%q) error = %v; want not available", name, err)
			}
		}
	}
}

// TestUseSwitchesInt8 checks that the int8 micro-kernel follows the active
// impl: forcing avx2 on an AVX-512 machine must not leave the VNNI kernel on.
func TestUseSwitchesInt8(t *testing.T) {
	want := map[string]string{"generic": "generic", "avx2": "avx2", "avx512": "avx2", "neon": "generic"}
	if features.vnni {
		want["avx512"] = "vnni"
	}
	if features.neonDot {
		want["neon"] = "neon-sdot"
	}
	for _, name := range Available() {
		restore, err := Use(name)
		if err != nil {
			t.Fatal(err)
		}
		got := Int8Impl()
		restore()
		if got != want[name] {
			t.Errorf("Use(%q): Int8Impl() = %q, want %q", name, got, want[name])
		}
	}
}

func TestUse(t *testing.T) {
	before := Active()
	for _, name := range Available() {
		restore, err := Use(name)
		if err != nil || Active() != name {
			t.Fatalf("Use(%q): err %v, Active %q", name, err, Active())
		}
		restore()
		if Active() != before {
			t.Fatalf("restore after Use(%q): Active %q, want %q", name, Active(), before)
		}
	}
	if _, err := Use("bogus"); err == nil || Active() != before {
		t.Fatalf("Use(bogus): err %v, Active %q", err, Active())
	}
	if av := Available(); av[0] != "generic" || !slices.Contains(av, Active()) {
		t.Fatalf("Available() = %v", av)
	}
}

// TestEnvOverrideAtInit runs this test binary again with MEDBERT_KERNELS set:
// a valid name is honoured, an unknown one stops the program at start-up
// with a message naming the variable and the choices.
func TestEnvOverrideAtInit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts subprocesses")
	}
	if os.Getenv("KERNELS_TEST_PRINT_ACTIVE") != "" {
		fmt.Println("active=" + Active())
		return
	}
	run := func(env string) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestEnvOverrideAtInit$")
		cmd.Env = append(os.Environ(), EnvVar+"="+env, "KERNELS_TEST_PRINT_ACTIVE=1")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("generic")
	if errors.Is(err, syscall.ENOEXEC) {
		t.Skip("cannot re-exec the test binary (emulated run)")
	}
	if err != nil || !strings.Contains(out, "active=generic") {
		t.Fatalf("MEDBERT_KERNELS=generic: err %v, output %q", err, out)
	}
	out, err = run("sse9")
	var ee *exec.ExitError
	want := `kernels: MEDBERT_KERNELS="sse9" is not a kernel implementation (want one of generic, neon, avx2, avx512)` + "\n"
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || out != want {
		t.Fatalf("MEDBERT_KERNELS=sse9: err %v, output %q, want exit status 2 and exactly %q", err, out, want)
	}
}
