// Command medbert fine-tunes, evaluates, quantizes and runs BERT-family
// models for clinical text on CPUs. Each subcommand lives in its own file
// and registers itself here; this package holds flags and wiring only, the
// work is done by library packages (pipeline, train, task/..., bert).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sort"

	"github.com/medbert/medbert/internal/suggest"
)

// command is one `medbert NAME` subcommand.
type command struct {
	name    string
	summary string // one line for `medbert --help`
	// run parses args (everything after NAME) and does the work. It returns
	// flag.ErrHelp after printing help, or an error to report.
	run func(args []string, stdout, stderr io.Writer) error
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("medbert: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		// `medbert help CMD` is `medbert CMD --help`.
		if len(args) == 2 && args[0] == "help" {
			if _, ok := commands[args[1]]; ok {
				return run([]string{args[1], "--help"}, stdout, stderr)
			}
			return unknownCommand(args[1], stderr)
		}
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "version" || args[0] == "--version" || args[0] == "-version" {
		fmt.Fprintln(stdout, "medbert", version())
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		return unknownCommand(args[0], stderr)
	}
	if stopProfile, err := startCPUProfile(); err != nil {
		fmt.Fprintf(stderr, "medbert %s: %v\n", c.name, err)
		return 1
	} else {
		defer stopProfile()
	}
	if err := c.run(args[1:], stdout, stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "medbert %s: %v\n", c.name, err)
		if ue := (*usageError)(nil); errors.As(err, &ue) {
			fmt.Fprintf(stderr, "run 'medbert %s --help' for its flags\n", c.name)
			return 2
		}
		return 1
	}
	return 0
}

// unknownCommand reports a command name that is not registered, with the
// closest one as a suggestion, and returns exit status 2.
func unknownCommand(name string, stderr io.Writer) int {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintf(stderr, "medbert: unknown command %q", name)
	if s, ok := suggest.Closest(name, names); ok {
		fmt.Fprintf(stderr, "; did you mean %s?", s)
	}
	fmt.Fprintln(stderr, "\nrun 'medbert help' for the list of commands")
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "medbert — fine-tune and serve BERT models for clinical text on CPUs")
	fmt.Fprintln(w, "\nUsage: medbert COMMAND [flags]   (medbert help COMMAND, or medbert COMMAND --help, for details)\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
}

// newFlags returns a FlagSet that reports errors instead of exiting and
// prints usage (a synopsis plus the flag list) on --help.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: medbert %s\n\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// version names the build: the module version (go install module@v),
// else the VCS revision the binary was built from (with its commit time and
// "+dirty" for uncommitted changes), and the Go version and platform, for
// bug reports.
func version() string {
	bi, _ := debug.ReadBuildInfo()
	return versionOf(bi)
}

// versionOf formats the version line of a build (nil: no build info).
func versionOf(bi *debug.BuildInfo) string {
	v, rev, when, dirty := "", "", "", false
	if bi != nil {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				when = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	switch {
	case v == "" && rev == "":
		v = "unknown (built without a module version or VCS stamp: use go install, or go build in a git checkout)"
	case v == "":
		v = "revision " + rev[:min(12, len(rev))]
		if dirty {
			v += "+dirty"
		}
		if when != "" {
			v += " (" + when + ")"
		}
	}
	return fmt.Sprintf("%s\nbuilt with %s for %s/%s", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
