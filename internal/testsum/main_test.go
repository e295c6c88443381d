package main

import (
	"regexp"
	"strings"
	"testing"
)

// events is go test -json output of a run with a pass, a skip, a failing
// subtest, a package without tests, a package that timed out with a test
// running, and one of go's own lines.
const events = `{"Action":"start","Package":"ex/a"}
{"Action":"run","Package":"ex/a","Test":"TestOK"}
{"Action":"output","Package":"ex/a","Test":"TestOK","Output":"=== RUN   TestOK\n"}
{"Action":"output","Package":"ex/a","Test":"TestOK","Output":"    a_test.go:5: search quality over 3 queries: fine\n"}
{"Action":"output","Package":"ex/a","Test":"TestOK","Output":"--- PASS: TestOK (0.00s)\n"}
{"Action":"pass","Package":"ex/a","Test":"TestOK"}
{"Action":"run","Package":"ex/a","Test":"TestSkip"}
{"Action":"output","Package":"ex/a","Test":"TestSkip","Output":"    a_test.go:6: not here\n"}
{"Action":"skip","Package":"ex/a","Test":"TestSkip"}
{"Action":"run","Package":"ex/a","Test":"TestBad"}
{"Action":"run","Package":"ex/a","Test":"TestBad/inner"}
{"Action":"output","Package":"ex/a","Test":"TestBad/inner","Output":"    a_test.go:8: inner broke: want 1, got 2\n"}
{"Action":"fail","Package":"ex/a","Test":"TestBad/inner"}
{"Action":"output","Package":"ex/a","Test":"TestBad","Output":"--- FAIL: TestBad (0.00s)\n"}
{"Action":"fail","Package":"ex/a","Test":"TestBad"}
{"Action":"output","Package":"ex/a","Output":"FAIL\n"}
{"Action":"output","Package":"ex/a","Output":"FAIL\tex/a\t0.003s\n"}
{"Action":"fail","Package":"ex/a"}
go: downloading example.com/dep v1.0.0
{"Action":"output","Package":"ex/none","Output":"?   \tex/none\t[no test files]\n"}
{"Action":"skip","Package":"ex/none"}
{"Action":"run","Package":"ex/slow","Test":"TestFast"}
{"Action":"pass","Package":"ex/slow","Test":"TestFast"}
{"Action":"run","Package":"ex/slow","Test":"TestHangs"}
{"Action":"output","Package":"ex/slow","Test":"TestHangs","Output":"panic: test timed out after 2s\n"}
{"Action":"output","Package":"ex/slow","Output":"FAIL\tex/slow\t2.006s\n"}
{"Action":"fail","Package":"ex/slow"}
{"Action":"run","Package":"ex/ok","Test":"TestFine"}
{"Action":"pass","Package":"ex/ok","Test":"TestFine"}
{"Action":"output","Package":"ex/ok","Output":"PASS\n"}
{"Action":"output","Package":"ex/ok","Output":"ok  \tex/ok\t0.010s\n"}
{"Action":"pass","Package":"ex/ok"}
`

func TestSummarise(t *testing.T) {
	var out strings.Builder
	failed, err := summarise(strings.NewReader(events), &out, regexp.MustCompile("search quality over"))
	if err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if !failed {
		t.Error("a run with failures summarised as passed")
	}
	lines := strings.Split(strings.TrimRight(got, "\n"), "\n")
	if want := "tests: 7 run: 3 passed, 3 failed, 1 skipped; packages: 1 ok, 2 failed, 1 without tests"; lines[len(lines)-1] != want {
		t.Errorf("last line %q, want %q", lines[len(lines)-1], want)
	}
	for _, want := range []string{
		"=== FAIL ex/a TestBad/inner\n    a_test.go:8: inner broke: want 1, got 2\n",
		"=== FAIL ex/slow TestHangs (did not finish)\npanic: test timed out after 2s\n",
		"FAIL\tex/a\t0.003s\n", "?   \tex/none\t[no test files]\n", "ok  \tex/ok\t0.010s\n",
		"go: downloading example.com/dep v1.0.0\n",
		"ex/a TestOK: a_test.go:5: search quality over 3 queries: fine\n",
		"failed tests:\n  ex/a TestBad/inner\n  ex/a TestBad\n  ex/slow TestHangs (did not finish)\n",
		"skipped tests:\n  ex/a TestSkip\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the summary lacks %q:\n%s", want, got)
		}
	}
	for _, quiet := range []string{"--- PASS: TestOK", "not here"} {
		if strings.Contains(got, quiet) {
			t.Errorf("the summary shows %q, the output of a test that did not fail:\n%s", quiet, got)
		}
	}
}

func TestSummarise_AllPassed(t *testing.T) {
	var out strings.Builder
	failed, err := summarise(strings.NewReader(`{"Action":"run","Package":"ex/ok","Test":"TestFine"}
{"Action":"pass","Package":"ex/ok","Test":"TestFine"}
{"Action":"output","Package":"ex/ok","Output":"ok  \tex/ok\t0.010s\n"}
{"Action":"pass","Package":"ex/ok"}
`), &out, nil)
	if err != nil || failed {
		t.Fatalf("summarise: failed %v, %v", failed, err)
	}
	if want := "ok  \tex/ok\t0.010s\n\ntests: 1 run: 1 passed, 0 failed, 0 skipped; packages: 1 ok, 0 failed, 0 without tests\n"; out.String() != want {
		t.Fatalf("summary %q, want %q", out.String(), want)
	}
}
