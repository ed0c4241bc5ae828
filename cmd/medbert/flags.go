package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/medbert/medbert/internal/suggest"
)

// usageError is a command-line mistake (unknown flag, bad flag value):
// run reports it with a one-line pointer to --help and exit status 2.
type usageError struct {
	cmd string
	err error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// parseFlags parses a command's arguments with flags anywhere: flags that
// follow positional arguments are still flags ("predict TEXT --model M"),
// and "--" ends the flags, so later arguments are positional even when
// they start with "-". A flag's value is the next argument unless the flag
// is boolean or written --name=value. An unknown flag is refused before
// any flag is applied, with the closest known name as a suggestion. The
// full usage is printed only for -h/--help.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var flags, positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			positional = append(positional, a)
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name == "h" || name == "help" {
			flags = append(flags, a)
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			return unknownFlag(fs, name)
		}
		flags = append(flags, a)
		if !hasValue && !isBool(f) && i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	full := fs.Usage
	fs.Usage = func() {}
	out := fs.Output()
	fs.SetOutput(io.Discard)
	err := fs.Parse(append(append(flags, "--"), positional...))
	fs.Usage = full
	fs.SetOutput(out)
	if errors.Is(err, flag.ErrHelp) {
		full()
		return err
	}
	if err != nil {
		return &usageError{fs.Name(), err}
	}
	return nil
}

// parseFlagsOnly is parseFlags for a command that takes no positional
// arguments.
func parseFlagsOnly(fs *flag.FlagSet, args []string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{fs.Name(), fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func unknownFlag(fs *flag.FlagSet, name string) error {
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	msg := "unknown flag --" + name
	if s, ok := suggest.Closest(name, names); ok {
		msg += "; did you mean --" + s + "?"
	}
	return &usageError{fs.Name(), errors.New(msg)}
}

// checkDir checks that a flag names an existing folder; want says what
// belongs there, for the error ("a model folder (or use --config)").
func checkDir(flagName, path, want string) error { return checkPath(flagName, path, true, want) }

// checkFile checks that a flag names an existing file (not a folder).
func checkFile(flagName, path, want string) error { return checkPath(flagName, path, false, want) }

func checkPath(flagName, path string, dir bool, want string) error {
	st, err := os.Stat(path)
	switch {
	case err != nil && errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("--%s %s does not exist; --%s wants %s", flagName, path, flagName, want)
	case err != nil:
		return fmt.Errorf("--%s %s: %w", flagName, path, err)
	case dir && !st.IsDir():
		return fmt.Errorf("--%s %s is a file; --%s wants %s", flagName, path, flagName, want)
	case !dir && st.IsDir():
		return fmt.Errorf("--%s %s is a folder; --%s wants %s", flagName, path, flagName, want)
	}
	return nil
}

// checkNewFile checks that an output file can be created: its folder
// exists and the path is not a folder.
func checkNewFile(flagName, path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("--%s %s is a folder; give a file name", flagName, path)
	}
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("--%s %s: folder %s does not exist", flagName, path, dir)
	}
	return nil
}
