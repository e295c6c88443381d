// Command testsum reads `go test -json` on standard input and writes what a
// CI log needs: a line per package (as go test prints it), the whole output
// of every failing test and of every package that failed outside its tests
// (build errors, panics, time-outs), the names of the skipped and the
// failed tests, and a closing summary line:
//
//	tests: 812 run: 805 passed, 2 failed, 5 skipped; packages: 38 ok, 1 failed, 2 without tests
//
// It exits 1 if anything failed, so that `go test -json ./... | testsum`
// fails as go test would. Lines that are not JSON (go's own messages) are
// passed through. -show REGEXP also prints the output lines of passing
// tests that match, e.g. figures a test logs for the record.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
)

func main() {
	show := flag.String("show", "", "also print test output lines matching this regular expression")
	flag.Parse()
	var re *regexp.Regexp
	if *show != "" {
		var err error
		if re, err = regexp.Compile(*show); err != nil {
			fmt.Fprintln(os.Stderr, "testsum: -show:", err)
			os.Exit(2)
		}
	}
	failed, err := summarise(os.Stdin, os.Stdout, re)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsum:", err)
		os.Exit(2)
	}
	if failed {
		os.Exit(1)
	}
}

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string // build-output and build-fail
}

// key names a test of a package; Test is "" for the package itself.
type key struct{ pkg, test string }

// tally is what summarise has seen.
type tally struct {
	passed, failed, skipped   int
	pkgOK, pkgFailed, pkgNone int
	failures                  []string // "pkg TestName", in order
	skips                     []string // "pkg TestName", in order
	output                    map[key]*strings.Builder
	running                   map[key]bool
	build                     map[string]*strings.Builder // build output by import path
}

// summarise copies the digest of the events on r to w and reports whether
// anything failed.
func summarise(r io.Reader, w io.Writer, show *regexp.Regexp) (bool, error) {
	t := &tally{output: map[key]*strings.Builder{}, running: map[key]bool{}, build: map[string]*strings.Builder{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if len(line) == 0 || line[0] != '{' || json.Unmarshal(line, &e) != nil || e.Action == "" {
			fmt.Fprintf(w, "%s\n", line)
			continue
		}
		t.add(w, e, show)
	}
	if err := sc.Err(); err != nil {
		return true, fmt.Errorf("read go test's output: %w", err)
	}
	t.close(w)
	return t.failed > 0 || t.pkgFailed > 0, nil
}

// add takes one event.
func (t *tally) add(w io.Writer, e event, show *regexp.Regexp) {
	k := key{e.Package, e.Test}
	switch e.Action {
	case "build-output":
		bufferOf(t.build, e.ImportPath).WriteString(e.Output)
	case "build-fail":
		fmt.Fprintf(w, "--- build of %s failed:\n%s", e.ImportPath, takeOf(t.build, e.ImportPath))
	case "run":
		t.running[k] = true
	case "output":
		bufferOf(t.output, k).WriteString(e.Output)
		if show != nil && e.Test != "" && show.MatchString(e.Output) {
			fmt.Fprintf(w, "%s %s: %s", e.Package, e.Test, strings.TrimLeft(e.Output, " "))
		}
	case "pass", "skip", "fail":
		if e.Test == "" {
			t.endPackage(w, e)
		} else {
			t.endTest(w, k, e.Action)
		}
	}
}

// endTest counts a finished test and prints the output of a failed one.
func (t *tally) endTest(w io.Writer, k key, action string) {
	delete(t.running, k)
	out := takeOf(t.output, k)
	switch action {
	case "pass":
		t.passed++
	case "skip":
		t.skipped++
		t.skips = append(t.skips, k.pkg+" "+k.test)
	case "fail":
		t.failed++
		t.failures = append(t.failures, k.pkg+" "+k.test)
		fmt.Fprintf(w, "=== FAIL %s %s\n%s", k.pkg, k.test, out)
	}
}

// endPackage prints go test's line for the package and, if it failed,
// what it printed outside its tests and the tests that never finished
// (a panic or a time-out is in their output).
func (t *tally) endPackage(w io.Writer, e event) {
	out := takeOf(t.output, key{e.Package, ""})
	switch {
	case e.Action == "skip":
		t.pkgNone++
		fmt.Fprint(w, lastLine(out))
	case e.Action == "pass":
		t.pkgOK++
		fmt.Fprint(w, lastLine(out))
	default:
		t.pkgFailed++
		var unfinished []key
		for k := range t.running {
			if k.pkg == e.Package {
				unfinished = append(unfinished, k)
			}
		}
		slices.SortFunc(unfinished, func(a, b key) int { return strings.Compare(a.test, b.test) })
		for _, k := range unfinished {
			delete(t.running, k)
			t.failed++
			t.failures = append(t.failures, k.pkg+" "+k.test+" (did not finish)")
			fmt.Fprintf(w, "=== FAIL %s %s (did not finish)\n%s", k.pkg, k.test, takeOf(t.output, k))
		}
		fmt.Fprintf(w, "=== FAIL %s\n%s", e.Package, out)
	}
}

// close prints the names of the skipped and the failed tests, and the
// summary line.
func (t *tally) close(w io.Writer) {
	for _, list := range []struct {
		title string
		names []string
	}{{"skipped tests", t.skips}, {"failed tests", t.failures}} {
		if len(list.names) > 0 {
			fmt.Fprintf(w, "\n%s:\n  %s\n", list.title, strings.Join(list.names, "\n  "))
		}
	}
	fmt.Fprintf(w, "\ntests: %d run: %d passed, %d failed, %d skipped; packages: %d ok, %d failed, %d without tests\n",
		t.passed+t.failed+t.skipped, t.passed, t.failed, t.skipped, t.pkgOK, t.pkgFailed, t.pkgNone)
}

// bufferOf returns m's buffer for k, adding it if need be.
func bufferOf[K comparable](m map[K]*strings.Builder, k K) *strings.Builder {
	b, ok := m[k]
	if !ok {
		b = &strings.Builder{}
		m[k] = b
	}
	return b
}

// takeOf removes m's buffer for k and returns what it held.
func takeOf[K comparable](m map[K]*strings.Builder, k K) string {
	b, ok := m[k]
	if !ok {
		return ""
	}
	delete(m, k)
	return b.String()
}

// lastLine is the last non-empty line of s, with its newline: go test's
// "ok  pkg 1.2s" or "?  pkg [no test files]".
func lastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	return s[strings.LastIndexByte(s, '\n')+1:] + "\n"
}
